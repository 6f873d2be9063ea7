"""The contract every connector keeps, and the cursor logic they all share.

A connector reads an object's changes since a watermark as pages of `SourceRecord`s
(deletions included) and writes batches back with one result per input. It knows
nothing about mappings, identity or the store: the sync step owns those.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple, Protocol, TypeVar, runtime_checkable

T = TypeVar("T")


class ConnectorError(Exception):
    """A failure the connector cannot recover from (bad configuration, bad credentials)."""


class SourceFormatError(ConnectorError):
    """The source cannot be read as configured (a CSV dialect or header problem): a
    configuration mistake to fix, not an outage to retry."""


class AuthenticationError(ConnectorError):
    """The credentials were refused; retrying will not help."""


class TLSFailure(ConnectorError):
    """The server's certificate was not trusted (or TLS failed otherwise): a configuration
    to fix (a CA bundle, the host), which retrying will not change."""


class TransientError(ConnectorError):
    """A failure worth retrying (throttling, 5xx, dropped connection)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class FieldType(StrEnum):
    """Source field types, coarse enough to be shared by every system."""

    STRING = "string"
    TEXT = "text"
    EMAIL = "email"
    PHONE = "phone"
    URL = "url"
    PICKLIST = "picklist"
    MULTIPICKLIST = "multipicklist"
    ID = "id"
    REFERENCE = "reference"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"
    DATETIME = "datetime"
    ADDRESS = "address"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class FieldSchema:
    name: str
    type: FieldType
    label: str = ""
    custom: bool = False
    picklist_values: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ObjectSchema:
    """What `discover` returns: the fields an object has, by name."""

    system: str
    object: str
    fields: dict[str, FieldSchema]


@dataclass(frozen=True, slots=True, order=True)
class Watermark:
    """A (timestamp, id) cursor: ties on the timestamp are broken by the record id."""

    modified_at: datetime
    record_id: str = ""


@dataclass(slots=True)
class SourceRecord:
    """One record as a connector read it. Not a frozen dataclass, though nothing changes a
    record once read: a sync builds one a row, and a frozen one's `__init__` sets each field
    through `object.__setattr__`, about a seventh of a CSV row's parse (nor could it be hashed:
    `fields` is a dict)."""

    system: str
    object: str
    id: str
    modified_at: datetime | None
    deleted: bool
    fields: dict[str, Any]
    line: int | None = None  # in a file export, so that a quarantine reason can name it

    @property
    def cursor(self) -> Watermark | None:
        return Watermark(self.modified_at, self.id) if self.modified_at is not None else None


@dataclass(frozen=True, slots=True)
class Reject:
    """A record the connector could not turn into a `SourceRecord`; it is quarantined."""

    reason: str
    raw: Any
    source_id: str | None = None
    line: int | None = None
    origin: str | None = None  # the export's digest: with the line, names a row without an id


@dataclass(slots=True)
class Page:
    """One page of a read.

    `checkpoint` is a promise: every change at or before it has now been emitted, so the
    sync may store it as the watermark together with this page. A source that cannot
    promise that mid-read (an unsorted file) leaves it None until its last page.
    `snapshot` marks every page of a read that returns the whole object (a file export
    with no deletion flag); `snapshot_complete` on its last page means ids absent from
    the read no longer exist in the source. `whole_export` marks a read that went through
    every row of the object (a file, re-read whole each time), so a quarantined row it no
    longer met has left the source. `present_ids` are ids a snapshot page vouches
    for without their records: an id-only reconciliation scan, which finds the deletions
    a source no longer reports (purged from a recycle bin, deleted permanently).
    """

    records: list[SourceRecord] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    checkpoint: Watermark | None = None
    snapshot: bool = False
    snapshot_complete: bool = False
    present_ids: list[str] = field(default_factory=list)
    whole_export: bool = False


@dataclass(frozen=True, slots=True)
class ReadSpec:
    """Which object to read and which of its fields carry id, change time and deletion."""

    object: str
    id_field: str
    modified_at_field: str | None = None
    deleted_field: str | None = None
    fields: tuple[str, ...] | None = None  # None: every field the object has
    reread_ids: frozenset[str] = frozenset()  # emitted whatever the watermark: quarantined


