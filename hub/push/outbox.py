"""Building the outbox: after a resolve, the writes each changed golden record asks of
its members, only where the source's stored value differs.

A row's idempotency key is (target record, fields, golden version): rebuilding after a
crash or a rerun finds the rows it already queued instead of queuing them again, and a
write already sent is never queued a second time for the same golden version. A newer
diff for a record supersedes its older pending row, so a record has one pending write.
A write skipped because its source record changed after the diff is diffed again by the
next build, against the record as re-read: queued again if still wanted, else retired.
With `push.merge_duplicates` on, a record the source should merge away gets the merge
(hub.push.merges) instead of its field writes.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    or_,
    select,
    tuple_,
    type_coerce,
    update,
)

from hub.config import RelhubConfig
from hub.push.merges import MERGE_INTO, MergePolicy, merge_plan, merging_systems
from hub.push.targets import (
    PushTarget,
    golden_names,
    push_targets,
    source_names,
    wanted_writes,
)
from hub.store import runs
from hub.store.bulk import chunks, insert_rows
from hub.store.db import JSONText, dumps, utcnow, writing
from hub.store.identity_models import ACTIVE, GoldenMemberRow, GoldenRecordRow
from hub.store.locks import DEFAULT_WAIT_S
from hub.store.models import Run, SourceRecordRow, same_source_record
from hub.store.push_models import PENDING, SKIPPED, SUPERSEDED, OutboxRow

STEP = "outbox"
RESOLVE_STEP = "resolve"
GOLDEN_PAGE = 2000
_outbox = OutboxRow.__table__
_OPEN = (PENDING, SKIPPED)  # rows a newer diff retires

Progress = Callable[[str, int], None]


@dataclass
class BuildReport:
    run_id: int
    golden_mark: int  # the newest resolve run whose golden records are in the outbox
    golden_records: int = 0
    targets: int = 0
    queued: int = 0
    superseded: int = 0
    seconds: float = 0.0
    by_field: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def fields_text(fields: Mapping[str, Any]) -> str:
    """A write's fields as stored and keyed: JSON, sorted by name."""
    return dumps(dict(sorted(fields.items())))


def idempotency_key(
    system: str, object_name: str, source_id: str, fields: str, version: int
) -> str:
    """The key of a write (its `fields_text`) of a golden version to a target record."""
    text = "\x1f".join((system, object_name, source_id, fields, str(version)))
    return hashlib.sha256(text.encode()).hexdigest()


def _marks(engine: Engine) -> tuple[int, int]:
    """(golden mark of the last build, newest successful resolve run)."""
    with engine.connect() as connection:
        last = connection.execute(
            select(Run.counts)
            .where(Run.step == STEP, Run.status == runs.SUCCEEDED)
            .order_by(Run.id.desc())
            .limit(1)
        ).scalar()
        newest = connection.execute(
            select(Run.id)
            .where(Run.step == RESOLVE_STEP, Run.status == runs.SUCCEEDED)
            .order_by(Run.id.desc())
            .limit(1)
        ).scalar()
    return int((last or {}).get("golden_mark", 0)), int(newest or 0)


