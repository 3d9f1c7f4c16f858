"""End-of-support dates of release lines that firmware images commonly carry.

A small, dated table (from the projects' own release policies, as collected
by endoflife.date) so "unsupported component version" is a derived fact on the
record rather than a guess in a rule. Unknown products stay unknown.
"""

from __future__ import annotations

import datetime as dt

from xposture.advisories.keys import norm
from xposture.advisories.versions import in_family

# product (normalised name) -> [(release line, end of support)]
EOL: dict[str, list[tuple[str, str]]] = {
    "openssl": [
        ("0.9.8", "2015-12-31"),
        ("1.0.1", "2016-12-31"),
        ("1.0.2", "2019-12-31"),
        ("1.1.0", "2019-09-11"),
        ("1.1.1", "2023-09-11"),
        ("3.0", "2026-09-07"),
        ("3.1", "2025-03-14"),
        ("3.2", "2025-11-23"),
    ],
    "mbedtls": [("2.16", "2021-12-31"), ("2.28", "2024-12-31"), ("3.5", "2024-03-27")],
    "python": [
        ("2.7", "2020-01-01"),
        ("3.6", "2021-12-23"),
        ("3.7", "2023-06-27"),
        ("3.8", "2024-10-07"),
        ("3.9", "2025-10-31"),
    ],
    "linux": [
        ("3.16", "2020-06-30"),
        ("4.4", "2022-02-01"),
        ("4.9", "2023-01-07"),
        ("4.14", "2024-01-10"),
        ("4.19", "2024-12-05"),
        ("5.4", "2025-12-03"),
    ],
    "linux-kernel": [
        ("3.16", "2020-06-30"),
        ("4.4", "2022-02-01"),
        ("4.9", "2023-01-07"),
        ("4.14", "2024-01-10"),
        ("4.19", "2024-12-05"),
        ("5.4", "2025-12-03"),
    ],
    "nodejs": [("14", "2023-04-30"), ("16", "2023-09-11"), ("18", "2025-04-30"), ("20", "2026-04-30")],
    "log4j": [("1", "2015-08-05")],
    "log4j-core": [("1", "2015-08-05")],
    "jquery": [("1", "2016-06-09"), ("2", "2016-06-09")],
    "openssh": [("7", "2021-09-26")],
    "curl": [("7", "2023-03-20")],
}


def end_of_support(name: str, version: str) -> str:
    """ISO date the component's release line stopped being supported, or '' when unknown."""
    lines = EOL.get(norm(name))
    if not lines or not version:
        return ""
    best = ""
    best_len = -1
    for line, date in lines:
        if in_family(version, line) and len(line) > best_len:
            best, best_len = date, len(line)
    return best


def days_past(date: str, today: dt.date | None = None) -> int | None:
    """Days since ``date`` (negative if it is still ahead)."""
    try:
        then = dt.date.fromisoformat(date)
    except ValueError:
        return None
    return ((today or dt.date.today()) - then).days