class WriteStatus(StrEnum):
    WRITTEN = "written"
    REJECTED = "rejected"
    NOT_FOUND = "not_found"
    AMBIGUOUS = "ambiguous"
    CHANGED = "changed"  # the source record changed after we read it: not written


class Stamp(NamedTuple):
    """A record's modification time as we read it, and the field it came from (None: the
    connector's usual one, as for a read whose mapping names none)."""

    field: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class WriteRequest:
    """One record to write back: update `record_id`, or upsert by `external_id_field`.

    With `expected`, the record is written only if the source still holds it as read:
    an edit made in the source since then is never blindly overwritten."""

    fields: dict[str, Any]
    record_id: str | None = None
    external_id_field: str | None = None
    expected: Stamp | None = None


@dataclass(frozen=True, slots=True)
class WriteResult:
    status: WriteStatus
    record_id: str | None = None
    message: str = ""


@runtime_checkable
class Connector(Protocol):
    system: str
    max_write_batch: int

    def discover(self, object_name: str) -> ObjectSchema: ...

    def read_changes(
        self, spec: ReadSpec, since: Watermark | None, *, full: bool = False
    ) -> Iterator[Page]: ...

    def write_batch(
        self, object_name: str, requests: Sequence[WriteRequest]
    ) -> list[WriteResult]: ...

    def close(self) -> None: ...


CHANGED_SINCE_READ = "the source record changed after it was read; re-read before writing"

StampReader = Callable[[str | None, Mapping[str, datetime]], Mapping[str, datetime]]
"""(stamp field, record id -> time as read) -> record id -> the source's time now; a record
the source no longer has is left out (its write then answers not found)."""


def write_unchanged(
    requests: Sequence[WriteRequest],
    current: StampReader,
    write: Callable[[Sequence[WriteRequest]], list[WriteResult]],
) -> list[WriteResult]:
    """Write the requests whose record the source has not changed since it was read, and
    answer CHANGED for the others, in the requests' order.

    Every API here overwrites unconditionally, so the check is a read of the batch's
    stamps right before its write: what remains is the moment between the two.
    """
    asked: dict[str | None, dict[str, datetime]] = {}
    for request in requests:
        if request.expected is not None and request.record_id:
            asked.setdefault(request.expected.field, {})[request.record_id] = request.expected.at
    now = {(name, rid): at for name, ids in asked.items() for rid, at in current(name, ids).items()}
    changed = [
        r.expected is not None
        and r.record_id is not None
        and (r.expected.field, r.record_id) in now
        and now[(r.expected.field, r.record_id)] > r.expected.at
        for r in requests
    ]
    written = iter(write([r for r, moved in zip(requests, changed, strict=True) if not moved]))
    return [
        WriteResult(WriteStatus.CHANGED, r.record_id, CHANGED_SINCE_READ)
        if moved
        else next(written)
        for r, moved in zip(requests, changed, strict=True)
    ]


@runtime_checkable
class SourceMerger(Protocol):
    """A connector whose API merges two records of an object into one (HubSpot's merge
    endpoint): asked only for duplicates the hub is all but certain of."""

    def merge(self, object_name: str, primary_id: str, merged_id: str) -> WriteResult: ...


class ParsedChunk(NamedTuple):
    """A chunk's page, and the newest cursor among all the records the chunk held."""

    page: Page
    newest: Watermark | None


class Chunk(Protocol):
    """A stretch of a read not parsed yet: cheap to send to another process, parsed there."""

    last: bool

    def parse(self) -> ParsedChunk: ...


@runtime_checkable
class ChunkedReader(Protocol):
    """A connector that can hand out its reads unparsed, so parsing runs beside mapping.

    A chunked read promises no checkpoint mid-read (an unsorted export): its checkpoint
    is the newest cursor of all its chunks, promised with the last one (`checkpoint_at_end`).
    Parsing its chunks in order yields the pages `read_changes` yields.
    """

    def read_chunks(
        self, spec: ReadSpec, since: Watermark | None, *, full: bool = False
    ) -> Iterator[Chunk]: ...


