"""The fast E.164 path gives exactly what the phonenumbers library gives, or defers to it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from identity.phones import _SEPARATORS, PhoneError, _fast, library_e164, to_e164

REGIONS = ["ES", "US", "GB", "MX", "FR", "DE", "IT", "AR", "BR", "PT", "CO"]
separators = st.sampled_from(["", " ", "-", ".", "  "])


@st.composite
def written_numbers(draw: st.DrawFn) -> str:
    """Digits as people write them: with +, 00 or nothing in front, separators inside."""
    digits = draw(st.text("0123456789", min_size=3, max_size=15))
    front = draw(st.sampled_from(["", "+", "00", "+34", "0034", "+1", "+44", "0"]))
    cuts = sorted(draw(st.lists(st.integers(0, len(digits)), max_size=4)))
    sep = draw(separators)
    parts, last = [], 0
    for cut in cuts:
        parts.append(digits[last:cut])
        last = cut
    parts.append(digits[last:])
    return front + sep.join(p for p in parts if p)


def library_or_error(raw: str, region: str) -> str | None:
    try:
        return library_e164(raw, region)
    except PhoneError:
        return None


@settings(max_examples=3000, deadline=None)
@given(written_numbers(), st.sampled_from(REGIONS))
def test_fast_path_agrees_with_the_library(raw: str, region: str) -> None:
    fast = _fast(raw.strip().translate(_SEPARATORS), region)
    if fast is not None:
        assert fast == library_or_error(raw, region)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("612 34 56 78", "ES", "+34612345678"),
        ("0034 612 345 678", "ES", "+34612345678"),
        ("+1 (415) 555-0100", "ES", "+14155550100"),
        ("020 7946 0958", "GB", "+442079460958"),  # national prefix: the library's path
        ("+44 (0)20 7946 0958", "ES", "+442079460958"),
        ("55 1234 5678", "MX", "+525512345678"),
    ],
)
def test_common_formats(raw: str, region: str, expected: str) -> None:
    assert to_e164(raw, region) == expected


def test_fast_path_takes_the_common_cases() -> None:
    assert _fast("612345678", "ES") == "+34612345678"
    assert _fast("+14155550100", None) == "+14155550100"
    assert _fast("02079460958", "GB") is None  # national prefix: deferred
