"""Compliance frameworks a rule's tags map to, and how to show their control ids to people.

Rules carry framework mappings as Sigma tags (``iec62443.sr_4_1``,
``nist_csf.pr_ds_02``, ``attack.t0885``...). Auditors read ``SR 4.1`` and
``PR.DS-02``, not tag slugs, so the report turns each tag into the id the
standard itself prints, with the control's title where we know it. Unknown
controls still show (with their id only): a mapping is never dropped because
this table lags behind a rule pack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Framework:
    """One framework: its tag prefix, its display name and a line on what it is."""

    prefix: str
    name: str
    about: str


FRAMEWORKS: tuple[Framework, ...] = (
    Framework("iec62443", "IEC 62443-3-3", "System security requirements (SR) and component requirements (CR)"),
    Framework("nist_csf", "NIST CSF 2.0", "Cybersecurity Framework 2.0 subcategories"),
    Framework("attack", "ATT&CK for ICS", "Adversary techniques the weakness enables"),
    Framework("cis_aws", "CIS AWS Foundations", "CIS Amazon Web Services Foundations Benchmark controls"),
    Framework("slsa", "SLSA", "Supply-chain Levels for Software Artifacts build track"),
    Framework("semi_e187", "SEMI E187", "Cybersecurity of fab equipment"),
)

# Titles of the controls rule packs map to most often. Sources: IEC 62443-3-3:2013
# SR titles, NIST CSF 2.0 (2024) subcategory/category names, MITRE ATT&CK for ICS.
IEC62443_TITLES: dict[str, str] = {
    "1.1": "Human user identification and authentication",
    "1.2": "Software process and device identification and authentication",
    "1.3": "Account management",
    "1.4": "Identifier management",
    "1.5": "Authenticator management",
    "1.6": "Wireless access management",
    "1.7": "Strength of password-based authentication",
    "1.8": "Public key infrastructure certificates",
    "1.9": "Strength of public key authentication",
    "1.10": "Authenticator feedback",
    "1.11": "Unsuccessful login attempts",
    "1.12": "System use notification",
    "1.13": "Access via untrusted networks",
    "2.1": "Authorization enforcement",
    "2.2": "Wireless use control",
    "2.3": "Use control for portable and mobile devices",
    "2.4": "Mobile code",
    "2.5": "Session lock",
    "2.6": "Remote session termination",
    "2.7": "Concurrent session control",
    "2.8": "Auditable events",
    "2.9": "Audit storage capacity",
    "2.10": "Response to audit processing failures",
    "2.11": "Timestamps",
    "2.12": "Non-repudiation",
    "3.1": "Communication integrity",
    "3.2": "Malicious code protection",
    "3.3": "Security functionality verification",
    "3.4": "Software and information integrity",
    "3.5": "Input validation",
    "3.6": "Deterministic output",
    "3.7": "Error handling",
    "3.8": "Session integrity",
    "3.9": "Protection of audit information",
    "4.1": "Information confidentiality",
    "4.2": "Information persistence",
    "4.3": "Use of cryptography",
    "5.1": "Network segmentation",
    "5.2": "Zone boundary protection",
    "5.3": "General purpose person-to-person communication restrictions",
    "5.4": "Application partitioning",
    "6.1": "Audit log accessibility",
    "6.2": "Continuous monitoring",
    "7.1": "Denial of service protection",
    "7.2": "Resource management",
    "7.3": "Control system backup",
    "7.4": "Control system recovery and reconstitution",
    "7.5": "Emergency power",
    "7.6": "Network and security configuration settings",
    "7.7": "Least functionality",
    "7.8": "Control system component inventory",
}

NIST_CSF_CATEGORIES: dict[str, str] = {
    "GV.OC": "Organizational Context",
    "GV.RM": "Risk Management Strategy",
    "GV.RR": "Roles, Responsibilities, and Authorities",
    "GV.PO": "Policy",
    "GV.OV": "Oversight",
    "GV.SC": "Cybersecurity Supply Chain Risk Management",
    "ID.AM": "Asset Management",
    "ID.RA": "Risk Assessment",
    "ID.IM": "Improvement",
    "PR.AA": "Identity Management, Authentication, and Access Control",
    "PR.AT": "Awareness and Training",
    "PR.DS": "Data Security",
    "PR.PS": "Platform Security",
    "PR.IR": "Technology Infrastructure Resilience",
    "DE.CM": "Continuous Monitoring",
    "DE.AE": "Adverse Event Analysis",
    "RS.MA": "Incident Management",
    "RS.AN": "Incident Analysis",
    "RS.CO": "Incident Response Reporting and Communication",
    "RS.MI": "Incident Mitigation",
    "RC.RP": "Incident Recovery Plan Execution",
    "RC.CO": "Incident Recovery Communication",
}

ATTACK_ICS_TITLES: dict[str, str] = {
    "T0800": "Activate Firmware Update Mode",
    "T0801": "Monitor Process State",
    "T0802": "Automated Collection",
    "T0807": "Command-Line Interface",
    "T0811": "Data from Information Repositories",
    "T0812": "Default Credentials",
    "T0814": "Denial of Service",
    "T0816": "Device Restart/Shutdown",
    "T0817": "Drive-by Compromise",
    "T0819": "Exploit Public-Facing Application",
    "T0822": "External Remote Services",
    "T0830": "Adversary-in-the-Middle",
    "T0836": "Modify Parameter",
    "T0839": "Module Firmware",
    "T0840": "Network Connection Enumeration",
    "T0842": "Network Sniffing",
    "T0843": "Program Download",
    "T0846": "Remote System Discovery",
    "T0847": "Replication Through Removable Media",
    "T0855": "Unauthorized Command Message",
    "T0857": "System Firmware",
    "T0859": "Valid Accounts",
    "T0860": "Wireless Compromise",
    "T0861": "Point & Tag Identification",
    "T0862": "Supply Chain Compromise",
    "T0866": "Exploitation of Remote Services",
    "T0869": "Standard Application Layer Protocol",
    "T0882": "Theft of Operational Information",
    "T0883": "Internet Accessible Device",
    "T0884": "Connection Proxy",
    "T0885": "Commonly Used Port",
    "T0886": "Remote Services",
    "T0887": "Wireless Sniffing",
    "T0888": "Remote System Information Discovery",
    "T0890": "Exploitation for Privilege Escalation",
    "T0891": "Hardcoded Credentials",
}

_SR = re.compile(r"^(sr|cr|re)_(\d+)_(\d+)(?:_(\d+))?$")
_CSF = re.compile(r"^([a-z]{2})_([a-z]{2})_(\d+)$")
_SLSA = re.compile(r"^(build|source)_l(\d)$")


def framework_of(tag: str) -> Framework | None:
    """The framework a tag belongs to, or None for free tags (``cwe.``, plain words)."""
    head = tag.split(".", 1)[0].lower()
    for fw in FRAMEWORKS:
        if fw.prefix == head:
            return fw
    return None


def control_label(tag: str) -> tuple[str, str]:
    """``(id as the standard prints it, title or "")`` for a framework tag."""
    head, _, rest = tag.partition(".")
    head, rest = head.lower(), rest.lower()
    if head == "iec62443":
        m = _SR.match(rest)
        if m:
            kind, a, b, re_no = m.groups()
            ident = f"{a}.{b}"
            label = f"{kind.upper()} {ident}" + (f" RE({re_no})" if re_no else "")
            return label, IEC62443_TITLES.get(ident, "")
    elif head == "nist_csf":
        m = _CSF.match(rest)
        if m:
            fn, cat, num = m.groups()
            category = f"{fn.upper()}.{cat.upper()}"
            return f"{category}-{num}", NIST_CSF_CATEGORIES.get(category, "")
    elif head == "attack":
        ident = rest.upper()
        return ident, ATTACK_ICS_TITLES.get(ident.split(".", 1)[0], "")
    elif head == "cis_aws":
        return rest.replace("_", "."), ""
    elif head == "slsa":
        m = _SLSA.match(rest)
        if m:
            return f"{m.group(1).capitalize()} L{m.group(2)}", ""
    return rest or tag, ""


def control_sort_key(tag: str) -> tuple[object, ...]:
    """Order controls the way the standard lists them (SR 1.10 after SR 1.9)."""
    parts = re.split(r"[._]", tag.lower())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


SHORT_NAMES = {
    "iec62443": "IEC 62443",
    "nist_csf": "CSF",
    "attack": "ATT&CK",
    "cis_aws": "CIS AWS",
    "slsa": "SLSA",
    "semi_e187": "SEMI E187",
}


def tag_label(tag: str) -> str:
    """A tag as people read it (``IEC 62443 SR 4.1``, ``CSF PR.DS-02``); free tags unchanged."""
    fw = framework_of(tag)
    if fw is None:
        return tag
    label, _ = control_label(tag)
    return f"{SHORT_NAMES.get(fw.prefix, fw.name)} {label}"
