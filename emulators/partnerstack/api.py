"""PartnerStack's vendor API v2 list and read endpoints as plain functions of the store.

Shapes as PartnerStack documents them: every answer is JSON with `data`, `message` and
`status`; a list's `data` is `{"has_more": bool, "items": [...]}`; an error is
`{"message": ..., "status": ...}`. Lists page with `limit` (1 to 250, default 10) and a
cursor, `starting_after` or `ending_before` (an item key; never both); they are ordered
by `order_by` (`created_at`, `updated_at`, a `-` prefix for descending; default
`-created_at`) and filtered by `min_created`, `max_created`, `min_updated`,
`max_updated` (epoch milliseconds, inclusive here). A cursor keeps its place when its
item changes or is archived, since it is placed by its sort values, as Stripe-style
cursors are; a key the program does not know is a 404.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulators.partnerstack.store import OBJECTS, Item, ProgramStore, UnknownItem

MAX_LIMIT = 250
DEFAULT_LIMIT = 10
ORDERS = ("created_at", "-created_at", "updated_at", "-updated_at")
TIME_FILTERS = ("min_created", "max_created", "min_updated", "max_updated")
Query = Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: dict[str, Any]


def error(status: int, message: str) -> Reply:
    return Reply(status, {"message": message, "status": status})


class _BadRequest(ValueError):
    pass


class VendorApi:
    def __init__(self, store: ProgramStore) -> None:
        self.store = store
        names = "|".join(OBJECTS)
        self._routes: list[tuple[re.Pattern[str], Callable[..., Reply]]] = [
            (re.compile(rf"/api/v2/({names})"), self._list),
            (re.compile(rf"/api/v2/({names})/([^/]+)"), self._read),
        ]

    def handle(self, method: str, path: str, query: Query) -> Reply:
        for pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if method != "GET":
                return error(405, f"Method {method} not allowed on {path}")
            try:
                return handler(*match.groups(), query=query)
            except _BadRequest as refused:
                return error(400, str(refused))
        return error(404, f"Not Found: {path}")

    def _read(self, object_name: str, key: str, *, query: Query) -> Reply:
        item = self.store.find(object_name, key)
        if item is None:
            return error(404, f"{object_name[:-1].capitalize()} {key} not found")
        return Reply(
            200, {"data": item.render(), "message": "Returned successfully", "status": 200}
        )

    def _list(self, object_name: str, *, query: Query) -> Reply:
        limit = _integer(query, "limit", DEFAULT_LIMIT)
        if not 1 <= limit <= MAX_LIMIT:
            raise _BadRequest(f"limit: must be between 1 and {MAX_LIMIT}")
        after, before = _text(query, "starting_after"), _text(query, "ending_before")
        if after and before:
            raise _BadRequest("starting_after and ending_before are mutually exclusive")
        order = _text(query, "order_by") or "-created_at"
        if order not in ORDERS:
            raise _BadRequest(f"order_by: must be one of {', '.join(ORDERS)}")
        include_archived = _boolean(query, "include_archived")
        bounds = {name: _integer(query, name, None) for name in TIME_FILTERS}
        sort = _sort_key(order)
        items = sorted(
            (
                item
                for item in self.store.snapshot(object_name)
                if (include_archived or not item.archived) and _within(item, bounds)
            ),
            key=sort,
        )
        keys = [sort(item) for item in items]
        cursor = after or before
        if cursor:
            try:
                place = sort(self.store.get(object_name, cursor))
            except UnknownItem:
                return error(404, f"{cursor}: no such {object_name[:-1]}")
        if after:
            start = bisect.bisect_right(keys, place)
            page, has_more = items[start : start + limit], start + limit < len(items)
        elif before:
            end = bisect.bisect_left(keys, place)
            page, has_more = items[max(0, end - limit) : end], end - limit > 0
        else:
            page, has_more = items[:limit], limit < len(items)
        return Reply(
            200,
            {
                "data": {"has_more": has_more, "items": [item.render() for item in page]},
                "message": "Page returned successfully",
                "status": 200,
            },
        )


def _sort_key(order: str) -> Callable[[Item], tuple[int, str]]:
    """Ties on the time are broken by key, so that a cursor has one place."""
    name = order.lstrip("-")
    if order.startswith("-"):
        return lambda item: (-getattr(item, name), _descending(item.key))
    return lambda item: (getattr(item, name), item.key)


def _descending(key: str) -> str:
    return "".join(chr(0x10FFFF - ord(c)) for c in key)


def _within(item: Item, bounds: Mapping[str, int | None]) -> bool:
    for name, bound in bounds.items():
        if bound is None:
            continue
        value = item.created_at if name.endswith("created") else item.updated_at
        if (value < bound) if name.startswith("min") else (value > bound):
            return False
    return True


def _text(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _integer(query: Query, name: str, default: int | None) -> Any:
    value = _text(query, name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise _BadRequest(f"{name}: {value!r} is not an integer") from None


def _boolean(query: Query, name: str) -> bool:
    value = (_text(query, name) or "false").lower()
    if value not in ("true", "false"):
        raise _BadRequest(f"{name}: must be true or false")
    return value == "true"
