"""Mapping language: `relationships` a source record states, and the mistakes refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import SourceRecord
from hub.mapping.engine import ObjectMapper
from hub.mapping.spec import MappingFile, load_mapping
from hub.yamlfile import ConfigError

ACCOUNTS: dict[str, Any] = {
    "entity": "organization",
    "id_field": "Id",
    "fields": {"name": "Name"},
    "relationships": [
        {"type": "partner_of", "when": "IsPartner", "in": ["true"]},
        {"type": "customer_of", "when": "IsPartner", "in": ["false"]},
    ],
}
CONTACTS: dict[str, Any] = {
    "entity": "person",
    "id_field": "Id",
    "fields": {"given_name": "FirstName"},
    "relationships": [{"type": "works_at", "to": "Account", "from": "AccountId"}],
}


def mapping(**objects: dict[str, Any]) -> MappingFile:
    return MappingFile.model_validate({"system": "crm", "objects": objects})


def mapped(spec: MappingFile, object_name: str, **fields: Any) -> dict[str, Any]:
    mapper = ObjectMapper("crm", object_name, spec.objects[object_name])
    record = SourceRecord("crm", object_name, "1", datetime(2026, 1, 1, tzinfo=UTC), False, fields)
    return json.loads(mapper.map_json(record))  # type: ignore[no-any-return]


def test_records_state_their_relationships_as_their_mapping_says() -> None:
    spec = mapping(Account=ACCOUNTS, Contact=CONTACTS)
    assert mapped(spec, "Contact", FirstName="Ana", AccountId="001A")["relationships"] == [
        {"type": "works_at", "object": "Account", "record_id": "001A"}
    ]
    assert "relationships" not in mapped(spec, "Contact", FirstName="Ana", AccountId=" ")
    assert mapped(spec, "Account", Name="Acme", IsPartner=True)["relationships"] == [
        {"type": "partner_of"}
    ]
    assert mapped(spec, "Account", Name="Acme", IsPartner=False)["relationships"] == [
        {"type": "customer_of"}
    ]


@pytest.mark.parametrize(
    ("objects", "why"),
    [
        (
            {"Contact": {**CONTACTS, "relationships": [{"type": "partner_of"}]}},
            "stated by organization objects",
        ),
        ({"Contact": CONTACTS, "Lead": {**CONTACTS, "relationships": []}}, "'Account'"),
        (
            {
                "Account": ACCOUNTS,
                "Contact": {
                    **CONTACTS,
                    "relationships": [{"type": "works_at", "to": "Contact", "from": "AccountId"}],
                },
            },
            "'Contact'",
        ),
        ({"Account": {**ACCOUNTS, "relationships": [{"type": "works_at"}]}}, "needs `to`"),
        (
            {
                "Account": {
                    **ACCOUNTS,
                    "relationships": [{"type": "partner_of", "to": "Account", "from": "Id"}],
                }
            },
            "no `to` or `from`",
        ),
        (
            {
                "Account": {
                    **ACCOUNTS,
                    "relationships": [{"type": "partner_of", "when": "A", "unless": "B"}],
                }
            },
            "not both",
        ),
        (
            {"Account": {**ACCOUNTS, "relationships": [{"type": "supplier_of"}]}},
            "should be .works_at",
        ),
    ],
)
def test_mistakes_are_refused_with_where_and_why(
    objects: dict[str, Any], why: str, tmp_path: Path
) -> None:
    path = tmp_path / "crm.yaml"
    path.write_text(json.dumps({"system": "crm", "objects": objects}))
    with pytest.raises(ConfigError, match=why):
        load_mapping(path)
