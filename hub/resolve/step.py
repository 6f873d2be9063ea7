"""The resolve step, end to end: what changed, what it reaches, the engine, the writers.

Incremental by default. A resolve takes the records changed since the last one (and
those named by steward decisions since), then everything they can reach: records that
share a block with them (the blocking-key index), and transitively the golden records,
accepted links and must-links those belong to. Only that closure is re-resolved and
rewritten, so a few changes cost a few clusters; `--full` takes every record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, delete, select, update

from hub.config import RelhubConfig
from hub.feed.record import ChangeRecorder
from hub.golden import merged_into
from hub.quality import QualitySummary, quality_summary, updated_summary
from hub.resolve.fitted_models import load_models, save_models, settings_digest
from hub.resolve.identity_tables import (
    all_golden_ids,
    creation_runs,
    golden_id_taken,
    golden_ids_of,
    golden_mates,
    link_neighbours,
    must_link_pairs,
    pair_rows,
    pairs_touching,
)
from hub.resolve.index import (
    IndexEntry,
    block_members,
    block_sizes,
    blocks_of,
    entries_of,
    index_entries,
    insert_blocks,
    insert_features,
    load_features,
    refill_index,
    skipping,
)
from hub.resolve.notes import capped_block_notes
from hub.resolve.source_records import (
    Snapshot,
    decision_mark,
    live_records,
    load_keys,
    load_where,
    record_pages,
    source_mark,
)
from hub.resolve.survivorship_pages import Fetch, GoldenPlan, stored_records, survived_pages
from hub.review import constraints_for, decisions_since, field_overrides, split_key
from hub.store import runs
from hub.store.bulk import PAGE, analyze, chunks, delete_in, delete_pairs, insert_rows
from hub.store.db import utcnow, writing
from hub.store.identity_models import (
    FIELD_OVERRIDE,
    MERGED,
    RETIRED,
    BlockingKeyRow,
    GoldenIdHistoryRow,
    GoldenMemberRow,
    GoldenRecordRow,
    LinkRow,
    RecordFeaturesRow,
    ReviewRow,
)
from hub.store.locks import DEFAULT_WAIT_S
from hub.store.models import Run, SourceRecordRow
from identity import (
    KINDS,
    BatchIndex,
    FittedModel,
    GoldenIdAssignment,
    NormalizedRecord,
    Record,
    ResolutionResult,
    ResolutionSettings,
    assign_golden_ids,
    current_id,
    mint_golden_id,
    resolve_batch,
)
from identity.gc_pause import full_collections_paused

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]
STEP = "resolve"
_DECIDES = ("entity_kind", "probability", "match_weight", "rule", "evidence")  # run aside
GOLDEN_PAGE = 2000  # golden records survived per read of their members


@dataclass
class ResolveReport:
    run_id: int
    full: bool
    changed: int = 0  # records changed (or named by a steward) since the last resolve
    resolved: int = 0  # records re-resolved: the changed ones and what they reach
    golden_records: int = 0  # golden records (re)written
    minted: int = 0
    merged: int = 0
    split: int = 0
    retired: int = 0
    links: int = 0
    review: int = 0
    events: int = 0  # golden-record events recorded for the change feed
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)  # seconds of each step
    notes: list[str] = field(default_factory=list)  # limits met, with the setting to change
    marks: dict[str, int] = field(default_factory=dict)
    summary: QualitySummary | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _last_counts(engine: Engine) -> dict[str, Any]:
    """The report of the last successful resolve (empty: nothing resolved yet)."""
    with engine.connect() as connection:
        counts = connection.execute(
            select(Run.counts)
            .where(Run.step == STEP, Run.status == runs.SUCCEEDED)
            .order_by(Run.id.desc())
            .limit(1)
        ).scalar()
    return counts or {}


def full_resolve_due(config: RelhubConfig, engine: Engine) -> bool:
    """Whether the next resolve must take everything: nothing resolved yet, or no model
    fitted under the current resolution settings (an incremental resolve would fall back
    to a full one itself; a partitioned deployment spreads that one over its workers)."""
    if _last_counts(engine).get("marks") is None:
        return True
    with engine.connect() as connection:
        return load_models(connection, settings_digest(config.resolution)) is None


def resolve(
    config: RelhubConfig,
    engine: Engine,
    *,
    full: bool = False,
    refit: bool = True,
    progress: Progress | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> ResolveReport:
    """Resolve what changed (or everything) into golden records, in one transaction.

    A full resolve fits the model anew unless `refit` is False: then it scores every
    record with the stored model, exactly as incremental resolves since the last fit did
    (what `relhub resolve --full --keep-model` checks them against). One resolve at a
    time: a second waits up to `wait_s` for the first, then starts from where it ended."""
    with runs.exclusive(engine, STEP, None, wait_s):
        return _resolve_alone(config, engine, full=full, refit=refit, progress=progress)


def _resolve_alone(
    config: RelhubConfig,
    engine: Engine,
    *,
    full: bool,
    refit: bool,
    progress: Progress | None,
) -> ResolveReport:
    last = _last_counts(engine)
    previous = last.get("marks")
    report = ResolveReport(runs.start_run(engine, STEP, None), full=full or previous is None)
    return resolve_in_run(
        config, engine, report, lambda resolution: resolution.run(previous, refit), progress, last
    )


@full_collections_paused()
def resolve_in_run(
    config: RelhubConfig,
    engine: Engine,
    report: ResolveReport,
    body: Callable[[Resolution], None],
    progress: Progress | None,
    last: dict[str, Any],
) -> ResolveReport:
    """Run `body` over a resolution in one transaction of the started run `report` names,
    then the data-quality summary (moved on from `last`, the last resolve's report, unless
    the resolve is full), and close the run, failed if anything failed."""
    run_id = report.run_id
    started = time.perf_counter()
    try:
        with writing(engine) as connection:
            resolution = Resolution(
                connection, config.resolution, report, progress or (lambda _label, _done: None)
            )
            body(resolution)
            with resolution.step("quality summary"):
                report.summary = (
                    quality_summary(connection)
                    if report.full or not last.get("summary")
                    else updated_summary(
                        connection,
                        QualitySummary.from_dict(last["summary"]),
                        resolution.before,
                        resolution.after,
                    )
                )
            report.events = resolution.changes.recorded
            resolution.changes.commit()  # last: it serializes the commits that carry events
            committing = time.perf_counter()
        report.steps["commit"] = round(time.perf_counter() - committing, 3)
        log.info("resolve: commit in %.1f s", report.steps["commit"])
    except BaseException as error:
        runs.finish_run(engine, run_id, report.as_dict(), error=error)
        raise
    report.seconds = round(time.perf_counter() - started, 3)
    runs.finish_run(engine, run_id, report.as_dict())
    return report


def _noting_kinds(
    records: Iterable[Record | NormalizedRecord], kinds: list[str]
) -> Iterator[Record | NormalizedRecord]:
    """The records as they pass into the engine, each one's entity kind noted on the way."""
    for record in records:
        kinds.append(record.kind)
        yield record


