"""`POST /crm/v3/objects/{object}/search`: validation, filtering, sorting and offset paging.

Limits follow HubSpot's search documentation: at most 5 filter groups, 10 filters in a
group and 25 in all; one sort; `limit` at most 200; no paging past 10,000 results.
Records that tie on the sort value come back in an order HubSpot does not promise; the
emulator makes that explicit by breaking ties on a hash of the id rather than the id.
"""

from __future__ import annotations

import bisect
import functools
import math
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulators.hubspot.schema import PropertyDef
from emulators.hubspot.store import CrmRecord, CrmStore, parse_time

MAX_GROUPS = 5
MAX_FILTERS_PER_GROUP = 10
MAX_FILTERS = 25
MAX_LIMIT = 200
MAX_RESULTS = 10_000

Props = Mapping[str, str | None]
Row = tuple[CrmRecord, Props]
Predicate = Callable[[Props], bool]


class SearchRefused(Exception):
    """The request is not a valid search; it becomes a 400 VALIDATION_ERROR."""


@dataclass(frozen=True, slots=True)
class SearchPage:
    total: int
    matches: list[Row]
    next_after: int | None


class SearchIndex:
    """Answers searches over a store, as a database with an index on the sort property would.

    The records ordered by a sort are kept per store version, and a range filter on the
    sorted property narrows them by bisection, so keyset paging over 25,000 records costs
    milliseconds; a query's whole result is kept too, for `after` paging.
    """

    def __init__(self, store: CrmStore, cache_size: int = 8) -> None:
        self.store = store
        self._results: dict[tuple[Any, ...], list[Row]] = {}
        self._orders: dict[tuple[Any, ...], tuple[list[Row], list[Any]]] = {}
        self._cache_size = cache_size

    def search(self, object_type: str, body: Mapping[str, Any]) -> SearchPage:
        limit = _int(body.get("limit", 10), "limit")
        after = _int(body.get("after") or 0, "after")
        if not 0 < limit <= MAX_LIMIT:
            raise SearchRefused(f"limit must be between 1 and {MAX_LIMIT}, was {limit}")
        if after >= MAX_RESULTS:
            raise SearchRefused(
                f"Paging beyond {MAX_RESULTS} results is not supported (after={after})"
            )
        matches = self._matches(object_type, body)
        end = min(after + limit, len(matches), MAX_RESULTS)
        next_after = end if end < len(matches) else None
        return SearchPage(len(matches), matches[after:end], next_after)

    def _matches(self, object_type: str, body: Mapping[str, Any]) -> list[Row]:
        schema = self.store.schema[object_type]
        groups = body.get("filterGroups") or []
        sorts = body.get("sorts") or []
        _predicate(groups, schema)  # validates the whole request before anything is cached
        _sort_key(sorts, schema)
        ranges, residual = _split(groups, sorts)
        with self.store.lock:
            rows = self.store.searchable(object_type)
            key = (object_type, repr(groups), repr(sorts), self.store.version)
            found = self._results.get(key)
            if found is None:
                ordered, keys = self._ordered(object_type, residual, sorts, schema, rows)
                start, end = _bounds(ranges, sorts, schema, keys)
                found = ordered[start:end]
                _remember(self._results, key, found, self._cache_size)
            return found

    def _ordered(
        self,
        object_type: str,
        groups: Sequence[Mapping[str, Any]],
        sorts: Sequence[Mapping[str, Any]],
        schema: Mapping[str, PropertyDef],
        rows: list[Row],
    ) -> tuple[list[Row], list[Any]]:
        """Rows matching `groups` in sort order, with their sort keys, kept per store version."""
        key = (object_type, repr(groups), repr(sorts), self.store.version)
        if key not in self._orders:
            predicate = _predicate(groups, schema)
            sort_key, descending = _sort_key(sorts, schema)
            ordered = sorted((row for row in rows if predicate(row[1])), key=_tie)
            ordered.sort(key=sort_key, reverse=descending)  # stable: ties keep the hash order
            _remember(self._orders, key, (ordered, [sort_key(row) for row in ordered]), 8)
        return self._orders[key]


def _remember(
    cache: dict[tuple[Any, ...], Any], key: tuple[Any, ...], value: Any, size: int
) -> None:
    if len(cache) >= size:
        cache.pop(next(iter(cache)))
    cache[key] = value


_RANGE = ("GT", "GTE", "EQ", "LT", "LTE")


