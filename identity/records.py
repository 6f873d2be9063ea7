"""Canonical record types: the one shape every source record is mapped onto.

Identity resolution only ever sees these models, never a source system's fields, so
the engine stays independent of connectors and mapping files.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class EntityKind(StrEnum):
    PERSON = "person"
    ORGANIZATION = "organization"


class Role(StrEnum):
    """What a record says about the relationship with the company."""

    VISITOR = "visitor"
    LEAD = "lead"
    CUSTOMER = "customer"
    PARTNER = "partner"
    PARTNER_CONTACT = "partner_contact"
    EMPLOYEE = "employee"
    FORMER_EMPLOYEE = "former_employee"
    VENDOR = "vendor"


def role_since(role: str) -> str:
    """The attribute holding the date a record's role began (a mapping's `since:`), and
    the golden field that carries it."""
    return f"{role}_since"


class RelationshipType(StrEnum):
    """How a record stands to another: a person works at, or is a contact of, an
    organization; an organization is a partner, or a customer, of the company itself."""

    WORKS_AT = "works_at"
    CONTACT_OF = "contact_of"
    PARTNER_OF = "partner_of"
    CUSTOMER_OF = "customer_of"

    @property
    def to_company(self) -> bool:
        return self in (RelationshipType.PARTNER_OF, RelationshipType.CUSTOMER_OF)


class LifecycleStage(StrEnum):
    """The lead-to-customer ladder; declaration order is the ladder's order."""

    VISITOR = "visitor"
    LEAD = "lead"
    OPPORTUNITY = "opportunity"
    CUSTOMER = "customer"

    @property
    def rank(self) -> int:
        return list(LifecycleStage).index(self)


class Address(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    street: str | None = None
    city: str | None = None
    postcode: str | None = None
    region: str | None = None
    country: str | None = None

    def is_empty(self) -> bool:
        return not any((self.street, self.city, self.postcode, self.region, self.country))


def record_key(system: str, object_name: str, record_id: str) -> str:
    """The key a source record goes by in the engine's results, steward decisions and the
    store's identity tables: `system/object/id` (the id may itself hold slashes)."""
    return f"{system}/{object_name}/{record_id}"


def record_key_parts(key: str) -> tuple[str, str, str]:
    """`system/object/id` -> its parts; a `ValueError` for a text that is no record key."""
    parts = key.split("/", 2)
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"record key {key!r} is not system/object/id")
    return parts[0], parts[1], parts[2]


class Provenance(BaseModel):
    """Where a canonical record (or a golden field) came from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str
    object: str
    record_id: str
    modified_at: datetime | None = None

    @property
    def key(self) -> str:
        """The source record's `record_key`."""
        return record_key(self.system, self.object, self.record_id)


class Relationship(BaseModel):
    """A relationship a source record states: to another record of its own system
    (`object`, `record_id`), or, for a relationship to the company, to no record."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: RelationshipType
    object: str | None = None
    record_id: str | None = None


class _CanonicalRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    emails: list[str] = Field(default_factory=list)
    phones: list[str] = Field(default_factory=list)
    addresses: list[Address] = Field(default_factory=list)
    roles: list[Role] = Field(default_factory=list)
    lifecycle_stage: LifecycleStage | None = None
    attributes: dict[str, Any] = Field(default_factory=dict)
    relationships: list[Relationship] = Field(default_factory=list)
    provenance: Provenance


class PersonRecord(_CanonicalRecord):
    kind: Literal["person"] = "person"
    given_name: str | None = None
    preferred_name: str | None = Field(
        default=None,
        description="The given name the person goes by beside the legal one (an HR "
        "system's preferred name): matched as a given name.",
    )
    middle_name: str | None = None
    family_name: str | None = None
    full_name: str | None = None
    birth_date: date | None = None
    national_id: str | None = None
    job_title: str | None = None
    organization_ref: str | None = Field(
        default=None, description="Source id of the organization record, in the same system."
    )
    organization_name: str | None = None


class OrganizationRecord(_CanonicalRecord):
    kind: Literal["organization"] = "organization"
    name: str | None = None
    legal_name: str | None = None
    domains: list[str] = Field(default_factory=list)
    tax_id: str | None = None
    industry: str | None = None


Record = PersonRecord | OrganizationRecord
CanonicalRecord = Annotated[Record, Field(discriminator="kind")]

RECORD_TYPES: dict[EntityKind, type[PersonRecord] | type[OrganizationRecord]] = {
    EntityKind.PERSON: PersonRecord,
    EntityKind.ORGANIZATION: OrganizationRecord,
}

ADDRESS_FIELDS: tuple[str, ...] = tuple(Address.model_fields)
LIST_FIELDS: frozenset[str] = frozenset({"emails", "phones", "domains"})


def canonical_fields(kind: EntityKind) -> dict[str, Any]:
    """The mappable field names of an entity kind and their pydantic field info."""
    skipped = {"kind", "provenance", "attributes", "addresses", "roles", "relationships"}
    return {n: f for n, f in RECORD_TYPES[kind].model_fields.items() if n not in skipped}
