"""Version ordering and affected-version ranges, including the free text of CSAF ICS advisories.

Ecosystem versions (npm, PyPI, Maven, Debian...) compare with univers' classes;
everything else (firmware "V4.3.10", "V18 Update 2", "9.7p1", "1.1.1d",
"2023_R2_P01") with a natural-order key that knows pre-release words sort
before the release and patch letters/"Update"/"SP" after it. A range is a list
of :class:`Interval`; a range text we cannot read becomes an *unknown*
interval so the match says "version not evaluated" instead of guessing.
"""

from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass
from typing import Any

_PRE = {
    "dev": -5,
    "snapshot": -5,
    "alpha": -4,
    "a": -4,
    "beta": -3,
    "b": -3,
    "pre": -2,
    "preview": -2,
    "rc": -1,
    "cr": -1,
}
_TOKEN = re.compile(r"\d+|[a-z]+")
_END = (2, "")

SCHEMES = {
    "pypi": "PypiVersion",
    "npm": "SemverVersion",
    "cargo": "SemverVersion",
    "crates.io": "SemverVersion",
    "golang": "GolangVersion",
    "go": "GolangVersion",
    "maven": "MavenVersion",
    "nuget": "NugetVersion",
    "composer": "ComposerVersion",
    "packagist": "ComposerVersion",
    "gem": "RubygemsVersion",
    "rubygems": "RubygemsVersion",
    "deb": "DebianVersion",
    "debian": "DebianVersion",
    "ubuntu": "DebianVersion",
    "rpm": "RpmVersion",
    "apk": "AlpineLinuxVersion",
    "alpine": "AlpineLinuxVersion",
    "conan": "ConanVersion",
}


def strip_prefix(text: str) -> str:
    """Drop what comes before the first digit ("V", "Ver.", "firmware_", "TitanNit_") and wildcard tails."""
    text = text.strip()
    match = re.search(r"\d", text)
    if match is None:
        return text.lower()
    text = text[match.start() :]
    return re.sub(r"[._-]?[x*]$", "", text, flags=re.IGNORECASE)


@functools.lru_cache(maxsize=200_000)
def generic_key(text: str) -> tuple[tuple[int, str], ...]:
    """Natural-order key for any version text.

    Number n ranks 2n+2, a missing part ranks like zero (2), a patch word
    ("p", "d", "update", "sp") ranks 3 (above zero, below one) and pre-release
    words rank below zero: 1.0rc1 < 1.0 == 1.0.0 < 1.0p1 < 1.0.1.
    """
    parts: list[tuple[int, str]] = []
    for token in _TOKEN.findall(strip_prefix(text).lower()):
        if token.isdigit():
            parts.append((2 * int(token) + 2, ""))
        elif token in _PRE:
            parts.append((_PRE[token], ""))
        else:
            parts.append((3, token))
    return tuple(parts)


def _padded(a: tuple[tuple[int, str], ...], b: tuple[tuple[int, str], ...]) -> int:
    """Compare two keys, the shorter padded with "missing part" (which ranks like zero)."""
    la, lb = len(a), len(b)
    if la < lb:
        a = a + (_END,) * (lb - la)
    elif lb < la:
        b = b + (_END,) * (la - lb)
    return (a > b) - (a < b)


@functools.lru_cache(maxsize=200_000)
def _univers(scheme: str, text: str) -> Any:
    import univers.versions as uv

    return getattr(uv, SCHEMES[scheme])(text)


_PLAIN = re.compile(r"\d+(?:\.\d+)*")


def compare(a: str, b: str, scheme: str = "") -> int:
    """-1, 0 or 1; ecosystem rules where univers knows the scheme and both parse, natural order otherwise.

    Plain dotted numbers ("1.2.10") order the same way in every ecosystem, so
    they skip univers (the hot path when matching thousands of components).
    """
    if scheme in SCHEMES and not (_PLAIN.fullmatch(a) and _PLAIN.fullmatch(b)):
        # univers raises assorted errors on versions outside its grammar: fall back to natural order
        with contextlib.suppress(Exception):
            left, right = _univers(scheme, a), _univers(scheme, b)
            return int(left > right) - int(left < right)
    return _padded(generic_key(a), generic_key(b))


@functools.lru_cache(maxsize=100_000)
def is_version_like(text: str) -> bool:
    return bool(text) and bool(re.search(r"\d", text)) and not _looks_like_date(text)


