"""The mapping file's schema: what RevOps write in `mappings/<system>.yaml`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.yamlfile import ConfigError, load_yaml, validate_document
from identity.records import EntityKind, RelationshipType, Role


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class FieldSpec(_Strict):
    """Where a canonical field comes from: one or more source fields, or a constant."""

    source: str | list[str] | None = Field(default=None, alias="from")
    const: Any = None
    transforms: list[str | dict[str, Any]] = Field(default_factory=list)
    on_invalid: str = Field(default="quarantine", pattern="^(quarantine|drop)$")
    sensitive: bool = Field(
        default=False,
        description="Kept for matching; never pushed, and masked in logs, exports and the API.",
    )

    @property
    def source_fields(self) -> list[str]:
        if self.source is None:
            return []
        return [self.source] if isinstance(self.source, str) else list(self.source)


class AttributeType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"


class AttributeSpec(FieldSpec):
    type: AttributeType = AttributeType.STRING


class PushMode(StrEnum):
    ALWAYS = "always"
    ONLY_IF_EMPTY = "only_if_empty"
    NEVER = "never"


class PushSpec(_Strict):
    """A golden field written back to a source field (used by the push-back step)."""

    field: str
    to: str
    mode: PushMode = PushMode.ALWAYS


class Condition(_Strict):
    """A test on one of a record's source fields.

    `when: F` holds when F has a value (with `in`, a value among those listed, compared
    trimmed and case-insensitive); `unless: F` holds when F is empty.
    """

    when: str | None = None
    unless: str | None = None
    values: list[str] | None = Field(default=None, alias="in")

    @model_validator(mode="after")
    def _at_most_one(self) -> Condition:
        if self.when is not None and self.unless is not None:
            raise ValueError("give `when` or `unless`, not both")
        if self.values is not None and self.when is None:
            raise ValueError("`in` goes with `when`")
        return self

    @property
    def source_fields(self) -> list[str]:
        return [f for f in (self.when, self.unless) if f]


class RoleRule(Condition):
    """A role a record has when its condition holds (a rule needs one). `since: F` keeps
    the date the role started, from F, as the attribute `<role>_since`."""

    role: Role
    since: str | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> RoleRule:
        if self.when is None and self.unless is None:
            raise ValueError("a role rule needs exactly one of `when` or `unless`")
        return self

    @property
    def source_fields(self) -> list[str]:
        return [*super().source_fields, *([self.since] if self.since else [])]


class RelationshipSpec(Condition):
    """A relationship every record of the object states (when its condition holds, if it
    has one): `works_at` / `contact_of` an organization record of the same system, whose
    id is in the source field `from` and whose object is `to`; `partner_of` /
    `customer_of` the company itself, with neither."""

    type: RelationshipType
    to: str | None = None
    source: str | None = Field(default=None, alias="from")

    @model_validator(mode="after")
    def _target(self) -> RelationshipSpec:
        if self.type.to_company and (self.to or self.source):
            raise ValueError(f"{self.type} is a relationship to the company: no `to` or `from`")
        if not self.type.to_company and not (self.to and self.source):
            raise ValueError(f"{self.type} needs `to` (an organization object) and `from`")
        return self

    @property
    def source_fields(self) -> list[str]:
        return [*super().source_fields, *([self.source] if self.source else [])]


class ObjectMapping(_Strict):
    entity: EntityKind
    roles: list[Role | RoleRule] = Field(default_factory=list)
    id_field: str
    modified_at_field: str | None = None
    deleted_field: str | None = None
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    attributes: dict[str, AttributeSpec] = Field(default_factory=dict)
    push: list[PushSpec] = Field(default_factory=list)
    relationships: list[RelationshipSpec] = Field(default_factory=list)

    @field_validator("fields", "attributes", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """`given_name: FirstName` is shorthand for `given_name: {from: FirstName}`."""
        if isinstance(value, dict):
            return {k: {"from": v} if isinstance(v, str | list) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _relationships_fit_the_entity(self) -> ObjectMapping:
        """A person works at or is a contact of an organization; an organization is a
        partner or a customer of the company."""
        for index, relationship in enumerate(self.relationships):
            stated_by = (
                EntityKind.ORGANIZATION if relationship.type.to_company else EntityKind.PERSON
            )
            if self.entity is not stated_by:
                raise ValueError(
                    f"relationships[{index}]: {relationship.type} is stated by {stated_by} "
                    f"objects, and this one holds {self.entity} records"
                )
        return self

    def source_fields(self) -> list[str]:
        """Every source field this object reads, in first-use order."""
        names = [self.id_field, self.modified_at_field, self.deleted_field]
        for spec in [*self.fields.values(), *self.attributes.values()]:
            names.extend(spec.source_fields)
        for rule in self.roles:
            if isinstance(rule, RoleRule):
                names.extend(rule.source_fields)
        for relationship in self.relationships:
            names.extend(relationship.source_fields)
        return list(dict.fromkeys(n for n in names if n))


class MappingFile(_Strict):
    system: str
    objects: dict[str, ObjectMapping]

    path: Path = Field(default=Path("mapping.yaml"), exclude=True)
    document: Any = Field(default=None, exclude=True, repr=False)

    @model_validator(mode="after")
    def _relationship_targets(self) -> MappingFile:
        """A person's relationship names an organization object of this file."""
        for name, mapping in self.objects.items():
            for index, relationship in enumerate(mapping.relationships):
                target = self.objects.get(relationship.to or "")
                if relationship.to and (
                    target is None or target.entity is not EntityKind.ORGANIZATION
                ):
                    raise ValueError(
                        f"objects.{name}.relationships[{index}].to: {relationship.to!r} is not "
                        "an organization object of this file"
                    )
        return self

    def object(self, name: str) -> ObjectMapping:
        try:
            return self.objects[name]
        except KeyError:
            raise ConfigError(
                self.path, None, "objects", f"no mapping for object {name!r}"
            ) from None


def load_mapping(path: Path) -> MappingFile:
    document = load_yaml(path)
    if not isinstance(document, dict):
        raise ConfigError(path, 1, "", "expected a mapping with `system` and `objects`")
    mapping = validate_document(MappingFile, document, path)
    return mapping.model_copy(update={"path": path, "document": document})
