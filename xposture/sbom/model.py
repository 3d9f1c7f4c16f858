"""Format-neutral SBOM types: every reader (CycloneDX, SPDX 2, SPDX 3) produces these.

Keeping one shape lets the scanner, the matcher, the CI gate and the hardware
BOM reader share a parser per format instead of each re-reading the JSON.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_MODEL_PROPERTY = re.compile(
    r"(model|part[_ :.-]?(number|no)|order[_ :.-]?(number|no)|mlfb|\bsku\b|\bmpn\b)", re.IGNORECASE
)


@dataclass(slots=True)
class Component:
    """One SBOM component or package, with what matching and quality checks need."""

    ref: str
    name: str
    version: str = ""
    type: str = "library"
    purl: str = ""
    cpe: str = ""
    group: str = ""
    supplier: str = ""
    manufacturer: str = ""
    author: str = ""
    publisher: str = ""
    description: str = ""
    hashes: dict[str, str] = field(default_factory=dict)
    licenses: list[str] = field(default_factory=list)
    parent: str = ""
    depth: int = 0
    depends_on: list[str] = field(default_factory=list)
    properties: dict[str, str] = field(default_factory=dict)
    external_refs: list[str] = field(default_factory=list)
    swid: str = ""
    line: int | None = None

    @property
    def model(self) -> str:
        """Model, part or order number from the component's properties (hardware and firmware BOMs carry them there)."""
        for name, value in self.properties.items():
            if value and _MODEL_PROPERTY.search(name):
                return value
        return ""

    @property
    def vendor(self) -> str:
        """The best guess at who makes it: supplier, manufacturer, publisher, author, then the group."""
        return self.supplier or self.manufacturer or self.publisher or self.author or self.group


@dataclass(slots=True)
class Vulnerability:
    """A vulnerability statement embedded in an SBOM (CycloneDX ``vulnerabilities``), kept as VEX input."""

    id: str
    affects: list[str]
    state: str = ""
    justification: str = ""
    detail: str = ""
    response: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Document:
    """One parsed SBOM file: metadata for NTIA checks, its components and dependency edges."""

    path: str
    format: str  # "cyclonedx" | "spdx"
    spec_version: str
    encoding: str  # "json" | "xml" | "yaml" | "tag-value" | "json-ld"
    serial: str = ""
    name: str = ""
    version: str = ""
    subject_ref: str = ""
    subject_purl: str = ""
    subject_type: str = ""
    subject_supplier: str = ""
    authors: list[str] = field(default_factory=list)
    tools: list[str] = field(default_factory=list)
    timestamp: str = ""
    components: list[Component] = field(default_factory=list)
    dependencies: dict[str, list[str]] = field(default_factory=dict)
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    schema_errors: list[str] = field(default_factory=list)
    schema_checked: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def relationship_count(self) -> int:
        return sum(len(v) for v in self.dependencies.values())


# Readers of untrusted JSON (CycloneDX, SPDX, hardware BOMs) coerce every value through these, so a field of
# the wrong JSON type reads as "not stated" instead of raising deep inside a parser.


def as_text(value: Any) -> str:
    """A JSON scalar as stripped text; null, objects and arrays read as ``""``."""
    if value is None or isinstance(value, (dict, list)):
        return ""
    return str(value).strip()


def as_mapping(value: Any) -> Mapping[str, Any]:
    """A JSON object, or an empty one for anything else."""
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    """A JSON array, or an empty one for anything else."""
    return value if isinstance(value, list) else []
