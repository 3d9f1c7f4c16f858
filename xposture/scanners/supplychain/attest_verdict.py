"""The outcome of checking one attestation: verified, or exactly why not.

Every check appends a reason code (documented in docs/taxonomy/silicon.md)
to one of three lists: ``failures`` (something is provably wrong: a bad
signature, a tampered payload or artifact, an untrusted chain), ``gaps``
(something could not be checked offline, e.g. no trusted key) and
``violations`` (the attestation is genuine but breaks the inventory's
policy). A tampered artifact or payload is always a failure, never a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xposture.model import FieldValue


@dataclass(slots=True)
class Verdict:
    """Checks done on one attestation and the facts read from it."""

    path: Path
    format: str
    index: int = 0
    signed: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)
    gaps: list[tuple[str, str]] = field(default_factory=list)
    violations: list[tuple[str, str]] = field(default_factory=list)
    signer: str = ""
    signer_issuer: str = ""
    key_id: str = ""
    signed_time: str = ""
    transparency_log: bool | None = None
    statement: dict[str, Any] | None = None
    payload_type: str = ""
    fields: dict[str, FieldValue] = field(default_factory=dict)

    def fail(self, code: str, text: str) -> None:
        if (code, text) not in self.failures:
            self.failures.append((code, text))

    def gap(self, code: str, text: str) -> None:
        if (code, text) not in self.gaps:
            self.gaps.append((code, text))

    def violate(self, code: str, text: str) -> None:
        if (code, text) not in self.violations:
            self.violations.append((code, text))

    @property
    def integrity(self) -> str:
        """``failed`` beats ``unsigned`` beats ``unverified``; ``verified`` only when nothing is left open."""
        if self.failures:
            return "failed"
        if not self.signed:
            return "unsigned"
        if self.gaps:
            return "unverified"
        return "verified"

    @property
    def status(self) -> str:
        """The overall answer people read: integrity, then policy."""
        integrity = self.integrity
        if integrity == "verified" and self.violations:
            return "failed"
        return integrity

    def reasons(self) -> list[str]:
        return [code for code, _ in self.failures + self.gaps + self.violations]

    def explanation(self) -> str:
        parts = [text for _, text in self.failures + self.violations + self.gaps]
        return "; ".join(parts) if parts else "all checks passed"
