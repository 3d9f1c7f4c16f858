"""End-of-support dates of operating systems found inside equipment (SEMI E187 asks for supported OSes).

The dates ship as package data (``data/os_eol.json``) taken from
endoflife.date (MIT licence), so the check works on an air-gapped plant
network. Matching is deliberately conservative: a product name prefix and a
release-cycle prefix, longest first; anything unrecognised gives no date
rather than a guess.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

DATA_FILE = "os_eol.json"


@dataclass(frozen=True, slots=True)
class EolEntry:
    """One release cycle of one product and the day its security support ends."""

    product: str
    cycle: str
    eol: dt.date


@cache
def _dataset() -> tuple[tuple[tuple[str, ...], str, tuple[tuple[str, str, dt.date], ...]], ...]:
    raw: dict[str, Any] = json.loads(files("xposture.scanners.supplychain").joinpath("data", DATA_FILE).read_text())
    products = []
    for product in raw["products"]:
        cycles: list[tuple[str, str, dt.date]] = []
        for cycle in product["cycles"]:
            day = dt.date.fromisoformat(cycle["eol"])
            cycles.extend((match, cycle["cycle"], day) for match in cycle["match"])
        cycles.sort(key=lambda c: -len(c[0]))
        names = tuple(sorted((n.lower() for n in product["names"]), key=len, reverse=True))
        products.append((names, product["product"], tuple(cycles)))
    return tuple(products)


def dataset_source() -> str:
    """Where the shipped dates come from (shown in evidence, kept with the data)."""
    raw: dict[str, Any] = json.loads(files("xposture.scanners.supplychain").joinpath("data", DATA_FILE).read_text())
    return str(raw["source"])


def lookup(os_name: str, os_version: str = "") -> EolEntry | None:
    """The release cycle an OS name/version belongs to, or None when the data set does not know it."""
    text = " ".join(f"{os_name} {os_version}".lower().split())
    if not text:
        return None
    best: tuple[int, EolEntry] | None = None
    for names, product, cycles in _dataset():
        for name in names:
            if text == name or text.startswith(name + " "):
                rest = text[len(name) :].strip()
                for match, cycle, day in cycles:
                    if rest == match or rest.startswith((match + ".", match + " ")):
                        if best is None or len(name) > best[0]:
                            best = (len(name), EolEntry(product, cycle, day))
                        break
                break
    return best[1] if best else None
