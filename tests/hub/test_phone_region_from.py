"""`{phone: {region_from: country}}`: a number without a country code takes the region of
the record's own country column, and the mapping's `region` where that is blank or unknown."""

from __future__ import annotations

from pathlib import Path

from connectors.base import FieldSchema, FieldType, ObjectSchema, SourceRecord
from hub.mapping.spec import load_mapping
from hub.mapping.validate import check_against_schema, compile_mapping

MAPPING = """\
system: crm
objects:
  contacts:
    entity: person
    id_field: id
    fields:
      phones:
        from: [phone, mobile]
        transforms: [{phone: {region: ES, region_from: country}}]
        on_invalid: drop
"""


def _phones(tmp_path: Path, **fields: str) -> list[str] | None:
    path = tmp_path / "crm.yaml"
    path.write_text(MAPPING)
    mapper = compile_mapping(load_mapping(path))["contacts"]
    record = mapper.map(SourceRecord("crm", "contacts", "1", None, False, {"id": "1", **fields}))
    return record.phones  # type: ignore[union-attr]


def test_the_records_country_decides_a_national_number(tmp_path: Path) -> None:
    assert _phones(tmp_path, phone="(212) 829-6539", country="us") == ["+12128296539"]
    assert _phones(tmp_path, phone="07073 862349", mobile="+34 612 345 678", country="GB") == [
        "+447073862349",
        "+34612345678",
    ]


def test_blank_or_unknown_country_falls_back_to_the_mappings_region(tmp_path: Path) -> None:
    assert _phones(tmp_path, phone="612 345 678", country="") == ["+34612345678"]
    assert _phones(tmp_path, phone="612 345 678", country="Narnia") == ["+34612345678"]


def test_the_region_column_must_exist_in_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "crm.yaml"
    path.write_text(MAPPING)
    schema = ObjectSchema(
        "crm",
        "contacts",
        {n: FieldSchema(n, FieldType.STRING) for n in ("id", "phone", "mobile")},
    )
    problems = [p.error for p in check_against_schema(load_mapping(path), "contacts", schema)]
    assert [p.field for p in problems] == [
        "objects.contacts.fields.phones.transforms[0].phone.region_from"
    ]
    assert "unknown source field 'country'" in problems[0].reason
