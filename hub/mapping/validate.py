"""`relhub mappings validate`: check mapping files before a sync trusts them.

Two layers: the file must compile (known targets and transforms, sound arguments), and
every source field it reads must exist in the schema the connector discovers, with a
type the transform chain accepts and a result the canonical field can hold.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.base import FieldType, ObjectSchema
from hub.mapping.engine import DATE_TARGETS, MappingDefinitionError, ObjectMapper, output_type
from hub.mapping.spec import FieldSpec, MappingFile, ObjectMapping, RelationshipSpec, RoleRule
from hub.mapping.transforms import TEXT_TYPES, phone_region_column
from hub.yamlfile import ConfigError, field_path, line_of

_DATE_RESULTS = frozenset({FieldType.DATE, FieldType.DATETIME})
_TEXT_RESULTS = TEXT_TYPES | {FieldType.STRING}


@dataclass(frozen=True)
class Problem:
    error: ConfigError

    def __str__(self) -> str:
        return str(self.error)


def _problem(mapping: MappingFile, location: Sequence[Any], reason: str) -> Problem:
    line = line_of(mapping.document, location) if mapping.document is not None else None
    return Problem(ConfigError(mapping.path, line, field_path(location), reason))


def compile_mapping(mapping: MappingFile) -> dict[str, ObjectMapper]:
    """Compile every object of a mapping file; the first mistake is a ConfigError."""
    mappers: dict[str, ObjectMapper] = {}
    for name, object_mapping in mapping.objects.items():
        try:
            mappers[name] = ObjectMapper(mapping.system, name, object_mapping)
        except MappingDefinitionError as error:
            raise _problem(mapping, error.location, str(error)).error from error
    return mappers


def read_references(mapping: MappingFile, object_name: str) -> Iterator[tuple[list[Any], str]]:
    """Every source field a read of the object uses, with where the mapping names it."""
    object_mapping = mapping.object(object_name)
    base: list[Any] = ["objects", object_name]
    for key in ("id_field", "modified_at_field", "deleted_field"):
        field = getattr(object_mapping, key)
        if field:
            yield [*base, key], field
    for section, specs in _sections(object_mapping):
        for target, spec in specs.items():
            location = [*base, section, target]
            for index, transform in enumerate(spec.transforms):
                column = phone_region_column(transform)
                if column is not None:
                    yield [*location, "transforms", index, "phone", "region_from"], column
            for source in spec.source_fields:
                yield [*location, "from"], source
    rules: list[tuple[str, int, RoleRule | RelationshipSpec]] = [
        *(("roles", i, r) for i, r in enumerate(object_mapping.roles) if isinstance(r, RoleRule)),
        *(("relationships", i, r) for i, r in enumerate(object_mapping.relationships)),
    ]
    for section, index, rule in rules:
        for source in rule.source_fields:
            yield [*base, section, index], source


def _sections(object_mapping: ObjectMapping) -> list[tuple[str, dict[str, FieldSpec]]]:
    return [
        ("fields", dict(object_mapping.fields)),
        ("attributes", dict(object_mapping.attributes)),
    ]


def missing_columns(
    mapping: MappingFile, object_name: str, columns: Sequence[str], origin: str
) -> Iterator[Problem]:
    """Source fields the mapping names that the source's declared columns (`origin`: "the
    header of shop customers") lack: each would be empty in every record, so a sync refuses
    to start (the columns are listed, which shows a wrong delimiter at a glance)."""
    present = set(columns)
    for location, field in read_references(mapping, object_name):
        if field not in present:
            yield _problem(
                mapping,
                location,
                f"column {field!r} is not in {origin} ({', '.join(map(repr, columns))})",
            )


def check_against_schema(
    mapping: MappingFile, object_name: str, schema: ObjectSchema
) -> Iterator[Problem]:
    """Unknown source fields and type mismatches of one object against its discovered schema."""
    object_mapping = mapping.object(object_name)
    base = ("objects", object_name)
    for location, field in read_references(mapping, object_name):
        if field not in schema.fields:
            yield _problem(mapping, location, _unknown(field, object_name, schema))
    for index, push in enumerate(object_mapping.push):
        if push.to not in schema.fields:
            yield _problem(
                mapping, [*base, "push", index, "to"], _unknown(push.to, object_name, schema)
            )
    for section, specs in _sections(object_mapping):
        for target, spec in specs.items():
            location = [*base, section, target]
            for source in spec.source_fields:
                if source not in schema.fields:
                    continue
                source_type = schema.fields[source].type
                result, refused_by = output_type(spec, source_type)
                if refused_by is not None:
                    yield _problem(
                        mapping,
                        [*location, "transforms"],
                        f"transform {refused_by!r} does not accept {source}, a "
                        f"{source_type.value} field",
                    )
                elif section == "fields" and not _fits(target, result):
                    yield _problem(
                        mapping,
                        [*location, "from"],
                        f"type mismatch: {source} gives a {result.value}, which {target} cannot "
                        f"hold{' (add a date transform)' if target in DATE_TARGETS else ''}",
                    )


def _fits(target: str, result: FieldType) -> bool:
    if target in DATE_TARGETS:
        return result in _DATE_RESULTS
    return result in _TEXT_RESULTS


def _unknown(field: str, object_name: str, schema: ObjectSchema) -> str:
    return f"unknown source field {field!r}: {schema.system} {object_name} has no such field"
