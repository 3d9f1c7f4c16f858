"""FIRST EPSS scores (the daily CSV, with its ``#model_version`` comment line)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(slots=True)
class EpssEntry:
    cve: str
    score: float
    percentile: float
    date: str = ""


def looks_like_epss_csv(head: str) -> bool:
    lines = [line for line in head.splitlines()[:3] if line.strip()]
    return any(line.lower().replace(" ", "").startswith("cve,epss") for line in lines)


def parse_epss_csv(text: str) -> Iterator[EpssEntry]:
    date = ""
    lines = text.splitlines()
    if lines and lines[0].startswith("#"):
        for part in lines[0].lstrip("#").split(","):
            key, _, value = part.partition(":")
            if key.strip() == "score_date":
                date = value.strip()[:10]
        lines = lines[1:]
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        try:
            yield EpssEntry(str(row["cve"]).strip(), float(row["epss"]), float(row.get("percentile") or 0.0), date)
        except (KeyError, TypeError, ValueError):
            continue
