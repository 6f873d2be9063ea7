"""The emulated portal's state: records, properties, associations, merges, the search index.

Everything the HTTP layer and the test back door change goes through `CrmStore`, under
one lock. Writes stamp `lastmodifieddate` / `hs_lastmodifieddate` with the write time;
with `index_delay_s` set, the search index sees a write only that long after it happened
(HubSpot's search is eventually consistent), while its timestamp stays the write time.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from emulators.hubspot.schema import (
    BUILTIN_PROPERTIES,
    MODIFIED_PROPERTY,
    OBJECT_TYPES,
    PropertyDef,
    custom_property,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def format_time(moment: datetime) -> str:
    """HubSpot's timestamp format: ISO 8601 in UTC with milliseconds and a Z."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def parse_time(value: str) -> datetime:
    """Epoch milliseconds or ISO 8601, the two forms HubSpot accepts for datetime values."""
    if value.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def utc_now_ms() -> datetime:
    """Now, truncated to the millisecond precision HubSpot keeps."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


@dataclass(frozen=True, slots=True)
class PropertyError:
    """Why one property value was refused, with HubSpot's error code."""

    name: str
    code: str
    message: str


class WriteRefused(Exception):
    """A single record's write failed; `category` and `errors` become a batch error entry."""

    def __init__(self, category: str, message: str, errors: list[PropertyError] | None = None):
        super().__init__(message)
        self.category = category
        self.message = message
        self.errors = errors or []


ARCHIVE_RETENTION = timedelta(days=90)


@dataclass(slots=True)
class CrmRecord:
    object_type: str
    id: str
    properties: dict[str, str | None]
    created_at: datetime
    updated_at: datetime
    archived: bool = False
    archived_at: datetime | None = None
    indexed: dict[str, str | None] | None = None  # what search sees; None: not indexed yet
    index_due: float | None = None  # monotonic time the pending write reaches the index


