"""A pattern library that reads vendor, model and firmware out of sysDescr.

sysDescr is free text, but vendors write it in stable shapes (APC's
``MN:AP8641 ... AF1:v6.7.2``, Cisco's ``Version 12.2(55)SE3``, Siemens'
``SCALANCE X208, 6GK5 ..., HW: 7, FW: V4.03``). Each pattern names the fields
it yields; the first vendor pattern that matches wins, then generic
fall-backs fill a firmware version when nothing more specific did. Every
pattern has a real sysDescr in the tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields

Groups = dict[str, str]


@dataclass(slots=True)
class DescrIdentity:
    """What a sysDescr says about its device; empty strings where it says nothing."""

    vendor: str = ""
    model: str = ""
    firmware: str = ""
    os: str = ""
    os_version: str = ""
    product: str = ""
    hardware: str = ""
    serial: str = ""
    product_code: str = ""
    pattern: str = ""

    def as_dict(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


@dataclass(frozen=True, slots=True)
class Pattern:
    """One sysDescr shape: ``name`` is reported in ``identity.source_pattern`` so a wrong match can be traced."""

    name: str
    regex: re.Pattern[str]
    build: Callable[[Groups], DescrIdentity]


def _version(text: str) -> str:
    """``V4.03`` / ``v6.7.2`` -> ``4.03`` / ``6.7.2``: advisory ranges compare bare versions."""
    text = text.strip().rstrip(",;")
    return text[1:] if len(text) > 1 and text[0] in "vV" and text[1].isdigit() else text


def _g(groups: Groups, name: str) -> str:
    return (groups.get(name) or "").strip()


def _apc(g: Groups) -> DescrIdentity:
    return DescrIdentity(
        vendor="APC",
        product=_g(g, "product"),
        model=_g(g, "mn"),
        firmware=_version(_g(g, "af") or _g(g, "pf")),
        os="AOS",
        os_version=_version(_g(g, "pf")),
        hardware=_g(g, "hr"),
        serial=_g(g, "sn"),
    )


def _cisco(g: Groups) -> DescrIdentity:
    return DescrIdentity(
        vendor="Cisco",
        os=_g(g, "os") or "IOS",
        os_version=_g(g, "version"),
        firmware=_g(g, "version"),
        model=_g(g, "platform"),
        product=_g(g, "image"),
    )


def _siemens(g: Groups) -> DescrIdentity:
    return DescrIdentity(
        vendor="Siemens",
        product=_g(g, "family"),
        model=_g(g, "model"),
        product_code=_g(g, "mlfb"),
        hardware=_g(g, "hw"),
        firmware=_version(_g(g, "fw")),
    )


def _simple(vendor: str, os: str = "") -> Callable[[Groups], DescrIdentity]:
    def build(g: Groups) -> DescrIdentity:
        version = _version(_g(g, "version"))
        return DescrIdentity(
            vendor=vendor or _g(g, "vendor"),
            model=_g(g, "model"),
            firmware=version,
            os=os or _g(g, "os"),
            os_version=version if (os or _g(g, "os")) else "",
            product=_g(g, "product"),
            hardware=_g(g, "hw"),
        )

    return build


def _windows(g: Groups) -> DescrIdentity:
    version = _g(g, "version") + (f" build {_g(g, 'build')}" if _g(g, "build") else "")
    return DescrIdentity(vendor="Microsoft", os="Windows", os_version=version, firmware=version)


def _linux(g: Groups) -> DescrIdentity:
    return DescrIdentity(os="Linux", os_version=_g(g, "kernel"))


def _poweralert(g: Groups) -> DescrIdentity:
    return DescrIdentity(
        vendor="Tripp Lite",
        product="PowerAlert",
        firmware=_version(_g(g, "version")),
        os=_g(g, "os") or "Linux",
        os_version=_g(g, "osver"),
    )


_I = re.IGNORECASE
PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        "apc_management_card",
        re.compile(
            r"^APC (?P<product>[^(]*?)\s*\((?=.*\bMN:)(?:.*?\bPF:(?P<pf>\S+))?(?:.*?\bAF1:(?P<af>\S+))?"
            r"(?:.*?\bMN:(?P<mn>\S+))?(?:.*?\bHR:\s*(?P<hr>\S+))?(?:.*?\bSN:\s*(?P<sn>[^\s)]+))?"
        ),
        _apc,
    ),
    Pattern(
        "cisco_ios",
        re.compile(
            r"Cisco (?P<os>IOS(?: XE| XR)?|NX-OS)(?:\(tm\))?[ ,].*?(?:(?P<platform>[\w/-]*\d[\w/-]*) Software )?"
            r"(?:\((?P<image>[\w/.-]+)\))?,?\s*Version (?P<version>[\w.()\[\]:-]+)",
            _I | re.S,
        ),
        _cisco,
    ),
    Pattern(
        "cisco_ios_legacy",
        re.compile(
            r"Cisco Internetwork Operating System Software.*?IOS \(tm\) (?P<platform>[\w/-]+) Software "
            r"\((?P<image>[\w/.-]+)\),\s*Version (?P<version>[\w.()]+)",
            re.S,
        ),
        _cisco,
    ),
    Pattern(
        "cisco_ios_bare", re.compile(r"^Cisco Internetwork Operating System Software\s*$"), _simple("Cisco", "IOS")
    ),
    Pattern(
        "siemens_simatic",
        re.compile(
            r"^Siemens,\s*(?P<family>SIMATIC(?: NET| S7)?|SCALANCE|RUGGEDCOM)\s*,\s*(?P<model>[^,]+?)\s*,"
            r"\s*(?P<mlfb>6[A-Z]{2}\d[ \w.-]+?)\s*,\s*HW:\s*(?:Version\s*)?(?P<hw>[^,]+?)\s*,"
            r"\s*FW:\s*(?:Version\s*)?(?P<fw>V?[\w.]+)",
            _I,
        ),
        _siemens,
    ),
    Pattern(
        "brocade_ironware",
        re.compile(
            r"^(?P<vendor>Brocade Communications Systems|Foundry Networks|Ruckus Wireless),? Inc\.,?\s+"
            r"(?P<model>[\w-]+).*?(?P<os>IronWare|FastIron)\s+Version\s+(?P<version>[\w.]+)",
            _I,
        ),
        lambda g: _simple("Ruckus" if "ruckus" in _g(g, "vendor").lower() else "Brocade")(g),
    ),
    Pattern(
        "juniper_junos",
        re.compile(r"^Juniper Networks, Inc\.\s+(?P<model>[\w-]+).*?JUNOS\s+(?P<version>[\w.-]+)", _I),
        _simple("Juniper", "JUNOS"),
    ),
    Pattern(
        "hp_procurve",
        re.compile(
            r"^(?:HP|Aruba|ProCurve)\s+(?P<model>[A-Z]{1,2}\d{3,4}[A-Z]{0,2}\s.*?),\s*revision\s+(?P<version>[\w.]+)"
        ),
        _simple("HP", "ArubaOS-Switch"),
    ),
    Pattern(
        "palo_alto",
        re.compile(r"^Palo Alto Networks\s+(?P<model>PA-[\w]+)", _I),
        _simple("Palo Alto Networks", "PAN-OS"),
    ),
    Pattern(
        "fortigate",
        re.compile(r"^(?P<model>Forti\w+-[\w]+)\s+v(?P<version>[\d.]+)", _I),
        _simple("Fortinet", "FortiOS"),
    ),
    Pattern("mikrotik", re.compile(r"^RouterOS\s+(?P<model>\S+)"), _simple("MikroTik", "RouterOS")),
    Pattern(
        "moxa",
        re.compile(r"^MOXA\s+(?P<model>[\w-]+(?:\s[\w-]+)?)(?:.*?\bV(?:ersion)?\s*(?P<version>\d[\w.]*))?", _I),
        _simple("Moxa"),
    ),
    Pattern(
        "hirschmann",
        re.compile(r"^Hirschmann\s+(?P<model>.+?)(?:\s+(?:HiOS|Classic)[- ]?\S*?[- ](?P<version>\d[\w.]+))?\s*$", _I),
        _simple("Hirschmann"),
    ),
    Pattern(
        "schneider",
        re.compile(r"^Schneider Electric\s+(?P<model>.+?)(?:\s+V(?P<version>\d[\w.]*))?\s*$", _I),
        _simple("Schneider Electric"),
    ),
    Pattern(
        "phoenix_contact",
        re.compile(r"^Phoenix Contact\s+(?P<model>.+?)(?:\s+V?(?P<version>\d+\.\d[\w.]*))?\s*$", _I),
        _simple("Phoenix Contact"),
    ),
    Pattern("eaton", re.compile(r"^EATON\s+(?P<model>.+?)\s*$", _I), _simple("Eaton")),
    Pattern("hp_onboard_administrator", re.compile(r"^HP (?P<model>Onboard Administrator)\s*$"), _simple("HP")),
    Pattern(
        "samsung_ipolis",
        re.compile(r"^SAMSUNG\s+(?P<product>iPolis)\s+(?P<model>.+?)\s*$", _I),
        _simple("Samsung"),
    ),
    Pattern(
        "tripplite_poweralert",
        re.compile(
            r"^(?:(?P<os>Ubuntu|Debian)\s+(?P<osver>[\d.]+)[^\n]*?)?software:\s*PowerAlert\s+(?P<version>[\d.]+)", _I
        ),
        _poweralert,
    ),
    Pattern(
        "windows",
        re.compile(r"Software:\s*Windows.*?Version\s+(?P<version>[\d.]+)(?:\s*\(Build\s+(?P<build>\d+))?", _I),
        _windows,
    ),
    Pattern(
        "linux",
        re.compile(
            r"^Linux\s+(?:(?P<host>\S+)\s+)?(?P<kernel>\d+\.\d+[\w.+-]*)\b.*?(?P<arch>x86_64|i\d86|armv\w+|aarch64|mips\w*|ppc\w*)?\s*$"
        ),
        _linux,
    ),
)

_GENERIC_FIRMWARE = (
    re.compile(r"\b(?:fw|firmware|f/w)(?:\s+version)?\s*[:=]?\s*(?P<version>v?\d+(?:\.\w+)+)", _I),
    re.compile(r"\b(?:software|sw)\s+(?:version|rev(?:ision)?)\s*[:=]?\s*(?P<version>v?\d+(?:\.\w+)+)", _I),
    re.compile(r"\bversion\s*[:=]?\s*(?P<version>v?\d+(?:\.\w+)+)", _I),
)
_GENERIC_MODEL = re.compile(r"^(?P<model>[\w.-]+(?:\s\([\w-]+\))?),\s*(?:fw|firmware)\s*:", _I)


def parse_sysdescr(text: str) -> DescrIdentity:
    """Vendor/model/firmware read from one (already sanitised) sysDescr; empty fields where unknown."""
    for pattern in PATTERNS:
        match = pattern.regex.search(text)
        if match:
            found = pattern.build({k: v for k, v in match.groupdict().items() if v})
            found.pattern = pattern.name
            if not found.firmware:
                found.firmware = _generic_firmware(text)
            return found
    found = DescrIdentity(firmware=_generic_firmware(text))
    model = _GENERIC_MODEL.search(text)
    if model:
        found.model = model.group("model")
    if found.firmware or found.model:
        found.pattern = "generic"
    return found


def _generic_firmware(text: str) -> str:
    for regex in _GENERIC_FIRMWARE:
        match = regex.search(text)
        if match:
            return _version(match.group("version"))
    return ""
