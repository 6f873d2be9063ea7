"""The emulated org's records: ids, timestamps, validation, deletes, visibility.

A delete is soft (IsDeleted=true, visible only to queryAll and getDeleted) while the
record sits in the recycle bin: 15 days, or until the bin is emptied. Then, or at once
for a hard delete, the record is physically gone and `earliest_available` moves to its
deletion time: a replica whose watermark is older may have missed it and must compare
ids (the REST guide's getDeleted: "Results are returned for no more than 15 days
previous ... or earlier if an administrator has purged the Recycle Bin").
With a visibility delay a write is stamped with the write time but reaches queries only
later, the way a long transaction commits after its SystemModstamp was taken; a sync
without an overlap window misses such records, which tests need to be able to show.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from emulators.salesforce.schema import FieldDef, ObjectDef

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_ID = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?$")
RECYCLE_BIN = timedelta(days=15)
ORG_CREATED = datetime(2000, 1, 1, tzinfo=UTC)  # before every record tests and seeds write


class ApiError(Exception):
    """An error Salesforce reports as `{errorCode|statusCode, message, fields}`."""

    def __init__(self, status: int, code: str, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []


class MultipleMatches(ApiError):
    """An external id matched several records: REST answers 300 with their URLs."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(300, "MULTIPLE_CHOICES", f"{len(ids)} records match the external id")
        self.ids = ids


def no_such_column(obj: ObjectDef, name: str) -> ApiError:
    """A field a request body names that the object lacks, or the user may not see."""
    return ApiError(
        400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}", [name]
    )


def checksum_id(id15: str) -> str:
    """The documented 15-to-18 character id suffix: one character per 5-char chunk,
    encoding which of its characters are upper case."""
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, c in enumerate(id15[chunk * 5 : chunk * 5 + 5]) if c.isupper())
        suffix += _CHECKSUM[bits]
    return id15 + suffix


def format_datetime(value: datetime) -> str:
    """The shape REST responses use: `2024-01-31T12:00:00.000+0000`."""
    stamp = value.astimezone(UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}+0000"


