"""Turns source records into canonical records, as a mapping file says.

A mapping is compiled once per object: its fields into one function written out for
the object (`hub.mapping.codegen`), the rest into plain closures, so mapping a record is
a few dictionary look-ups and function calls: the sync must never be bound by it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from connectors.base import FieldType, SourceRecord
from hub.mapping.canonical_json import CanonicalWriter
from hub.mapping.codegen import (
    Code,
    Extract,
    ListOfSources,
    OneSource,
    PlannedField,
    field_function,
    record_function,
)
from hub.mapping.document import BUILT_FIELDS, document_function
from hub.mapping.spec import (
    AttributeType,
    Condition,
    FieldSpec,
    ObjectMapping,
    RelationshipSpec,
    RoleRule,
)
from hub.mapping.transforms import (
    TRANSFORMS,
    InvalidValue,
    Transform,
    is_phone_region,
    parse_transform,
    phone_region_column,
    to_boolean,
    to_integer,
    to_number,
    with_phone_region,
)
from identity.records import (
    ADDRESS_FIELDS,
    LIST_FIELDS,
    RECORD_TYPES,
    EntityKind,
    Record,
    canonical_fields,
    role_since,
)

DATE_TARGETS = frozenset({"birth_date"})
MASKED = "<sensitive>"


class MappingError(ValueError):
    """A record that cannot be mapped; the message is the quarantine reason."""


class MappingDefinitionError(ValueError):
    """A mapping file that cannot be compiled (unknown target or transform, bad arguments)."""

    def __init__(self, location: Sequence[Any], reason: str) -> None:
        super().__init__(reason)
        self.location = tuple(location)


@dataclass(frozen=True)
class CompiledField:
    """A field ready to map: `extract` reads its value from a record's fields; a field of
    one source, or a list field of several (`code`), is written out in the object's
    function instead."""

    target: str
    sources: tuple[str, ...]
    extract: Extract
    drop_invalid: bool
    sensitive: bool = False
    code: Code | None = None


@dataclass(frozen=True)
class CompiledRole:
    """A role rule ready to test a record's fields; `since` names the attribute it fills."""

    role: str
    holds: Callable[[Mapping[str, Any]], bool]
    since_field: str | None

    @property
    def since(self) -> str:
        return role_since(self.role)


def compile_condition(condition: Condition) -> Callable[[Mapping[str, Any]], bool]:
    """A condition as a test of a record's fields; no condition always holds."""
    if condition.unless is not None:
        absent = condition.unless
        return lambda f: _is_empty(f.get(absent))
    if condition.when is None:
        return lambda f: True
    present = condition.when
    if condition.values is None:
        return lambda f: not _is_empty(f.get(present))
    accepted = frozenset(v.strip().casefold() for v in condition.values)

    def holds(fields: Mapping[str, Any]) -> bool:
        value = fields.get(present)
        return not _is_empty(value) and str(value).strip().casefold() in accepted

    return holds


def compile_role(rule: RoleRule) -> CompiledRole:
    return CompiledRole(rule.role.value, compile_condition(rule), rule.since)


@dataclass(frozen=True)
class CompiledRelationship:
    type: str
    holds: Callable[[Mapping[str, Any]], bool]
    target_object: str | None
    target_field: str | None

    def stated(self, fields: Mapping[str, Any]) -> list[dict[str, str]]:
        """The relationships a record's fields state: none (condition false, no target),
        or one per target id in the `from` field (a list holds several, HubSpot's
        associated companies)."""
        if not self.holds(fields):
            return []
        if self.target_field is None:
            return [{"type": self.type}]
        value = fields.get(self.target_field)
        targets = value if isinstance(value, list | tuple) else [value]
        ids = dict.fromkeys(str(t) for t in targets if not _is_empty(t))
        return [
            {"type": self.type, "object": str(self.target_object), "record_id": target}
            for target in ids
        ]


def compile_relationship(spec: RelationshipSpec) -> CompiledRelationship:
    return CompiledRelationship(spec.type.value, compile_condition(spec), spec.to, spec.source)


def target_names(kind: EntityKind) -> set[str]:
    """Every canonical target a mapping may name for an entity kind."""
    return {*canonical_fields(kind), "roles", *(f"address.{part}" for part in ADDRESS_FIELDS)}


