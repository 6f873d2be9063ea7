"""Survivorship: which member value each golden field takes, and where it came from.

Per field a rule picks one candidate among the members' non-empty values; a steward
override always wins. Multi-valued fields keep every distinct value with a primary;
roles are the union, and a role whose members say when it began (`former_employee_since`,
from a termination date) keeps the latest such date as a field; the lifecycle stage is the
most advanced any member reports, with the time each stage was first seen. Every chosen
value carries its provenance.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import cache
from operator import attrgetter
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from identity import normalize as nz
from identity.records import (
    LIST_FIELDS,
    LifecycleStage,
    Provenance,
    Record,
    Role,
    role_since,
)

STEWARD_SYSTEM = "steward"
_STEWARD = Provenance(system=STEWARD_SYSTEM, object="override", record_id="steward")
LATEST_DATE = "latest_date"  # the rule a role's date survives by
_SKIPPED = {"kind", "provenance", "attributes", "roles", "lifecycle_stage", "relationships"}
# The keys distinct values fold by: phones by the key they are matched on (their last nine
# digits), since parsing each to E.164 cost a full hub resolve ~90 µs per member phone.
_MULTI_KEYS: dict[str, Callable[[str], str]] = {
    "emails": nz.email_key,
    "phones": nz.phone_match_key,
    "domains": nz.domain_key,
}


class SurvivorshipRule(StrEnum):
    SOURCE_PRIORITY = "source_priority"
    MOST_RECENT = "most_recent"
    MOST_FREQUENT = "most_frequent"
    MOST_COMPLETE = "most_complete"
    EARLIEST = "earliest"


class SurvivorshipSettings(BaseModel):
    """The `survivorship:` part of the resolution settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: SurvivorshipRule = SurvivorshipRule.MOST_RECENT
    fields: dict[str, SurvivorshipRule] = Field(default_factory=dict)
    source_priority: list[str] = Field(default_factory=list, description="Systems, best first.")


class GoldenField(NamedTuple):
    """A survived value, where it came from and the rule that chose it (a tuple: a golden
    record makes one per field, and a frozen dataclass took three times as long to make)."""

    value: Any
    provenance: Provenance
    rule: str


@dataclass
class GoldenValues:
    kind: str
    fields: dict[str, GoldenField] = field(default_factory=dict)
    multi: dict[str, list[GoldenField]] = field(default_factory=dict)  # primary first
    roles: list[Role] = field(default_factory=list)
    lifecycle_stage: LifecycleStage | None = None
    lifecycle_first_seen: dict[LifecycleStage, datetime | None] = field(default_factory=dict)


def _completeness(value: Any) -> int:
    if isinstance(value, BaseModel):
        return sum(1 for v in value.model_dump().values() if v)
    return len(str(value).strip())


def _frequency_key(value: Any) -> Any:
    return nz.fold(value) if isinstance(value, str) else value


def _recency(provenance: Provenance) -> tuple[float, str]:
    """Newest first when maximal; a record with no time is the oldest; then record id."""
    seen = provenance.modified_at
    return (seen.timestamp() if seen else float("-inf"), provenance.record_id)


def _earliness(provenance: Provenance) -> tuple[float, str]:
    """Oldest first when minimal; a record with no time is the newest; then record id."""
    seen = provenance.modified_at
    return (seen.timestamp() if seen else float("inf"), provenance.record_id)


class _Preference:
    """The members best first under each rule that ranks members, not values (most
    recent, earliest, source priority): sorted once per golden record instead of once per
    field, the costliest part of surviving one. Equal members keep their order, so the
    first is the one `max` (or `min`) of the rule's key would take."""

    def __init__(self, members: Sequence[Record], priority: Sequence[str]) -> None:
        self.members = members
        self.priority = priority
        self._orders: dict[SurvivorshipRule, Sequence[Record]] = {}

    def order(self, rule: SurvivorshipRule) -> Sequence[Record]:
        if len(self.members) == 1:
            return self.members
        if rule not in self._orders:
            self._orders[rule] = self._sorted(rule)
        return self._orders[rule]

    def _sorted(self, rule: SurvivorshipRule) -> list[Record]:
        if rule is SurvivorshipRule.EARLIEST:
            return sorted(self.members, key=lambda m: _earliness(m.provenance))
        if rule is SurvivorshipRule.SOURCE_PRIORITY:
            priority = self.priority

            def rank(system: str) -> int:
                return priority.index(system) if system in priority else len(priority)

            return sorted(
                self.members,
                key=lambda m: (-rank(m.provenance.system), _recency(m.provenance)),
                reverse=True,
            )
        return sorted(self.members, key=lambda m: _recency(m.provenance), reverse=True)


_BY_VALUE = frozenset({SurvivorshipRule.MOST_FREQUENT, SurvivorshipRule.MOST_COMPLETE})


def _pick_by_value(
    candidates: list[tuple[Any, Provenance]], rule: SurvivorshipRule
) -> tuple[Any, Provenance]:
    """The winning (value, provenance) under a rule that ranks values; ties fall back to
    recency, then record id."""
    if len(candidates) == 1:
        return candidates[0]
    if rule is SurvivorshipRule.MOST_FREQUENT:
        counts = Counter(_frequency_key(v) for v, _ in candidates)
        return max(candidates, key=lambda c: (counts[_frequency_key(c[0])], _recency(c[1])))
    return max(candidates, key=lambda c: (_completeness(c[0]), _recency(c[1])))