def _looks_like_date(text: str) -> bool:
    lowered = text.lower()
    return bool(
        re.search(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b", lowered)
        or re.search(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[ _]\d", lowered)
    )


@dataclass(frozen=True, slots=True)
class Interval:
    """One affected span: ``[introduced, fixed)`` or ``[introduced, last_affected]``, an exact version or a family."""

    introduced: str | None = None
    fixed: str | None = None
    last_affected: str | None = None
    exact: str | None = None
    family: str | None = None
    lower_exclusive: bool = False
    unknown: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for short, value in (
            ("i", self.introduced),
            ("f", self.fixed),
            ("l", self.last_affected),
            ("e", self.exact),
            ("p", self.family),
            ("u", self.unknown),
        ):
            if value is not None:
                out[short] = value
        if self.lower_exclusive:
            out["x"] = 1
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Interval:
        return cls(
            data.get("i"),
            data.get("f"),
            data.get("l"),
            data.get("e"),
            data.get("p"),
            bool(data.get("x")),
            data.get("u"),
        )

    def contains(self, version: str, scheme: str = "") -> bool | None:
        """True/False, or None when this interval's text could not be read (or the version is unusable)."""
        if self.unknown is not None:
            return None
        if self.exact is not None:
            return compare(version, self.exact, scheme) == 0
        if self.family is not None:
            return in_family(version, self.family)
        if self.introduced is not None:
            order = compare(version, self.introduced, scheme)
            if order < 0 or (order == 0 and self.lower_exclusive):
                return False
        if self.fixed is not None and compare(version, self.fixed, scheme) >= 0:
            return False
        return not (self.last_affected is not None and compare(version, self.last_affected, scheme) > 0)

    def describe(self) -> str:
        if self.unknown is not None:
            return self.unknown
        if self.exact is not None:
            return f"={self.exact}"
        if self.family is not None:
            return f"{self.family}.*"
        parts = []
        if self.introduced is not None:
            parts.append(f"{'>' if self.lower_exclusive else '>='}{self.introduced}")
        if self.fixed is not None:
            parts.append(f"<{self.fixed}")
        if self.last_affected is not None:
            parts.append(f"<={self.last_affected}")
        return ", ".join(parts) or "all versions"


ALL = Interval()


def in_family(version: str, family: str) -> bool:
    """``V28`` covers 28, 28.012, 28.x: the family's tokens are a prefix of the version's."""
    fam, ver = generic_key(family), generic_key(version)
    if not fam:
        return False
    padded = ver + (_END,) * (len(fam) - len(ver))
    return padded[: len(fam)] == fam


def evaluate(version: str, intervals: list[Interval], scheme: str = "") -> tuple[bool | None, Interval | None]:
    """Is ``version`` affected? Returns (verdict, the interval that decided); None verdict = cannot tell."""
    unknown = False
    if not version or not is_version_like(version):
        if any(i == ALL for i in intervals):
            return True, ALL
        return None, None
    for interval in intervals:
        verdict = interval.contains(version, scheme)
        if verdict:
            return True, interval
        if verdict is None:
            unknown = True
    return (None if unknown else False), None


# --------------------------------------------------------------------------- free text (CSAF ICS, CVE "versions")

_OPS = re.compile(r"(<=|>=|<|>|=)\s*")
_QUALIFIER = re.compile(
    r"[_ ](installed|in[_ ]connection|only|with|on[_ ]|for[_ ]|affected|when|if[_ ]|used|using|and[_ ]|including|see)",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ParsedRange:
    intervals: tuple[Interval, ...]
    conditional: bool = False


@functools.lru_cache(maxsize=50_000)
def parse_range_text(text: str, *, exact_category: bool = False) -> ParsedRange:
    """Read a free-text or vers-like range: ``<V8.1``, ``vers:all/>=V11.5.1|<V11.6.2``, ``V2.0 to V2.3``, ``all versions``.

    ``exact_category`` marks CSAF ``product_version`` names (a single version or a
    version family such as ``V28``), which are matched as a family prefix.
    """
    raw = text.strip()
    body = re.sub(r"^vers:[a-z0-9.+-]+/", "", raw, flags=re.IGNORECASE).strip()
    lowered = body.lower().replace("_", " ").strip()
    if not lowered:
        return ParsedRange((Interval(unknown=raw or "(empty)"),))
    if lowered in ("*", "all", "all versions", "any") or lowered.startswith("* "):
        return ParsedRange((ALL,), conditional=lowered.startswith("* "))
    if lowered.startswith("all versions") or lowered.startswith("all "):
        rest = lowered.removeprefix("all versions").removeprefix("all ").strip()
        if not rest:
            return ParsedRange((ALL,))
        sub = parse_range_text(rest.replace(" ", "_"))
        if any(i.unknown is None for i in sub.intervals):
            return sub
        return ParsedRange((ALL,), conditional=True)
    if _looks_like_date(lowered):
        return ParsedRange((Interval(unknown=raw),))
    prose = _prose(lowered)
    if prose is not None:
        return prose
    if exact_category and not _OPS.search(body):
        version, conditional = _split_qualifier(body)
        return ParsedRange(
            (Interval(family=version),) if is_version_like(version) else (Interval(unknown=raw),), conditional
        )
    return _operators(body, raw)


def _prose(text: str) -> ParsedRange | None:
    """English forms used by advisories and CVE records."""
    version = r"v?(?:er\.?|ersion)?\s*([0-9][\w.\-+~]*)"
    patterns: list[tuple[str, Any]] = [
        (
            rf"^(?:versions?\s+)?{version}\s+(?:to|through|thru|-|until)\s+{version}$",
            lambda a, b: Interval(introduced=a, last_affected=b),
        ),
        (
            rf"^(?:versions?\s+)?(?:prior\s+to|before|below|earlier\s+than|older\s+than)\s+{version}$",
            lambda a: Interval(fixed=a),
        ),
        (
            rf"^(?:versions?\s+)?{version}\s+and\s+(?:prior|earlier|before|below|older)$",
            lambda a: Interval(last_affected=a),
        ),
        (
            rf"^(?:versions?\s+)?(?:up\s+to(?:\s+and\s+including)?|through)\s+{version}$",
            lambda a: Interval(last_affected=a),
        ),
        (rf"^(?:versions?\s+)?{version}\s+and\s+(?:later|newer|above|after)$", lambda a: Interval(introduced=a)),
        (
            rf"^(?:versions?\s+)?from\s+{version}\s+(?:before|prior\s+to)\s+{version}$",
            lambda a, b: Interval(introduced=a, fixed=b),
        ),
        (
            r"^fixed in .*?([0-9][\w.\-+~]*) \(affected ([0-9][\w.\-+~]*)\s*-\s*([0-9][\w.\-+~]*)\)$",
            lambda f, a, b: Interval(introduced=a, last_affected=b),
        ),
        (r"^fixed in .*?([0-9][\w.\-+~]*) \(affected ([0-9][\w.\-+~]*)\)$", lambda f, a: Interval(exact=a)),
        (r"^fixed in (?:[a-z][\w-]* )?v?([0-9][\w.\-+~]*)$", lambda f: Interval(fixed=f)),
    ]
    for pattern, build in patterns:
        match = re.match(pattern, text.strip())
        if match:
            return ParsedRange((build(*match.groups()),))
    return None


def _split_qualifier(text: str) -> tuple[str, bool]:
    match = _QUALIFIER.search(text)
    if match and match.start() > 0:
        return text[: match.start()].strip(" _"), True
    return text.strip(" _"), False


def _operators(body: str, raw: str) -> ParsedRange:
    pieces: list[tuple[str, str]] = []
    conditional = False
    for chunk in body.split("|"):
        chunk = chunk.strip()
        if not chunk:
            continue
        found = list(_OPS.finditer(chunk))
        if not found or found[0].start() != 0:
            version, cond = _split_qualifier(chunk)
            conditional |= cond
            pieces.append(("=", version))
            continue
        # ">=V10.0.0<V10.0.2": several operators glued in one chunk
        for index, op_match in enumerate(found):
            end = found[index + 1].start() if index + 1 < len(found) else len(chunk)
            version, cond = _split_qualifier(chunk[op_match.end() : end])
            conditional |= cond
            pieces.append((op_match.group(1), version))
            if cond:
                break
    if not pieces or any(not is_version_like(v) for _, v in pieces):
        return ParsedRange((Interval(unknown=raw),), conditional)
    intervals: list[Interval] = []
    lower: tuple[str, bool] | None = None
    for op, version in pieces:
        if op == "=":
            intervals.append(Interval(exact=version))
        elif op in (">=", ">"):
            if lower is not None:
                intervals.append(Interval(introduced=lower[0], lower_exclusive=lower[1]))
            lower = (version, op == ">")
        else:
            fixes = _branch_fixes(version) if op == "<" else [version]
            if len(fixes) > 1 and lower is None:
                intervals.extend(_branches(fixes))
            else:
                intro, excl = lower if lower is not None else (None, False)
                if op == "<":
                    intervals.append(Interval(introduced=intro, fixed=version, lower_exclusive=excl))
                else:
                    intervals.append(Interval(introduced=intro, last_affected=version, lower_exclusive=excl))
            lower = None
    if lower is not None:
        intervals.append(Interval(introduced=lower[0], lower_exclusive=lower[1]))
    return ParsedRange(tuple(intervals), conditional)


def _branch_fixes(version: str) -> list[str]:
    """``V33.017_V34.014_V35.013`` lists the fix of each release line."""
    parts = [p for p in re.split(r"[_ ]+(?=[vV]?\d+\.\d)", version) if p]
    return parts if len(parts) > 1 and all(re.match(r"^[vV]?\d+\.\d", p) for p in parts) else [version]


def _branches(fixes: list[str]) -> list[Interval]:
    ordered = sorted(fixes, key=generic_key)
    intervals = [Interval(fixed=ordered[0])]
    for fix in ordered[1:]:
        line = (generic_key(fix)[0][0] - 2) // 2
        intervals.append(Interval(introduced=str(line), fixed=fix))
    return intervals
