"""The mapping file's schema: what RevOps write in `mappings/<system>.yaml`."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.yamlfile import ConfigError, load_yaml, validate_document
from identity.records import EntityKind, Role


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


class RoleRule(_Strict):
    """A role a record has when a condition on one of its source fields holds.

    `when: F` holds when F has a value (with `in`, a value among those listed, compared
    trimmed and case-insensitive); `unless: F` holds when F is empty. `since: F` keeps
    the date the role started, from F, as the attribute `<role>_since`.
    """

    role: Role
    when: str | None = None
    unless: str | None = None
    values: list[str] | None = Field(default=None, alias="in")
    since: str | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> RoleRule:
        if (self.when is None) == (self.unless is None):
            raise ValueError("a role rule needs exactly one of `when` or `unless`")
        if self.values is not None and self.when is None:
            raise ValueError("`in` goes with `when`")
        return self

    @property
    def source_fields(self) -> list[str]:
        return [f for f in (self.when, self.unless, self.since) if f]


class ObjectMapping(_Strict):
    entity: EntityKind
    roles: list[Role | RoleRule] = Field(default_factory=list)
    id_field: str
    modified_at_field: str | None = None
    deleted_field: str | None = None
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    attributes: dict[str, AttributeSpec] = Field(default_factory=dict)
    push: list[PushSpec] = Field(default_factory=list)

    @field_validator("fields", "attributes", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        """`given_name: FirstName` is shorthand for `given_name: {from: FirstName}`."""
        if isinstance(value, dict):
            return {k: {"from": v} if isinstance(v, str | list) else v for k, v in value.items()}
        return value

    def source_fields(self) -> list[str]:
        """Every source field this object reads, in first-use order."""
        names = [self.id_field, self.modified_at_field, self.deleted_field]
        for spec in [*self.fields.values(), *self.attributes.values()]:
            names.extend(spec.source_fields)
        for rule in self.roles:
            if isinstance(rule, RoleRule):
                names.extend(rule.source_fields)
        return list(dict.fromkeys(n for n in names if n))


class MappingFile(_Strict):
    system: str
    objects: dict[str, ObjectMapping]

    path: Path = Field(default=Path("mapping.yaml"), exclude=True)
    document: Any = Field(default=None, exclude=True, repr=False)

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
