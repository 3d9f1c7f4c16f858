"""A findings list on Textual's line API: renders only the visible rows, so 100k rows cost nothing.

Textual's DataTable builds every row up front and freezes for tens of seconds
at this size; here a row is a few segments made when it scrolls into view.
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from xposture.model import Finding, Severity
from xposture.reports.text import terminal_safe

# Severity is told by text and shape as well as colour (colour-blind safe, and fine on a mono terminal).
BADGES = {
    Severity.CRITICAL: ("◆◆ CRIT", Style(color="bright_white", bgcolor="red", bold=True)),
    Severity.HIGH: ("◆  HIGH", Style(color="red", bold=True)),
    Severity.MEDIUM: ("▲  MED ", Style(color="yellow")),
    Severity.LOW: ("●  LOW ", Style(color="cyan")),
    Severity.INFORMATIONAL: ("·  INFO", Style(dim=True)),
}
COLUMNS = (("", 2), ("severity", 8), ("layer", 12), ("status", 7), ("rule", 34), ("asset", 30), ("title", 0))
CURSOR = Style(reverse=True)
MARKED = Style(bold=True, color="magenta")


def header_line(width: int) -> str:
    """Column titles matching the row layout below."""
    return _layout([name for name, _ in COLUMNS], width)


def _layout(cells: list[str], width: int) -> str:
    fixed = sum(w + 1 for _, w in COLUMNS if w)
    parts = []
    for (_, size), cell in zip(COLUMNS, cells, strict=True):
        size = size or max(10, width - fixed)
        parts.append(cell[:size].ljust(size))
    return " ".join(parts)[:width]


class FindingsList(ScrollView, can_focus=True):
    """Findings, one per line, with a cursor and marks for bulk actions."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="list.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="list.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="list.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="list.page_down"),
        Binding("home,g", "jump(0)", "First", show=False, id="list.first"),
        Binding("end,G", "jump(-1)", "Last", show=False, id="list.last"),
        Binding("space", "toggle_mark", "Mark", id="list.mark"),
        Binding("enter", "open", "Open", id="list.open"),
    ]

    cursor: reactive[int] = reactive(0)

    class Opened(Message):
        """The person asked to see one finding in detail."""

        def __init__(self, finding: Finding) -> None:
            super().__init__()
            self.finding = finding

    class CursorMoved(Message):
        def __init__(self, index: int) -> None:
            super().__init__()
            self.index = index

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[Finding] = []
        self.marked: set[str] = set()

    def set_rows(self, rows: list[Finding]) -> None:
        self.rows = rows
        self.virtual_size = Size(self.size.width, len(rows))
        self.cursor = min(self.cursor, max(0, len(rows) - 1))
        self.scroll_to(y=0, animate=False)
        self.refresh()

    @property
    def current(self) -> Finding | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    def selection(self) -> list[Finding]:
        """Marked findings, or the one under the cursor when nothing is marked."""
        if self.marked:
            return [f for f in self.rows if f.fingerprint in self.marked]
        return [self.current] if self.current else []

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        width = self.size.width
        if index >= len(self.rows):
            return Strip.blank(width)
        finding = self.rows[index]
        badge, style = BADGES[finding.severity]
        mark = "✓" if finding.fingerprint in self.marked else " "
        text = _layout(
            [
                mark,
                badge,
                finding.layer,
                finding.status.value,
                terminal_safe(finding.rule_name, 60),
                terminal_safe(finding.asset_id, 60),
                terminal_safe(finding.title, 200),
            ],
            width,
        )
        base = CURSOR if index == self.cursor else Style()
        segments = [
            Segment(text[:2], base + (MARKED if mark != " " else Style())),
            Segment(text[2:10], base + style),
            Segment(text[10:], base),
        ]
        return Strip(segments).crop(0, width).extend_cell_length(width, base)

    def watch_cursor(self, old: int, new: int) -> None:
        height = max(1, self.size.height)
        top = int(self.scroll_offset.y)
        if new < top:
            self.scroll_to(y=new, animate=False)
        elif new >= top + height:
            self.scroll_to(y=new - height + 1, animate=False)
        self.refresh()
        self.post_message(self.CursorMoved(new))

    def action_cursor(self, delta: int) -> None:
        if self.rows:
            self.cursor = max(0, min(len(self.rows) - 1, self.cursor + delta))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 1))

    def action_jump(self, where: int) -> None:
        if self.rows:
            self.cursor = 0 if where == 0 else len(self.rows) - 1

    def action_toggle_mark(self) -> None:
        finding = self.current
        if finding is None:
            return
        self.marked.symmetric_difference_update({finding.fingerprint})
        self.action_cursor(1)
        self.refresh()

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened(self.current))

    def on_click(self, event: Click) -> None:
        index = int(self.scroll_offset.y) + event.y
        if 0 <= index < len(self.rows):
            self.cursor = index
