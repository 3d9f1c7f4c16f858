"""One exception hierarchy, so the CLI can turn any expected failure into one clear line and exit 2."""

from __future__ import annotations


class XpostureError(Exception):
    """Root of every error xposture expects and reports without a traceback."""


class InventoryError(XpostureError):
    """An inventory file is malformed: carries file, line and the offending key."""

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None, key: str | None = None
    ) -> None:
        self.file, self.line, self.key, self.message = file, line, key, message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ":".join(str(part) for part in (self.file, self.line) if part is not None)
        what = f"{self.key}: {self.message}" if self.key else self.message
        return f"{where}: {what}" if where else what


class InputError(XpostureError):
    """An input document (pcap, SBOM, advisory, export...) cannot be read: carries file and offset."""

    def __init__(
        self, message: str, *, file: str | None = None, offset: int | None = None, line: int | None = None
    ) -> None:
        self.file, self.offset, self.line, self.message = file, offset, line, message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}"
        if self.offset is not None:
            where += f" (offset {self.offset})"
        return f"{where}: {self.message}" if where else self.message


class ScannerError(XpostureError):
    """A scanner could not finish a target; the scan records it and goes on."""

    def __init__(self, message: str, *, scanner: str = "", target: str = "") -> None:
        self.scanner, self.target, self.message = scanner, target, message
        super().__init__(str(self))

    def __str__(self) -> str:
        who = "/".join(part for part in (self.scanner, self.target) if part)
        return f"{who}: {self.message}" if who else self.message


class RuleError(XpostureError):
    """A rule file is malformed or a rule cannot be compiled: carries pack file and rule."""

    def __init__(self, message: str, *, file: str | None = None, rule: str | None = None) -> None:
        self.file, self.rule, self.message = file, rule, message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ":".join(part for part in (self.file, self.rule) if part)
        return f"{where}: {self.message}" if where else self.message


class StoreError(XpostureError):
    """The store cannot be opened, migrated or written."""


class UsageError(XpostureError):
    """The command line asks for something impossible (exit 2)."""