def _is_empty(value: Any) -> bool:
    """None, or text that is blank: checked without building a stripped copy."""
    return value is None or (isinstance(value, str) and (not value or value.isspace()))


def _chain(transforms: Sequence[Transform]) -> Callable[[Any], Any] | None:
    """Apply transforms in order; a list (after `split`) is transformed element-wise.

    None for no transforms, so the caller skips the call (a single source field's
    written-out code takes one transform on one value, the common case, without it).
    """
    if not transforms:
        return None

    def run(value: Any) -> Any:
        for transform in transforms:
            if isinstance(value, list):
                value = [out for item in value if not _is_empty(out := transform(item))]
                if not value:
                    return None
            else:
                value = transform(value)
                if _is_empty(value):
                    return None
        return value

    return run


def build_transforms(
    spec: FieldSpec, location: Sequence[Any]
) -> tuple[Callable[[Sequence[Any]], Any] | None, list[Transform]]:
    """Compile a spec's transforms: an optional combiner first, then the per-value chain."""
    combine = None
    chain: list[Transform] = []
    for index, raw in enumerate(spec.transforms):
        where = [*location, "transforms", index]
        try:
            name, args = parse_transform(raw)
        except ValueError as error:
            raise MappingDefinitionError(where, str(error)) from error
        kind = TRANSFORMS.get(name)
        if kind is None:
            raise MappingDefinitionError(
                where, f"unknown transform {name!r}; known: {', '.join(sorted(TRANSFORMS))}"
            )
        try:
            built = kind.build(args)
        except (ValueError, KeyError, TypeError) as error:
            raise MappingDefinitionError(where, f"bad arguments for {name!r}: {error}") from error
        if kind.combines:
            if index != 0 or len(spec.source_fields) < 2:
                raise MappingDefinitionError(
                    where, f"{name!r} combines several `from` fields and must come first"
                )
            combine = built
        else:
            chain.append(built)
    return combine, chain


_ATTRIBUTE_CONVERTERS: dict[AttributeType, Transform] = {
    AttributeType.STRING: lambda v: v if isinstance(v, str) else str(v),
    AttributeType.INTEGER: to_integer,
    AttributeType.NUMBER: to_number,
    AttributeType.BOOLEAN: to_boolean,
    AttributeType.DATE: lambda v: v if isinstance(v, date) else date.fromisoformat(str(v)[:10]),
}


def compile_field(
    target: str,
    spec: FieldSpec,
    location: Sequence[Any],
    *,
    is_list: bool,
    convert: Transform | None = None,
) -> CompiledField:
    if spec.const is not None and spec.source is not None:
        raise MappingDefinitionError(location, "give either `from` or `const`, not both")
    if spec.const is None and spec.source is None:
        raise MappingDefinitionError(location, "needs `from` (source fields) or `const`")
    region_column = next(filter(None, map(phone_region_column, spec.transforms)), None)
    if region_column is not None:
        return _per_region(target, spec, location, region_column, is_list=is_list, convert=convert)
    combine, chain = build_transforms(spec, location)
    if convert is not None:
        chain.append(_checked(convert))
    run = _chain(chain) or _unchanged
    sources = tuple(spec.source_fields)

    drop = spec.on_invalid == "drop"
    if spec.const is not None:
        constant = run(spec.const)
        return CompiledField(target, (), lambda _: constant, drop, spec.sensitive)

    if len(sources) == 1:
        code = OneSource(sources[0], tuple(chain), _chain(chain), is_list)
        return CompiledField(target, sources, field_function(code), drop, spec.sensitive, code)
    if is_list:  # every source's values, each transformed (a combiner is not called)
        several = ListOfSources(sources, tuple(chain), _chain(chain))
        return CompiledField(
            target, sources, field_function(several), drop, spec.sensitive, several
        )

    def extract(fields: Mapping[str, Any]) -> Any:
        values = [v for s in sources if not _is_empty(v := fields.get(s))]
        if not values:
            return None
        if combine is not None:
            return run(combine(values))
        return run(values[0])

    return CompiledField(target, sources, extract, drop, spec.sensitive)


