"""The resolve step, in the order it runs: which records it takes, the engine, golden ids,
the writers, the quality summary, one transaction.

Incremental by default. A resolve takes the records changed since the last one (and
those named by steward decisions since), then everything they can reach (`reach`). Only
that closure is re-resolved and rewritten (`minting`, `writers`), so a few changes cost a
few clusters; `--full` takes every record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, select

from hub.config import RelhubConfig
from hub.feed.record import ChangeRecorder
from hub.quality import QualitySummary, quality_summary, updated_summary
from hub.resolve.fitted_models import load_models, save_models, settings_digest
from hub.resolve.identity_tables import all_golden_ids, golden_ids_of, pair_rows
from hub.resolve.index import IndexBeside, reindex_changed, skipping
from hub.resolve.minting import golden_ids
from hub.resolve.notes import capped_block_notes
from hub.resolve.reach import Reach
from hub.resolve.source_records import (
    RowReader,
    decision_mark,
    live_records,
    record_pages,
    source_mark,
)
from hub.resolve.survivorship_pages import Fetch
from hub.resolve.writers import Writers
from hub.review import constraints_for
from hub.store import runs
from hub.store.bulk import analyze
from hub.store.db import writing
from hub.store.identity_models import GoldenMemberRow, GoldenRecordRow, LinkRow, ReviewRow
from hub.store.locks import DEFAULT_WAIT_S
from hub.store.models import Run
from identity import (
    KINDS,
    FittedModel,
    NormalizedRecord,
    Record,
    RecordView,
    ResolutionResult,
    ResolutionSettings,
    resolve_batch,
)
from workers.gc_pause import collector_off

log = logging.getLogger(__name__)
Progress = Callable[[str, int], None]
STEP = "resolve"


@dataclass
class ResolveReport:
    run_id: int
    full: bool
    changed: int = 0  # records changed (or named by a steward) since the last resolve
    resolved: int = 0  # records re-resolved: the changed ones and what they reach
    golden_records: int = 0  # golden records survived
    unchanged: int = 0  # of those, survived as they were stored: their rows left alone
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


@collector_off()
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
    records: Iterable[Record | RecordView | NormalizedRecord], kinds: list[str]
) -> Iterator[Record | RecordView | NormalizedRecord]:
    """The records as they pass into the engine, each one's entity kind noted on the way."""
    for record in records:
        kinds.append(record.kind)
        yield record


class Resolution:
    """One resolve inside one transaction: which records it takes (all, or what a change
    reaches), the engine's run over them, then the writers."""

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
            reach = Reach(self.connection, self.settings)
            batch, changed = reach.changed(previous, self.report.marks)
            if {record.kind for record in batch.records.values()} <= set(models):
                batch = reach.closure(batch, changed, models)
                old_ids = golden_ids_of(self.connection, set(batch.records) | batch.gone)
                keys = sorted(batch.records)
                self._resolve(
                    keys,
                    reach.inputs(batch.records, keys),
                    lambda _connection, _keys: batch.records,
                    batch.gone,
                    changed,
                    old_ids,
                    models,
                    skip=reach.oversized(),
                )
                fresh = {k: r for k, r in batch.records.items() if k in changed}
                reindex_changed(self.connection, reach.entries_of(fresh), reach.indexed, changed)
                return
        self.report.full = True
        keys, kinds, records, fetch = self._every_record()
        old_ids = all_golden_ids(self.connection)
        if refit or models is None or not kinds <= set(models):
            models = None
        gone = set(old_ids) - set(keys)
        result = self._resolve(keys, records, fetch, gone, set(keys) | gone, old_ids, models)
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
        keys, _, records, fetch = self._every_record()
        old_ids = all_golden_ids(self.connection)
        gone = set(old_ids) - set(keys)
        position = {key: i for i, key in enumerate(keys)}
        given = np.array(
            [(position[a], position[b]) for a, b in pairs if a in position and b in position],
            dtype=np.int64,
        )
        self._resolve(keys, records, fetch, gone, set(keys) | gone, old_ids, models, given)
        save_models(self.connection, models, settings_digest(self.settings), self.report.run_id)
        self._analyze_rewritten()

    def _every_record(self) -> tuple[list[str], set[str], Iterator[RecordView], RowReader]:
        """A full resolve's records: every live one's key (in key order), their entity
        kinds, the records as the engine streams them (read as it goes) and their reader
        for survivorship."""
        ids, keys, kinds = live_records(self.connection)
        records = chain.from_iterable(record_pages(self.connection, ids))
        return keys, kinds, records, RowReader(dict(zip(keys, ids, strict=True)))

    def _analyze_rewritten(self) -> None:
        for rewritten in (GoldenMemberRow, GoldenRecordRow, LinkRow, ReviewRow):
            analyze(self.connection, rewritten.__table__)  # the index's: refilled, transferred

    def _resolve(
        self,
        keys: list[str],
        records: Iterable[Record | RecordView | NormalizedRecord],
        fetch: Fetch,
        gone: set[str],
        changed: set[str],
        old_ids: dict[str, str],
        models: dict[str, FittedModel] | None,
        candidates: np.ndarray | None = None,
        skip: set[str] | None = None,
    ) -> ResolutionResult:
        """Resolve the records (under `keys`, in order; scored with `models` when given,
        `candidates` the pairs when given, the blocks `skip` names skipped) and write what
        it decides; `fetch` reads records again for survivorship. A full resolve indexes
        the records unless its index was written already (a partitioned one's, with its
        `candidates`)."""
        self.report.changed = len(changed)
        self.report.resolved = len(keys)
        self.progress("records", len(keys))
        kinds: list[str] = []
        indexing = self.report.full and candidates is None
        with ExitStack() as beside:  # the workers that work on while this process writes
            index = beside.enter_context(IndexBeside(keys, self.settings, self.connection))
            with self.step("engine"):
                result = resolve_batch(
                    _noting_kinds(records, kinds),
                    self.settings,
                    constraints_for(self.connection, set(keys)),
                    model=models,
                    pairs=candidates,
                    index=index.start if indexing else None,
                    skip_blocks=skipping(skip or ()),
                )
            if self.report.full:  # an incremental batch holds parts of blocks: no full count
                self.report.notes = capped_block_notes(result.stats, self.settings)
            with self.step("golden ids"):
                ids, assignment, ages = golden_ids(
                    self.connection, keys, result.labels, old_ids, preload=self.report.full
                )
            if not self.report.full:
                self.before, self.after = old_ids, ids
            resolved = set(keys) | gone
            write = Writers(
                self.connection, self.report.run_id, self.report.full, self.changes, self.progress
            )
            survival = beside.enter_context(
                write.surviving(
                    fetch,
                    ids,
                    assignment,
                    ages,
                    write.unchanged(ids, old_ids, changed),
                    self.settings.survivorship,
                )
            )
            with self.step("members"):
                write.members(resolved, ids, old_ids)
            for name, model, pairs in (
                ("links", LinkRow, result.links),
                ("review", ReviewRow, result.review),
            ):
                with self.step(name):
                    rows = pair_rows(pairs, keys, kinds, self.report.run_id)
                    write.pairs(model, rows, resolved, changed)
            with self.step("golden records"):
                self.report.golden_records, self.report.unchanged = write.golden(
                    survival, assignment
                )
            if indexing:  # last: the index's worker has had the writers' time to finish
                with self.step("index"):
                    index.refill(self.connection, self.progress)
        self.report.minted, self.report.merged = len(assignment.minted), len(assignment.merges)
        self.report.split, self.report.retired = len(assignment.splits), len(assignment.retired)
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
