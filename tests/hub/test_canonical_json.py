"""The canonical JSON a mapper writes without the model is the model's own, to the byte.

`ObjectMapper.map_json` writes a record's JSON straight from its mapped values when the
model would hold them as they are (`CanonicalWriter`) and leaves the rest to the model;
either way the text must be what validating and dumping the record gives, and a value
the model refuses must be refused with the model's reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import SourceRecord
from hub.mapping.canonical_json import CanonicalWriter
from hub.mapping.engine import MappingError, ObjectMapper
from hub.mapping.spec import load_mapping
from hub.mapping.transforms import parse_transform
from identity.records import OrganizationRecord, PersonRecord, Record

MAPPINGS = sorted((Path(__file__).resolve().parents[2] / "mappings").glob("*.yaml"))
KINDS = Path(__file__).with_name("fixtures") / "mapping_kinds.yaml"  # every kind of field
MAPPERS = [
    ObjectMapper(spec.system, name, mapping)
    for spec in map(load_mapping, [*MAPPINGS, KINDS])
    for name, mapping in spec.objects.items()
]


def model_json(canonical: Record) -> str:
    """The JSON of a validated record as the store kept it before the writer."""
    unstated = None if canonical.relationships else {"relationships"}
    return canonical.model_dump_json(exclude_none=True, exclude=unstated)


def picklist_words(mapper: ObjectMapper) -> list[str]:
    """The keys of the object's `map` transforms and `in` lists: values that map."""
    words: list[str] = []
    for spec in [*mapper.mapping.fields.values(), *mapper.mapping.attributes.values()]:
        for raw in spec.transforms:
            name, args = parse_transform(raw)
            if name == "map":
                words.extend(str(key) for key in args.get("values") or {})
    for condition in [*mapper.mapping.roles, *mapper.mapping.relationships]:
        words.extend(getattr(condition, "values", None) or [])
    return words


def values_for(mapper: ObjectMapper) -> st.SearchStrategy[Any]:
    text = st.text(alphabet="aZ ñ@.-+0123456789/;,", max_size=12) | st.text(max_size=6)
    return st.one_of(
        st.none(),
        st.sampled_from(["", "  ", "true", "false", "ana@example.com", "+34 612 345 678"]),
        st.sampled_from(["1990-02-03", "03/02/1990", "2026-01-01T10:00:00Z", "www.acme.es"]),
        st.sampled_from(picklist_words(mapper) or ["x"]),
        text,
        st.integers(-5, 10**12),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.dates(),
        st.lists(text, max_size=3),
        st.lists(st.lists(text, max_size=2) | st.integers(), max_size=2),
    )


@st.composite
def records(draw: st.DrawFn) -> tuple[ObjectMapper, SourceRecord]:
    mapper = draw(st.sampled_from(MAPPERS))
    names = mapper.mapping.source_fields()
    fields = {name: draw(values_for(mapper)) for name in names if draw(st.booleans())}
    modified_at = draw(
        st.sampled_from(
            [
                None,
                datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=timezone(timedelta(hours=2))),
            ]
        )
    )
    record_id = draw(st.sampled_from(["C1", "0031x00000AbCdE"]))
    return mapper, SourceRecord(mapper.system, mapper.object, record_id, modified_at, False, fields)


@settings(max_examples=400, deadline=None)
@given(records())
def test_every_shipped_mapping_writes_the_models_json(
    case: tuple[ObjectMapper, SourceRecord],
) -> None:
    mapper, record = case
    try:
        expected = model_json(mapper.map(record))
    except MappingError as refused:
        with pytest.raises(MappingError) as error:
            mapper.map_json(record)
        assert str(error.value) == str(refused)
        return
    assert mapper.map_json(record) == expected