def _per_region(
    target: str,
    spec: FieldSpec,
    location: Sequence[Any],
    region_column: str,
    *,
    is_list: bool,
    convert: Transform | None,
) -> CompiledField:
    """A phone field whose region comes from another column of the record: the field
    compiled once per region met (a country column holds a handful of values)."""

    def compiled_for(region: str) -> CompiledField:
        transforms = [with_phone_region(t, region) for t in spec.transforms]
        fixed = spec.model_copy(update={"transforms": transforms})
        return compile_field(target, fixed, location, is_list=is_list, convert=convert)

    default = compiled_for("")
    by_region: dict[str, CompiledField] = {}

    def extract(fields: Mapping[str, Any]) -> Any:
        region = fields.get(region_column)
        if not isinstance(region, str) or not region.strip():
            return default.extract(fields)
        key = region.strip().upper()
        if not is_phone_region(key):
            return default.extract(fields)
        if key not in by_region:
            by_region[key] = compiled_for(key)
        return by_region[key].extract(fields)

    sources = (*default.sources, region_column)
    return CompiledField(target, sources, extract, spec.on_invalid == "drop")


def _unchanged(value: Any) -> Any:
    return value


def _checked(convert: Transform) -> Transform:
    def run(value: Any) -> Any:
        try:
            return convert(value)
        except (ValueError, TypeError) as error:
            raise InvalidValue(str(error)) from error

    return run


class ObjectMapper:
    """A compiled mapping for one object: `map(record)` -> canonical record or MappingError."""

    def __init__(self, system: str, object_name: str, mapping: ObjectMapping) -> None:
        self.system = system
        self.object = object_name
        self.mapping = mapping
        self.kind = mapping.entity
        self.dropped: dict[str, int] = {}  # values `on_invalid: drop` left out, per field
        self.record_type = RECORD_TYPES[self.kind]
        known = target_names(self.kind)
        self.fields: list[CompiledField] = []
        for target, spec in mapping.fields.items():
            location = ("objects", object_name, "fields", target)
            if target not in known:
                raise MappingDefinitionError(
                    location, f"unknown canonical field for a {self.kind.value}"
                )
            self.fields.append(
                compile_field(target, spec, location, is_list=target in LIST_FIELDS | {"roles"})
            )
        self.attributes = [
            compile_field(
                name,
                spec,
                ("objects", object_name, "attributes", name),
                is_list=False,
                convert=_ATTRIBUTE_CONVERTERS[spec.type],
            )
            for name, spec in mapping.attributes.items()
        ]
        self.sensitive = frozenset(
            [
                *(f.target for f in self.fields if f.sensitive),
                *(f"attributes.{a.target}" for a in self.attributes if a.sensitive),
            ]
        )
        self.sensitive_sources = frozenset(
            source for f in [*self.fields, *self.attributes] if f.sensitive for source in f.sources
        )
        pushable = known | {"golden_id"}
        for index, push in enumerate(mapping.push):
            where = ("objects", object_name, "push", index, "field")
            if push.field not in pushable:
                raise MappingDefinitionError(
                    where, f"{push.field!r} is not a golden field (golden_id or a canonical field)"
                )
            if push.field in self.sensitive:
                raise MappingDefinitionError(where, f"{push.field!r} is sensitive: never pushed")
        self.constant_roles = [
            role.value for role in mapping.roles if not isinstance(role, RoleRule)
        ]
        self.role_rules = [compile_role(r) for r in mapping.roles if isinstance(r, RoleRule)]
        self.relationships = [compile_relationship(r) for r in mapping.relationships]
        # An address's parts in the model's order, where the mapping lists them in another
        # (HubSpot's state before its zip): the canonical writer leaves any other order
        # to the model, as its JSON is in the model's.
        mapped = [f.target[8:] for f in self.fields if f.target.startswith("address.")]
        in_order = tuple(part for part in ADDRESS_FIELDS if part in mapped)
        self._address_parts = None if tuple(mapped) == in_order else in_order
        plan = [
            *(_planned(f, attribute=False) for f in self.fields),
            *(_planned(a, attribute=True) for a in self.attributes),
        ]
        self._fields_of = record_function(plan)
        writer = CanonicalWriter(
            self.record_type, {*(f.target for f in self.fields), *BUILT_FIELDS}
        )
        self._document_of = document_function(plan, writer)

    def take_dropped(self) -> dict[str, int]:
        """The values dropped since the last call, per canonical field, and start again."""
        dropped, self.dropped = self.dropped, {}
        return dropped

    def map_json(self, record: SourceRecord) -> str:
        """The canonical record as the JSON the store keeps (unset fields left out, and
        `relationships` when the record states none): written straight from the mapped
        values when the model would hold them as they are, else through the model."""
        written = self._document_of(self, record.fields, record)
        if isinstance(written, str):
            return written
        canonical = self._validated(written)
        unstated = None if canonical.relationships else {"relationships"}
        return canonical.model_dump_json(exclude_none=True, exclude=unstated)

    def map(self, record: SourceRecord) -> Record:
        return self._validated(self._values(record))

    def _values(self, record: SourceRecord) -> dict[str, Any]:
        """The record's canonical values, as the model takes them; a MappingError names
        every field that cannot be mapped."""
        values, address, attributes, problems = self._fields_of(self, record.fields)
        built = self.built(record, values.pop("roles", None), address, attributes, problems)
        values.update(zip(BUILT_FIELDS, built, strict=True))
        return values

    def built(
        self,
        record: SourceRecord,
        roles: list[str] | None,
        address: dict[str, Any],
        attributes: dict[str, Any],
        problems: list[str],
    ) -> tuple[
        list[str], list[dict[str, Any]], dict[str, Any], list[dict[str, str]], dict[str, Any]
    ]:
        """The values the mapper builds beside the mapped fields (`BUILT_FIELDS`, in that
        order), from the mapped `roles`, `address` and `attributes` and the `problems` met;
        a MappingError names every field that cannot be mapped."""
        fields = record.fields
        # every bad field is in `problems`, so fixing one does not reveal the next
        roles = list(dict.fromkeys([*self.constant_roles, *(roles or ())]))
        for rule in self.role_rules:
            if not rule.holds(fields):
                continue
            if rule.role not in roles:
                roles.append(rule.role)
            if rule.since_field is not None and not _is_empty(
                since := fields.get(rule.since_field)
            ):
                try:
                    attributes[rule.since] = _role_date(rule, since)
                except MappingError as error:
                    problems.append(str(error))
        if problems:
            raise MappingError("; ".join(problems))
        provenance: dict[str, Any] = {
            "system": self.system,
            "object": self.object,
            "record_id": record.id,
        }
        if record.modified_at is not None:
            provenance["modified_at"] = record.modified_at
        relationships = [
            stated for compiled in self.relationships for stated in compiled.stated(fields)
        ]
        if address and self._address_parts is not None:
            address = {part: address[part] for part in self._address_parts if part in address}
        return roles, [address] if address else [], attributes, relationships, provenance

    def _validated(self, values: dict[str, Any]) -> Record:
        try:
            return self.record_type.model_validate(values)
        except ValidationError as error:
            raise MappingError(
                "; ".join(
                    f"{'.'.join(str(p) for p in problem['loc'])}: {problem['msg']}"
                    for problem in error.errors()
                )
            ) from None


