"""IAM shapes to records: users (credential-report rows), the account and its root, policies.

The credential report is the one place AWS states MFA, password use and key
age for every user (and the root) at once, so every path (live, recorded,
fallback from ListUsers) is turned into credential-report rows first.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from xposture.model import FieldValue, Record
from xposture.scanners.cloud.common import (
    Where,
    as_bool,
    days_since,
    inventory_record,
    resource_record,
    tag_map,
    with_inventory,
)
from xposture.scanners.cloud.policy import analyse

ROOT_ROW = "<root_account>"


def parse_credential_report(content: Any) -> list[dict[str, str]]:
    """Rows of a credential report (``Content`` is CSV, base64-encoded in JSON exports, bytes from boto3)."""
    if isinstance(content, bytes):
        text = content.decode("utf-8", "replace")
    elif isinstance(content, str):
        try:
            text = base64.b64decode(content, validate=True).decode("utf-8", "replace")
        except ValueError:
            text = content
    else:
        return []
    if not text.startswith("user,"):
        return []
    return [dict(row) for row in csv.DictReader(io.StringIO(text))]


def _active_keys(row: Mapping[str, str], now: Any) -> list[tuple[int | None, int | None]]:
    """(age_days, unused_days) of each active access key in a row."""
    keys = []
    for n in (1, 2):
        if as_bool(row.get(f"access_key_{n}_active")):
            age = days_since(row.get(f"access_key_{n}_last_rotated"), now)
            used = days_since(row.get(f"access_key_{n}_last_used_date"), now)
            keys.append((age, used if used is not None else age))
    return keys


def _max(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def user_records(row: Mapping[str, str], where: Where, api: str = "iam:GetCredentialReport") -> Iterator[Record]:
    """One ``aws_iam_user`` per credential-report row (the root row goes to :func:`account_records`)."""
    name = row.get("user", "")
    arn = row.get("arn") or where.arn("iam", f"user/{name}", regional=False)
    here = where.at(region="")
    keys = _active_keys(row, where.now)
    console = as_bool(row.get("password_enabled"))
    password_unused = days_since(row.get("password_last_used"), where.now)
    if console and password_unused is None:
        password_unused = days_since(row.get("user_creation_time"), where.now)
    unused = [password_unused if console else None] + [u for _, u in keys]
    record = resource_record(
        "aws_iam_user",
        here,
        arn=arn,
        key="user",
        service="iam",
        resource_type="AWS::IAM::User",
        resource_id=name,
        name=name,
        api=api,
        fields={
            "user.name": name,
            "user.console_access": console,
            "user.mfa_enabled": as_bool(row.get("mfa_active")),
            "user.password_unused_days": password_unused if console else None,
            "user.access_keys_active": len(keys) if "access_key_1_active" in row else None,
            "user.access_key_max_age_days": _max([a for a, _ in keys]),
            "user.access_key_unused_days": _max([u for _, u in keys]),
            "user.credentials_unused_days": _max(unused),
            "user.age_days": days_since(row.get("user_creation_time"), where.now),
        },
    )
    yield from with_inventory(record)


def account_records(
    where: Where,
    *,
    root_row: Mapping[str, str] | None = None,
    summary: Mapping[str, Any] | None = None,
    password_policy: Mapping[str, Any] | bool | None = False,
    s3_public_access_block: Mapping[str, Any] | bool | None = False,
    trails_multi_region_logging: bool | None = None,
    api: str = "iam:GetCredentialReport",
) -> Iterator[Record]:
    """One ``aws_account`` record; ``False`` for a part means 'not read', ``None`` means 'read: none set'."""
    fields: dict[str, FieldValue] = {"account.id": where.account_id}
    if root_row is not None:
        fields["account.root_mfa_enabled"] = as_bool(root_row.get("mfa_active"))
        fields["account.root_access_keys"] = len(_active_keys(root_row, where.now))
        fields["account.root_last_used_days"] = days_since(root_row.get("password_last_used"), where.now)
    elif summary is not None:
        fields["account.root_mfa_enabled"] = bool(summary.get("AccountMFAEnabled", 0))
        fields["account.root_access_keys"] = int(summary.get("AccountAccessKeysPresent", 0))
    if password_policy is not False:
        policy = password_policy if isinstance(password_policy, Mapping) else {}
        fields.update(
            {
                "account.password_policy.present": bool(policy),
                "account.password_policy.minimum_length": int(policy.get("MinimumPasswordLength", 0)) if policy else 0,
                "account.password_policy.require_symbols": bool(policy.get("RequireSymbols", False)),
                "account.password_policy.require_numbers": bool(policy.get("RequireNumbers", False)),
                "account.password_policy.require_uppercase": bool(policy.get("RequireUppercaseCharacters", False)),
                "account.password_policy.require_lowercase": bool(policy.get("RequireLowercaseCharacters", False)),
                "account.password_policy.reuse_prevention": int(policy.get("PasswordReusePrevention", 0) or 0),
                "account.password_policy.max_age_days": int(policy.get("MaxPasswordAge", 0) or 0),
            }
        )
    if s3_public_access_block is not False:
        block = s3_public_access_block if isinstance(s3_public_access_block, Mapping) else {}
        fields["account.s3_public_access_block"] = all(
            bool(block.get(k))
            for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        )
    if trails_multi_region_logging is not None:
        fields["account.cloudtrail_multi_region_logging"] = trails_multi_region_logging
    if len(fields) == 1:
        return
    arn = f"arn:{where.partition}:iam::{where.account_id}:root"
    yield resource_record(
        "aws_account",
        where.at(region=""),
        arn=arn,
        key="account",
        service="iam",
        resource_type="AWS::Account",
        resource_id=where.account_id,
        name=where.account_id,
        api=api,
        fields=fields,
    )


def policy_records(
    policy: Mapping[str, Any],
    document: Any,
    where: Where,
    *,
    kind: str = "managed",
    attached_to: str = "",
    api: str = "iam:GetPolicyVersion",
) -> Iterator[Record]:
    """One ``aws_iam_policy`` per customer-managed or inline policy, with what its document grants."""
    name = str(policy.get("PolicyName", ""))
    arn = str(policy.get("Arn", "")) or where.arn(
        "iam", f"policy/{attached_to}/{name}".replace("//", "/"), regional=False
    )
    facts = analyse(document)
    count = policy.get("AttachmentCount")
    attached = bool(attached_to) or (int(count) > 0 if count is not None else None)
    record = resource_record(
        "aws_iam_policy",
        where.at(region=""),
        arn=arn,
        key=f"policy/{kind}/{attached_to}/{name}" if kind == "inline" else "policy",
        service="iam",
        resource_type="AWS::IAM::Policy",
        resource_id=str(policy.get("PolicyId", name)),
        name=name,
        api=api,
        tags=tag_map(policy.get("Tags")),
        fields={
            "policy.name": name,
            "policy.kind": kind,
            "policy.attached_to": attached_to or None,
            "policy.attached": attached,
            "policy.attachment_count": int(count) if count is not None else None,
            "policy.parsed": facts.parsed,
            "policy.admin": facts.admin,
            "policy.wildcard_actions": facts.wildcard_actions,
            "policy.wildcard_resources": facts.wildcard_resources,
            "policy.not_action_allow": facts.not_action_allow,
        },
    )
    if kind == "managed":
        yield inventory_record(record)
    yield record
