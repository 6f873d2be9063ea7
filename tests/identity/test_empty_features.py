"""A batch in which some field is empty on every record still resolves."""

from __future__ import annotations

from typing import Any

import pytest
from personfixtures import make_person

from identity.engine import resolve_batch

PEOPLE: list[dict[str, Any]] = [
    {"given_name": "Ana", "emails": ["ana@example.com"]},
    {"given_name": "Ana", "emails": ["ana@example.com"]},
    {"given_name": "Luis", "emails": ["luis@example.com"]},
]


@pytest.mark.parametrize(
    "emptied",
    [("given_name",), ("emails",), ("given_name", "emails")],
    ids=["no given name", "no email", "nothing but ids"],
)
def test_a_field_empty_on_every_record_is_no_crash(emptied: tuple[str, ...]) -> None:
    people = [
        make_person(**{k: v for k, v in fields.items() if k not in emptied}) for fields in PEOPLE
    ]
    result = resolve_batch(people)
    assert len(result.labels) == 3


def test_records_with_emails_only_resolve() -> None:
    people = [make_person(emails=[p["emails"][0]]) for p in PEOPLE]
    result = resolve_batch(people)
    assert len(result.labels) == 3
