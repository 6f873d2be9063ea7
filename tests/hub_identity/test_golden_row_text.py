"""A golden record's JSON columns are the text `dumps` writes of their plain values: the
digest of a stored row, and so whether a resolve rewrites it, depends on every byte."""

from __future__ import annotations

from datetime import UTC, date, datetime

from hub.golden import golden_row_values
from hub.store.db import dumps
from identity import survive
from identity.records import Address, PersonRecord, Provenance


def test_fields_text_is_what_dumps_writes_of_the_plain_values() -> None:
    seen = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    crm = Provenance(system="crm", object="Contact", record_id="1", modified_at=seen)
    erp = Provenance(system="erp", object="Person", record_id="2")
    members = [
        PersonRecord(
            given_name='Zoë "Z" \x1f\u2028',
            birth_date=date(1980, 2, 3),
            emails=["zoe@example.com"],
            addresses=[Address(city="Málaga", country="ES")],
            lifecycle_stage="lead",
            provenance=crm,
        ),
        PersonRecord(family_name="Ñúñez", emails=["z@example.org"], provenance=erp),
    ]
    overrides = {"job_title": {"n": 1.5e16, "none": None, "list": [1, "ü"]}}
    values = golden_row_values(survive(members, overrides=overrides))

    crm_json = {
        "system": "crm",
        "object": "Contact",
        "record_id": "1",
        "modified_at": "2024-05-06T07:08:09.123456Z",
    }
    erp_json = {"system": "erp", "object": "Person", "record_id": "2"}
    steward = {"system": "steward", "object": "override", "record_id": "steward"}
    fields = {
        "given_name": {
            "value": 'Zoë "Z" \x1f\u2028',
            "rule": "most_recent",
            "provenance": crm_json,
        },
        "family_name": {"value": "Ñúñez", "rule": "most_recent", "provenance": erp_json},
        "birth_date": {"value": "1980-02-03", "rule": "most_recent", "provenance": crm_json},
        "job_title": {
            "value": overrides["job_title"],
            "rule": "steward_override",
            "provenance": steward,
        },
        "emails": [
            {"value": "zoe@example.com", "rule": "most_recent", "provenance": crm_json},
            {"value": "z@example.org", "rule": "member", "provenance": erp_json},
        ],
        "addresses": [
            {
                "value": {"city": "Málaga", "country": "ES"},
                "rule": "most_recent",
                "provenance": crm_json,
            }
        ],
    }
    assert values["fields"] == dumps(fields)
    assert values["roles"] == dumps([])
    assert values["lifecycle"] == dumps({"lead": seen.isoformat()})
