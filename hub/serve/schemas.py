"""The shapes the API answers with, as pydantic models: they are the OpenAPI schema that
clients generate code from and that the schemathesis run checks every answer against."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.serve.neighbours import PROBE
from identity import OrganizationRecord, PersonRecord
from identity.records import Provenance


class SourceKey(BaseModel):
    system: str
    object: str
    id: str


class GoldenRelationship(BaseModel):
    """A relationship the golden record's members state, on golden ids: to another golden
    record, to the company itself (`to: company`, for partner_of and customer_of), or to
    a source record no resolve has placed yet (`record`)."""

    type: str = Field(description="works_at, contact_of, partner_of or customer_of")
    golden_id: str | None = None
    to: str | None = None
    record: str | None = None
    stated_by: list[str] = Field(description="The member records (system/object/id) stating it")


class GoldenRecord(BaseModel):
    """A golden record; fields as `{value, rule, provenance}` (a list of them for
    multi-valued fields), sensitive ones masked unless the token has `read:sensitive`."""

    golden_id: str
    requested_id: str = Field(description="The id asked for: an old id answers with its successor")
    merged: bool = Field(description="True when `requested_id` was merged into `golden_id`")
    entity_kind: Literal["person", "organization"]
    status: Literal["active", "merged", "retired"]
    roles: list[str]
    lifecycle_stage: str | None
    lifecycle: dict[str, Any]
    member_count: int
    fields: dict[str, Any]
    relationships: list[GoldenRelationship]


class SourceLookup(BaseModel):
    """The golden record a source record belongs to."""

    source: SourceKey
    golden: GoldenRecord


class Member(BaseModel):
    """A source record a golden record unifies: where it lives, when it last changed, and
    the golden fields whose surviving value it supplied."""

    source: SourceKey
    joined_run_id: int
    modified_at: str | None
    deleted: bool
    supplies: list[str]


class Members(BaseModel):
    golden_id: str
    members: list[Member]


class HistoryEvent(BaseModel):
    golden_id: str
    event: Literal["minted", "merged_into", "split_from", "retired"]
    other_id: str | None
    run_id: int
    at: str


class History(BaseModel):
    golden_id: str
    created_run_id: int
    updated_run_id: int
    events: list[HistoryEvent]


class SearchHit(BaseModel):
    golden: GoldenRecord
    matched: list[SourceKey] = Field(description="The member records holding the values")


class SearchResults(BaseModel):
    results: list[SearchHit]
    truncated: bool = Field(description="More golden records matched than `limit`")


class ReviewPair(BaseModel):
    left: str
    right: str
    entity_kind: Literal["person", "organization"]
    probability: float
    match_weight: float
    evidence: list[dict[str, Any]] = Field(description="[{comparison, level, weight}]")


class ReviewQueue(BaseModel):
    total: int
    pairs: list[ReviewPair]


RecordKeyText = Field(min_length=5, max_length=512, description="A record key system/object/id")


class PairDecision(BaseModel):
    """A steward's verdict on two records: the next resolve honours it."""

    model_config = ConfigDict(extra="forbid")

    left: str = RecordKeyText
    right: str = RecordKeyText
    verdict: Literal["match", "no_match"]
    note: str | None = Field(default=None, max_length=2000)


class PairDecided(BaseModel):
    left: str
    right: str
    decision: Literal["must_link", "cannot_link"]


class FieldOverride(BaseModel):
    """Pin a golden field to a value; survivorship never overrules it."""

    model_config = ConfigDict(extra="forbid")

    field: str = Field(min_length=1, max_length=64)
    value: Any
    note: str | None = Field(default=None, max_length=2000)


class FieldOverridden(BaseModel):
    golden_id: str
    field: str


class PersonProbe(PersonRecord):
    """A person as a sign-up form or a partner desk knows them, in canonical form."""

    provenance: Provenance = Field(default=PROBE, description="Optional: where it comes from")


class OrganizationProbe(OrganizationRecord):
    """An organization in canonical form."""

    provenance: Provenance = Field(default=PROBE, description="Optional: where it comes from")


class MatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record: Annotated[PersonProbe | OrganizationProbe, Field(discriminator="kind")]
    phone_region: str | None = Field(
        default=None,
        pattern="^[A-Z]{2}$",
        description="ISO country of phone numbers without a country code, e.g. ES",
    )
    limit: int = Field(default=10, ge=1, le=100, description="Golden records to answer with")


class FieldEvidence(BaseModel):
    comparison: str
    level: str
    weight: float


class PairScore(BaseModel):
    """How the record compares with one member of a golden record."""

    source: SourceKey
    decision: Literal["link", "review"]
    probability: float
    match_weight: float
    rule: str | None
    evidence: list[FieldEvidence]


class MatchCandidate(BaseModel):
    """A golden record the record would join (`link`) or be reviewed against (`review`):
    its best pair's score, and every member pair the model kept."""

    golden: GoldenRecord
    decision: Literal["link", "review"]
    probability: float
    match_weight: float
    pairs: list[PairScore]


class MatchResult(BaseModel):
    candidates: list[MatchCandidate]
    compared: int = Field(description="Stored records the record was scored against")
