"""The emulated PartnerStack program's state: groups, partnerships, referred customers.

Every item has PartnerStack's envelope fields: a `key` (`grp_…`, `part_…`, `cus_…`) and
`created_at` / `updated_at` in epoch milliseconds, the unit the v2 API uses for every
time, in its answers and in its query parameters alike. A partnership is a partner
company enrolled in the program: its primary contact (`email`, `first_name`,
`last_name`), its `group` (the tier) and its `team`, the company with its members.
Archiving hides an item from lists unless they ask for archived ones; removing forgets
it, as a permanent deletion does. Everything goes through `ProgramStore`, under one lock.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

OBJECTS = ("groups", "partnerships", "customers")
KEY_PREFIX = {"groups": "grp_", "partnerships": "part_", "customers": "cus_"}


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class Item:
    key: str
    body: dict[str, Any]
    created_at: int
    updated_at: int
    archived: bool = False

    def render(self) -> dict[str, Any]:
        """The item as the API answers it."""
        return {
            "key": self.key,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "archived": self.archived,
            **self.body,
        }


class UnknownItem(KeyError):
    """No item of that key in the program (never created, or removed)."""


@dataclass
class ProgramStore:
    """All items of one vendor's program. Thread-safe."""

    clock: Callable[[], int] = now_ms
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.items: dict[str, dict[str, Item]] = {name: {} for name in OBJECTS}
        self._serial = itertools.count(1)

    def insert(
        self,
        object_name: str,
        body: Mapping[str, Any],
        *,
        key: str | None = None,
        at_ms: int | None = None,
    ) -> Item:
        """Create an item; the seeding back door may choose its key and its time."""
        with self.lock:
            moment = self.clock() if at_ms is None else at_ms
            new_key = key or f"{KEY_PREFIX[object_name]}{next(self._serial):012d}"
            item = Item(new_key, dict(body), moment, moment)
            self.items[object_name][new_key] = item
            return item

    def update(
        self, object_name: str, key: str, changes: Mapping[str, Any], *, at_ms: int | None = None
    ) -> Item:
        """Replace top-level fields and bump `updated_at`."""
        with self.lock:
            item = self.get(object_name, key)
            item.body.update(changes)
            item.updated_at = max(item.updated_at, self.clock() if at_ms is None else at_ms)
            return item

    def archive(self, object_name: str, key: str) -> Item:
        with self.lock:
            item = self.get(object_name, key)
            item.archived = True
            item.updated_at = max(item.updated_at, self.clock())
            return item

    def remove(self, object_name: str, key: str) -> None:
        """A permanent deletion: lists never show the item again, archived or not."""
        with self.lock:
            if self.items[object_name].pop(key, None) is None:
                raise UnknownItem(key)

    def get(self, object_name: str, key: str) -> Item:
        with self.lock:
            try:
                return self.items[object_name][key]
            except KeyError:
                raise UnknownItem(key) from None

    def find(self, object_name: str, key: str) -> Item | None:
        with self.lock:
            return self.items[object_name].get(key)

    def snapshot(self, object_name: str) -> list[Item]:
        with self.lock:
            return list(self.items[object_name].values())
