"""Modal dialogs: waive, export, start a scan. Each returns its answer through ``dismiss``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select

T = TypeVar("T")


class _Dialog(ModalScreen[T | None]):
    """Shared dialog habits: Enter submits, the OK button submits, Esc and Cancel dismiss with nothing."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Textual calls this handler once per class in the MRO, so subclasses override `_entered`, not it.
        event.stop()
        self._entered(event.input)

    def _entered(self, field: Input) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _submit(self) -> None:
        raise NotImplementedError

    def _error(self, message: str) -> None:
        self.query_one("#dialog-error", Label).update(message)


@dataclass(slots=True)
class WaiverAnswer:
    reason: str
    owner: str
    expires: dt.date


class WaiveDialog(_Dialog[WaiverAnswer]):
    """Reason, owner and expiry for one or many findings; nothing is written until it validates."""

    def __init__(self, count: int, default_days: int = 90) -> None:
        super().__init__()
        self.count = count
        self.default_expiry = dt.datetime.now(dt.UTC).date() + dt.timedelta(days=default_days)

    def compose(self) -> ComposeResult:
        with Grid(id="dialog"):
            yield Label(f"Waive {self.count} finding(s)", id="dialog-title")
            yield Label("Reason")
            yield Input(placeholder="compensating control, risk accepted by ...", id="reason")
            yield Label("Owner")
            yield Input(placeholder="team or person", id="owner")
            yield Label("Expires")
            yield Input(self.default_expiry.isoformat(), placeholder="YYYY-MM-DD", id="expires")
            yield Label("", id="dialog-error")
            with Horizontal(id="dialog-buttons"):
                yield Button("Waive", variant="warning", id="ok")
                yield Button("Cancel", id="cancel")

    def _entered(self, field: Input) -> None:
        order = ["reason", "owner", "expires"]
        current = order.index(field.id or "reason")
        if current < len(order) - 1:
            self.query_one(f"#{order[current + 1]}", Input).focus()
        else:
            self._submit()

    def _submit(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        owner = self.query_one("#owner", Input).value.strip()
        expires_text = self.query_one("#expires", Input).value.strip()
        if not reason or not owner:
            self._error("A waiver needs a reason and an owner.")
            return
        try:
            expires = dt.date.fromisoformat(expires_text)
        except ValueError:
            self._error("Expiry must be a date: YYYY-MM-DD.")
            return
        if expires < dt.datetime.now(dt.UTC).date():
            self._error("Expiry is in the past.")
            return
        self.dismiss(WaiverAnswer(reason, owner, expires))


@dataclass(slots=True)
class ExportAnswer:
    format: str
    path: Path


class ExportDialog(_Dialog[ExportAnswer]):
    """Export the current view (the filtered findings) to a file in any registered format."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]
    EXTENSIONS = {"html": "html", "json": "json", "sarif": "sarif", "table": "txt"}

    def __init__(self, formats: list[str], stem: str) -> None:
        super().__init__()
        self.formats = formats
        self.stem = stem
        self.default = "html" if "html" in formats else formats[0]

    def compose(self) -> ComposeResult:
        with Grid(id="dialog"):
            yield Label("Export the current view", id="dialog-title")
            yield Label("Format")
            yield Select([(f, f) for f in self.formats], value=self.default, allow_blank=False, id="format")
            yield Label("File")
            yield Input(self._path_for(self.default), id="path")
            yield Label("", id="dialog-error")
            with Horizontal(id="dialog-buttons"):
                yield Button("Export", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def _path_for(self, fmt: str) -> str:
        return f"{self.stem}.{self.EXTENSIONS.get(fmt, fmt)}"

    def on_select_changed(self, event: Select.Changed) -> None:
        box = self.query_one("#path", Input)
        if box.value in {self._path_for(f) for f in self.formats}:  # only replace a name we proposed
            box.value = self._path_for(str(event.value))

    def on_input_changed(self, event: Input.Changed) -> None:
        """Typing ``report.json`` picks the JSON format: the extension says what the person wants."""
        suffix = Path(event.value).suffix.lstrip(".").lower()
        chosen = next((f for f, ext in self.EXTENSIONS.items() if ext == suffix and f in self.formats), None)
        select = self.query_one("#format", Select)
        if chosen and select.value != chosen:
            select.value = chosen

    def _submit(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self._error("Give a file name.")
            return
        self.dismiss(ExportAnswer(str(self.query_one("#format", Select).value), Path(path)))


class ScanDialog(_Dialog[Path]):
    """Ask for an inventory to scan; the scan itself runs in a worker."""

    def __init__(self, default: str = "") -> None:
        super().__init__()
        self.default = default

    def compose(self) -> ComposeResult:
        with Grid(id="dialog"):
            yield Label("Scan an inventory", id="dialog-title")
            yield Label("Inventory")
            yield Input(self.default, placeholder="path to an inventory file or folder", id="inventory")
            yield Label("", id="dialog-error")
            with Horizontal(id="dialog-buttons"):
                yield Button("Scan", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def _submit(self) -> None:
        path = Path(self.query_one("#inventory", Input).value.strip())
        if not path.exists():
            self._error(f"{path} does not exist.")
            return
        self.dismiss(path)