@dataclass
class CrmStore:
    """All objects of one portal. Thread-safe; `version` changes whenever search results may."""

    index_delay_s: float = 0.0
    clock: Callable[[], datetime] = utc_now_ms
    monotonic: Callable[[], float] = time.monotonic
    version: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self._next_id = 1001
        self.records: dict[str, dict[str, CrmRecord]] = {name: {} for name in OBJECT_TYPES}
        self.schema: dict[str, dict[str, PropertyDef]] = {
            name: {p.name: p for p in BUILTIN_PROPERTIES[name]} for name in OBJECT_TYPES
        }
        self.merged_into: dict[str, str] = {}
        self.company_links: dict[str, list[str]] = {}  # contact id -> company ids, primary first
        self._pending: set[tuple[str, str]] = set()
        # (object, unique property) -> folded value -> record id: upserts look records up here
        self._unique: dict[tuple[str, str], dict[str, str]] = {}
        self._unique_names: dict[str, list[str]] = {}
        self._searchable: dict[str, tuple[int, list[tuple[CrmRecord, dict[str, str | None]]]]] = {}

    # --- schema -------------------------------------------------------------------------
    def add_property(self, object_type: str, prop: PropertyDef) -> None:
        with self.lock:
            self.schema[object_type][prop.name] = prop
            self._unique_names.pop(object_type, None)

    def add_custom_properties(
        self, object_type: str, count: int, prefix: str = "custom_"
    ) -> list[str]:
        """Make a wide object: `count` portal-defined string properties."""
        names = [f"{prefix}{index:03d}" for index in range(count)]
        for name in names:
            self.add_property(object_type, custom_property(name))
        return names

    # --- writes ---------------------------------------------------------------------------
    def insert(
        self,
        object_type: str,
        properties: Mapping[str, Any],
        *,
        record_id: str | None = None,
        modified_at: datetime | None = None,
        validate: bool = False,
    ) -> CrmRecord:
        """Create a record; the seeding back door passes `modified_at` and skips validation."""
        with self.lock:
            values = (
                self._checked(object_type, properties, None) if validate else _strings(properties)
            )
            moment = modified_at or self.clock()
            new_id = record_id or str(self._next_id)
            if new_id.isdigit():
                self._next_id = max(self._next_id, int(new_id) + 1)
            values.update(
                {
                    "hs_object_id": new_id,
                    "createdate": values.get("createdate") or format_time(moment),
                    MODIFIED_PROPERTY[object_type]: format_time(moment),
                }
            )
            created = parse_time(values["createdate"] or format_time(moment))
            record = CrmRecord(object_type, new_id, {}, created, moment)
            self.records[object_type][new_id] = record
            self._assign(record, values)
            self._reindex(record)
            return record

    def update(
        self,
        object_type: str,
        record_id: str,
        properties: Mapping[str, Any],
        *,
        validate: bool = True,
        modified_at: datetime | None = None,
    ) -> CrmRecord:
        with self.lock:
            record = self.resolve(object_type, record_id)
            if record is None:
                raise WriteRefused(
                    "OBJECT_NOT_FOUND",
                    f"Object not found.  objectId are usually numeric. {record_id}",
                )
            values = (
                self._checked(object_type, properties, record) if validate else _strings(properties)
            )
            self._assign(record, values)
            self._touch(record, modified_at)
            return record

    def archive(self, object_type: str, record_id: str, *, at: datetime | None = None) -> bool:
        """Into the archive, restorable for 90 days (`purge_archive` ends them)."""
        with self.lock:
            record = self.records[object_type].get(record_id)
            if record is None or record.archived:
                return False
            self._unindex(record)
            record.archived = True
            record.archived_at = at or self.clock()
            record.updated_at = record.archived_at
            self._reindex(record)
            return True

    def delete_permanently(self, object_type: str, record_id: str) -> bool:
        """A GDPR or permanent deletion: gone at once, never listed as archived."""
        with self.lock:
            record = self.records[object_type].pop(record_id, None)
            if record is None:
                return False
            self._unindex(record)
            self._pending.discard((object_type, record_id))
            self.version += 1
            return True

    def purge_archive(self, object_type: str) -> None:
        """Archived records older than HubSpot's 90-day restore window are deleted for good."""
        horizon = self.clock() - ARCHIVE_RETENTION
        with self.lock:
            for record in list(self.records[object_type].values()):
                if record.archived and record.archived_at and record.archived_at < horizon:
                    del self.records[object_type][record.id]

    def merge(self, object_type: str, primary_id: str, merged_id: str) -> CrmRecord:
        """Merge two records as HubSpot does since 2024: both make way for a new record
        with a new id, the primary's values winning and the other's filling its gaps;
        every old id (theirs and those merged into them before) answers with the new one,
        which lists them in `hs_merged_object_ids`."""
        with self.lock:
            primary = self.resolve(object_type, primary_id)
            merged = self.resolve(object_type, merged_id)
            if primary is None or merged is None or primary is merged:
                raise WriteRefused(
                    "VALIDATION_ERROR", "Both records must exist and differ to merge"
                )
            old_ids = [i for r in (primary, merged) for i in (r.id, *_trail(r.properties)) if i]
            own = ("hs_object_id", "hs_merged_object_ids", MODIFIED_PROPERTY[object_type])
            values = {
                name: value
                for record in (merged, primary)
                for name, value in record.properties.items()
                if value not in (None, "") and name not in own
            }
            values["createdate"] = format_time(min(primary.created_at, merged.created_at))
            values["hs_merged_object_ids"] = ";".join(old_ids)
            for record in (primary, merged):
                self._unindex(record)
                del self.records[object_type][record.id]
                self._pending.discard((object_type, record.id))
            survivor = self.insert(object_type, values)
            for old, into in list(self.merged_into.items()):
                if into in old_ids:
                    self.merged_into[old] = survivor.id
            self.merged_into.update(dict.fromkeys(old_ids, survivor.id))
            self._move_links(object_type, old_ids, survivor.id)
            return survivor

    def _move_links(self, object_type: str, old_ids: list[str], new_id: str) -> None:
        """Associations follow a merge: the primary's first (it was listed first)."""
        if object_type == "contacts":
            links = [c for old in old_ids for c in self.company_links.pop(old, [])]
            if links:
                self.company_links[new_id] = list(dict.fromkeys(links))
        elif object_type == "companies":
            for contact_id, companies in self.company_links.items():
                moved = [new_id if c in old_ids else c for c in companies]
                self.company_links[contact_id] = list(dict.fromkeys(moved))
                contact = self.records["contacts"].get(contact_id)
                if contact and contact.properties.get("associatedcompanyid") in old_ids:
                    contact.properties["associatedcompanyid"] = new_id
                    self._touch(contact, None)

    def associate(self, contact_id: str, company_id: str) -> None:
        """Link a contact to a company; the first link is the primary (`associatedcompanyid`)."""
        with self.lock:
            links = self.company_links.setdefault(contact_id, [])
            if company_id not in links:
                links.append(company_id)
            contact = self.records["contacts"][contact_id]
            if contact.properties.get("associatedcompanyid") in (None, ""):
                contact.properties["associatedcompanyid"] = links[0]
                self._touch(contact, None)

    # --- reads ----------------------------------------------------------------------------
    def resolve(
        self, object_type: str, record_id: str, *, archived: bool = False
    ) -> CrmRecord | None:
        """The live record with this id; a merged-away id answers with its survivor."""
        with self.lock:
            records = self.records[object_type]
            record = records.get(record_id) or records.get(self.merged_into.get(record_id, ""))
            if record is None or record.archived != archived:
                return None
            return record

    def find_by(self, object_type: str, name: str, value: str) -> list[CrmRecord]:
        """Live records whose property equals `value` (case-insensitive), indexed when unique."""
        with self.lock:
            wanted = value.casefold()
            index = self._unique.get((object_type, name))
            if index is not None:
                found = index.get(wanted)
                return [self.records[object_type][found]] if found else []
            return [
                r
                for r in self.records[object_type].values()
                if not r.archived and (r.properties.get(name) or "").casefold() == wanted
            ]

    def searchable(self, object_type: str) -> list[tuple[CrmRecord, dict[str, str | None]]]:
        """Live records as the search index holds them now (pending writes not yet visible)."""
        with self.lock:
            now = self.monotonic()
            for key in [k for k in self._pending if k[0] == object_type]:
                record = self.records[object_type][key[1]]
                if record.index_due is not None and record.index_due <= now:
                    record.indexed, record.index_due = dict(record.properties), None
                    self._pending.discard(key)
                    self.version += 1
            cached = self._searchable.get(object_type)
            if cached is None or cached[0] != self.version:
                rows = [
                    (r, r.indexed)
                    for r in self.records[object_type].values()
                    if not r.archived and r.indexed is not None
                ]
                cached = self._searchable[object_type] = (self.version, rows)
            return cached[1]

    def has_pending_index(self) -> bool:
        with self.lock:
            return bool(self._pending)

    # --- internals -------------------------------------------------------------------------
    def unique_names(self, object_type: str) -> list[str]:
        """Properties whose values identify one record: `email` on contacts, and unique ones."""
        if object_type not in self._unique_names:
            self._unique_names[object_type] = [
                p.name
                for p in self.schema[object_type].values()
                if p.has_unique_value or (object_type == "contacts" and p.name == "email")
            ]
        return self._unique_names[object_type]

    def _assign(self, record: CrmRecord, values: Mapping[str, str | None]) -> None:
        """Set property values, keeping the unique-value index in step."""
        changed = [name for name in self.unique_names(record.object_type) if name in values]
        self._unindex(record, changed)
        record.properties.update(values)
        for name in changed:
            if values[name]:
                index = self._unique.setdefault((record.object_type, name), {})
                index[str(values[name]).casefold()] = record.id

    def _unindex(self, record: CrmRecord, names: list[str] | None = None) -> None:
        """Drop a record's unique values from the index (it is archived, merged or changing)."""
        for name in self.unique_names(record.object_type) if names is None else names:
            old = record.properties.get(name)
            index = self._unique.get((record.object_type, name), {})
            if old and index.get(old.casefold()) == record.id:
                del index[old.casefold()]

    def _touch(self, record: CrmRecord, modified_at: datetime | None) -> None:
        record.updated_at = modified_at or self.clock()
        record.properties[MODIFIED_PROPERTY[record.object_type]] = format_time(record.updated_at)
        self._reindex(record)

    def _reindex(self, record: CrmRecord) -> None:
        self.version += 1
        if self.index_delay_s <= 0:
            record.indexed = dict(record.properties)
            return
        record.index_due = self.monotonic() + self.index_delay_s
        self._pending.add((record.object_type, record.id))

    def _checked(
        self, object_type: str, properties: Mapping[str, Any], current: CrmRecord | None
    ) -> dict[str, str | None]:
        """Validate values as HubSpot does; all problems of one record are reported together."""
        schema = self.schema[object_type]
        values = _strings(properties)
        errors = [
            problem
            for name, value in values.items()
            if (problem := _check_value(schema.get(name), name, value)) is not None
            or (problem := _lifecycle_problem(schema.get(name), value, current)) is not None
        ]
        if errors:
            detail = [
                {"isValid": False, "message": e.message, "error": e.code, "name": e.name}
                for e in errors
            ]
            raise WriteRefused(
                "VALIDATION_ERROR", f"Property values were not valid: {json.dumps(detail)}", errors
            )
        for name in self.unique_names(object_type):
            value = values.get(name)
            if value:
                clash = [r for r in self.find_by(object_type, name, value) if r is not current]
                if clash:
                    raise WriteRefused(
                        "CONFLICT",
                        f"A record already exists with {name}={value}. Existing ID: {clash[0].id}",
                    )
        return values


