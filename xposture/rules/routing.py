"""Which record type a rule's ``logsource`` selects.

Our own packs name the record type directly (``category: network_flow,
product: xposture``). Foreign Sigma rules, SigmaHQ's in particular, often
have only a product and a service (``product: aws, service: cloudtrail``);
the table below maps those to the record types our readers emit. Anything
not in the table falls back to ``<product>_<service>`` (or ``<product>_log``
for a product alone), which is also what a user names the ``record_type`` of
a ``records`` source holding such logs. ``docs/rules.md`` documents this.
"""

from __future__ import annotations

import re

from xposture.rules.model import OWN_PRODUCT

PRODUCT_SERVICE_TYPES: dict[tuple[str, str], str] = {
    ("aws", "cloudtrail"): "aws_cloudtrail_event",
    ("azure", "activitylogs"): "azure_activity_log",
    ("azure", "signinlogs"): "azure_signin_log",
    ("azure", "auditlogs"): "azure_audit_log",
    ("gcp", "gcp.audit"): "gcp_audit_log",
    ("m365", "audit"): "m365_audit_log",
    ("okta", "okta"): "okta_system_log",
    ("github", "audit"): "github_audit_log",
}
"""(product, service) -> record type for rules that have no category."""

PRODUCT_FIELD = "logsource.product"
SERVICE_FIELD = "logsource.service"
"""Optional record fields that let product/service narrow the rules of a category (foreign logs only)."""

_UNSAFE = re.compile(r"[^a-z0-9_]+")


def _slug(text: str) -> str:
    return _UNSAFE.sub("_", text.strip().lower()).strip("_")


def record_type_for(category: str | None, product: str | None, service: str | None) -> str:
    """The record type a logsource selects: the category if any, else the table, else ``<product>_<service>``."""
    if category:
        return category
    product_key = (product or "").strip().lower()
    service_key = (service or "").strip().lower()
    known = PRODUCT_SERVICE_TYPES.get((product_key, service_key))
    if known:
        return known
    if product_key and service_key:
        return f"{_slug(product_key)}_{_slug(service_key)}"
    if product_key:
        return f"{_slug(product_key)}_log"
    return f"{_slug(service_key)}_log"


def narrows(category: str | None, product: str | None) -> bool:
    """Whether a rule's product/service narrows its category (foreign products with a category do)."""
    return bool(category) and bool(product) and (product or "").lower() != OWN_PRODUCT
