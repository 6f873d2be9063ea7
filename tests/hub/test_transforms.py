"""Every mapping transform, table-driven: input, arguments, expected output or error."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from hub.mapping.transforms import TRANSFORMS, InvalidValue

CASES: list[tuple[str, dict[str, Any], Any, Any]] = [
    ("trim", {}, "  Ana   María  ", "Ana María"),
    ("trim", {}, "   ", None),
    ("lower", {}, "ÁLVARO", "álvaro"),
    ("upper", {}, "es", "ES"),
    ("title", {}, "maría garcía", "María García"),
    ("unicode_fold", {}, "Martínez Núñez Çelik", "Martinez Nunez Celik"),
    ("unicode_fold", {}, "ﬁnance", "finance"),
    ("split_full_name", {"part": "given"}, "María García López", "María"),
    ("split_full_name", {"part": "family"}, "María García López", "García López"),
    ("split_full_name", {"part": "family"}, "Juan de la Fuente", "de la Fuente"),
    ("split_full_name", {"part": "middle"}, "John A. Smith", "A."),
    ("split_full_name", {"part": "family"}, "Smith, John", "Smith"),
    ("split_full_name", {"part": "given"}, "Smith, John", "John"),
    ("split_full_name", {"part": "family", "surnames": "1"}, "Mary Ann Smith", "Smith"),
    ("split_full_name", {"part": "given", "surnames": "1"}, "Mary Ann Smith", "Mary"),
    ("split_full_name", {"part": "family"}, "Madonna", None),
    ("phone", {"region": "ES"}, "612 34 56 78", "+34612345678"),
    ("phone", {"region": "ES"}, "0034 612-345-678", "+34612345678"),
    ("phone", {"region": "US"}, "(415) 555-0100", "+14155550100"),
    ("phone", {"region": "US"}, "415.555.0100", "+14155550100"),
    ("phone", {"region": "ES"}, "+44 20 7946 0958", "+442079460958"),
    ("phone", {"region": "ES"}, "ask reception", InvalidValue),
    ("phone", {"region": "ES"}, "12", InvalidValue),
    ("email", {}, "  Ana.Lopez@Example.COM ", "ana.lopez@example.com"),
    ("email", {}, "<bob@example.org>", "bob@example.org"),
    ("email", {}, "mailto:eve@example.org", "eve@example.org"),
    ("email", {}, "not-an-email", InvalidValue),
    ("email", {}, "a@b", InvalidValue),
    ("email", {}, "two@@example.com", InvalidValue),
    ("date", {"formats": ["%d/%m/%Y"]}, "01/02/1980", date(1980, 2, 1)),
    ("date", {"formats": ["%d/%m/%Y", "%Y-%m-%d"]}, "1980-02-01", date(1980, 2, 1)),
    ("date", {}, "1980-02-01T10:00:00Z", date(1980, 2, 1)),
    ("date", {"formats": ["%d/%m/%Y"]}, "31/02/19x8", InvalidValue),
    ("date", {"formats": ["%d/%m/%Y"]}, "31/02/1980", InvalidValue),
    ("map", {"values": {"Open": "lead", "Won": "customer"}}, "won", "customer"),
    ("map", {"values": {"true": "partner"}, "default": "customer"}, True, "partner"),
    ("map", {"values": {"true": "partner"}, "default": "customer"}, "false", "customer"),
    ("map", {"values": {"Open": "lead"}}, "Closed", InvalidValue),
    ("domain", {}, "https://www.Acme.es/contact", "acme.es"),
    ("domain", {}, "acme.com", "acme.com"),
    ("domain", {}, "ana@sub.acme.com", "sub.acme.com"),
    ("domain", {}, "localhost", InvalidValue),
    ("split", {}, "a@x.com; b@y.com,c@z.com", ["a@x.com", "b@y.com", "c@z.com"]),
    ("boolean", {}, "Yes", True),
    ("boolean", {}, "0", False),
    ("boolean", {}, "maybe", InvalidValue),
    ("integer", {}, "42", 42),
    ("integer", {}, "4.5", InvalidValue),
    ("integer", {}, True, InvalidValue),
    ("integer", {}, "inf", InvalidValue),
    ("integer", {}, "-Infinity", InvalidValue),
    ("integer", {}, "nan", InvalidValue),
    ("number", {}, "4.5", 4.5),
    ("number", {}, "four", InvalidValue),
    ("coalesce", {}, [None, "", "x", "y"], "x"),
    ("concat", {"sep": " "}, ["Ana", None, "López"], "Ana López"),
    ("concat", {"sep": "-"}, ["", None], None),
]


@pytest.mark.parametrize(("name", "args", "value", "expected"), CASES)
def test_transform(name: str, args: dict[str, Any], value: Any, expected: Any) -> None:
    transform = TRANSFORMS[name].build(args)
    if expected is InvalidValue:
        with pytest.raises(InvalidValue):
            transform(value)
    else:
        assert transform(value) == expected


def test_every_transform_has_cases() -> None:
    assert {case[0] for case in CASES} == set(TRANSFORMS)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("phone", {"region": "XX"}),
        ("split_full_name", {"part": "nick"}),
        ("split_full_name", {"surnames": 3}),
    ],
)
def test_bad_arguments_are_refused_when_built(name: str, args: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        TRANSFORMS[name].build(args)


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        ("%d/%m/%Y", "01/02/1980"),
        ("%d/%m/%Y", "1/2/1980"),
        ("%Y-%m-%d", "1980-02-29"),
        ("%d.%m.%Y", "31.12.1999"),
        ("%m/%d/%Y", "12/31/1999"),
        ("%d/%m/%Y", "31/02/1980"),
        ("%d/%m/%Y", "1980-02-01"),
        ("%Y%m%d", "19800201"),
        ("%d %b %Y", "01 Feb 1980"),
    ],
)
def test_date_fast_path_agrees_with_strptime(fmt: str, text: str) -> None:
    transform = TRANSFORMS["date"].build({"formats": [fmt]})
    try:
        expected = datetime.strptime(text, fmt).date()
    except ValueError:
        with pytest.raises(InvalidValue):
            transform(text)
    else:
        assert transform(text) == expected