def now_ms() -> datetime:
    current = datetime.now(UTC)
    return current.replace(microsecond=current.microsecond // 1000 * 1000)


@dataclass(slots=True)
class _Stored:
    current: dict[str, Any]
    visible: dict[str, Any] | None
    visible_at: datetime


class OrgStore:
    """Thread-safe record state for every object of one org."""

    def __init__(
        self,
        objects: Mapping[str, ObjectDef],
        *,
        clock: Callable[[], datetime] = now_ms,
        visibility_delay_s: float = 0.0,
    ) -> None:
        self.objects = dict(objects)
        self.clock = clock
        self.visibility_delay_s = visibility_delay_s
        self._records: dict[str, dict[str, _Stored]] = {name: {} for name in self.objects}
        self._deleted_at: dict[str, dict[str, datetime]] = {name: {} for name in self.objects}
        self._earliest: dict[str, datetime] = {}
        self._counter = 0
        self._lock = threading.RLock()

    def add_object(self, obj: ObjectDef) -> None:
        with self._lock:
            self.objects[obj.name] = obj
            self._records.setdefault(obj.name, {})
            self._deleted_at.setdefault(obj.name, {})

    def object(self, name: str) -> ObjectDef:
        obj = self.objects.get(name) or next(
            (o for o in self.objects.values() if o.name.lower() == name.lower()), None
        )
        if obj is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        return obj

    # -- writes ---------------------------------------------------------------------

    def create(
        self, object_name: str, fields: Mapping[str, Any], *, at: datetime | None = None
    ) -> str:
        obj = self.object(object_name)
        values = self._validate(obj, fields, creating=True)
        with self._lock:
            self._counter += 1
            number, digits = self._counter, ""
            for _ in range(9):
                number, rest = divmod(number, 62)
                digits = _BASE62[rest] + digits
            record_id = checksum_id(f"{obj.key_prefix}Rh0{digits}")
            stamp = at or self.clock()
            record = {f.name: (False if f.type == "boolean" else None) for f in obj.fields.values()}
            record.update(values, Id=record_id, CreatedDate=stamp)
            self._commit(obj, record, stamp, previous=None)
            return record_id

    def update(
        self,
        object_name: str,
        record_id: str,
        fields: Mapping[str, Any],
        *,
        at: datetime | None = None,
        by_system: bool = False,
    ) -> None:
        """A change by a user, or with `by_system` by a system process (a roll-up summary
        recalculated, automation running as the system): SystemModstamp moves then, and
        LastModifiedDate does not."""
        obj = self.object(object_name)
        values = self._validate(obj, fields, creating=False)
        with self._lock:
            stored = self._live(obj, record_id)
            stamp = at or self.clock()
            self._commit(obj, {**stored.current, **values}, stamp, stored, by_system=by_system)

    def delete(self, object_name: str, record_id: str, *, at: datetime | None = None) -> None:
        """Into the recycle bin."""
        obj = self.object(object_name)
        with self._lock:
            self._bin(obj, self._live(obj, record_id), at or self.clock())

    def merge(self, object_name: str, master_id: str, merged_ids: list[str]) -> list[str]:
        """The SOAP merge call: the records merged away go to the recycle bin with
        MasterRecordId naming the master (queryAll finds them there); their 18-char ids."""
        obj = self.object(object_name)
        with self._lock:
            master = self._live(obj, master_id)
            victims = [self._live(obj, rid) for rid in merged_ids]
            if any(v is master for v in victims):
                raise ApiError(400, "INVALID_ID_FIELD", "cannot merge a record into itself")
            stamp = self.clock()
            for victim in victims:
                self._bin(obj, victim, stamp, MasterRecordId=master.current["Id"])
            return [v.current["Id"] for v in victims]

    def _bin(self, obj: ObjectDef, stored: _Stored, stamp: datetime, **values: Any) -> None:
        self._commit(obj, {**stored.current, **values, "IsDeleted": True}, stamp, stored)
        self._deleted_at[obj.name][stored.current["Id"]] = stamp

    def hard_delete(self, object_name: str, record_id: str) -> None:
        """Gone at once, never in the bin (Bulk API hardDelete)."""
        obj = self.object(object_name)
        with self._lock:
            stored = self._live(obj, record_id)
            self._erase(obj.name, stored.current["Id"], self.clock())

    def empty_recycle_bin(self, object_name: str) -> None:
        obj = self.object(object_name)
        with self._lock:
            for record_id, deleted_at in list(self._deleted_at[obj.name].items()):
                self._erase(obj.name, record_id, deleted_at)

    def earliest_available(self, object_name: str) -> datetime:
        """The deletion time of the newest physically deleted record (getDeleted's
        earliestDateAvailable); the org's creation while nothing has been."""
        obj = self.object(object_name)
        with self._lock:
            self._purge(obj.name)
            return self._earliest.get(obj.name, ORG_CREATED)

    def deleted_between(
        self, object_name: str, start: datetime, end: datetime
    ) -> list[tuple[str, datetime]]:
        """(id, deletedDate) of the records in the bin deleted in [start, end]."""
        obj = self.object(object_name)
        with self._lock:
            self._purge(obj.name)
            return sorted(
                (rid, at) for rid, at in self._deleted_at[obj.name].items() if start <= at <= end
            )

    def _purge(self, object_name: str) -> None:
        """Records in the bin longer than 15 days are deleted for good."""
        horizon = self.clock() - RECYCLE_BIN
        for record_id, deleted_at in list(self._deleted_at[object_name].items()):
            if deleted_at < horizon:
                self._erase(object_name, record_id, deleted_at)

    def _erase(self, object_name: str, record_id: str, deleted_at: datetime) -> None:
        self._records[object_name].pop(record_id, None)
        self._deleted_at[object_name].pop(record_id, None)
        self._earliest[object_name] = max(deleted_at, self._earliest.get(object_name, ORG_CREATED))

    def upsert(
        self, object_name: str, field_name: str, value: Any, fields: Mapping[str, Any]
    ) -> tuple[str, bool]:
        """Create or update by external id; (id, created). Several matches: status 300."""
        obj = self.object(object_name)
        with self._lock:
            key = self.external_field(obj, field_name)
            matched = self.find(obj.name, key.name, value)
            if len(matched) > 1:
                raise MultipleMatches(matched)
            if matched:
                self.update(obj.name, matched[0], fields)
                return matched[0], False
            return self.create(obj.name, {**fields, key.name: value}), True

    def savepoint(self) -> dict[str, dict[str, _Stored]]:
        """A copy of all records, for an allOrNone request to roll back to."""
        with self._lock:
            return {
                name: {
                    rid: _Stored(dict(s.current), s.visible, s.visible_at)
                    for rid, s in records.items()
                }
                for name, records in self._records.items()
            }

    def restore(self, saved: dict[str, dict[str, _Stored]]) -> None:
        with self._lock:
            self._records = saved
            for name, bin_ in self._deleted_at.items():
                for record_id in [r for r in bin_ if not saved[name][r].current["IsDeleted"]]:
                    del bin_[record_id]

    def _commit(
        self,
        obj: ObjectDef,
        record: dict[str, Any],
        stamp: datetime,
        previous: _Stored | None,
        *,
        by_system: bool = False,
    ) -> None:
        """Store a version; a system process's change (`by_system`) moves SystemModstamp
        only, a user's LastModifiedDate too."""
        record.update(SystemModstamp=stamp, **obj.compounds(record))
        if not by_system:
            record["LastModifiedDate"] = stamp
        visible_at = self.clock() + timedelta(seconds=self.visibility_delay_s)
        if previous is None:
            self._records[obj.name][record["Id"]] = _Stored(record, None, visible_at)
            return
        previous.visible = self._visible(previous)
        previous.current, previous.visible_at = record, visible_at

    # -- reads ----------------------------------------------------------------------

    def get(self, object_name: str, record_id: str) -> dict[str, Any]:
        obj = self.object(object_name)
        with self._lock:
            return dict(self._live(obj, record_id).current)

    def find(self, object_name: str, field_name: str, value: Any) -> list[str]:
        """Ids of live records whose field equals value (external ids are case-insensitive)."""
        wanted = str(value).casefold()
        with self._lock:
            return [
                rid
                for rid, s in self._records[object_name].items()
                if not s.current["IsDeleted"]
                and s.current.get(field_name) is not None
                and str(s.current[field_name]).casefold() == wanted
            ]

    def visible_records(self, object_name: str, *, include_deleted: bool) -> list[dict[str, Any]]:
        """What a query sees now: committed-and-visible versions only."""
        obj = self.object(object_name)
        with self._lock:
            self._purge(obj.name)
            seen = (self._visible(s) for s in self._records[obj.name].values())
            return [
                dict(r) for r in seen if r is not None and (include_deleted or not r["IsDeleted"])
            ]

    def changed_between(
        self, object_name: str, start: datetime, end: datetime, *, deleted: bool
    ) -> list[dict[str, Any]]:
        """Records whose last change (a delete when `deleted`) falls in [start, end]."""
        return [
            r
            for r in self.visible_records(object_name, include_deleted=True)
            if r["IsDeleted"] == deleted and start <= r["SystemModstamp"] <= end
        ]

    def count(self, object_name: str) -> int:
        with self._lock:
            return len(self._records[self.object(object_name).name])

    def _visible(self, stored: _Stored) -> dict[str, Any] | None:
        return stored.current if self.clock() >= stored.visible_at else stored.visible

    def _live(self, obj: ObjectDef, record_id: str) -> _Stored:
        stored = self._records[obj.name].get(record_id) if _ID.match(record_id) else None
        if stored is None and len(record_id) == 15:
            stored = self._records[obj.name].get(checksum_id(record_id))
        if stored is None:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        if stored.current["IsDeleted"]:
            raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted")
        return stored

    # -- validation -----------------------------------------------------------------

    def external_field(self, obj: ObjectDef, name: str) -> FieldDef:
        fdef = obj.lookup(name)
        if fdef is None or not (fdef.external_id or fdef.name == "Id"):
            raise ApiError(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {name}",
            )
        return fdef

    def _validate(
        self, obj: ObjectDef, fields: Mapping[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, value in fields.items():
            if name == "attributes":
                continue
            fdef = obj.lookup(name)
            if fdef is None:
                raise no_such_column(obj, name)
            if fdef.read_only:
                raise ApiError(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {fdef.name}. Please check the "
                    "security settings of this field and verify that it is read/write "
                    "for your profile or permission set.",
                    [fdef.name],
                )
            values[fdef.name] = _coerce(fdef, value)
        required = [f.name for f in obj.fields.values() if f.required]
        missing = [n for n in required if (creating or n in values) and values.get(n) in (None, "")]
        if missing:
            raise ApiError(
                400,
                "REQUIRED_FIELD_MISSING",
                f"Required fields are missing: [{', '.join(missing)}]",
                missing,
            )
        return values


def _coerce(fdef: FieldDef, value: Any) -> Any:
    """Check a written value against the field type, raising Salesforce's error codes."""
    if value is None:
        return None

    def wrong(code: str = "INVALID_TYPE_ON_FIELD_IN_RECORD", detail: str = "") -> ApiError:
        message = detail or f"{fdef.name}: value not of required type: {value}"
        return ApiError(400, code, message, [fdef.name])

    kind = fdef.type
    if kind == "boolean":
        if not isinstance(value, bool):
            raise wrong()
        return value
    if kind in {"int", "double"}:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong()
        if kind == "int" and value != int(value):
            raise wrong()
        return int(value) if kind == "int" else float(value)
    if not isinstance(value, str):
        raise wrong()
    if kind == "email" and value and not _EMAIL.match(value):
        raise wrong("INVALID_EMAIL_ADDRESS", f"{fdef.name}: invalid email address: {value}")
    if kind == "date":
        try:
            date.fromisoformat(value)
        except ValueError as error:
            raise wrong() from error
    if kind == "reference" and value and not _ID.match(value):
        raise wrong("MALFORMED_ID", f"{fdef.name}: id value of incorrect type: {value}")
    if kind in {"string", "email", "phone", "url", "picklist"} and len(value) > 255:
        raise wrong("STRING_TOO_LONG", f"{fdef.name}: data value too large: {value[:40]}...")
    return value
