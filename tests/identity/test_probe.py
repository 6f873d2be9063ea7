"""A probe (one record asked about) is indexed as a batch resolve indexes it."""

from __future__ import annotations

from datetime import date

import pytest

from emulators.synthetic.canonical import iter_person_records
from emulators.synthetic.generator import generate
from identity import (
    OrganizationRecord,
    PersonRecord,
    ResolutionSettings,
    index_probe,
    index_records,
)
from identity.records import Address, Provenance

SOURCE = Provenance(system="s", object="o", record_id="1")
EDGE_CASES = [
    PersonRecord(given_name="Lee", family_name="Lee", provenance=SOURCE),  # one name twice
    PersonRecord(given_name="Zoe", family_name="Abad", provenance=SOURCE),  # family sorts first
    PersonRecord(full_name="María José de la Fuente", provenance=SOURCE),  # split full name
    PersonRecord(
        given_name="Ana",
        family_name="Gómez",
        emails=["ana.gomez@corp.es", "ANA.GOMEZ@corp.es", "ana_gomez@mail.es", "", "josé@x.es"],
        phones=["+34611000001", "+34611000001", "+34611000002"],
        birth_date=date(1980, 2, 29),
        addresses=[Address(street="Calle Mayor 1", city="Madrid", postcode="28001")],
        provenance=SOURCE,
    ),
    PersonRecord(emails=["1234@x.es"], given_name="", family_name="  ", provenance=SOURCE),
    PersonRecord(provenance=SOURCE),  # nothing to block on
    OrganizationRecord(
        name="Acme Ibérica S.L.", domains=["acme.es"], emails=["info@acme.es"], provenance=SOURCE
    ),
    OrganizationRecord(
        name="Acme Acme de Madrid",
        addresses=[Address(city="Madrid")],
        domains=["acme.es", "www.acme.es"],
        provenance=SOURCE,
    ),
]


@pytest.mark.parametrize("nicknames", [True, False])
def test_a_probe_is_indexed_as_index_records_indexes_it(nicknames: bool) -> None:
    settings = ResolutionSettings(nicknames=nicknames)
    people = [r for chunk in iter_person_records(generate(200, 3)) for r in chunk]
    for record in [*people, *EDGE_CASES]:
        assert index_probe(record, settings) == index_records([record], settings)
