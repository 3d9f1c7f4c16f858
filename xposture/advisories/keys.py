"""Lookup keys shared by importers and the matcher: purl, CPE, vendor/product, model number, bare name.

Both sides of a match go through the same normalisation, so "Rockwell
Automation" in a CSAF advisory meets "Allen-Bradley" from a CIP identity and
``pkg:pypi/Foo_Bar`` meets ``pkg:pypi/foo-bar``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_CORP = re.compile(
    r"\b(inc|incorporated|corp|corporation|co|company|ltd|limited|gmbh|ag|llc|s\.?a|se|plc|kg|bv|oy|ab|as|srl|spa|pty|the)\b\.?",
    re.IGNORECASE,
)
VENDOR_ALIASES = {
    "allen-bradley": "rockwell",
    "allen bradley": "rockwell",
    "allenbradley": "rockwell",
    "rockwell automation": "rockwell",
    "schneider": "schneider",
    "modicon": "schneider",
    "telemecanique": "schneider",
    "general electric": "ge",
    "ge vernova": "ge",
    "emerson electric": "emerson",
    "hms industrial networks": "hms",
    "hms networks": "hms",
    "ewon": "hms",
    "phoenix contact": "phoenix-contact",
    "mitsubishi electric": "mitsubishi",
    "the linux kernel organization": "linux",
    "linux kernel": "linux",
    "openssl software foundation": "openssl",
    "openssl project": "openssl",
    "red hat": "redhat",
}
ECOSYSTEM_PURL_TYPES = {
    "npm": "npm",
    "pypi": "pypi",
    "go": "golang",
    "maven": "maven",
    "nuget": "nuget",
    "crates.io": "cargo",
    "rubygems": "gem",
    "packagist": "composer",
    "hex": "hex",
    "pub": "pub",
    "debian": "deb",
    "ubuntu": "deb",
    "alpine": "apk",
    "rocky linux": "rpm",
    "almalinux": "rpm",
    "red hat": "rpm",
    "suse": "rpm",
    "opensuse": "rpm",
    "oss-fuzz": "generic",
    "swifturl": "swift",
    "cran": "cran",
    "github actions": "github",
    "conan": "conan",
}


def norm(text: str) -> str:
    """Lower case, runs of space/underscore/dot collapsed to '-': product and package names."""
    return re.sub(r"[\s_]+", "-", text.strip().lower()).strip("-")


@functools.lru_cache(maxsize=100_000)
def vendor_norm(text: str) -> str:
    """Vendor without legal suffixes, aliased ("Allen-Bradley" -> "rockwell"), else its first word."""
    lowered = re.sub(r"\s+", " ", text.strip().lower().replace(",", " "))
    if not lowered or lowered in ("n/a", "unknown", "noassertion"):
        return ""
    if lowered in VENDOR_ALIASES:
        return VENDOR_ALIASES[lowered]
    cleaned = re.sub(r"\s+", " ", _CORP.sub(" ", lowered)).strip(" .-")
    if cleaned in VENDOR_ALIASES:
        return VENDOR_ALIASES[cleaned]
    first = cleaned.split(" ")[0] if cleaned else lowered.split(" ")[0]
    return VENDOR_ALIASES.get(first, first.replace("_", "-"))


@dataclass(frozen=True, slots=True)
class Purl:
    type: str
    namespace: str
    name: str
    version: str

    @property
    def key(self) -> str:
        return f"purl:{self.type}/{self.namespace}/{self.name}"


@functools.lru_cache(maxsize=100_000)
def parse_purl(text: str) -> Purl | None:
    """Parse a package URL leniently; ``None`` if it is not one."""
    if not text.startswith("pkg:"):
        return None
    body = text[4:].split("#", 1)[0].split("?", 1)[0].lstrip("/")
    version = ""
    if "@" in body:
        body, _, version = body.rpartition("@")
    parts = [p for p in body.split("/") if p]
    if len(parts) < 2:
        return None
    from urllib.parse import unquote

    kind = parts[0].lower()
    name = unquote(parts[-1])
    namespace = unquote("/".join(parts[1:-1]))
    if kind == "pypi":
        name = re.sub(r"[-_.]+", "-", name).lower()
    elif kind in (
        "npm",
        "golang",
        "generic",
        "deb",
        "apk",
        "rpm",
        "gem",
        "cargo",
        "composer",
        "nuget",
        "github",
        "conan",
    ):
        name, namespace = name.lower(), namespace.lower()
    return Purl(kind, namespace, name, unquote(version))


def purl_key(text: str) -> str:
    purl = parse_purl(text)
    return purl.key if purl else ""


DISTRO_NAMESPACES = {
    "debian": "debian",
    "ubuntu": "ubuntu",
    "alpine": "alpine",
    "rocky linux": "rocky",
    "almalinux": "almalinux",
    "red hat": "redhat",
    "suse": "suse",
    "opensuse": "opensuse",
}


def distro_namespace(ecosystem: str) -> str:
    """The purl namespace of a distribution ecosystem ("Debian:12" -> "debian"), as SBOM tools write it."""
    base = ecosystem.split(":", 1)[0].strip().lower()
    return DISTRO_NAMESPACES.get(base, base.replace(" ", "-"))


def ecosystem_purl_type(ecosystem: str) -> str:
    base = ecosystem.split(":", 1)[0].strip().lower()
    return ECOSYSTEM_PURL_TYPES.get(base, base)


@dataclass(frozen=True, slots=True)
class Cpe:
    part: str
    vendor: str
    product: str
    version: str

    @property
    def key(self) -> str:
        return f"cpe:{self.vendor}:{self.product}"


@functools.lru_cache(maxsize=100_000)
def parse_cpe(text: str) -> Cpe | None:
    """CPE 2.3 formatted string or 2.2 URI; escapes (``\\/``, ``\\:``) undone."""
    text = text.strip()
    if text.startswith("cpe:2.3:"):
        fields = re.split(r"(?<!\\):", text[8:])
    elif text.startswith("cpe:/"):
        fields = text[5:].split(":")
    else:
        return None
    fields = [f.replace("\\", "").lower() for f in fields] + [""] * 4
    part, vendor, product, version = fields[:4]
    if not vendor or not product or vendor in ("*", "-") or product in ("*", "-"):
        return None
    return Cpe(part, vendor, product, "" if version in ("*", "-") else version)


def name_key(name: str) -> str:
    if "://" in name or "/" in name.strip("/"):
        return ""
    value = norm(name)
    return f"name:{value}" if len(value) >= 2 else ""


def vendor_product_key(vendor: str, product: str) -> str:
    v, p = vendor_norm(vendor), norm(product)
    return f"vp:{v}:{p}" if v and p and p != "n/a" else ""


def model_number(text: str) -> str:
    """Order/model number without spaces and punctuation: "6ES7 315-2EH14-0AB0" -> "6ES73152EH140AB0"."""
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def model_key(text: str) -> str:
    value = model_number(text)
    return f"model:{value}" if len(value) >= 6 and re.search(r"\d", value) and re.search(r"[A-Z]", value) else ""


_MODEL_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/.]*[A-Za-z0-9]")


def model_tokens(text: str) -> list[str]:
    return list(_model_tokens(text))


@functools.lru_cache(maxsize=50_000)
def _model_tokens(text: str) -> tuple[str, ...]:
    """Product-family and model tokens in a name: "S7-1200", "1756-EN2T", "6ES7211-1BE40-0XB0", "1211C".

    A token needs a digit and a letter (or a hyphen) and 4+ characters, and must
    not read as a version ("V3.1", "2.0") — the guard that keeps "CPU" or a
    version number from matching every advisory of a vendor.
    """
    found: list[str] = []
    for raw in _MODEL_TOKEN.findall(text):
        token = raw.upper()
        if "/" in token:
            head, _, tail = token.partition("/")
            if len(tail) <= 2:
                token = head  # "1756-ENBT/A": series letter
        token = token.strip(".-/")
        if len(token) < 4 or not re.search(r"\d", token):
            continue
        if not (re.search(r"[A-Z]", token) or "-" in token):
            continue
        if re.fullmatch(r"V?\d+(\.\d+)*[A-Z]?", token) or re.fullmatch(r"V\d.*", token):
            continue
        found.append(token)
    return tuple(found)


def token_key(vendor: str, token: str) -> str:
    v = vendor_norm(vendor)
    return f"mtok:{v}:{token.upper()}" if v and token else ""