def _members_by_block(blocks_by_record: Mapping[str, Collection[str]]) -> dict[str, set[str]]:
    members: dict[str, set[str]] = {}
    for key, blocks in blocks_by_record.items():
        for block in blocks:
            members.setdefault(block, set()).add(key)
    return members


class Resolution:
    """One resolve inside one transaction."""

    def __init__(
        self,
        connection: Connection,
        settings: ResolutionSettings,
        report: ResolveReport,
        progress: Progress,
    ) -> None:
        self.connection = connection
        self.settings = settings
        self.report = report
        self.progress = progress
        self.entries: dict[str, IndexEntry] = {}  # index entries by record key
        self.normalized: dict[str, NormalizedRecord] = {}  # neighbours' stored features
        self.indexed: dict[str, dict[str, int]] = {}  # the changed records' stored blocks
        self.sizes: dict[str, tuple[int, int]] = {}  # blocks' records after the change, caps
        self.before: dict[str, str] = {}  # golden ids of the resolved records, before and after
        self.after: dict[str, str] = {}
        self.changes = ChangeRecorder(connection, report.run_id)

    def run(self, previous: dict[str, int] | None, refit: bool) -> None:
        """Incremental when a previous resolve left models fitted under these settings
        for every entity kind the batch holds; otherwise everything (refitting, unless
        asked not to and the stored models cover every kind)."""
        self.report.marks = {
            "source_run": source_mark(self.connection),
            "decision": decision_mark(self.connection),
        }
        digest = settings_digest(self.settings)
        models = load_models(self.connection, digest)
        if models is not None and previous is not None and not self.report.full:
            batch, changed = self._changed(previous)
            if {record.kind for record in batch.records.values()} <= set(models):
                batch = self._reach(batch, changed, models)
                old_ids = golden_ids_of(self.connection, set(batch.records) | batch.gone)
                keys = sorted(batch.records)
                self._resolve(
                    keys,
                    [self._input(k, batch.records[k]) for k in keys],
                    lambda _connection, _keys: batch.records,
                    batch.gone,
                    changed,
                    old_ids,
                    models,
                )
                self._write_index(batch.records, changed)
                return
        self.report.full = True
        ids, keys, kinds = live_records(self.connection)
        old_ids = all_golden_ids(self.connection)
        if refit or models is None or not kinds <= set(models):
            models = None
        gone = set(old_ids) - set(keys)
        records = chain.from_iterable(record_pages(self.connection, ids, keys))
        result = self._resolve(
            keys, records, stored_records, gone, set(keys) | gone, old_ids, models
        )
        if models is None:
            save_models(
                self.connection,
                {kind: result.stats[kind]["model"] for kind in KINDS if kind in result.stats},
                digest,
                self.report.run_id,
            )
        self._analyze_rewritten()

    def run_scored(
        self,
        marks: dict[str, int],
        models: dict[str, FittedModel],
        pairs: Iterable[tuple[str, str]],
    ) -> None:
        """The last step of a partitioned full resolve: every live record, with `pairs` (the
        ones its partitions linked or sent to review, by key) as the only candidates,
        scored with `models`, which then become the store's. The index was written when
        the resolve was planned, and `marks` say what it covered: a record synced since
        is resolved by the next resolve."""
        self.report.full = True
        self.report.marks = marks
        ids, keys, _ = live_records(self.connection)
        old_ids = all_golden_ids(self.connection)
        gone = set(old_ids) - set(keys)
        position = {key: i for i, key in enumerate(keys)}
        given = np.array(
            [(position[a], position[b]) for a, b in pairs if a in position and b in position],
            dtype=np.int64,
        )
        records = chain.from_iterable(record_pages(self.connection, ids, keys))
        self._resolve(keys, records, stored_records, gone, set(keys) | gone, old_ids, models, given)
        save_models(self.connection, models, settings_digest(self.settings), self.report.run_id)
        self._analyze_rewritten()

    def _analyze_rewritten(self) -> None:
        for rewritten in (GoldenMemberRow, GoldenRecordRow, LinkRow, ReviewRow):
            analyze(self.connection, rewritten.__table__)  # the index's tables: `refilled`

    def _changed(self, previous: dict[str, int]) -> tuple[Snapshot, set[str]]:
        """Records synced since the marks, plus those named by newer steward decisions."""
        batch = load_where(
            self.connection,
            SourceRecordRow.last_run_id > previous["source_run"],
            SourceRecordRow.last_run_id <= self.report.marks["source_run"],
        )
        named: set[str] = set()
        merges = merged_into(self.connection)
        for decision in decisions_since(self.connection, previous["decision"]):
            if decision.kind == FIELD_OVERRIDE and decision.golden_id:
                golden_id = current_id(decision.golden_id, merges)
                named |= {
                    k
                    for (k,) in self.connection.execute(
                        select(GoldenMemberRow.record_key).where(
                            GoldenMemberRow.golden_id == golden_id
                        )
                    )
                }
            else:
                named |= {k for k in (decision.left_key, decision.right_key) if k}
        batch.add(load_keys(self.connection, named - set(batch.records) - batch.gone))
        return batch, set(batch.records) | batch.gone

    def _reach(self, changed: Snapshot, keys: set[str], models: dict[str, FittedModel]) -> Snapshot:
        """What a change can move: the changed records, the stored records the engine links
        with them (or sends to review), every member of a block that crosses its cap, and
        the closure over golden records, accepted links and must-links. A pair touching no
        changed record keeps its stored decision, so nothing beyond that closure moves."""
        neighbours, whole = self._block_neighbours(changed, keys)
        stored = sorted(load_features(self.connection, neighbours), key=lambda r: r.key)
        self.normalized = {record.key: record for record in stored}
        probe = [*changed.records, *self.normalized]
        result = resolve_batch(
            [*map(self._input, changed.records, changed.records.values()), *stored],
            self.settings,
            constraints_for(self.connection, set(probe)),
            model=models,
            focus=range(len(changed.records)),
            skip_blocks=skipping(self._oversized()),
        )
        reach = keys | whole
        for pairs in (result.links.pairs(), result.review.pairs()):
            for left, right in pairs.tolist():
                if probe[left] in keys or probe[right] in keys:
                    reach |= {probe[left], probe[right]}
        must = must_link_pairs(self.connection)
        frontier = set(reach)
        while frontier:
            found = golden_mates(self.connection, frontier) | link_neighbours(
                self.connection, frontier
            )
            found |= {b for a, b in must if a in frontier} | {a for a, b in must if b in frontier}
            frontier = found - reach
            reach |= frontier
        known = Snapshot(dict(changed.records), set(changed.gone))
        known.add(load_keys(self.connection, reach - set(known.records) - known.gone))
        self._size_blocks(blocks_of(self.connection, reach - keys))
        return Snapshot({k: r for k, r in known.records.items() if k in reach}, known.gone & reach)

    def _size_blocks(self, blocks_by_record: Mapping[str, Mapping[str, int]]) -> None:
        """Count the stored records of these blocks not sized yet (no change touches them)."""
        caps = {b: cap for blocks in blocks_by_record.values() for b, cap in blocks.items()}
        unsized = set(caps) - set(self.sizes)
        for block, size in block_sizes(self.connection, unsized).items():
            self.sizes[block] = (size, caps[block])

    def _oversized(self) -> set[str]:
        """Blocks the store holds above their cap once this change is in: a batch holding
        a few of their records must not pair them, as a full resolve pairs none."""
        return {block for block, (size, cap) in self.sizes.items() if size > cap}

    def _block_neighbours(self, changed: Snapshot, keys: set[str]) -> tuple[set[str], set[str]]:
        """Stored records sharing a block with a changed record (blocks the engine would not
        skip), and all members of the blocks this change takes across their cap, the
        blocks changed and deleted records leave included: pairs within those appear or
        vanish whichever records they join. Blocks are sized on the index first; only
        those that yield pairs, or cross their cap, are read."""
        own = {key: entry.blocks for key, entry in self._entries(changed.records).items()}
        self.indexed = blocks_of(self.connection, keys)
        caps = {
            block: cap
            for blocks in (*self.indexed.values(), *own.values())
            for block, cap in blocks.items()
        }
        stored = block_sizes(self.connection, set(caps))
        leaving, joining = _members_by_block(self.indexed), _members_by_block(own)
        wanted: dict[str, bool] = {}  # block -> whether its change crosses the cap
        for block, cap in caps.items():
            before = stored.get(block, 0)
            after = before - len(leaving.get(block, ())) + len(joining.get(block, ()))
            self.sizes[block] = (after, cap)
            if (before > cap) != (after > cap):
                wanted[block] = True
            elif after <= cap and block in joining:
                wanted[block] = False
        members = block_members(self.connection, set(wanted))
        neighbours: set[str] = set()
        whole: set[str] = set()
        for block, crosses in wanted.items():
            found = members.get(block, set()) | joining.get(block, set())
            if crosses:
                whole |= found
            else:
                neighbours |= found
        return neighbours - keys, whole

    def _resolve(
        self,
        keys: list[str],
        records: Iterable[Record | NormalizedRecord],
        fetch: Fetch,
        gone: set[str],
        changed: set[str],
        old_ids: dict[str, str],
        models: dict[str, FittedModel] | None,
        candidates: np.ndarray | None = None,
    ) -> ResolutionResult:
        """Resolve the records (under `keys`, in order; scored with `models` when given,
        `candidates` the pairs when given) and write what it decides; `fetch` reads
        records again for survivorship. A full resolve indexes the records unless its
        index was written already (a partitioned one's, with its `candidates`)."""
        self.report.changed = len(changed)
        self.report.resolved = len(keys)
        self.progress("records", len(keys))
        kinds: list[str] = []
        with self.step("engine"):
            result = resolve_batch(
                _noting_kinds(records, kinds),
                self.settings,
                constraints_for(self.connection, set(keys)),
                model=models,
                pairs=candidates,
                index=self.report.full and candidates is None,
                skip_blocks=None if self.report.full else skipping(self._oversized()),
            )
        if self.report.full:  # an incremental batch holds parts of blocks: no full count
            self.report.notes = capped_block_notes(result.stats, self.settings)
        if result.index is not None:
            with self.step("index"):
                self._write_batch_index(keys, result.index)
            result.index = None  # the feature tables: not held through survivorship
        with self.step("golden ids"):
            labels = {key: int(label) for key, label in zip(keys, result.labels, strict=True)}
            ages = creation_runs(self.connection, set(old_ids.values()))
            taken = golden_id_taken(self.connection, preload=self.report.full)

            def mint(members: list[str], known: set[str]) -> str:
                while (candidate := mint_golden_id(members, known)) and taken(candidate):
                    known.add(candidate)
                return candidate

            assignment = assign_golden_ids(labels, old_ids, age=ages, mint=mint)
            ids = {key: assignment.ids[label] for key, label in labels.items()}
            del labels
        if not self.report.full:
            self.before, self.after = old_ids, ids
        resolved = set(keys) | gone
        with self.step("members"):
            self._write_members(resolved, ids, old_ids)
        with self.step("golden records"):
            unchanged = self._unchanged(ids, old_ids, changed)
            self._write_golden(fetch, ids, assignment, ages, unchanged)
        for name, model, pairs in (
            ("links", LinkRow, result.links),
            ("review", ReviewRow, result.review),
        ):
            with self.step(name):
                rows = pair_rows(pairs, keys, kinds, self.report.run_id)
                self._write_pairs(model, rows, resolved, changed)
        self.report.links, self.report.review = len(result.links), len(result.review)
        return result

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time one step: its seconds go into the report and the log (`relhub -v`)."""
        started = time.perf_counter()
        self.progress(name, 0)
        yield
        seconds = time.perf_counter() - started
        self.report.steps[name] = round(self.report.steps.get(name, 0.0) + seconds, 3)
        log.info("resolve: %s in %.1f s", name, seconds)

    def _write_members(
        self, resolved: set[str], ids: dict[str, str], old_ids: dict[str, str]
    ) -> None:
        """Each record's golden id. An incremental resolve rewrites only the rows whose id
        changed (each row costs a page in every index of the table), so a row names the run
        that gave the record its golden id."""
        table = GoldenMemberRow.__table__
        if self.report.full:
            self.connection.execute(delete(table))
            moved = ids
        else:
            moved = {
                key: golden_id for key, golden_id in ids.items() if old_ids.get(key) != golden_id
            }
            delete_in(
                self.connection,
                table,
                "record_key",
                [key for key in resolved if key in old_ids and (key not in ids or key in moved)],
            )
        rows = []
        for key, golden_id in moved.items():
            system, object_name, source_id = split_key(key)
            rows.append(
                {
                    "record_key": key,
                    "system": system,
                    "object": object_name,
                    "source_id": source_id,
                    "golden_id": golden_id,
                    "run_id": self.report.run_id,
                }
            )
        insert_rows(self.connection, table, rows)

    def _overrides(self, assignment: GoldenIdAssignment) -> dict[str, dict[str, Any]]:
        """Steward field overrides by the golden id they apply to after this run's merges."""
        merges = merged_into(self.connection) | dict(assignment.merges)
        by_id: dict[str, dict[str, Any]] = {}
        for _, golden_id, name, value in field_overrides(self.connection):
            by_id.setdefault(current_id(golden_id, merges), {})[name] = value
        return by_id

    def _unchanged(
        self, ids: dict[str, str], old_ids: dict[str, str], changed: set[str]
    ) -> set[str]:
        """Golden ids that keep exactly their members, none of them changed (a steward
        decision names its records as changed): survivorship would give them what they
        hold, so an incremental resolve leaves their rows alone."""
        if self.report.full:
            return set()
        before: dict[str, set[str]] = {}
        for key, golden_id in old_ids.items():
            before.setdefault(golden_id, set()).add(key)
        after: dict[str, set[str]] = {}
        for key, golden_id in ids.items():
            after.setdefault(golden_id, set()).add(key)
        return {
            golden_id
            for golden_id, keys in after.items()
            if before.get(golden_id) == keys and not keys & changed
        }

    def _write_golden(
        self,
        fetch: Fetch,
        ids: dict[str, str],
        assignment: GoldenIdAssignment,
        ages: dict[str, int],
        unchanged: set[str],
    ) -> None:
        """Survive every golden record not `unchanged`, a page of golden records at a time
        (their members read through `fetch`), so a full resolve holds one page of records."""
        run_id = self.report.run_id
        members: dict[str, list[str]] = {}
        for key in sorted(ids):
            if ids[key] not in unchanged:
                members.setdefault(ids[key], []).append(key)
        overrides = self._overrides(assignment)
        split_from = {new: old for old, new in assignment.splits}
        table = GoldenRecordRow.__table__
        plan = GoldenPlan(members, fetch, self.settings.survivorship, overrides, ages, run_id)
        pages = list(chunks(sorted(members), GOLDEN_PAGE))
        done = 0
        for page, rows in zip(pages, survived_pages(self.connection, plan, pages), strict=True):
            before = self.changes.before(page)
            delete_in(self.connection, table, "golden_id", page)
            insert_rows(self.connection, table, rows)
            self.changes.written(before, rows, split_from)
            done += len(rows)
            self.progress("golden records", done)
        for status, gone in (
            (MERGED, [old for old, _ in assignment.merges]),
            (RETIRED, assignment.retired),
        ):
            for old in gone:
                self.connection.execute(
                    update(table)
                    .where(table.c.golden_id == old)
                    .values(status=status, member_count=0, updated_run_id=run_id)
                )
        self.changes.identities(assignment.merges, assignment.retired)
        now = utcnow()
        history: list[tuple[str, str, str | None]] = [
            (gid, "minted", None) for gid in assignment.minted
        ]
        history += [(old, "merged_into", into) for old, into in assignment.merges]
        history += [(new, "split_from", old) for old, new in assignment.splits]
        history += [(old, "retired", None) for old in assignment.retired]
        insert_rows(
            self.connection,
            GoldenIdHistoryRow.__table__,
            [
                {"golden_id": gid, "event": event, "other_id": other, "run_id": run_id, "at": now}
                for gid, event, other in history
            ],
        )
        self.report.golden_records = len(members)
        self.report.minted, self.report.merged = len(assignment.minted), len(assignment.merges)
        self.report.split, self.report.retired = len(assignment.splits), len(assignment.retired)

    def _write_pairs(
        self,
        model: type[LinkRow] | type[ReviewRow],
        rows: list[dict[str, Any]],
        resolved: set[str],
        changed: set[str],
    ) -> None:
        """Replace the pairs this run decided anew: both records re-resolved, or either
        changed (a pair between an untouched record and one outside the batch stands). A
        pair decided as before keeps its row (and the run that first decided it): most
        links of a changed record stay what they were, and each row rewritten costs a page
        in both indexes of the table."""
        table = model.__table__
        if self.report.full:
            self.connection.execute(delete(table))
            insert_rows(self.connection, table, rows)
            return
        stored = pairs_touching(self.connection, table, resolved, *_DECIDES)
        decided = {
            (a, b)
            for a, b in stored
            if (a in resolved and b in resolved) or a in changed or b in changed
        }
        fresh = {(row["left_key"], row["right_key"]): row for row in rows}
        same = {
            pair
            for pair in decided & fresh.keys()
            if stored[pair] == tuple(fresh[pair][name] for name in _DECIDES)
        }
        delete_pairs(self.connection, (table.c.left_key, table.c.right_key), decided - same)
        insert_rows(
            self.connection, table, [row for pair, row in fresh.items() if pair not in same]
        )

    def _input(self, key: str, record: Record) -> Record | NormalizedRecord:
        """A record as the engine should read it: its normalized values where this run
        has them (a changed record's index entry, a neighbour's stored features), so no
        record is normalized twice."""
        if key in self.entries:
            return NormalizedRecord(key, self.entries[key].kind, self.entries[key].values)
        return self.normalized.get(key, record)

    def _entries(self, records: dict[str, Record]) -> dict[str, IndexEntry]:
        """Index entries of these records by key, each computed once per run."""
        missing = [k for k in records if k not in self.entries]
        self.entries.update(
            zip(missing, index_entries([records[k] for k in missing], self.settings), strict=True)
        )
        return {k: self.entries[k] for k in records}

    def _write_index(self, records: dict[str, Record], changed: set[str]) -> None:
        """Re-index the changed records of an incremental resolve: their features, and only
        the (record, block) rows that changed, as each costs a page in every index of the
        table (a new phone moves one block of fifteen)."""
        fresh = {k: r for k, r in records.items() if k in changed}
        entries = self._entries(fresh)
        now = {key: entry.blocks for key, entry in entries.items()}
        table = BlockingKeyRow.__table__
        delete_pairs(
            self.connection,
            (table.c.record_key, table.c.block),
            [
                (key, block)
                for key, blocks in self.indexed.items()
                for block, cap in blocks.items()
                if now.get(key, {}).get(block) != cap
            ],
        )
        insert_blocks(
            self.connection,
            {
                key: {
                    block: cap
                    for block, cap in blocks.items()
                    if self.indexed.get(key, {}).get(block) != cap
                }
                for key, blocks in now.items()
            },
        )
        delete_in(self.connection, RecordFeaturesRow.__table__, "record_key", changed)
        insert_features(self.connection, entries)

    def _write_batch_index(self, keys: list[str], index: BatchIndex) -> None:
        """Index every record of a full resolve afresh, a page at a time, from the feature
        tables the engine resolved them with."""

        def pages() -> Iterator[dict[str, IndexEntry]]:
            for start in range(0, len(keys), PAGE):
                page = keys[start : start + PAGE]
                found = index.records(start, start + len(page))
                yield dict(zip(page, entries_of(found, self.settings), strict=True))

        refill_index(self.connection, pages(), self.progress)
