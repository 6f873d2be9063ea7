"""Synthetic records as canonical ``PersonRecord``s, for the identity benchmarks.

This stands in for the mapping step (source fields -> canonical fields) so a benchmark
can feed the engine without a store. Values stay raw (formatted phones, "García López"
in ``family_name``): normalizing them is the engine's job and part of what is measured.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from emulators.synthetic.generator import Columns, SyntheticPeople
from identity.records import Address, PersonRecord, Provenance, Role

_ROLES: dict[str, list[Role]] = {
    "salesforce": [Role.CUSTOMER],
    "hubspot": [Role.LEAD],
    "partner_portal": [Role.PARTNER_CONTACT],
    "hr": [Role.EMPLOYEE],
    "files": [],
}


def _birth_date(value: str) -> date | None:
    """Swapped day and month can make an impossible date; a mapping would reject it."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _roles(system: str, current_job: bool) -> list[Role]:
    if system == "hr" and not current_job:
        return [Role.FORMER_EMPLOYEE]
    return _ROLES[system]


def person_records(columns: Columns) -> list[PersonRecord]:
    """One canonical record per rendered row, with provenance (system, object, id)."""
    records = []
    for row in zip(*(columns[name] for name in _FIELDS), strict=True):
        values: dict[str, Any] = dict(zip(_FIELDS, row, strict=True))
        address = Address(
            street=values["street"] or None,
            city=values["city"] or None,
            postcode=values["postcode"] or None,
            country=values["country"],
        )
        records.append(
            PersonRecord(
                provenance=Provenance(
                    system=values["system"],
                    object=values["object"],
                    record_id=values["record_id"],
                    modified_at=datetime.fromtimestamp(values["modified_at"], UTC),
                ),
                given_name=values["given_name"] or None,
                middle_name=values["middle_name"] or None,
                family_name=values["family_name"] or None,
                full_name=values["full_name"] or None,
                emails=[e for e in (values["email"], values["personal_email"]) if e],
                phones=[p for p in (values["phone"], values["mobile"]) if p],
                addresses=[address],
                birth_date=_birth_date(values["birth_date"]),
                national_id=values["national_id"] or None,
                job_title=values["job_title"] or None,
                organization_name=values["company"] or None,
                roles=_roles(values["system"], values["current_job"]),
            )
        )
    return records


_FIELDS = (
    "system",
    "object",
    "record_id",
    "modified_at",
    "given_name",
    "middle_name",
    "family_name",
    "full_name",
    "email",
    "personal_email",
    "phone",
    "mobile",
    "street",
    "city",
    "postcode",
    "country",
    "birth_date",
    "national_id",
    "job_title",
    "company",
    "current_job",
)


def iter_person_records(
    people: SyntheticPeople, chunk_size: int = 50_000
) -> Iterator[list[PersonRecord]]:
    """Canonical records in chunks, in the same order as ``people.truth_person_ids``."""
    for columns in people.chunks(chunk_size):
        yield person_records(columns)
