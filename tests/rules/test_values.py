"""Property tests: the fast string shapes agree with a plain regex reference for any pattern and value."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from sigma.types import SigmaCasedString, SigmaString, SpecialChars

from xposture.rules.values import StringShape, affix_test, number_of, string_set_test, text_of

ALPHABET = st.sampled_from([*"aAbB*?\\.Éé ", "\n"])
PLAIN = st.sampled_from(list("aAbB.Éé "))


def reference(pattern: SigmaString, value: str, *, cased: bool) -> bool:
    """Sigma wildcard semantics written the slow, obvious way."""
    source = "".join(
        ".*" if p is SpecialChars.WILDCARD_MULTI else "." if p is SpecialChars.WILDCARD_SINGLE else re.escape(str(p))
        for p in pattern.s
    )
    flags = re.DOTALL if cased else re.DOTALL | re.IGNORECASE
    if cased:
        return re.fullmatch(source, value, flags) is not None
    return re.fullmatch(source.lower(), value.lower(), re.DOTALL) is not None


@settings(max_examples=500, deadline=None)
@given(st.text(ALPHABET, max_size=8), st.text(ALPHABET, max_size=10), st.booleans())
def test_string_shapes_agree_with_the_reference(raw: str, value: str, cased: bool) -> None:
    pattern = SigmaString(raw)
    if cased:
        pattern = SigmaCasedString.from_sigma_string(pattern)
    shape = StringShape(pattern, cased=cased)
    assert shape.test()(value) is reference(pattern, value, cased=cased)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(PLAIN, max_size=5), min_size=1, max_size=4), st.text(ALPHABET, max_size=8))
def test_set_and_affix_tests_agree_with_single_tests(words: list[str], value: str) -> None:
    strings = [SigmaString(w) for w in words]
    assert string_set_test(strings)(value) is any(StringShape(s, cased=False).test()(value) for s in strings)
    lowered = [w.lower() for w in words]
    for kind in ("startswith", "endswith", "contains"):
        single = {
            "startswith": lambda w: value.lower().startswith(w),
            "endswith": lambda w: value.lower().endswith(w),
            "contains": lambda w: w in value.lower(),
        }[kind]
        assert affix_test(kind, lowered, cased=False)(value) is any(single(w) for w in lowered)


@given(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=6)))
def test_text_and_number_never_raise(value: object) -> None:
    text_of(value)  # type: ignore[arg-type]
    number_of(value)  # type: ignore[arg-type]


def test_text_of_forms() -> None:
    assert text_of(True) == "true"
    assert text_of(502) == "502"
    assert text_of(2.0) == "2"
    assert text_of(2.5) == "2.5"
    assert text_of(None) is None
    assert number_of("nan") is None
    assert number_of(True) is None
    assert number_of(" 7 ") == 7
