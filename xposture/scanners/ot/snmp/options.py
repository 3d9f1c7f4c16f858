"""The ``snmp`` inventory entry, validated once into typed options.

Secrets never appear here in clear: communities, auth and privacy keys are
``env:NAME`` references resolved through ``ScanContext.secret`` at scan time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from xposture.errors import ScannerError
from xposture.scanners.base import ScanContext, SourceConfig
from xposture.scanners.ot.snmp.client import AUTH_PROTOCOLS, PRIV_PROTOCOLS
from xposture.scanners.ot.snmp.mib import COLLECT_COLUMNS
from xposture.scanners.ot.snmp.posture import DEFAULT_COMMUNITIES

VERSIONS = ("v1", "v2c", "v3")
COLLECT = ("identity", *COLLECT_COLUMNS)


@dataclass(slots=True)
class V3User:
    user: str
    auth: str = "none"
    priv: str = "none"
    auth_key: str | None = None
    priv_key: str | None = None

    @property
    def security_level(self) -> str:
        if self.auth == "none":
            return "noAuthNoPriv"
        return "authNoPriv" if self.priv == "none" else "authPriv"


@dataclass(slots=True)
class SnmpOptions:
    targets: list[str] = field(default_factory=list)
    port: int = 161
    versions: tuple[str, ...] = VERSIONS
    communities: list[str] = field(default_factory=list)
    default_communities: tuple[str, ...] = DEFAULT_COMMUNITIES
    community_test: bool = False
    write_test: bool = False
    v3_users: list[V3User] = field(default_factory=list)
    engine_discovery: bool = True
    collect: tuple[str, ...] = COLLECT
    concurrency: int = 64
    rate_per_s: float = 50.0
    timeout_s: float = 1.0
    retries: int = 1
    max_rows: int = 4096
    max_in_flight: int = 64


def _split_communities(text: str) -> list[str]:
    return [c for c in (part.strip() for part in re.split(r"[\n,]", text)) if c]


def parse_options(source: SourceConfig, ctx: ScanContext) -> SnmpOptions:
    """Options with secrets resolved; raises ``ScannerError`` naming the bad key."""
    raw: dict[str, Any] = source.options
    label = source.label
    opts = SnmpOptions(
        concurrency=ctx.concurrency,
        rate_per_s=ctx.safety.max_rate_per_s,
    )
    opts.targets = [str(t) for t in raw.get("targets", [])]
    opts.port = int(raw.get("port", 161))
    versions = tuple(str(v).lower() for v in raw.get("versions", VERSIONS))
    bad = [v for v in versions if v not in VERSIONS]
    if bad:
        raise ScannerError(f"versions: unknown {bad} (use {', '.join(VERSIONS)})", scanner="snmp", target=label)
    opts.versions = versions
    references = raw.get("communities", [])
    for reference in [references] if isinstance(references, str) else references:
        value = ctx.secret(str(reference))
        opts.communities.extend(_split_communities(value or ""))
    if "default_communities" in raw:
        opts.default_communities = tuple(str(c) for c in raw["default_communities"])
    opts.community_test = bool(raw.get("credential_tests", False)) or ctx.safety.allow_credential_tests
    opts.write_test = bool(raw.get("write_test", False))
    for entry in raw.get("v3_users", []):
        opts.v3_users.append(_v3_user(entry, ctx, label))
    opts.engine_discovery = bool(raw.get("engine_discovery", "v3" in versions))
    collect = tuple(str(c) for c in raw.get("collect", COLLECT))
    unknown = [c for c in collect if c not in COLLECT]
    if unknown:
        raise ScannerError(f"collect: unknown {unknown} (use {', '.join(COLLECT)})", scanner="snmp", target=label)
    opts.collect = collect
    opts.concurrency = max(1, int(raw.get("concurrency", opts.concurrency)))
    opts.rate_per_s = min(float(raw.get("rate", opts.rate_per_s)), max(ctx.safety.max_rate_per_s, 1.0))
    opts.timeout_s = float(raw.get("timeout_s", 1.0))
    opts.retries = max(0, int(raw.get("retries", 1)))
    opts.max_rows = max(1, int(raw.get("max_rows", 4096)))
    opts.max_in_flight = max(1, int(raw.get("max_in_flight", 64)))
    return opts


def _v3_user(entry: Any, ctx: ScanContext, label: str) -> V3User:
    if not isinstance(entry, dict) or "user" not in entry:
        raise ScannerError("v3_users: each entry needs at least 'user'", scanner="snmp", target=label)
    auth = str(entry.get("auth", "none")).lower()
    priv = str(entry.get("priv", "none")).lower()
    if auth not in AUTH_PROTOCOLS or priv not in PRIV_PROTOCOLS:
        raise ScannerError(
            f"v3_users: auth must be one of {AUTH_PROTOCOLS}, priv one of {PRIV_PROTOCOLS}",
            scanner="snmp",
            target=label,
        )
    if priv != "none" and auth == "none":
        raise ScannerError("v3_users: privacy needs authentication", scanner="snmp", target=label)
    user = V3User(str(entry["user"]), auth, priv)
    user.auth_key = ctx.secret(str(entry["auth_key"])) if auth != "none" and "auth_key" in entry else None
    user.priv_key = ctx.secret(str(entry["priv_key"])) if priv != "none" and "priv_key" in entry else None
    if (auth != "none" and not user.auth_key) or (priv != "none" and not user.priv_key):
        raise ScannerError(f"v3_users: {user.user}: auth_key/priv_key (env:NAME) missing", scanner="snmp", target=label)
    return user
