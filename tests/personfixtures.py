"""Person records for the identity tests: a background population of distinct people (so
that u and m can be estimated as on real data) plus the records a test is about. A module
of its own, since a test that imports from `conftest` gets whichever conftest.py the run
imported first."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from identity.records import Address, PersonRecord, Provenance

GIVEN = [
    "ana",
    "lucia",
    "carmen",
    "pablo",
    "javier",
    "marta",
    "elena",
    "diego",
    "sara",
    "hugo",
    "irene",
    "raul",
    "noelia",
    "oscar",
    "paula",
    "ruben",
    "alba",
    "ivan",
]
FAMILY = [
    "garcia",
    "martinez",
    "lopez",
    "sanchez",
    "perez",
    "gomez",
    "martin",
    "jimenez",
    "ruiz",
    "hernandez",
    "diaz",
    "moreno",
    "munoz",
    "alvarez",
    "romero",
    "alonso",
    "gutierrez",
    "navarro",
    "torres",
    "dominguez",
    "vazquez",
    "ramos",
    "gil",
    "serrano",
]
_counter = iter(range(10**9))


def make_person(system: str = "crm", **fields: Any) -> PersonRecord:
    """A person record; `postcode`/`street`/`city` build its address."""
    address = {k: fields.pop(k) for k in ("street", "city", "postcode") if k in fields}
    modified = fields.pop("modified_at", datetime(2024, 1, 1))
    record_id = fields.pop("record_id", f"r{next(_counter)}")
    return PersonRecord(
        addresses=[Address(**address)] if address else [],
        provenance=Provenance(
            system=system, object="contact", record_id=record_id, modified_at=modified
        ),
        **fields,
    )


def background(n: int, seed: int = 7) -> list[PersonRecord]:
    """Distinct people, each recorded twice (the second time with a typo in one name)."""
    rng = random.Random(seed)
    people = []
    for i in range(n):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY) + " " + rng.choice(FAMILY)
        born = date(1950, 1, 1) + timedelta(days=rng.randrange(20000))
        base = {
            "given_name": given,
            "family_name": family,
            "birth_date": born,
            "postcode": f"{28000 + rng.randrange(900)}",
            "street": f"calle {i} n {i % 50}",
            "emails": [f"{given}.{i}@example.com"],
            "national_id": f"{10000000 + i}X",
        }
        people.append(make_person(system="crm", **base))
        typo = dict(base, given_name=given[:-1] + "x", emails=[])
        people.append(make_person(system="erp", **typo))
    return people
