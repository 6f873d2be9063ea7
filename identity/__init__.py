"""Relhub identity resolution: canonical records in, golden records out.

What the hub may use of the engine is exported here; everything else in the package is
the engine's own. Pure, no I/O.
"""

from identity.blocking import pairs_within_groups
from identity.engine import (
    KINDS,
    BatchIndex,
    RecordIndex,
    ResolutionResult,
    SkipStoredBlocks,
    index_records,
    resolve_batch,
    score_pairs,
)
from identity.evidence import Link, LinkList
from identity.features import NormalizedRecord, feature_layout
from identity.golden_ids import GoldenIdAssignment, assign_golden_ids, current_id, mint_golden_id
from identity.phones import PhoneError, to_e164
from identity.probe import index_probe
from identity.record_views import RecordView, record_view
from identity.records import (
    ADDRESS_FIELDS,
    LIST_FIELDS,
    RECORD_TYPES,
    Address,
    CanonicalRecord,
    EntityKind,
    OrganizationRecord,
    PersonRecord,
    Provenance,
    Record,
    Relationship,
    RelationshipType,
    Role,
    canonical_fields,
    record_key,
    record_key_parts,
    role_since,
)
from identity.scoring import STORED_FORM, FittedModel
from identity.settings import ResolutionSettings, StewardConstraints
from identity.survivorship import GoldenField, GoldenValues, SurvivorshipSettings, survive

__all__ = [
    "ADDRESS_FIELDS",
    "KINDS",
    "LIST_FIELDS",
    "RECORD_TYPES",
    "STORED_FORM",
    "Address",
    "BatchIndex",
    "CanonicalRecord",
    "EntityKind",
    "FittedModel",
    "GoldenField",
    "GoldenIdAssignment",
    "GoldenValues",
    "Link",
    "LinkList",
    "NormalizedRecord",
    "OrganizationRecord",
    "PersonRecord",
    "PhoneError",
    "Provenance",
    "Record",
    "RecordIndex",
    "RecordView",
    "Relationship",
    "RelationshipType",
    "ResolutionResult",
    "ResolutionSettings",
    "Role",
    "SkipStoredBlocks",
    "StewardConstraints",
    "SurvivorshipSettings",
    "assign_golden_ids",
    "canonical_fields",
    "current_id",
    "feature_layout",
    "index_probe",
    "index_records",
    "mint_golden_id",
    "pairs_within_groups",
    "record_key",
    "record_key_parts",
    "record_view",
    "resolve_batch",
    "role_since",
    "score_pairs",
    "survive",
    "to_e164",
]
