"""A record read as a view of its stored JSON is, to the engine, the record itself."""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
import pytest
from personfixtures import background, make_person

from identity import (
    Address,
    OrganizationRecord,
    PersonRecord,
    Provenance,
    Record,
    Relationship,
    record_view,
    resolve_batch,
)
from identity.engine import index_records
from identity.record_views import DocumentView


def _stored(record: Record) -> dict[str, Any]:
    """The record's document as a store keeps it and a resolve parses it."""
    return orjson.loads(record.model_dump_json(exclude_none=True))


def _records() -> list[Record]:
    organization = OrganizationRecord(
        name="Acme Ltd",
        domains=["acme.example"],
        tax_id="B12345678",
        emails=["info@acme.example"],
        addresses=[Address(city="Madrid", postcode="28001", country="ES")],
        provenance=Provenance(system="crm", object="account", record_id="a1"),
    )
    employee = make_person(
        given_name=None,
        family_name=None,
        full_name="Ana María Ruiz",
        preferred_name="Anita",
        organization_ref="a1",
        relationships=[Relationship(type="works_at", object="account", record_id="a1")],
        job_title="CTO",
    )
    return [*background(30), organization, employee, make_person(emails=["x@y.example"])]


def _plain(value: Any) -> Any:
    """A view as the dicts and lists it was made of."""
    if isinstance(value, DocumentView):
        return {name: _plain(v) for name, v in vars(value).items()}
    return [_plain(v) for v in value] if isinstance(value, list) else value


def test_a_view_holds_the_values_of_the_json_its_model_dumps() -> None:
    for record in _records():
        view = record_view(_stored(record))
        assert _plain(view) == record.model_dump(mode="json")
        assert view.key == record.provenance.key


def test_a_view_reads_its_birth_date_as_the_text_of_the_date() -> None:
    view = record_view(_stored(make_person(birth_date=date(1980, 2, 17))))
    assert view.birth_date == "1980-02-17"


def test_the_engine_indexes_and_resolves_views_as_the_records() -> None:
    records = _records()
    views = [record_view(_stored(record)) for record in records]
    assert index_records(views) == index_records(records)
    assert (resolve_batch(views).labels == resolve_batch(records).labels).all()


def test_a_copy_of_a_view_changes_only_what_it_is_told() -> None:
    view = record_view(_stored(make_person(given_name="ana", organization_name=None)))
    named = view.model_copy(update={"organization_name": "Acme"})
    assert (named.organization_name, view.organization_name) == ("Acme", None)
    assert named.given_name == "ana"


def test_a_view_of_a_field_its_model_lacks_is_an_attribute_error() -> None:
    view = record_view(
        _stored(PersonRecord(provenance=Provenance(system="s", object="o", record_id="1")))
    )
    with pytest.raises(AttributeError, match="no field 'nope'"):
        _ = view.nope
