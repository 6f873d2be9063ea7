"""Mapping language: `sensitive` fields and roles decided by a condition on another field."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from identityfixtures import Shop, person
from syncfixtures import MAPPING
from typer.testing import CliRunner

from connectors.base import SourceRecord
from hub.cli import app
from hub.mapping.engine import MASKED, MappingDefinitionError, MappingError, ObjectMapper
from hub.mapping.sensitive import mask, sensitive_fields
from hub.mapping.spec import ObjectMapping

EMPLOYEES: dict[str, Any] = {
    "entity": "person",
    "id_field": "id",
    "roles": [
        {"role": "former_employee", "when": "terminationDate", "since": "terminationDate"},
        {"role": "employee", "unless": "terminationDate"},
        {"role": "partner_contact", "when": "division", "in": ["Partners", "Alliances"]},
    ],
    "fields": {
        "given_name": "first",
        "national_id": {"from": "ssn", "sensitive": True},
        "birth_date": {"from": "dob", "transforms": ["date"], "sensitive": True},
    },
    "attributes": {"salary": {"from": "pay", "type": "number", "sensitive": True}},
}


def mapper(spec: dict[str, Any] = EMPLOYEES) -> ObjectMapper:
    return ObjectMapper("bamboohr", "employees", ObjectMapping.model_validate(spec))


def record(**fields: Any) -> SourceRecord:
    return SourceRecord(
        system="bamboohr",
        object="employees",
        id="7",
        modified_at=datetime(2026, 1, 1, tzinfo=UTC),
        deleted=False,
        fields={"id": "7", "first": "Ana", **fields},
    )


def test_a_termination_date_turns_employee_into_former_employee_with_the_date() -> None:
    active = mapper().map(record(terminationDate=""))
    assert active.roles == ["employee"] and "former_employee_since" not in active.attributes
    gone = mapper().map(record(terminationDate="2025-11-30"))
    assert gone.roles == ["former_employee"]
    assert gone.attributes["former_employee_since"] == date(2025, 11, 30)


def test_in_restricts_a_condition_to_listed_values_case_insensitively() -> None:
    assert "partner_contact" in mapper().map(record(division=" alliances ")).roles
    assert "partner_contact" not in mapper().map(record(division="Sales")).roles


def test_a_role_rule_needs_exactly_one_condition() -> None:
    with pytest.raises(ValueError, match="exactly one of `when` or `unless`"):
        ObjectMapping.model_validate({**EMPLOYEES, "roles": [{"role": "employee"}]})


def test_an_undatable_since_value_quarantines_the_record() -> None:
    with pytest.raises(MappingError, match="former_employee since terminationDate"):
        mapper().map(record(terminationDate="soon"))


def test_sensitive_values_are_kept_for_matching() -> None:
    mapped = mapper().map(record(ssn="X123", dob="1980-02-01", pay="52000"))
    assert mapped.national_id == "X123" and mapped.birth_date == date(1980, 2, 1)
    assert mapped.attributes["salary"] == 52000


def test_a_sensitive_field_cannot_be_pushed() -> None:
    spec = {**EMPLOYEES, "push": [{"field": "national_id", "to": "ssn"}]}
    with pytest.raises(MappingDefinitionError, match="sensitive: never pushed"):
        mapper(spec)


def test_a_quarantine_reason_never_carries_a_sensitive_value() -> None:
    with pytest.raises(MappingError) as caught:
        mapper().map(record(dob="31/31/1980"))
    assert "31/31/1980" not in str(caught.value) and MASKED in str(caught.value)


def test_mask_replaces_sensitive_fields_and_attributes() -> None:
    names = sensitive_fields([mapper()])
    assert names == {"national_id", "birth_date", "attributes.salary"}
    masked = mask(
        {"given_name": "Ana", "birth_date": "1980-02-01", "attributes": {"salary": 1, "x": 2}},
        names,
    )
    assert masked == {
        "given_name": "Ana",
        "birth_date": MASKED,
        "attributes": {"salary": MASKED, "x": 2},
    }


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Shop:
    monkeypatch.setenv("RELHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'relhub.db'}")
    monkeypatch.setenv("RELHUB_CONFIG", str(tmp_path / "relhub.yaml"))
    shop = Shop(tmp_path, f"sqlite:///{tmp_path / 'relhub.db'}", {0: person(0), 1: person(1)})
    (tmp_path / "shop.yaml").write_text(
        MAPPING.replace('"%Y-%m-%d"]}}]}', '"%Y-%m-%d"]}}], sensitive: true}')
    )
    shop.cycle()
    return shop


def test_golden_export_and_show_mask_sensitive_fields_unless_asked(shop: Shop) -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["golden", "export"]).stdout
    records = [json.loads(line) for line in out.splitlines()]
    assert records and all(r["fields"]["birth_date"] == MASKED for r in records)
    assert "1950-01-10" not in out
    full = runner.invoke(app, ["golden", "export", "--include-sensitive"]).stdout
    assert "1950-01-10" in full
    shown = runner.invoke(app, ["golden", "show", shop.golden_of(0), "--json"]).stdout
    assert "1950-01-10" not in shown and MASKED in shown