@settings(max_examples=400, deadline=None)
@given(records())
def test_the_mapping_function_writes_what_the_canonical_writer_writes(
    case: tuple[ObjectMapper, SourceRecord],
) -> None:
    """`map_json` maps and writes in one function written out per object from the
    writer's lines (`hub.mapping.document`): its text is the writer's own from the mapped
    values, or, where the writer leaves them to the model, the model's; its refusals and
    dropped values are the mapper's."""
    mapper, record = case
    mapper.take_dropped()
    try:
        values = mapper._values(record)
        written = CanonicalWriter(mapper.record_type).write(values)
        expected = written or model_json(mapper._validated(values))
    except MappingError as refused:
        with pytest.raises(MappingError) as error:
            mapper.map_json(record)
        assert str(error.value) == str(refused)
        return
    dropped = mapper.take_dropped()
    assert mapper.map_json(record) == expected
    assert mapper.take_dropped() == dropped


def test_an_address_mapped_in_another_order_is_written_in_the_models() -> None:
    """HubSpot's mapping lists a contact's state before its zip: the mapper hands the
    writer the address in the model's order, so the writer takes it (not the model)."""
    spec = load_mapping(next(path for path in MAPPINGS if path.stem == "hubspot"))
    mapper = ObjectMapper(spec.system, "contacts", spec.objects["contacts"])
    fields = {"address": "1 Main St", "state": "CA", "zip": "90001", "email": "a@example.com"}
    record = SourceRecord(spec.system, "contacts", "1", None, False, fields)
    values = mapper._values(record)
    assert list(values["addresses"][0]) == ["street", "postcode", "region"]
    written = CanonicalWriter(mapper.record_type).write(values)
    assert written is not None
    assert mapper.map_json(record) == written == model_json(mapper.map(record))


PERSON: dict[str, Any] = {
    "given_name": "María",
    "family_name": "García López",
    "emails": ["maria@example.com"],
    "phones": ["+34612345678", "+34912345678"],
    "birth_date": date(1990, 2, 3),
    "lifecycle_stage": "opportunity",
    "roles": ["lead", "customer"],
    "addresses": [{"street": "Calle Mayor 1", "city": "Madrid", "country": "ES"}],
    "attributes": {"visits": 3, "score": 0.5, "vip": True, "since": date(2020, 1, 1)},
    "relationships": [{"type": "works_at", "object": "Account", "record_id": "001A"}],
    "provenance": {
        "system": "crm",
        "object": "contacts",
        "record_id": "C1",
        "modified_at": datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC),
    },
}


def test_values_the_model_holds_as_they_are_are_written_without_it() -> None:
    writer = CanonicalWriter(PersonRecord)
    assert writer.write(PERSON) == model_json(PersonRecord.model_validate(PERSON))
    unstated = {**PERSON, "relationships": [], "attributes": {}, "emails": []}
    assert writer.write(unstated) == model_json(PersonRecord.model_validate(unstated))
    organization = {"name": "Acme", "domains": ["acme.es"], "provenance": PERSON["provenance"]}
    assert CanonicalWriter(OrganizationRecord).write(organization) == model_json(
        OrganizationRecord.model_validate(organization)
    )


@pytest.mark.parametrize(
    "change",
    [
        {"given_name": 7},  # a number for text: the model refuses it
        {"birth_date": "1990-02-03"},  # text for a date: the model parses it
        {"birth_date": datetime(1990, 2, 3)},  # a datetime for a date
        {"lifecycle_stage": "prospect"},  # not a stage
        {"roles": ["lead", "boss"]},  # not a role
        {"emails": ["a@example.com", 5]},
        {"addresses": [{"street": 1}]},
        {"addresses": [{"floor": "2"}]},  # not an address part
        {"addresses": [{"street": "Main St 1", "region": "CA", "postcode": "90001"}]},  # order
        {"provenance": {**PERSON["provenance"], "record_id": 12}},
        {"provenance": {**PERSON["provenance"], "modified_at": "2026-01-02"}},
    ],
)
def test_values_the_model_would_change_or_refuse_are_left_to_it(change: dict[str, Any]) -> None:
    assert CanonicalWriter(PersonRecord).write({**PERSON, **change}) is None
