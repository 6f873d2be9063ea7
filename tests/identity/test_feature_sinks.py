"""Feature tables coded in a forked worker equal those coded in this process, missing
values, dates and both entity kinds included."""

from datetime import date

import numpy as np
from personfixtures import make_person

from identity.feature_sinks import feature_sink
from identity.features import raw_columns
from identity.records import OrganizationRecord, Provenance
from identity.settings import ResolutionSettings


def _records():
    people = [
        make_person(
            given_name="Ana",
            family_name="Ruiz",
            emails=["ana@acme.es"],
            birth_date=date(1980, 1, 2),
            postcode="28001",
        ),
        make_person(
            given_name=None,
            family_name=None,
            full_name="Luis Gil",
            emails=["luis@acme.es", "luis@gmail.com"],
            phones=["+34 600 1"],
        ),
        make_person(given_name="Eva", family_name="", emails=[]),
    ]
    organizations = [
        OrganizationRecord(
            name="Acme S.L.",
            domains=["acme.es"],
            provenance=Provenance(system="crm", object="account", record_id="o1"),
        )
    ]
    return {"person": people, "organization": organizations}


def _tables(forked: bool):
    settings = ResolutionSettings()
    with feature_sink(settings, forked=forked) as sink:
        for _ in range(2):  # two chunks: codes stay stable across them
            for kind, records in _records().items():
                sink.add(kind, raw_columns(kind, records), len(records))
        return sink.finish()


def test_a_forked_worker_codes_the_tables_this_process_would():
    here, there = _tables(forked=False), _tables(forked=True)
    assert here.keys() == there.keys() == {"person", "organization"}
    for kind, table in here.items():
        other = there[kind]
        assert table.n == other.n == 2 * len(_records()[kind])
        assert table.columns.keys() == other.columns.keys()
        for name, column in table.columns.items():
            assert np.array_equal(column.codes, other.columns[name].codes), name
            assert column.values.tolist() == other.columns[name].values.tolist(), name
        assert table.multi.keys() == other.multi.keys()
        for name, column in table.multi.items():
            twin = other.multi[name]
            assert np.array_equal(column.records, twin.records), name
            assert np.array_equal(column.codes, twin.codes), name
            assert np.array_equal(column.primary.codes, twin.primary.codes), name
            assert column.values.tolist() == twin.values.tolist(), name
    assert "luis@acme.es" in here["person"].multi["email"].values.tolist()
    assert here["person"].columns["birth_date"].ordinals is not None