def _planned(compiled: CompiledField, *, attribute: bool) -> PlannedField:
    """Where a compiled field's value goes, and what its bad value says."""
    if compiled.target.startswith("address."):
        into, name = "address", compiled.target.removeprefix("address.")
    else:
        into, name = ("attributes" if attribute else "values"), compiled.target
    origin = ", ".join(compiled.sources) or "const"
    problem = f"{compiled.target} (from {origin}): "
    return PlannedField(
        compiled.code or compiled.extract,
        into,
        name,
        compiled.target,
        compiled.drop_invalid,
        problem + f"invalid value {MASKED}" if compiled.sensitive else problem,
        not compiled.sensitive,
    )


def _role_date(rule: CompiledRole, value: Any) -> date:
    try:
        return _ATTRIBUTE_CONVERTERS[AttributeType.DATE](value)  # type: ignore[no-any-return]
    except ValueError:
        raise MappingError(f"roles ({rule.role} since {rule.since_field}): not a date") from None


def output_type(spec: FieldSpec, source_type: FieldType) -> tuple[FieldType, str | None]:
    """The type a chain produces from a source type, or the first transform that refuses it."""
    current = source_type
    for raw in spec.transforms:
        name, _ = parse_transform(raw)
        kind = TRANSFORMS[name]
        if current not in kind.accepts:
            return current, name
        current = kind.produces or current
    return current, None
