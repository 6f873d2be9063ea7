"""Which source objects take writes, and what each write field's golden value is."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hub.config import RelhubConfig, SourceConfig
from hub.mapping.spec import ObjectMapping, PushMode, PushSpec, load_mapping


@dataclass(frozen=True, slots=True)
class PushTarget:
    """One source object's push section, without the fields it may never receive."""

    system: str
    object: str
    specs: tuple[PushSpec, ...]


def _sensitive(mapping: ObjectMapping) -> set[str]:
    """Canonical fields the mapping marks sensitive: they never leave the hub."""
    return {name for name, spec in mapping.fields.items() if getattr(spec, "sensitive", False)}


def source_targets(config: RelhubConfig, source: SourceConfig) -> list[PushTarget]:
    mapping = load_mapping(config.resolve_path(source.mapping))
    targets = []
    for name, obj in mapping.objects.items():
        if name not in source.objects:
            continue
        hidden = _sensitive(obj)
        specs = tuple(
            s
            for s in obj.push
            if s.mode != PushMode.NEVER
            and s.field.split(".")[0] not in hidden
            and s.field not in hidden
        )
        if specs:
            targets.append(PushTarget(source.name, name, specs))
    return targets


def push_targets(config: RelhubConfig) -> dict[tuple[str, str], PushTarget]:
    """Every (system, object) with something to push, by key."""
    return {
        (t.system, t.object): t for source in config.sources for t in source_targets(config, source)
    }


BESIDE_FIELDS = frozenset({"golden_id", "roles", "lifecycle_stage"})
"""Push spec fields read beside a golden record's `fields`, not from them."""


def _containers(name: str) -> tuple[str, str]:
    """Where a part like `address.city` is looked for: `address`, then `addresses`."""
    head = name.partition(".")[0]
    return head, f"{head}es"


def golden_value(name: str, golden_id: str, golden: Mapping[str, Any]) -> Any:
    """The value a push spec's `field` names on a golden record (its fields' values, roles
    and lifecycle stage beside them); a multi-valued field gives its primary value, whether
    `fields` holds all of its values or that one."""
    if name == "golden_id":
        return golden_id
    if name == "roles":
        return ";".join(golden.get("roles") or []) or None
    if name == "lifecycle_stage":
        return golden.get("lifecycle_stage")
    _, _, part = name.partition(".")
    value = golden["fields"].get(name)
    if value is None and part:
        single, plural = _containers(name)
        container = golden["fields"].get(single) or golden["fields"].get(plural)
        if isinstance(container, list):
            container = container[0] if container else None
        value = container.get(part) if isinstance(container, dict) else None
    if isinstance(value, list):
        value = value[0] if value else None
    return value


def golden_names(targets: Iterable[PushTarget]) -> list[str]:
    """The golden fields `golden_value` may look up for these targets: a build reads only
    those out of each golden record's document."""
    names: set[str] = set()
    for spec in (s for t in targets for s in t.specs):
        if spec.field not in BESIDE_FIELDS:
            names.add(spec.field)
            if "." in spec.field:  # a part: its container too
                names.update(_containers(spec.field))
    return sorted(names)


def source_names(targets: Iterable[PushTarget]) -> list[str]:
    """The source fields these targets write: all a build compares of a stored payload."""
    return sorted({s.to for t in targets for s in t.specs})


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def same(current: Any, wanted: Any) -> bool:
    """Sources answer text for most fields; compare as trimmed text, case as given."""
    if is_empty(current):
        return is_empty(wanted)
    return str(current).strip() == str(wanted).strip()


def wanted_writes(
    target: PushTarget, golden_id: str, golden: Mapping[str, Any], payload: Mapping[str, Any]
) -> dict[str, Any]:
    """Source field -> value for the writes this record needs now (empty: none)."""
    writes: dict[str, Any] = {}
    for spec in target.specs:
        wanted = golden_value(spec.field, golden_id, golden)
        if is_empty(wanted):
            continue  # the golden record never blanks a source field
        current = payload.get(spec.to)
        if spec.mode == PushMode.ONLY_IF_EMPTY and not is_empty(current):
            continue
        if not same(current, wanted):
            writes[spec.to] = wanted
    return writes
