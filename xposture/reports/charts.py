"""Geometry for the report's inline SVG charts, computed here so the templates only draw.

The report must work offline and print, so charts are plain SVG shapes with
text labels (no chart library, no canvas). Severity is carried by the bar
segment's class (colour), by its order and by a text total, and every chart
has a data table next to it for screen readers and for people who cannot
tell the colours apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(slots=True)
class Segment:
    x: float
    width: float
    severity: int
    count: int


@dataclass(slots=True)
class Bar:
    label: str
    y: float
    total: int
    segments: list[Segment] = field(default_factory=list)
    note: str = ""
    href: str = ""


@dataclass(slots=True)
class BarChart:
    width: int
    height: int
    label_width: int
    plot_width: int
    bar_height: int
    bars: list[Bar]


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[int], str, str]],
    *,
    width: int = 420,
    label_width: int = 128,
    bar_height: int = 22,
    gap: int = 10,
) -> BarChart:
    """Horizontal bars, one per row ``(label, counts by severity, note, href)``, critical first in each bar.

    All bars share one scale so lengths compare across rows; a row with a note
    (such as "not scanned") draws no bar at all, so "not scanned" never looks like zero.
    """
    plot_width = width - label_width - 52
    biggest = max((sum(counts) for _, counts, _, _ in rows), default=0) or 1
    bars: list[Bar] = []
    for index, (label, counts, note, href) in enumerate(rows):
        bar = Bar(label=label, y=index * (bar_height + gap), total=sum(counts), note=note, href=href)
        x = 0.0
        for severity in range(len(counts) - 1, -1, -1):
            count = counts[severity]
            if not count:
                continue
            w = max(plot_width * count / biggest, 2.0)
            bar.segments.append(Segment(x=round(x, 2), width=round(w, 2), severity=severity, count=count))
            x += w
        bars.append(bar)
    height = max(len(rows) * (bar_height + gap) - gap, bar_height)
    return BarChart(width, height, label_width, plot_width, bar_height, bars)


@dataclass(slots=True)
class Arc:
    path: str
    severity: int
    count: int


def donut(counts: Sequence[int], *, radius: float = 60, thickness: float = 22) -> list[Arc]:
    """Ring segments for counts by severity (critical first, clockwise from 12 o'clock)."""
    total = sum(counts)
    arcs: list[Arc] = []
    if not total:
        return arcs
    start = -math.pi / 2
    inner = radius - thickness
    for severity in range(len(counts) - 1, -1, -1):
        count = counts[severity]
        if not count:
            continue
        sweep = 2 * math.pi * count / total
        if sweep >= 2 * math.pi - 1e-9:
            sweep = 2 * math.pi - 1e-4  # a full circle cannot be one arc
        end = start + sweep
        large = 1 if sweep > math.pi else 0

        def pt(r: float, a: float) -> str:
            return f"{r * math.cos(a):.2f} {r * math.sin(a):.2f}"

        path = (
            f"M{pt(radius, start)} A{radius} {radius} 0 {large} 1 {pt(radius, end)} "
            f"L{pt(inner, end)} A{inner} {inner} 0 {large} 0 {pt(inner, start)} Z"
        )
        arcs.append(Arc(path=path, severity=severity, count=count))
        start = end
    return arcs


@dataclass(slots=True)
class Column:
    label: str
    x: float
    height: float
    value: int
    current: bool


@dataclass(slots=True)
class ColumnChart:
    width: int
    height: int
    column_width: float
    columns: list[Column]


def columns(series: Sequence[tuple[str, int, bool]], *, width: int = 560, height: int = 120) -> ColumnChart:
    """Vertical columns for a trend ``(label, value, is_current)``, oldest on the left."""
    n = max(len(series), 1)
    slot = width / n
    column_width = min(48.0, slot * 0.6)
    biggest = max((v for _, v, _ in series), default=0) or 1
    cols = [
        Column(
            label=label,
            x=round(i * slot + (slot - column_width) / 2, 2),
            height=round(max((height - 20) * value / biggest, 1.0 if value else 0.0), 2),
            value=value,
            current=current,
        )
        for i, (label, value, current) in enumerate(series)
    ]
    return ColumnChart(width, height, round(column_width, 2), cols)