def _split(
    groups: Sequence[Mapping[str, Any]], sorts: Sequence[Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Range filters on an ascending sort property (answered by bisection) and the rest.

    Keyset paging repeats a query with a new bound on the sort property; the rest of the
    query stays the same, so its ordered matches are computed once.
    """
    ascending = len(sorts) == 1 and sorts[0].get("direction", "ASCENDING") == "ASCENDING"
    if len(groups) != 1 or not ascending:
        return [], list(groups)
    name = sorts[0].get("propertyName")
    filters = groups[0].get("filters") or []
    ranges = [f for f in filters if f.get("propertyName") == name and f.get("operator") in _RANGE]
    others = [f for f in filters if f not in ranges]
    return ranges, [{"filters": others}] if others else []


def _bounds(
    ranges: Sequence[Mapping[str, Any]],
    sorts: Sequence[Mapping[str, Any]],
    schema: Mapping[str, PropertyDef],
    keys: list[Any],
) -> tuple[int, int]:
    """The slice of ascending sort keys that the range filters allow."""
    start, end = 0, len(keys)
    for spec in ranges:
        operator = spec.get("operator")
        end = min(end, bisect.bisect_left(keys, (True, -math.inf)))  # no value: no match
        bound = (False, _reader(schema[sorts[0]["propertyName"]])(str(spec.get("value"))))
        if operator in ("GT", "GTE", "EQ"):
            side = bisect.bisect_right if operator == "GT" else bisect.bisect_left
            start = max(start, side(keys, bound))
        if operator in ("LT", "LTE", "EQ"):
            side = bisect.bisect_left if operator == "LT" else bisect.bisect_right
            end = min(end, side(keys, bound))
    return start, max(start, end)


def _int(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise SearchRefused(f"{name} must be an integer, was {value!r}") from None


def _predicate(groups: Sequence[Mapping[str, Any]], schema: Mapping[str, PropertyDef]) -> Predicate:
    """OR of groups, AND of filters within a group; no groups matches every record."""
    if len(groups) > MAX_GROUPS:
        raise SearchRefused(f"At most {MAX_GROUPS} filterGroups are allowed, got {len(groups)}")
    compiled: list[list[Predicate]] = []
    for group in groups:
        filters = group.get("filters") or []
        if len(filters) > MAX_FILTERS_PER_GROUP:
            raise SearchRefused(f"At most {MAX_FILTERS_PER_GROUP} filters per group are allowed")
        compiled.append([_filter(f, schema) for f in filters])
    if sum(len(group) for group in compiled) > MAX_FILTERS:
        raise SearchRefused(f"At most {MAX_FILTERS} filters are allowed in a search")
    if not compiled:
        return lambda props: True

    def matches(props: Props) -> bool:
        for group in compiled:
            for test in group:
                if not test(props):
                    break
            else:
                return True
        return False

    return matches


def _filter(spec: Mapping[str, Any], schema: Mapping[str, PropertyDef]) -> Predicate:
    name = spec.get("propertyName", "")
    prop = schema.get(name)
    if prop is None:
        raise SearchRefused(f"Property {name!r} does not exist or cannot be filtered on")
    operator = spec.get("operator", "EQ")
    read = _reader(prop)
    if operator == "HAS_PROPERTY":
        return lambda props: props.get(name) not in (None, "")
    if operator == "NOT_HAS_PROPERTY":
        return lambda props: props.get(name) in (None, "")
    if operator in ("IN", "NOT_IN"):
        wanted = {read(str(v)) for v in spec.get("values") or []}
        inside = operator == "IN"
        return lambda props: (
            _value(props, name, read) in wanted
            if inside
            else (_value(props, name, read) not in wanted)
        )
    if operator == "BETWEEN":
        low, high = read(str(spec.get("value"))), read(str(spec.get("highValue")))
        return lambda props: (v := _value(props, name, read)) is not None and low <= v <= high
    compare = _COMPARISONS.get(operator)
    if compare is None:
        raise SearchRefused(f"Unsupported operator {operator!r}")
    if "value" not in spec:
        raise SearchRefused(f"Operator {operator} needs a value")
    try:
        target = read(str(spec["value"]))
    except ValueError:
        raise SearchRefused(f"{spec['value']!r} is not a valid value for {name}") from None
    if operator == "NEQ":
        return lambda props: _value(props, name, read) != target
    return lambda props: (v := _value(props, name, read)) is not None and compare(v, target)


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "EQ": lambda a, b: a == b,
    "NEQ": lambda a, b: a != b,
    "GT": lambda a, b: a > b,
    "GTE": lambda a, b: a >= b,
    "LT": lambda a, b: a < b,
    "LTE": lambda a, b: a <= b,
}


def _reader(prop: PropertyDef) -> Callable[[str], Any]:
    """How a property's string values compare: numbers and times by value, text folded."""
    if prop.type == "number":
        return _number
    if prop.type in ("datetime", "date"):
        return _stamp
    return _folded


# Searches re-read the same few thousand distinct strings; parsing each once keeps a
# 25,000-record search in tens of milliseconds.
@functools.lru_cache(maxsize=1 << 16)
def _number(raw: str) -> float:
    return float(raw)


@functools.lru_cache(maxsize=1 << 16)
def _stamp(raw: str) -> float:
    return parse_time(raw).timestamp()


@functools.lru_cache(maxsize=1 << 16)
def _folded(raw: str) -> str:
    return raw.casefold()


def _value(props: Props, name: str, read: Callable[[str], Any]) -> Any:
    raw = props.get(name)
    if raw in (None, ""):
        return None
    try:
        return read(str(raw))
    except ValueError:
        return None


def _sort_key(
    sorts: Sequence[Mapping[str, Any]], schema: Mapping[str, PropertyDef]
) -> tuple[Callable[[Row], Any], bool]:
    """One sort at most (HubSpot's rule); without one, results come in id order."""
    if len(sorts) > 1:
        raise SearchRefused("Only one sort is supported")
    if not sorts:
        return (lambda row: int(row[0].id)), False
    name = sorts[0].get("propertyName", "")
    prop = schema.get(name)
    if prop is None:
        raise SearchRefused(f"Cannot sort on unknown property {name!r}")
    read = _reader(prop)

    def key(row: Row) -> Any:
        value = _value(row[1], name, read)
        return (value is None, value if value is not None else 0)

    return key, sorts[0].get("direction", "ASCENDING") == "DESCENDING"


def _tie(row: Row) -> int:
    return zlib.crc32(row[0].id.encode())
