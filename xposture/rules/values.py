"""Sigma values compiled into tests over one scalar field value.

Each builder turns one pySigma value type into a plain Python function
``test(value) -> bool`` that the condition compiler wraps with the field
lookup. Tests never see ``None``, a missing field or a list: the leaf that
calls them handles those (see ``docs/rules.md``, "Missing fields and lists").
Everything that can be precomputed (lower-cased patterns, compiled regular
expressions, CIDR ranges) is computed here, once per rule, so that the hot
loop only does string and number operations.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import operator
import re
from collections.abc import Callable
from functools import lru_cache

from sigma.types import (
    CompareOperators,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SpecialChars,
    TimestampPart,
)

from xposture.model import Scalar

ValueTest = Callable[[Scalar], bool]
"""A compiled test over one non-null scalar value of a record field."""

_NUMBER_TYPES = (int, float)
_REGEX_FLAGS = {
    SigmaRegularExpressionFlag.IGNORECASE: re.IGNORECASE,
    SigmaRegularExpressionFlag.MULTILINE: re.MULTILINE,
    SigmaRegularExpressionFlag.DOTALL: re.DOTALL,
}
_COMPARE: dict[CompareOperators, Callable[[float, float], bool]] = {
    CompareOperators.LT: operator.lt,
    CompareOperators.LTE: operator.le,
    CompareOperators.GT: operator.gt,
    CompareOperators.GTE: operator.ge,
    CompareOperators.NEQ: operator.ne,
}


def text_of(value: Scalar) -> str | None:
    """The text a string pattern is matched against: booleans as ``true``/``false``, integral floats without ``.0``."""
    cls = value.__class__
    if cls is str:
        return value  # type: ignore[return-value]
    if cls is bool:
        return "true" if value else "false"
    if cls is int:
        return str(value)
    if cls is float:
        number: float = value  # type: ignore[assignment]
        return str(int(number)) if number.is_integer() else repr(number)
    return None if value is None else str(value)


def number_of(value: Scalar) -> int | float | None:
    """A record value as a number: numbers as they are, numeric text parsed, everything else (booleans too) ``None``."""
    cls = value.__class__
    if cls is int or cls is float:
        return value  # type: ignore[return-value]
    if cls is str:
        text: str = value  # type: ignore[assignment]
        try:
            return int(text)
        except ValueError:
            pass
        try:
            number = float(text)
        except ValueError:
            return None
        return number if number == number else None  # NaN never compares
    return None


# -- strings -------------------------------------------------------------------------------------


class StringShape:
    """A Sigma string reduced to the cheapest test that decides it: exact, prefix, suffix, infix, any or regex."""

    __slots__ = ("cased", "kind", "pattern", "regex")

    def __init__(self, value: SigmaString, *, cased: bool) -> None:
        self.cased = cased
        parts: list[str | SpecialChars] = []
        for part in value.s:
            if isinstance(part, SpecialChars):
                parts.append(part)
            elif isinstance(part, str):
                parts.append(part if cased else part.lower())
            else:
                raise ValueError(f"placeholder %{part.name}% was not filled")
        self.regex: re.Pattern[str] | None = None
        texts = [p for p in parts if isinstance(p, str)]
        specials = [p for p in parts if isinstance(p, SpecialChars)]
        if not specials:
            self.kind, self.pattern = "exact", "".join(texts)
        elif all(p is SpecialChars.WILDCARD_MULTI for p in specials) and len(texts) <= 1:
            text = texts[0] if texts else ""
            lead = parts[0] is SpecialChars.WILDCARD_MULTI
            trail = parts[-1] is SpecialChars.WILDCARD_MULTI
            if not text:
                self.kind, self.pattern = "any", ""
            elif lead and trail:
                self.kind, self.pattern = "contains", text
            elif lead:
                self.kind, self.pattern = "endswith", text
            else:
                self.kind, self.pattern = "startswith", text
        else:
            self.kind, self.pattern = "regex", ""
            source = "".join(
                ".*" if p is SpecialChars.WILDCARD_MULTI else "." if p is SpecialChars.WILDCARD_SINGLE else re.escape(p)
                for p in parts
                if isinstance(p, (str, SpecialChars))
            )
            self.regex = re.compile(source, re.DOTALL)

    def test(self) -> ValueTest:
        """The compiled test; case-insensitive shapes compare against the lower-cased value text."""
        pattern, cased = self.pattern, self.cased
        kind = self.kind
        if kind == "any":
            return _always
        if kind == "regex":
            assert self.regex is not None
            fullmatch = self.regex.fullmatch
            if cased:
                return lambda v: fullmatch(v if v.__class__ is str else text_of(v) or "") is not None  # type: ignore[arg-type]
            return lambda v: fullmatch((v if v.__class__ is str else text_of(v) or "").lower()) is not None  # type: ignore[union-attr]
        if kind == "exact":
            if cased:
                return lambda v: (v if v.__class__ is str else text_of(v)) == pattern
            return lambda v: (v if v.__class__ is str else text_of(v) or "").lower() == pattern  # type: ignore[union-attr]
        method = {"contains": str.__contains__, "startswith": str.startswith, "endswith": str.endswith}[kind]
        if cased:
            return lambda v: method(v if v.__class__ is str else text_of(v) or "", pattern)  # type: ignore[arg-type]
        return lambda v: method((v if v.__class__ is str else text_of(v) or "").lower(), pattern)  # type: ignore[union-attr]


def _always(_value: Scalar) -> bool:
    return True


def string_test(value: SigmaString) -> ValueTest:
    """Sigma string equality: wildcards ``*``/``?``, escapes, case-insensitive unless ``|cased``."""
    return StringShape(value, cased=isinstance(value, SigmaCasedString)).test()


def string_set_test(values: list[SigmaString]) -> ValueTest:
    """Many plain (wildcard-free, case-insensitive) strings ORed on one field: one set lookup."""
    wanted = frozenset("".join(p for p in v.s if isinstance(p, str)).lower() for v in values)

    def test(v: Scalar) -> bool:
        if v.__class__ is str:
            return v.lower() in wanted  # type: ignore[union-attr]
        text = text_of(v)
        return text is not None and text.lower() in wanted

    return test


def affix_test(kind: str, patterns: list[str], *, cased: bool) -> ValueTest:
    """Many ``startswith``/``endswith``/``contains`` patterns ORed on one field, tested in one call where Python can."""
    if kind == "startswith" or kind == "endswith":
        affixes = tuple(patterns)
        if cased:
            if kind == "startswith":
                return lambda v: (v if v.__class__ is str else text_of(v) or "").startswith(affixes)  # type: ignore[union-attr]
            return lambda v: (v if v.__class__ is str else text_of(v) or "").endswith(affixes)  # type: ignore[union-attr]
        if kind == "startswith":
            return lambda v: (v if v.__class__ is str else text_of(v) or "").lower().startswith(affixes)  # type: ignore[union-attr]
        return lambda v: (v if v.__class__ is str else text_of(v) or "").lower().endswith(affixes)  # type: ignore[union-attr]
    needles = tuple(patterns)

    def contains(v: Scalar) -> bool:
        text = v if v.__class__ is str else text_of(v) or ""
        if not cased:
            text = text.lower()  # type: ignore[union-attr]
        for needle in needles:  # an explicit loop: faster than any() here
            if needle in text:  # type: ignore[operator]
                return True
        return False

    return contains


# -- other value types -----------------------------------------------------------------------------


def number_test(value: SigmaNumber) -> ValueTest:
    """Numeric equality: numbers compare as numbers, numeric text is parsed, booleans never equal numbers."""
    wanted = value.number

    def test(v: Scalar) -> bool:
        cls = v.__class__
        if cls is int or cls is float:
            return v == wanted
        if cls is str:
            return number_of(v) == wanted
        return False

    return test


def bool_test(value: SigmaBool) -> ValueTest:
    """Boolean equality: a boolean, ``true``/``false`` text in any case, and 1/0 as integers or text."""
    wanted = bool(value.boolean)
    texts = ("true", "1") if wanted else ("false", "0")

    def test(v: Scalar) -> bool:
        cls = v.__class__
        if cls is bool:
            return v is wanted
        if cls is str:
            return v.lower() in texts  # type: ignore[union-attr]
        if cls is int:
            return v == int(wanted)
        return False

    return test


def regex_test(value: SigmaRegularExpression) -> ValueTest:
    """``|re``: Python ``re.search`` (unanchored) over the value text, with the ``i``/``m``/``s`` flags."""
    flags = 0
    for flag in value.flags:
        flags |= _REGEX_FLAGS[flag]
    search = re.compile(str(value.regexp), flags).search

    def test(v: Scalar) -> bool:
        text = v if v.__class__ is str else text_of(v)
        return text is not None and search(text) is not None  # type: ignore[arg-type]

    return test


@lru_cache(maxsize=65536)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().split("%", 1)[0])
    except ValueError:
        return None


def cidr_test(value: SigmaCIDRExpression) -> ValueTest:
    """``|cidr``: the value is an IPv4/IPv6 address inside the network (text that is no address never matches)."""
    network = value.network
    version = network.version
    low, high = int(network.network_address), int(network.broadcast_address)

    def test(v: Scalar) -> bool:
        if v.__class__ is not str:
            return False
        address = _address(v)  # type: ignore[arg-type]
        if address is None:
            return False
        if address.version != version:
            mapped = getattr(address, "ipv4_mapped", None)
            if mapped is None or version != 4:
                return False
            address = mapped
        return low <= int(address) <= high

    return test


def compare_test(value: SigmaCompareExpression) -> ValueTest:
    """``|gt``/``|gte``/``|lt``/``|lte``: numbers and numeric text compare; anything else never matches."""
    op = _COMPARE[value.op]
    bound = value.number.number

    def test(v: Scalar) -> bool:
        cls = v.__class__
        if cls is int or cls is float:
            return op(v, bound)  # type: ignore[arg-type]
        if cls is str:
            number = number_of(v)
            return number is not None and op(number, bound)  # type: ignore[no-any-return]
        return False

    return test


_PART_OF: dict[TimestampPart, Callable[[dt.datetime], int]] = {
    TimestampPart.MINUTE: lambda t: t.minute,
    TimestampPart.HOUR: lambda t: t.hour,
    TimestampPart.DAY: lambda t: t.day,
    TimestampPart.WEEK: lambda t: int(t.strftime("%W")),
    TimestampPart.MONTH: lambda t: t.month,
    TimestampPart.YEAR: lambda t: t.year,
}


def parse_time(value: Scalar) -> dt.datetime | None:
    """ISO 8601 text or Unix seconds (number or numeric text) as an aware UTC datetime, else ``None``."""
    if value is None or value.__class__ is bool:
        return None
    number = number_of(value)
    try:
        if number is not None:
            return dt.datetime.fromtimestamp(float(number), tz=dt.UTC)
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        moment = dt.datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def timestamp_part_test(value: SigmaTimestampPart) -> ValueTest:
    """``|minute``/``|hour``/``|day``/``|week``/``|month``/``|year``: that part of a timestamp value, in UTC."""
    part = _PART_OF[value.timestamp_part]
    wanted = value.number

    def test(v: Scalar) -> bool:
        moment = parse_time(v)
        return moment is not None and part(moment.astimezone(dt.UTC)) == wanted

    return test
