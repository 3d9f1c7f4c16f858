"""Reading IAM-style policy documents (IAM, S3 bucket, IoT Core): who may do what on which resources.

Rules cannot look inside a JSON policy, so the facts they need (admin
grant, wildcard actions, public principal, wildcards in a Deny) are derived
here once, for every place a policy document turns up.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote


@dataclass(slots=True)
class PolicyFacts:
    """What a policy document allows, reduced to the questions posture rules ask."""

    parsed: bool = True
    statements: int = 0
    admin: bool = False
    """An Allow of ``*`` (or ``<service>:*`` for IoT when ``service`` is given) on ``*`` without conditions."""
    wildcard_actions: bool = False
    wildcard_resources: bool = False
    public_principal: bool = False
    """An Allow to ``*`` / ``AWS: *`` with no condition narrowing it."""
    deny_with_wildcard: bool = False
    """A Deny whose actions or resources use wildcards: what IoT Device Defender flags as likely too narrow."""
    not_action_allow: bool = False
    secure_transport_enforced: bool = False
    actions: list[str] = field(default_factory=list)


def load_document(document: Any) -> Mapping[str, Any] | None:
    """Policy documents arrive as dicts, JSON text or URL-encoded JSON text (IAM GetPolicyVersion)."""
    if isinstance(document, Mapping):
        return document
    if isinstance(document, str) and document.strip():
        text = document.strip()
        if text.startswith("%7B") or text.startswith("%7b"):
            text = unquote(text)
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError:
            return None
        return loaded if isinstance(loaded, Mapping) else None
    return None


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def _statements(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    raw = document.get("Statement", [])
    if isinstance(raw, Mapping):
        raw = [raw]
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, Mapping):
                yield item


def _principal_is_public(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any("*" in _listed(principal.get(key)) for key in ("AWS", "CanonicalUser"))
    return False


def _has_narrowing_condition(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping) or not condition:
        return False
    narrowing = (
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceip",
        "aws:sourcearn",
        "aws:sourceaccount",
        "aws:principalorgid",
        "aws:principalarn",
        "aws:principalaccount",
        "aws:userid",
        "aws:username",
    )
    for operators in condition.values():
        if isinstance(operators, Mapping) and any(str(k).lower() in narrowing for k in operators):
            return True
    return False


def analyse(document: Any, *, service: str = "") -> PolicyFacts:
    """Derive the posture facts of one policy document; ``service`` (``iot``) widens 'admin' to ``iot:*``."""
    loaded = load_document(document)
    if loaded is None:
        return PolicyFacts(parsed=False)
    facts = PolicyFacts()
    full = {"*", f"{service}:*"} if service else {"*"}
    for statement in _statements(loaded):
        facts.statements += 1
        effect = str(statement.get("Effect", "")).lower()
        actions = _listed(statement.get("Action"))
        resources = _listed(statement.get("Resource"))
        wild_action = any("*" in a for a in actions)
        wild_resource = any("*" in r for r in resources)
        if effect == "allow":
            facts.actions.extend(a for a in actions if a not in facts.actions)
            if "NotAction" in statement:
                facts.not_action_allow = True
            facts.wildcard_actions |= wild_action
            facts.wildcard_resources |= "*" in resources
            conditioned = bool(statement.get("Condition"))
            if not conditioned and "*" in resources and any(a in full for a in actions):
                facts.admin = True
            if _principal_is_public(statement.get("Principal")) and not _has_narrowing_condition(statement):
                facts.public_principal = True
        elif effect == "deny":
            if wild_action or wild_resource:
                facts.deny_with_wildcard = True
            condition = statement.get("Condition")
            if isinstance(condition, Mapping):
                for operators in condition.values():
                    if isinstance(operators, Mapping) and any(
                        str(k).lower() == "aws:securetransport" and str(v).lower() == "false"
                        for k, v in operators.items()
                    ):
                        facts.secure_transport_enforced = True
    return facts


def allowed_pairs(document: Any) -> list[tuple[str, str]]:
    """Every (action, resource) an unconditioned Allow statement grants, for service-specific questions."""
    loaded = load_document(document)
    if loaded is None:
        return []
    pairs: list[tuple[str, str]] = []
    for statement in _statements(loaded):
        if str(statement.get("Effect", "")).lower() != "allow" or statement.get("Condition"):
            continue
        for action in _listed(statement.get("Action")):
            for resource in _listed(statement.get("Resource")) or ["*"]:
                pairs.append((action.lower(), resource))
    return pairs
