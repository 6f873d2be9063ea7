"""A full resolve in three steps that may run on separate workers: pair scoring spread
over partitions of the blocking index.

- `prepare` (one task): marks what the resolve covers, indexes every record afresh (the
  blocking index and stored features), takes the stored model or fits one, and splits
  the blocks into ranges of block digests holding about equal numbers of pairs;
- `score_partition` (one task per partition): scores the pairs within its blocks with the
  shared model and keeps those it links or sends to review;
- `finish` (one task): resolves every record with those pairs as the only candidates,
  through the same writers as any resolve, in one transaction.

A pair that a partition neither links nor sends to review decides nothing whatever the
steward constraints (they only add links or forbid them), so the result is the full
resolve's with the same model. Fitting a model needs every pair's comparisons, so it is
one process's work: `prepare` fits when no stored model fits the settings and records
(or when asked to), and spreads the scoring of the resolves that follow.

The steps hand work on through run-scoped tables (`hub.store.partition_models`). The run
is a resolve run: it stays 'running' from `prepare` to `finish`, which takes the resolve
lock again; another resolve in between marks it interrupted, and `finish` then refuses.
`prepare` deletes the stored model until `finish` stores it again, so a resolve started
after an unfinished partitioned one is a full one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, Row, delete, func, select, update

from hub.config import RelhubConfig
from hub.resolve.fitted_models import load_models, settings_digest
from hub.resolve.index import IndexRows, index_entries, load_features, refill_index
from hub.resolve.source_records import decision_mark, live_records, record_pages, source_mark
from hub.resolve.step import STEP, Progress, Resolution, ResolveReport, resolve_in_run
from hub.review import constraints_for
from hub.store import runs
from hub.store.bulk import PAGE, chunks, insert_rows
from hub.store.db import utcnow, writing
from hub.store.identity_models import BlockingKeyRow, FittedModelRow
from hub.store.locks import DEFAULT_WAIT_S
from hub.store.models import Run
from hub.store.partition_models import ResolvePartitionRow, ResolvePlanRow, ScoredPairRow
from identity import (
    KINDS,
    FittedModel,
    NormalizedRecord,
    ResolutionSettings,
    pairs_within_groups,
    resolve_batch,
)

log = logging.getLogger(__name__)
BEFORE_ALL, AFTER_ALL = "", "~"  # bounds below and above every block digest (hex)


class PartitionedResolveError(RuntimeError):
    """A step of a partitioned resolve that cannot go on: its run was interrupted, is
    unknown, or has partitions not scored yet."""


@dataclass(frozen=True)
class Plan:
    run_id: int
    models: dict[str, FittedModel]
    marks: dict[str, int]
    partitions: int


def resolve_partitioned(
    config: RelhubConfig,
    engine: Engine,
    partitions: int,
    *,
    refit: bool = True,
    progress: Progress | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> ResolveReport:
    """The three steps in this process, one partition after another: what a deployment
    spreads over workers, and the same result as `resolve(full=True)`."""
    planned = prepare(config, engine, partitions, refit=refit, progress=progress, wait_s=wait_s)
    for partition in planned:
        score_partition(config, engine, **partition)
    return finish(config, engine, planned[0]["run_id"], progress=progress, wait_s=wait_s)


def prepare(
    config: RelhubConfig,
    engine: Engine,
    partitions: int,
    *,
    refit: bool = False,
    progress: Progress | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> list[dict[str, int]]:
    """Start a partitioned resolve: its run, the index, the model and the plan. Returns
    one `{"run_id", "partition"}` per partition (what each scoring task is given)."""
    if partitions < 1:
        raise ValueError(f"partitions must be at least 1, not {partitions}")
    with runs.exclusive(engine, STEP, None, wait_s):
        run_id = runs.start_run(engine, STEP, None)
        try:
            with writing(engine) as connection:
                _prepare(connection, config.resolution, run_id, partitions, refit, progress)
        except BaseException as error:
            runs.finish_run(engine, run_id, {"run_id": run_id, "full": True}, error=error)
            raise
    return [{"run_id": run_id, "partition": p} for p in range(partitions)]


def _prepare(
    connection: Connection,
    settings: ResolutionSettings,
    run_id: int,
    partitions: int,
    refit: bool,
    progress: Progress | None,
) -> None:
    noted = progress or (lambda _label, _done: None)
    marks = {"source_run": source_mark(connection), "decision": decision_mark(connection)}
    ids, keys, kinds = live_records(connection)

    def pages() -> Iterator[IndexRows]:
        for key_page, records in zip(
            chunks(keys, PAGE), record_pages(connection, ids), strict=True
        ):
            yield IndexRows.of(dict(zip(key_page, index_entries(records, settings), strict=True)))

    refill_index(connection, pages(), noted)
    digest = settings_digest(settings)
    models = None if refit else load_models(connection, digest)
    if models is None or not kinds <= set(models):
        noted("fitting the model", 0)
        models = _fit(connection, settings, keys)
    connection.execute(delete(FittedModelRow.__table__))  # stored again by `finish`
    for table in (ScoredPairRow, ResolvePartitionRow, ResolvePlanRow):
        connection.execute(delete(table.__table__))  # an unfinished run's
    insert_rows(
        connection,
        ResolvePlanRow.__table__,
        [
            {
                "run_id": run_id,
                "settings_digest": digest,
                "models": {kind: model.to_dict() for kind, model in models.items()},
                "marks": marks,
            }
        ],
    )
    insert_rows(
        connection,
        ResolvePartitionRow.__table__,
        [
            {"run_id": run_id, "partition": p, "first_block": first, "stop_block": stop, **n}
            for p, (first, stop, n) in enumerate(block_ranges(connection, partitions))
        ],
    )


def _fit(
    connection: Connection, settings: ResolutionSettings, keys: list[str]
) -> dict[str, FittedModel]:
    """The models a full resolve of these records fits: the engine over their stored
    features, in the order a full resolve reads them, under the same steward constraints."""

    def features() -> Iterator[NormalizedRecord]:
        for page in chunks(keys, PAGE):
            found = {record.key: record for record in load_features(connection, page)}
            yield from (found[key] for key in page)

    result = resolve_batch(features(), settings, constraints_for(connection, set(keys)))
    return {kind: result.stats[kind]["model"] for kind in KINDS if kind in result.stats}


def block_ranges(connection: Connection, partitions: int) -> list[tuple[str, str, dict[str, int]]]:
    """`partitions` ranges of block digests, [first, stop), holding about equal numbers of
    candidate pairs (a block above its cap holds none), with each one's pairs."""
    rows = connection.execute(
        select(BlockingKeyRow.block, func.count(), func.max(BlockingKeyRow.cap))
        .group_by(BlockingKeyRow.block)
        .having(func.count() > 1)
        .order_by(BlockingKeyRow.block)
    ).all()
    blocks = [block for block, _, _ in rows]
    pairs = np.array([size * (size - 1) // 2 if size <= cap else 0 for _, size, cap in rows])
    before = np.cumsum(pairs) - pairs  # pairs in the blocks before each one
    total = int(pairs.sum())
    cuts = np.searchsorted(before, [total * p / partitions for p in range(1, partitions)])
    bounds = [BEFORE_ALL, *(blocks[c] if c < len(blocks) else AFTER_ALL for c in cuts), AFTER_ALL]
    starts = [0, *cuts.tolist(), len(blocks)]
    return [
        (bounds[p], bounds[p + 1], {"pairs": int(pairs[starts[p] : starts[p + 1]].sum())})
        for p in range(partitions)
    ]


def _under_way(connection: Connection, run_id: int, *columns: Any) -> Row[Any]:
    """The run's plan row (its `columns`), if the run is a partitioned resolve still under
    way; otherwise the error that says to prepare anew."""
    status = connection.execute(select(Run.status).where(Run.id == run_id)).scalar()
    row = connection.execute(
        select(ResolvePlanRow.run_id, *columns).where(ResolvePlanRow.run_id == run_id)
    ).first()
    if status != runs.RUNNING or row is None:
        raise PartitionedResolveError(
            f"resolve run {run_id} is {status or 'unknown'}, not a partitioned resolve "
            "under way (another resolve started since it was prepared?): prepare anew"
        )
    return row


def _plan(connection: Connection, run_id: int) -> Plan:
    row = _under_way(connection, run_id, ResolvePlanRow.models, ResolvePlanRow.marks)
    partitions = connection.execute(
        select(func.count()).where(ResolvePartitionRow.run_id == run_id)
    ).scalar_one()
    return Plan(
        run_id,
        {kind: FittedModel.from_dict(p) for kind, p in row.models.items()},
        row.marks,
        partitions,
    )


def score_partition(
    config: RelhubConfig, engine: Engine, run_id: int, partition: int
) -> dict[str, int]:
    """Score the pairs within one partition's blocks and keep the ones it links or sends to
    review, in place of what an earlier attempt kept (a retried task ends the same)."""
    with engine.begin() as connection:  # scored outside the write lock (SQLite's)
        plan = _plan(connection, run_id)
        bounds = connection.execute(
            select(ResolvePartitionRow.first_block, ResolvePartitionRow.stop_block).where(
                ResolvePartitionRow.run_id == run_id, ResolvePartitionRow.partition == partition
            )
        ).first()
        if bounds is None:
            raise PartitionedResolveError(
                f"resolve run {run_id} has {plan.partitions} partitions, not {partition}"
            )
        keys, pairs = _block_pairs(connection, *bounds)
        kept = _decidable(connection, config.resolution, plan.models, keys, pairs)
    with writing(engine) as connection:
        _under_way(connection, run_id)  # not interrupted meanwhile
        scored = ScoredPairRow.__table__
        connection.execute(
            delete(scored).where(scored.c.run_id == run_id, scored.c.partition == partition)
        )
        insert_rows(
            connection,
            scored,
            [
                {"run_id": run_id, "partition": partition, "left_key": a, "right_key": b}
                for a, b in kept
            ],
        )
        connection.execute(
            update(ResolvePartitionRow)
            .where(ResolvePartitionRow.run_id == run_id, ResolvePartitionRow.partition == partition)
            .values(scored_at=utcnow())
        )
    log.info(
        "resolve run %d, partition %d: %d pairs scored, %d kept",
        run_id,
        partition,
        len(pairs),
        len(kept),
    )
    return {"run_id": run_id, "partition": partition, "pairs": len(pairs), "kept": len(kept)}


def _block_pairs(connection: Connection, first: str, stop: str) -> tuple[list[str], np.ndarray]:
    """The records of the blocks in [first, stop) that pair theirs (no more than their cap),
    and those pairs, each once, as indices into the records."""
    rows = connection.execute(
        select(BlockingKeyRow.block, BlockingKeyRow.record_key, BlockingKeyRow.cap).where(
            BlockingKeyRow.block >= first, BlockingKeyRow.block < stop
        )
    ).all()
    if not rows:
        return [], np.empty((0, 2), np.int64)
    _, groups, sizes = np.unique(
        np.array([row.block for row in rows]), return_inverse=True, return_counts=True
    )
    size = sizes[groups]
    pairing = np.flatnonzero((size > 1) & (size <= np.array([row.cap for row in rows])))
    found = [rows[i].record_key for i in pairing.tolist()]
    keys = sorted(set(found))
    position = {key: i for i, key in enumerate(keys)}
    members = np.fromiter((position[key] for key in found), np.int64, len(found))
    left, right, *_ = pairs_within_groups(members, groups[pairing], int(size.max()))
    return keys, np.unique(np.column_stack((left, right)), axis=0)


def _decidable(
    connection: Connection,
    settings: ResolutionSettings,
    models: dict[str, FittedModel],
    keys: Sequence[str],
    pairs: np.ndarray,
) -> list[tuple[str, str]]:
    """The pairs the engine links or sends to review, scored with the shared model and no
    steward constraints: a superset of those any constraints would link or review."""
    if len(pairs) == 0:
        return []
    features = {record.key: record for record in load_features(connection, keys)}
    result = resolve_batch([features[key] for key in keys], settings, model=models, pairs=pairs)
    kept = chain(result.links.pairs().tolist(), result.review.pairs().tolist())
    return [(keys[a], keys[b]) for a, b in kept]


def finish(
    config: RelhubConfig,
    engine: Engine,
    run_id: int,
    *,
    progress: Progress | None = None,
    wait_s: float = DEFAULT_WAIT_S,
) -> ResolveReport:
    """Resolve every record with the pairs the partitions kept, write golden ids, golden
    records and pairs, store the model, and drop the run's plan: one transaction."""
    with runs.exclusive(engine, STEP, None, wait_s):
        with engine.connect() as connection:
            plan = _plan(connection, run_id)
            unscored = (
                connection.execute(
                    select(ResolvePartitionRow.partition).where(
                        ResolvePartitionRow.run_id == run_id,
                        ResolvePartitionRow.scored_at.is_(None),
                    )
                )
                .scalars()
                .all()
            )
        if unscored:
            raise PartitionedResolveError(
                f"resolve run {run_id}: partitions {', '.join(map(str, unscored))} not scored yet"
            )

        def body(resolution: Resolution) -> None:
            scored = ScoredPairRow.__table__
            pairs = resolution.connection.execute(
                select(scored.c.left_key, scored.c.right_key)
                .where(scored.c.run_id == run_id)
                .distinct()
            ).all()
            resolution.run_scored(plan.marks, plan.models, pairs)
            for table in (ScoredPairRow, ResolvePartitionRow, ResolvePlanRow):
                resolution.connection.execute(
                    delete(table.__table__).where(table.__table__.c.run_id == run_id)
                )

        return resolve_in_run(config, engine, ResolveReport(run_id, full=True), body, progress, {})