def build_outbox(
    config: RelhubConfig,
    engine: Engine,
    *,
    full: bool = False,
    progress: Progress | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> BuildReport:
    """Queue the writes of every golden record resolved since the last build (or all).
    One build at a time: a second waits up to `wait_s`, then starts where it ended."""
    with runs.exclusive(engine, STEP, None, wait_s):
        return _build_alone(config, engine, full=full, progress=progress)


def _build_alone(
    config: RelhubConfig, engine: Engine, *, full: bool, progress: Progress | None
) -> BuildReport:
    since, newest = _marks(engine)
    run_id = runs.start_run(engine, STEP, None)
    report = BuildReport(run_id, golden_mark=newest)
    started = time.perf_counter()
    targets = push_targets(config)
    policy = MergePolicy.from_config(config)
    merging = merging_systems(config) if policy.enabled else set()
    try:
        with writing(engine) as connection:
            skipped = select(_outbox.c.golden_id).where(_outbox.c.status == SKIPPED)
            resolved = and_(
                GoldenRecordRow.updated_run_id > (0 if full else since),
                GoldenRecordRow.updated_run_id <= newest,
            )
            changed = connection.execute(
                select(GoldenRecordRow.golden_id)
                .where(
                    GoldenRecordRow.status == ACTIVE,
                    or_(resolved, GoldenRecordRow.golden_id.in_(skipped)),
                )
                .order_by(GoldenRecordRow.golden_id)
            ).scalars()
            # with nothing pending or skipped, no earlier row can be superseded: skip looking
            open_rows = connection.execute(
                select(_outbox.c.id).where(_outbox.c.status.in_(_OPEN)).limit(1)
            ).first()
            for page in chunks(changed, GOLDEN_PAGE) if targets else ():
                _build_page(
                    connection,
                    targets,
                    page,
                    report,
                    supersede=open_rows is not None,
                    merges=(policy, merging),
                )
                report.golden_records += len(page)
                if progress:
                    progress("golden records", report.golden_records)
    except BaseException as error:
        runs.finish_run(engine, run_id, report.as_dict(), error=error)
        raise
    report.seconds = round(time.perf_counter() - started, 3)
    runs.finish_run(engine, run_id, report.as_dict())
    return report


def _build_page(
    connection: Connection,
    targets: Mapping[tuple[str, str], PushTarget],
    golden_ids: list[str],
    report: BuildReport,
    *,
    supersede: bool,
    merges: tuple[MergePolicy, set[str]],
) -> None:
    members, values = _diff_rows(connection, targets, golden_ids)
    plan = merge_plan(connection, members, *merges)
    rows: dict[str, dict[str, Any]] = {}
    written: dict[str, dict[str, Any]] = {}  # key -> the fields it writes
    examined: list[tuple[str, str, str]] = []
    for member, (fields, payload, roles) in zip(members, values, strict=True):
        system, object_name, source_id, golden_id, modified_at, stage, version, _ = member
        examined.append((system, object_name, source_id))
        into = plan.get((system, object_name, source_id))
        if into:  # a record merged away takes no field writes: only the merge
            writes: dict[str, Any] = {MERGE_INTO: into}
        else:
            record = {"fields": fields, "roles": roles, "lifecycle_stage": stage}
            writes = wanted_writes(targets[system, object_name], golden_id, record, payload)
        if not writes:
            continue
        text = fields_text(writes)
        key = idempotency_key(system, object_name, source_id, text, version)
        written[key] = writes
        rows[key] = {
            "idempotency_key": key,
            "system": system,
            "object": object_name,
            "source_id": source_id,
            "golden_id": golden_id,
            "golden_version": version,
            "fields": JSONText(text),
            "read_modified_at": modified_at,
        }
    report.targets += len(examined)
    if supersede:
        report.superseded += _supersede(connection, examined, set(rows))
    known = _known_keys(connection, list(rows))
    fresh = [row for key, row in rows.items() if key not in known]
    shared = {"status": PENDING, "attempts": 0, "created_at": utcnow(), "run_id": report.run_id}
    insert_rows(connection, _outbox, fresh, shared)
    again = [rows[key] for key, (_, status) in known.items() if status == SKIPPED]
    if again:  # the same write, skipped for a change since read: pending, as re-read
        connection.execute(
            update(_outbox)
            .where(_outbox.c.id == bindparam("pk"))
            .values(status=PENDING, read_modified_at=bindparam("read"), message=None, done_at=None),
            [{"pk": known[r["idempotency_key"]][0], "read": r["read_modified_at"]} for r in again],
        )
    report.queued += len(fresh) + len(again)
    queued = Counter(
        (row["system"], row["object"], name)
        for row in fresh + again
        for name in written[row["idempotency_key"]]
    )
    for (system, object_name, name), count in queued.items():
        label = f"{system}.{object_name}.{name}"
        report.by_field[label] = report.by_field.get(label, 0) + count


def _diff_rows(
    connection: Connection, targets: Mapping[tuple[str, str], PushTarget], golden_ids: list[str]
) -> tuple[Sequence[Any], list[Any]]:
    """The live target members of these golden records, and beside each what its diff
    compares: (golden primary values, the member's stored values, golden roles).

    Only the pushed keys are cut out of the documents, in the database, as one JSON text a
    member, and the page's texts are decoded in one `json.loads`: decoding each golden
    document whole (provenance and all), then each payload, was most of a build."""
    golden = GoldenRecordRow.__table__
    source = SourceRecordRow.__table__
    members = GoldenMemberRow.__table__
    compared = _json_array(
        connection,
        _primaries(connection, golden.c.fields, golden_names(targets.values())),
        _picked(connection, source.c.payload, source_names(targets.values())),
        golden.c.roles,
    )
    rows = connection.execute(
        select(
            members.c.system,
            members.c.object,
            members.c.source_id,
            members.c.golden_id,
            source.c.modified_at,
            golden.c.lifecycle_stage,
            golden.c.updated_run_id.label("version"),
            compared.label("compared"),
        )
        .join(golden, golden.c.golden_id == members.c.golden_id)
        .join(source, same_source_record(source, members))
        .where(
            members.c.golden_id.in_(golden_ids),
            tuple_(members.c.system, members.c.object).in_(list(targets)),
            source.c.deleted.is_(False),
        )
    ).all()
    return rows, json.loads(f"[{','.join(row.compared for row in rows)}]")


def _json_array(connection: Connection, *parts: Any) -> Any:
    """The JSON text of an array of JSON values: documents built by JSON functions, or
    JSON columns (SQLite would take a column's text for a string, unless wrapped)."""
    if connection.dialect.name == "postgresql":
        return cast(func.jsonb_build_array(*parts), Text)
    parts = tuple(func.json(part) if isinstance(part, Column) else part for part in parts)
    return type_coerce(func.json_array(*parts), Text)


def _path(*steps: str | int) -> str:
    """An SQLite JSON path: keys quoted (a pushed name may hold dots), indexes bare."""
    quoted = (
        f"[{s}]" if isinstance(s, int) else '."{}"'.format(s.replace('"', '""')) for s in steps
    )
    return "$" + "".join(quoted)


def _primaries(connection: Connection, fields: Any, names: Sequence[str]) -> Any:
    """A golden record's fields cut down to `names`, each to its value (a multi-valued
    field's primary one), without provenance: what `golden_value` looks up."""
    if connection.dialect.name == "postgresql":
        value = literal("value", String)
        pairs = [
            part
            for name in names
            for entry in [fields.op("->")(literal(name, String))]
            for part in (
                literal(name, String),
                func.coalesce(
                    entry.op("->")(value), entry.op("->")(literal(0, Integer)).op("->")(value)
                ),
            )
        ]
        return func.jsonb_build_object(*pairs)
    pairs = [
        part
        for name in names
        for part in (
            literal(name),
            func.coalesce(
                func.json_extract(fields, _path(name, "value")),
                func.json_extract(fields, _path(name, 0, "value")),
            ),
        )
    ]
    return func.json_object(*pairs)


def _picked(connection: Connection, document: Any, keys: Sequence[str]) -> Any:
    """A JSON document cut down to `keys` in the database."""
    if connection.dialect.name == "postgresql":
        pairs = [
            part
            for key in keys
            for part in (literal(key, String), document.op("->")(literal(key, String)))
        ]
        return func.jsonb_build_object(*pairs)
    pairs = [
        part for key in keys for part in (literal(key), func.json_extract(document, _path(key)))
    ]
    return func.json_object(*pairs)


def _known_keys(connection: Connection, keys: list[str]) -> dict[str, tuple[int, str]]:
    """Idempotency key -> (row id, status) of the keys the outbox already holds."""
    found: dict[str, tuple[int, str]] = {}
    for page in chunks(keys):
        found.update(
            (key, (row_id, status))
            for key, row_id, status in connection.execute(
                select(_outbox.c.idempotency_key, _outbox.c.id, _outbox.c.status).where(
                    _outbox.c.idempotency_key.in_(page)
                )
            )
        )
    return found


def _supersede(
    connection: Connection, examined: Iterable[tuple[str, str, str]], keep: set[str]
) -> int:
    """Retire pending (or skipped) writes of the examined records that today's diff no
    longer asks for."""
    done = 0
    table = _outbox
    for page in chunks(examined, 500):
        stale = [
            row_id
            for row_id, key in connection.execute(
                select(table.c.id, table.c.idempotency_key).where(
                    table.c.status.in_(_OPEN),
                    tuple_(table.c.system, table.c.object, table.c.source_id).in_(page),
                )
            )
            if key not in keep
        ]
        if stale:
            connection.execute(
                update(table)
                .where(table.c.id.in_(stale))
                .values(status=SUPERSEDED, done_at=utcnow())
            )
            done += len(stale)
    return done
