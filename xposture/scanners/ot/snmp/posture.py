"""What a live scan learned about an agent beyond its MIB values: versions, credentials, engine id."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from xposture.scanners.ot.snmp.engineid import EngineId

DEFAULT_COMMUNITIES = (
    "public",
    "private",
    "community",
    "admin",
    "manager",
    "snmp",
    "cisco",
    "write",
    "read",
    "monitor",
    "secret",
    "default",
    "snmpd",
    "system",
    "ILMI",
)
"""Communities shipped as factory defaults or guessed first by attackers (onesixtyone's and nmap's lists start here)."""


@dataclass(slots=True)
class CommunityResult:
    """One community string the agent accepted; ``label`` is safe to store (see ``community_label``)."""

    label: str
    default: bool
    versions: list[str] = field(default_factory=list)
    writable: bool | None = None
    write_detail: str = ""


@dataclass(slots=True)
class V3UserResult:
    """One configured USM user tried against the agent."""

    user: str
    security_level: str
    auth_protocol: str
    priv_protocol: str
    accepted: bool
    detail: str = ""


@dataclass(slots=True)
class AgentPosture:
    """Everything a live scan learned about one agent besides the MIB values themselves."""

    host: str
    port: int = 161
    versions: list[str] = field(default_factory=list)
    communities: list[CommunityResult] = field(default_factory=list)
    v3_users: list[V3UserResult] = field(default_factory=list)
    engine: EngineId | None = None
    engine_boots: int | None = None
    engine_time_s: int | None = None
    community_test: bool = False
    write_test: bool = False
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    offline: bool = False
    """Facts stated by the inventory for a recording (``recorded_with``), not observed live."""


def community_label(community: str, salt: bytes, defaults: tuple[str, ...] = DEFAULT_COMMUNITIES) -> tuple[str, bool]:
    """``(label, is_default)``: factory defaults by name (public knowledge), anything else as a salted hash.

    The label keys findings across scans, so the salt is kept per installation
    (``load_salt``); it is never a way back to the community itself.
    """
    if community in defaults or community in DEFAULT_COMMUNITIES:
        return community, True
    digest = hmac.new(salt, community.encode("utf-8", errors="surrogateescape"), hashlib.sha256).hexdigest()
    return f"configured:{digest[:12]}", False


def load_salt(data_dir: Path) -> bytes:
    """This installation's salt for community labels, created on first use (random if the folder is read-only)."""
    path = data_dir / "snmp-label-salt"
    try:
        if path.exists():
            return path.read_bytes()[:64] or secrets.token_bytes(16)
        data_dir.mkdir(parents=True, exist_ok=True)
        salt = secrets.token_bytes(16)
        path.write_bytes(salt)
        path.chmod(0o600)
        return salt
    except OSError:
        return secrets.token_bytes(16)