@runtime_checkable
class DeclaredColumns(Protocol):
    """A connector whose objects declare their columns before any row (a CSV header, the
    fields Salesforce's describe lets the integration user read), so that a mapping can be
    checked against them before a read."""

    def columns(self, object_name: str) -> tuple[str, ...] | None: ...

    def columns_origin(self, object_name: str) -> str:
        """What declares them, for the message naming a missing one ("the header of ...")."""
        ...


@runtime_checkable
class OwnChangeStamp(Protocol):
    """A connector that reads changes by one stamp field of its own, whatever a mapping
    names (Salesforce: SystemModstamp): a mapping naming another is refused once, before
    a sync reads, with why."""

    change_stamp: str
    change_stamp_why: str


def checkpoint_at_end(
    parsed: Iterable[tuple[T, Watermark | None, bool]],
) -> Iterator[tuple[T, Watermark | None]]:
    """Pair each (item, its newest cursor, is last) with its checkpoint: None but for the
    last item, which gets the newest cursor of them all."""
    newest: Watermark | None = None
    for item, item_newest, last in parsed:
        if item_newest is not None and (newest is None or item_newest > newest):
            newest = item_newest
        yield item, newest if last else None


def parse_timestamp(value: Any) -> datetime:
    """A UTC datetime from the shapes sources use: ISO 8601 (`Z`, `+0000`, `+00:00`),
    `YYYY-MM-DD HH:MM:SS` (read as UTC) or epoch milliseconds (HubSpot)."""
    if value.__class__ is str and value.endswith("Z"):
        try:  # the usual export stamp, read as it is (Python 3.11 takes the Z as UTC) in a
            return datetime.fromisoformat(value)  # fifth of the time of the steps below
        except ValueError:
            pass  # spaces around it, say: the steps below read it, or say why not
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, UTC)
    text = str(value).strip()
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit() and ":" not in text[-5:]:
        text = f"{text[:-2]}:{text[-2:]}"  # Salesforce's +0000
    parsed = datetime.fromisoformat(text)  # ValueError names the bad value
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds, the shape HubSpot and PartnerStack filter and page by."""
    return round(moment.timestamp() * 1000)


def after_cursor(
    records: Iterable[SourceRecord], since: Watermark | None
) -> Iterator[SourceRecord]:
    """Keep records strictly after `since` in (timestamp, id) order.

    Filtering on the pair, not the timestamp alone, is what lets a read resume inside a
    run of records that share one timestamp without skipping or repeating any.
    """
    for record in records:
        cursor = record.cursor
        if since is None or cursor is None or cursor > since:
            yield record


def reconciliation_due(since: Watermark, every_s: float) -> bool:
    """Whether a reconcile period boundary lies between the watermark and now: the first
    sync of each period (UTC days for a period of 86,400 s) compares ids, the others do
    not; a period of 0 or less compares them on every sync."""
    if every_s <= 0:
        return True
    now = datetime.now(UTC).timestamp()
    return since.modified_at.timestamp() // every_s < now // every_s


@dataclass
class PagingGuard:
    """Stops a paging loop the API answers with a cursor it has already returned (a stuck
    API, a proxy replaying a page): without it the read pages the same records for ever."""

    what: str
    seen: set[str] = field(default_factory=set)

    def check(self, cursor: object) -> None:
        key = str(cursor)
        if key in self.seen:
            raise ConnectorError(
                f"{self.what}: the API returned the paging cursor {key!r} a second time; "
                "the read stopped instead of paging the same records again"
            )
        self.seen.add(key)


def error_reason(body: str | bytes | None, key: str = "message") -> str:
    """The reason in an API's error body: its JSON `key`, or else the body's own text (cut
    short), so a body without a message still says why."""
    text = body.decode(errors="replace") if isinstance(body, bytes) else body or ""
    reason = json_object(text).get(key)
    return str(reason) if reason else text.strip()[:300]


def json_object(text: str | bytes | None) -> dict[str, Any]:
    """A response body as a JSON object: {} when it is empty, not JSON or not an object."""
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
