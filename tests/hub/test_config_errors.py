"""A mistake in relhub.yaml or a mapping file names the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.base import FieldSchema, FieldType, ObjectSchema
from hub.config import load_config
from hub.mapping.spec import load_mapping
from hub.mapping.validate import check_against_schema, compile_mapping
from hub.yamlfile import ConfigError

GOOD_MAPPING = """\
system: crm
objects:
  contacts:
    entity: person
    id_field: id
    modified_at_field: updated
    fields:
      given_name: first
      emails: {from: email, transforms: [email]}
      birth_date: {from: born, transforms: [{date: {formats: ["%d/%m/%Y"]}}]}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def error_of(action) -> ConfigError:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        action()
    return caught.value


def test_bad_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "relhub.yaml", "sources:\n  - name: crm\n    type: [file\n")
    error = error_of(lambda: load_config(path))
    assert error.path == path and error.line == 4
    assert str(error).startswith(f"{path}:4: invalid YAML")


def test_unknown_config_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "relhub.yaml",
        "sources:\n  - name: crm\n    type: file\n    mapping: m.yaml\n    shedule: '@daily'\n",
    )
    error = error_of(lambda: load_config(path))
    assert (error.line, error.field, error.reason) == (5, "sources[0].shedule", "unknown field")


def test_unknown_connector_type(tmp_path: Path) -> None:
    path = write(
        tmp_path, "relhub.yaml", "sources:\n  - name: crm\n    type: ftp\n    mapping: m\n"
    )
    error = error_of(lambda: load_config(path))
    assert (error.line, error.field) == (3, "sources[0].type")
    assert "unknown connector type 'ftp'" in error.reason


def test_duplicate_source(tmp_path: Path) -> None:
    text = "sources:\n" + "  - {name: crm, type: file, mapping: m}\n" * 2
    error = error_of(lambda: load_config(write(tmp_path, "relhub.yaml", text)))
    assert (error.line, error.field) == (3, "sources[1].name")


def test_unknown_transform(tmp_path: Path) -> None:
    path = write(tmp_path, "crm.yaml", GOOD_MAPPING.replace("[email]", "[emial]"))
    error = error_of(lambda: compile_mapping(load_mapping(path)))
    assert error.path == path and error.line == 9
    assert error.field == "objects.contacts.fields.emails.transforms[0]"
    assert "unknown transform 'emial'" in error.reason


def test_duplicate_target(tmp_path: Path) -> None:
    text = GOOD_MAPPING + "      given_name: nickname\n"
    error = error_of(lambda: load_mapping(write(tmp_path, "crm.yaml", text)))
    assert (error.line, error.field, error.reason) == (11, "given_name", "duplicate key")


def test_unknown_canonical_target(tmp_path: Path) -> None:
    text = GOOD_MAPPING + "      shoe_size: size\n"
    error = error_of(lambda: compile_mapping(load_mapping(write(tmp_path, "crm.yaml", text))))
    assert (error.line, error.field) == (11, "objects.contacts.fields.shoe_size")


def test_bad_entity_kind(tmp_path: Path) -> None:
    text = GOOD_MAPPING.replace("entity: person", "entity: persona")
    error = error_of(lambda: load_mapping(write(tmp_path, "crm.yaml", text)))
    assert (error.line, error.field) == (4, "objects.contacts.entity")


SCHEMA = ObjectSchema(
    "crm",
    "contacts",
    {
        name: FieldSchema(name, kind)
        for name, kind in {
            "id": FieldType.ID,
            "updated": FieldType.DATETIME,
            "first": FieldType.STRING,
            "email": FieldType.EMAIL,
            "born": FieldType.BOOLEAN,
        }.items()
    },
)


def test_schema_problems_name_file_line_and_field(tmp_path: Path) -> None:
    text = GOOD_MAPPING.replace("given_name: first", "given_name: fist")
    mapping = load_mapping(write(tmp_path, "crm.yaml", text))
    problems = [p.error for p in check_against_schema(mapping, "contacts", SCHEMA)]
    assert [(p.line, p.field) for p in problems] == [
        (8, "objects.contacts.fields.given_name.from"),
        (10, "objects.contacts.fields.birth_date.transforms"),
    ]
    assert "unknown source field 'fist'" in problems[0].reason
    assert "'date' does not accept born, a boolean field" in problems[1].reason


def test_type_mismatch_without_transform(tmp_path: Path) -> None:
    text = GOOD_MAPPING.replace(
        'birth_date: {from: born, transforms: [{date: {formats: ["%d/%m/%Y"]}}]}',
        "birth_date: first",
    )
    mapping = load_mapping(write(tmp_path, "crm.yaml", text))
    problems = [p.error for p in check_against_schema(mapping, "contacts", SCHEMA)]
    assert [(p.line, p.field) for p in problems] == [
        (10, "objects.contacts.fields.birth_date.from")
    ]
    assert "type mismatch" in problems[0].reason


def test_push_to_unknown_source_field_and_unknown_golden_field(tmp_path: Path) -> None:
    text = GOOD_MAPPING + "    push:\n      - {field: golden_id, to: relhub_id__c}\n"
    mapping = load_mapping(write(tmp_path, "crm.yaml", text))
    problems = [p.error for p in check_against_schema(mapping, "contacts", SCHEMA)]
    [problem] = [p for p in problems if "push" in p.field]
    assert (problem.line, problem.field) == (12, "objects.contacts.push[0].to")
    assert "unknown source field 'relhub_id__c'" in problem.reason

    bad = GOOD_MAPPING + "    push:\n      - {field: shoe_size, to: first}\n"
    error = error_of(lambda: compile_mapping(load_mapping(write(tmp_path, "bad.yaml", bad))))
    assert (error.line, error.field) == (12, "objects.contacts.push[0].field")
