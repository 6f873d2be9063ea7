"""Every mapping answers a fixed set of records as it always has, to the byte.

The fixture (`mapping_answers.json.gz`) holds records drawn from a seeded pool of
awkward values (blank text, numbers for text, lists, bad emails, phones and dates,
picklist words in odd case) for every object of the shipped mappings and of
`fixtures/mapping_kinds.yaml` (every kind of field: several sources, combiners, lists,
constants, phone regions from a column, `on_invalid: drop`, sensitive fields, typed
attributes, role rules, conditional relationships), with each record's canonical JSON
or refusal and the values dropped. A faster mapper must give the same answers as the
one that wrote them.

A deliberate change of the answers is recorded by writing the fixture again:

    PYTHONPATH=. python tests/hub/test_mapping_answers.py
"""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import SourceRecord
from hub.mapping.engine import MappingError, ObjectMapper
from hub.mapping.spec import load_mapping

FIXTURE = Path(__file__).with_name("mapping_answers.json.gz")
MAPPING_FILES = [
    *sorted((Path(__file__).resolve().parents[2] / "mappings").glob("*.yaml")),
    Path(__file__).with_name("fixtures") / "mapping_kinds.yaml",
]
RECORDS_PER_OBJECT = 150
SEED = 12
POOL: list[Any] = [
    None,
    "",
    "   ",
    "  Ana  María ",
    "GARCÍA lópez",
    "Smith, John",
    "ana@example.com",
    " Ana.Garcia@Example.COM ",
    "not-an-email",
    "+34 612 345 678",
    "612345678",
    "(415) 555-0100",
    "12",
    "03/02/1990",
    "1990-02-03",
    "2026-01-01T10:00:00Z",
    "31/02/1990",
    "www.acme.es",
    "https://Acme.example.org/about",
    "ES",
    "us",
    "ZZ",
    "true",
    "no",
    "3.5",
    "a; b;;C",
    "x, y ,",
    "Customer",
    " won ",
    "New",
    "partner",
    7,
    0,
    -2.5,
    1e20,
    True,
    False,
    ["ana@example.com", " ", "bad@"],
    ["+34 612 345 678", "+34 612 345 678"],
    [],
]


def _words(mapper: ObjectMapper) -> list[str]:
    """The picklist words of the object's `map` transforms: values that map."""
    words: list[str] = []
    for spec in [*mapper.mapping.fields.values(), *mapper.mapping.attributes.values()]:
        for raw in spec.transforms:
            if isinstance(raw, dict) and isinstance(raw.get("map"), dict):
                words.extend(str(key) for key in raw["map"].get("values") or {})
    return words


def cases() -> list[tuple[ObjectMapper, SourceRecord]]:
    """The fixed records, every object of every mapping file, in a fixed order."""
    rng = random.Random(SEED)
    found = []
    for path in MAPPING_FILES:
        mapping = load_mapping(path)
        for name, object_mapping in mapping.objects.items():
            mapper = ObjectMapper(mapping.system, name, object_mapping)
            pool = [*POOL, *_words(mapper)]
            names = object_mapping.source_fields()
            for index in range(RECORDS_PER_OBJECT):
                share = (0.8, 0.3, 0.1, 0.05)[index % 4]  # fewer fields set: fewer refusals
                fields = {n: rng.choice(pool) for n in names if rng.random() < share}
                changed = datetime(2026, 1, 2, 3, 4, index % 60, tzinfo=UTC)
                modified_at = changed if index % 5 else None
                record = SourceRecord(mapping.system, name, f"R{index}", modified_at, False, fields)
                found.append((mapper, record))
    return found


def answer(mapper: ObjectMapper, record: SourceRecord) -> dict[str, Any]:
    try:
        mapped: dict[str, Any] = {"json": mapper.map_json(record)}
    except MappingError as error:
        mapped = {"refused": str(error)}
    return {**mapped, "dropped": mapper.take_dropped()}


def _fixture() -> list[dict[str, Any]]:
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as handle:
        answers: list[dict[str, Any]] = json.load(handle)
    return answers


def test_every_mapping_answers_the_fixed_records_as_the_fixture_says() -> None:
    expected = _fixture()
    found = cases()
    assert len(found) == len(expected)
    for (mapper, record), wanted in zip(found, expected, strict=True):
        assert answer(mapper, record) == wanted, (mapper.system, mapper.object, record.fields)


def test_the_fixture_covers_refusals_drops_and_every_file() -> None:
    expected = _fixture()
    assert sum("refused" in a for a in expected) > 100
    assert sum(bool(a["dropped"]) for a in expected) > 100
    assert {m.system for m, _ in cases()} >= {"kinds", "crm", "salesforce", "hubspot"}


@pytest.mark.parametrize("field", ["phones", "birth_date", "emails"])
def test_the_kinds_fixture_maps_and_drops_its_fields(field: str) -> None:
    answers = [answer(m, r) for m, r in cases() if m.system == "kinds"]
    assert any(field in json.loads(a.get("json", "{}")) for a in answers)
    assert field == "phones" or any(field in a["dropped"] for a in answers)


if __name__ == "__main__":
    with gzip.open(FIXTURE, "wt", encoding="utf-8") as out:
        json.dump([answer(m, r) for m, r in cases()], out, ensure_ascii=False, indent=0)