class _FieldPlan(NamedTuple):
    name: str
    rule: SurvivorshipRule
    by_value: bool  # the rule ranks values, not members
    # A multi-valued field's reader of a member's non-empty values (the golden field keeps
    # every distinct one, the rule's pick first); None for a single-valued field.
    values: Callable[[Record], list[Any]] | None
    key: Callable[[Any], Any]  # the key a multi-valued field's values fold by


@cache
def _field_plans(
    model: type[Record], default: SurvivorshipRule, rules: tuple[tuple[str, SurvivorshipRule], ...]
) -> tuple[_FieldPlan, ...]:
    """The fields survivorship picks values for, each with its rule, per record class and
    rules: worked out once, not for every field of every golden record (pydantic's
    `model_fields` alone costs ~15 µs a read)."""
    by_name = dict(rules)
    plans = []
    for name in model.model_fields:
        if name not in _SKIPPED:
            rule = by_name.get(name, default)
            key = _MULTI_KEYS.get(name, _itself)
            plans.append(_FieldPlan(name, rule, rule in _BY_VALUE, _reader(name), key))
    return tuple(plans)


def _reader(name: str) -> Callable[[Record], list[Any]] | None:
    """A multi-valued field's reader of a member's non-empty values; None for another field."""
    if name == "addresses":
        return _addresses
    if name not in LIST_FIELDS:
        return None
    read = attrgetter(name)
    return lambda member: [value for value in read(member) if value]


def _addresses(member: Record) -> list[Any]:
    return [address for address in member.addresses if not address.is_empty()]


def _itself(value: Any) -> Any:
    return value


def survive(
    members: Sequence[Record],
    settings: SurvivorshipSettings | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> GoldenValues:
    """Golden field values of one cluster from its member canonical records."""
    if not members:
        raise ValueError("a golden record needs at least one member")
    settings = settings or SurvivorshipSettings()
    overrides = overrides or {}
    golden = GoldenValues(kind=members[0].kind)
    preference = _Preference(members, settings.source_priority)
    plans = _field_plans(type(members[0]), settings.default, tuple(settings.fields.items()))
    for name, rule, by_value, values, key in plans:
        if name in overrides:
            golden.fields[name] = GoldenField(overrides[name], _STEWARD, "steward_override")
        elif values is not None:
            golden.multi[name] = _multi_valued(members, rule, values, key, preference)
        elif by_value:
            candidates = [
                (getattr(m, name), m.provenance)
                for m in members
                if getattr(m, name) not in (None, "")
            ]
            if candidates:
                value, provenance = _pick_by_value(candidates, rule)
                golden.fields[name] = GoldenField(value, provenance, rule)
        else:
            for member in preference.order(rule):
                value = getattr(member, name)
                if value not in (None, ""):
                    golden.fields[name] = GoldenField(value, member.provenance, rule)
                    break
    golden.roles = sorted({role for m in members for role in m.roles})
    _role_dates(golden, members)
    _lifecycle(golden, members)
    return golden


def _role_dates(golden: GoldenValues, members: Sequence[Record]) -> None:
    """When each golden role began, as its members' `<role>_since` attributes say: the
    latest date (a person who left twice left last on the later one)."""
    for role in golden.roles:
        name = role_since(role)
        candidates = [
            (str(m.attributes[name]), m.provenance) for m in members if m.attributes.get(name)
        ]
        if candidates:
            value, provenance = max(candidates, key=lambda c: (c[0], c[1].record_id))
            golden.fields[name] = GoldenField(value, provenance, LATEST_DATE)


def _multi_valued(
    members: Sequence[Record],
    rule: SurvivorshipRule,
    values: Callable[[Record], list[Any]],
    key_of: Callable[[Any], Any],
    preference: _Preference,
) -> list[GoldenField]:
    """Every distinct value (by its normalized key); the rule's pick comes first."""
    candidates = [(value, member.provenance) for member in members for value in values(member)]
    if len(candidates) <= 1:  # nothing to rank or to fold together
        return [GoldenField(value, provenance, rule) for value, provenance in candidates]
    if rule in _BY_VALUE:
        primary = _pick_by_value(candidates, rule)
    else:
        primary = next((v, m.provenance) for m in preference.order(rule) for v in values(m))
    ordered: dict[Any, GoldenField] = {}
    for value, provenance in [primary, *candidates]:
        key = key_of(value) or value
        if key not in ordered:
            ordered[key] = GoldenField(value, provenance, rule if not ordered else "member")
    return list(ordered.values())


def _lifecycle(golden: GoldenValues, members: Sequence[Record]) -> None:
    for member in members:
        stage = member.lifecycle_stage
        if stage is None:
            continue
        seen = member.provenance.modified_at
        previous = golden.lifecycle_first_seen.get(stage)
        if stage not in golden.lifecycle_first_seen or (
            seen is not None and (previous is None or seen < previous)
        ):
            golden.lifecycle_first_seen[stage] = seen
        if golden.lifecycle_stage is None or stage.rank > golden.lifecycle_stage.rank:
            golden.lifecycle_stage = stage
