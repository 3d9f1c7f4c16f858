"""The TLS cipher suite registry and the weak classes testssl.sh and sslyze report.

The classes are derived from the IANA names (``TLS_<kx>_WITH_<cipher>_<mac>``)
rather than hand-listed, so a suite added to the registry file is classified
the moment it is added.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

TLS13_SUITES = (0x1301, 0x1302, 0x1303, 0x1304, 0x1305)

# Endpoint-level weak classes, in the order reports list them.
WEAK_CLASSES = ("null", "anonymous", "export", "rc4", "des", "3des", "md5", "no_forward_secrecy", "cbc_only")


@dataclass(frozen=True, slots=True)
class Suite:
    """One cipher suite and the properties the posture checks need."""

    code: int
    name: str

    @property
    def tls13(self) -> bool:
        return self.code in TLS13_SUITES

    @property
    def key_exchange(self) -> str:
        if self.tls13:
            return "ECDHE"
        head = self.name.removeprefix("TLS_").removeprefix("SSL_")
        return head.split("_WITH_", 1)[0] if "_WITH_" in head else head

    @property
    def cipher(self) -> str:
        if self.tls13:
            return self.name.removeprefix("TLS_")
        return self.name.split("_WITH_", 1)[1] if "_WITH_" in self.name else ""

    @property
    def aead(self) -> bool:
        return self.tls13 or any(mode in self.cipher for mode in ("_GCM", "_CCM", "CHACHA20_POLY1305"))

    @property
    def cbc(self) -> bool:
        return "_CBC" in self.cipher

    @property
    def forward_secrecy(self) -> bool:
        """Ephemeral (EC)DH key exchange: a stolen server key does not decrypt recorded traffic."""
        kx = self.key_exchange
        return self.tls13 or kx.startswith(("DHE", "ECDHE")) or ("_anon" in kx and kx.startswith(("DH_", "ECDH_")))

    @property
    def classes(self) -> tuple[str, ...]:
        """Weak classes this suite belongs to (empty for a sound suite)."""
        found: list[str] = []
        name, cipher = self.name, self.cipher
        if "NULL" in cipher or name.endswith("_WITH_NULL_NULL"):
            found.append("null")
        if "_anon_" in name or name.endswith("_anon"):
            found.append("anonymous")
        if "EXPORT" in name:
            found.append("export")
        if "RC4" in cipher:
            found.append("rc4")
        if "3DES" in cipher:
            found.append("3des")
        elif "DES" in cipher:
            found.append("des")
        if cipher.endswith("_MD5"):
            found.append("md5")
        if not self.forward_secrecy:
            found.append("no_forward_secrecy")
        return tuple(found)


@cache
def registry() -> dict[int, Suite]:
    """Every registered suite by code point (read once from the shipped registry file)."""
    text = files("xposture.scanners.comms").joinpath("tls_suites.txt").read_text(encoding="utf-8")
    table: dict[int, Suite] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        code_text, name = line.split()
        code = int(code_text, 16)
        table[code] = Suite(code, name)
    return table


def suite(code: int) -> Suite:
    """The suite for a code point; unknown code points get a placeholder name rather than an error."""
    return registry().get(code) or Suite(code, f"UNKNOWN_0x{code:04x}")


@cache
def legacy_suites() -> tuple[int, ...]:
    """Suites a TLS 1.2-or-older ClientHello offers when enumerating (everything but TLS 1.3's)."""
    return tuple(code for code in registry() if code not in TLS13_SUITES)


COMPAT_SUITES = (
    0xC02F, 0xC030, 0xC02B, 0xC02C, 0xCCA8, 0xCCA9, 0x009E, 0x009F, 0xC027, 0xC028, 0xC023, 0xC024,
    0xC013, 0xC014, 0xC009, 0xC00A, 0x009C, 0x009D, 0x003C, 0x003D, 0x002F, 0x0035, 0x0033, 0x0039,
    0x0067, 0x006B, 0x000A, 0x0016, 0xC012, 0xC008, 0x0005, 0x0004, 0xC011, 0xC007, 0x0003, 0x0006,
    0x0009, 0x0014, 0x0015, 0x0018, 0x001B, 0x0034, 0x003A, 0x0001, 0x0002, 0x003B,
)  # fmt: skip
"""A short offer of widely deployed suites (weak ones included) for stacks that drop long ClientHellos.

Some embedded TLS stacks reset on hellos over 255 or 511 bytes; a hello with
every registered suite is ~700 bytes. With this list the hello stays under 256.
"""


def endpoint_classes(legacy: list[int], tls13: list[int]) -> list[str]:
    """Weak classes of an endpoint from the suites it accepted under TLS 1.2-or-older and TLS 1.3."""
    found = {cls for code in legacy for cls in suite(code).classes}
    if legacy and not tls13 and not any(suite(code).aead for code in legacy):
        found.add("cbc_only")
    return [cls for cls in WEAK_CLASSES if cls in found]
