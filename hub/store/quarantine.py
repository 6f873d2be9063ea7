"""The quarantine: one entry per bad record, open until the record maps, leaves the
export, or a person dismisses it.

An entry is named by its record's id or, where no id could be read, by its export's
digest and line (`entry_key`): a re-read updates the entry instead of adding another,
and an entry without an id can still close, when a later read of the export no longer
meets it. A dismissed entry stays dismissed while its record comes back unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, or_, select, update

from hub.store.bulk import chunks, dialect_insert
from hub.store.db import dumps, utcnow, writing
from hub.store.models import QuarantineRow

_quarantine = QuarantineRow.__table__

MAPPED = "mapped"
GONE = "gone"
DISMISSED = "dismissed"


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    source_id: str | None
    reason: str
    raw: str
    key: str
    fingerprint: str
    stage: str = "read"
    line: int | None = None
    modified_at: datetime | None = None


def quarantine_entry(
    source_id: str | None,
    reason: str,
    raw: Any,
    *,
    stage: str = "read",
    line: int | None = None,
    origin: str | None = None,
    modified_at: datetime | None = None,
    key: str | None = None,
) -> QuarantineEntry:
    """A quarantine entry; `stage` is the step that refused the record (read, map or
    store: only a mapping's refusal is worth re-mapping), `origin` the digest of the
    export it was read from; `key` names the entry where the record's id alone does not."""
    text = raw_text(raw)
    fingerprint = _digest(f"{reason}\x1f{text}")
    if key is None:
        if source_id:
            key = id_key(source_id)
        elif origin and line:
            key = f"line:{origin}:{line}"
        else:
            key = f"raw:{_digest(text)}"
    return QuarantineEntry(source_id, reason, text, key, fingerprint, stage, line, modified_at)


def id_key(source_id: str) -> str:
    return f"id:{source_id}"


def raw_text(raw: Any) -> str:
    """Any raw record as storable text: invalid UTF-8 and NUL bytes shown escaped, not lost."""
    text = raw if isinstance(raw, str) else dumps(raw)
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return text.replace("\x00", "\\x00")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def write_entries(
    connection: Connection,
    run_id: int,
    system: str,
    object_name: str,
    entries: Sequence[QuarantineEntry],
) -> None:
    """Open (or update) one entry per record; a dismissed one reopens only if it changed."""
    if not entries:
        return
    now = utcnow()
    latest = {e.key: e for e in entries}  # one statement may touch a row only once
    statement = dialect_insert(connection, _quarantine)
    changed = {
        name: statement.excluded[name]
        for name in (
            "run_id",
            "source_id",
            "stage",
            "reason",
            "raw",
            "fingerprint",
            "line",
            "modified_at",
        )
    }
    statement = statement.on_conflict_do_update(
        index_elements=["system", "object", "entry_key"],
        set_={**changed, "last_seen_at": now, "resolved_at": None, "resolution": None},
        where=or_(
            _quarantine.c.resolution.is_(None),
            _quarantine.c.resolution != DISMISSED,
            _quarantine.c.fingerprint != statement.excluded.fingerprint,
        ),
    )
    connection.execute(
        statement,
        [
            {
                "run_id": run_id,
                "system": system,
                "object": object_name,
                "source_id": e.source_id,
                "entry_key": e.key,
                "stage": e.stage,
                "line": e.line,
                "reason": e.reason,
                "raw": e.raw,
                "fingerprint": e.fingerprint,
                "modified_at": e.modified_at,
                "created_at": now,
                "last_seen_at": now,
            }
            for e in latest.values()
        ],
    )


def _open_entries(system: str, object_name: str) -> Any:
    return (
        _quarantine.c.system == system,
        _quarantine.c.object == object_name,
        _quarantine.c.resolved_at.is_(None),
    )


def close_mapped(
    connection: Connection, system: str, object_name: str, stored_ids: Collection[str]
) -> None:
    """A good version of a quarantined record closes its entry."""
    where = _open_entries(system, object_name)
    if connection.execute(select(_quarantine.c.id).where(*where).limit(1)).first() is None:
        return  # the common case: nothing of this object waits in quarantine
    now = utcnow()
    for chunk in chunks((id_key(i) for i in stored_ids), 5000):
        connection.execute(
            update(_quarantine)
            .where(*where, _quarantine.c.entry_key.in_(chunk))
            .values(resolved_at=now, resolution=MAPPED)
        )


def close_unmet(engine: Engine, run_id: int, system: str, object_name: str) -> int:
    """After a read of a whole export: open entries it did not meet are gone from it (a
    read meets every row whose entry is open, whatever the watermark)."""
    with writing(engine) as connection:
        result = connection.execute(
            update(_quarantine)
            .where(*_open_entries(system, object_name), _quarantine.c.run_id != run_id)
            .values(resolved_at=utcnow(), resolution=GONE)
        )
    return result.rowcount or 0


def open_source_ids(engine: Engine, system: str, object_name: str) -> frozenset[str]:
    """Ids of the object's records waiting in quarantine: a sync reads them again."""
    query = select(_quarantine.c.source_id).where(
        *_open_entries(system, object_name), _quarantine.c.source_id.is_not(None)
    )
    with engine.connect() as connection:
        return frozenset(connection.execute(query).scalars())


def open_entries(engine: Engine, systems: Sequence[str]) -> set[tuple[str, str, str, str]]:
    """(system, object, entry key, fingerprint) of the systems' open entries: what a run
    adds to them is its new problems; a known bad record read again is not one."""
    query = select(
        _quarantine.c.system,
        _quarantine.c.object,
        _quarantine.c.entry_key,
        _quarantine.c.fingerprint,
    ).where(_quarantine.c.system.in_(list(systems)), _quarantine.c.resolved_at.is_(None))
    with engine.connect() as connection:
        return {tuple(row) for row in connection.execute(query)}  # type: ignore[misc]


def first_reasons(engine: Engine, run_ids: Sequence[int], limit: int = 5) -> list[str]:
    """The first reasons a run quarantined records for, so a user sees them, not a count."""
    query = (
        select(
            _quarantine.c.system,
            _quarantine.c.object,
            _quarantine.c.source_id,
            _quarantine.c.reason,
        )
        .where(_quarantine.c.run_id.in_(list(run_ids)), _quarantine.c.resolved_at.is_(None))
        .order_by(_quarantine.c.id)
        .limit(limit)
    )
    with engine.connect() as connection:
        return [
            f"{system}.{object_name} {source_id or '(no id)'}: {reason}"
            for system, object_name, source_id, reason in connection.execute(query)
        ]


@dataclass(frozen=True, slots=True)
class EntryView:
    """An entry as `relhub quarantine` shows it."""

    id: int
    system: str
    object: str
    source_id: str | None
    line: int | None
    stage: str
    reason: str
    raw: str
    created_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    resolution: str | None
    note: str | None

    @property
    def state(self) -> str:
        return self.resolution or ("closed" if self.resolved_at else "open")


_VIEW_COLUMNS = tuple(_quarantine.c[f.name] for f in fields(EntryView))


def list_entries(
    engine: Engine,
    *,
    system: str | None = None,
    object_name: str | None = None,
    reason: str | None = None,
    open_only: bool = False,
    limit: int | None = None,
) -> tuple[list[EntryView], int]:
    """Entries newest first, filtered; and how many matched in all."""
    where = []
    if system is not None:
        where.append(_quarantine.c.system == system)
    if object_name is not None:
        where.append(_quarantine.c.object == object_name)
    if reason:
        where.append(_quarantine.c.reason.ilike(f"%{_escape_like(reason)}%", escape="\\"))
    if open_only:
        where.append(_quarantine.c.resolved_at.is_(None))
    query = select(*_VIEW_COLUMNS).where(*where).order_by(_quarantine.c.id.desc()).limit(limit)
    with engine.connect() as connection:
        counted = select(func.count()).select_from(_quarantine).where(*where)
        total = connection.execute(counted).scalar_one()
        return [EntryView(*row) for row in connection.execute(query)], total


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class UnknownEntry(LookupError):
    """No quarantine entry has this id."""


def get_entry(engine: Engine, entry_id: int) -> EntryView:
    with engine.connect() as connection:
        row = connection.execute(select(*_VIEW_COLUMNS).where(_quarantine.c.id == entry_id)).first()
    if row is None:
        raise UnknownEntry(f"no quarantine entry {entry_id} (see `relhub quarantine list`)")
    return EntryView(*row)


def dismiss(engine: Engine, entry_ids: Collection[int], note: str) -> int:
    """Close open entries as dismissed, with why; all or nothing. Returns how many were
    open (an entry already closed keeps how it closed)."""
    with writing(engine) as connection:
        found = set(
            connection.execute(
                select(_quarantine.c.id).where(_quarantine.c.id.in_(list(entry_ids)))
            ).scalars()
        )
        missing = sorted(set(entry_ids) - found)
        if missing:
            raise UnknownEntry(
                f"no quarantine entry {', '.join(map(str, missing))} (see `relhub quarantine list`)"
            )
        result = connection.execute(
            update(_quarantine)
            .where(_quarantine.c.id.in_(list(entry_ids)), _quarantine.c.resolved_at.is_(None))
            .values(resolved_at=utcnow(), resolution=DISMISSED, note=note)
        )
    return result.rowcount or 0
