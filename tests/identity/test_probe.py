"""A probe (one record asked about) is indexed as a batch resolve indexes it."""

from __future__ import annotations

from emulators.synthetic.canonical import iter_person_records
from emulators.synthetic.generator import generate
from identity import OrganizationRecord, ResolutionSettings, index_probe, index_records
from identity.records import Provenance


def test_a_probe_is_indexed_as_index_records_indexes_it() -> None:
    settings = ResolutionSettings()
    people = [r for chunk in iter_person_records(generate(200, 3)) for r in chunk]
    company = OrganizationRecord(
        name="Acme Ibérica S.L.",
        domains=["acme.es"],
        emails=["info@acme.es"],
        provenance=Provenance(system="s", object="o", record_id="1"),
    )
    for record in [*people, company]:
        assert index_probe(record, settings) == index_records([record], settings)
