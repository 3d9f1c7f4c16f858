"""What a live scan learned about an agent beyond its MIB values: versions, credentials, engine id."""

from __future__ import annotations

from dataclasses import dataclass, field

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
