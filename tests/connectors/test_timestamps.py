"""`parse_timestamp` reads every shape sources use as one UTC moment, whichever path it
takes (an export's `...Z` stamp is read straight by `datetime.fromisoformat`)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.base import parse_timestamp

MOMENT = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-04T05:06:07Z",
        "2026-03-04 05:06:07Z",
        "20260304T050607Z",
        " 2026-03-04T05:06:07Z ",
        "2026-03-04T05:06:07z",
        "2026-03-04T05:06:07+00:00",
        "2026-03-04T05:06:07+0000",
        "2026-03-04T07:06:07+02:00",
        "2026-03-04 05:06:07",
        "1772600767000",
        1772600767000,
        datetime(2026, 3, 4, 5, 6, 7),
    ],
)
def test_every_shape_is_the_same_utc_moment(value: object) -> None:
    parsed = parse_timestamp(value)
    assert parsed == MOMENT
    assert parsed.tzinfo is UTC


def test_fractions_of_a_second_are_kept() -> None:
    assert parse_timestamp("2026-03-04T05:06:07.25Z") == MOMENT.replace(microsecond=250_000)


@pytest.mark.parametrize("value", ["Z", "2026-13-04T05:06:07Z", "2026-03-04T05:06:07+01:00Z", ""])
def test_what_is_no_moment_is_refused(value: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(value)