def _trail(properties: Mapping[str, str | None]) -> list[str]:
    """The ids merged into a record before, from its `hs_merged_object_ids`."""
    return [i for i in (properties.get("hs_merged_object_ids") or "").split(";") if i]


def _strings(properties: Mapping[str, Any]) -> dict[str, str | None]:
    """HubSpot keeps every value as a string ("" and null both clear a property)."""
    out: dict[str, str | None] = {}
    for name, value in properties.items():
        if value is None or value == "":
            out[name] = None
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        else:
            out[name] = str(value)
    return out


def _check_value(prop: PropertyDef | None, name: str, value: str | None) -> PropertyError | None:
    if prop is None:
        return PropertyError(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
    if prop.read_only:
        return PropertyError(
            name, "READ_ONLY_VALUE", f'"{name}" is a read only property; its value cannot be set.'
        )
    if value is None:
        return None
    if name == "email" and not _EMAIL.match(value):
        return PropertyError(name, "INVALID_EMAIL", f"Email address {value} is invalid")
    if prop.type == "number" and not _is_number(value):
        return PropertyError(name, "INVALID_DECIMAL", f"{value} was not a valid number.")
    if prop.type == "date":
        return _date_problem(name, value)
    if prop.type == "datetime" and not _is_datetime(value):
        return PropertyError(
            name,
            "INVALID_DATETIME",
            f"{value} was not a valid datetime (ISO 8601 such as 2020-02-29T03:30:17.000Z, "
            "or epoch milliseconds).",
        )
    if prop.options and value not in prop.options:
        return PropertyError(
            name,
            "INVALID_OPTION",
            f"{value} was not one of the allowed options: {list(prop.options)}",
        )
    return None


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _date_problem(name: str, value: str) -> PropertyError | None:
    """A date is YYYY-MM-DD or epoch milliseconds at midnight UTC, nothing else."""
    if value.isdigit():
        into_day = int(value) % 86_400_000
        if into_day == 0:
            return None
        hours, rest = divmod(into_day, 3_600_000)
        minutes, rest = divmod(rest, 60_000)
        at = f"{hours}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"
        return PropertyError(name, "INVALID_DATE", f"{value} is at {at} UTC, not midnight!")
    if len(value) == 10:
        try:
            date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return None
    return PropertyError(name, "INVALID_DATE", f"{value} was not a valid date (YYYY-MM-DD).")


_ISO_DATETIME = re.compile(
    r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?"
)


def _is_datetime(value: str) -> bool:
    """Epoch milliseconds, or ISO 8601 with a `T` and a zone (Python's str(datetime) has a
    space instead, which HubSpot refuses)."""
    if value.lstrip("-").isdigit():
        return True
    if not _ISO_DATETIME.fullmatch(value):
        return False
    try:
        parse_time(value)
    except ValueError:
        return False
    return True


def _lifecycle_problem(
    prop: PropertyDef | None, value: str | None, current: CrmRecord | None
) -> PropertyError | None:
    """HubSpot moves a lifecycle stage forward only; going back needs it cleared first."""
    if prop is None or prop.name != "lifecyclestage" or current is None or value is None:
        return None
    old = current.properties.get(prop.name) or ""
    options = prop.options
    if old in options and value in options and options.index(value) < options.index(old):
        return PropertyError(
            prop.name,
            "INVALID_LIFECYCLE_STAGE",
            f"lifecyclestage cannot move backwards from {old} to {value}; "
            "clear it first, then set the earlier stage",
        )
    return None


def live_records(store: CrmStore, object_type: str, *, archived: bool) -> Iterable[CrmRecord]:
    """Records in id order, as the list endpoint pages them."""
    with store.lock:
        store.purge_archive(object_type)
        records = [r for r in store.records[object_type].values() if r.archived == archived]
    return sorted(records, key=lambda r: int(r.id))
