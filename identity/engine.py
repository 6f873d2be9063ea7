"""Batch identity resolution: records in, cluster labels and explained links out.

normalize (features) -> block -> compare -> fit m/u -> score -> decide -> cluster.
Pure: no I/O, deterministic for a given input order and settings (the u sample is seeded).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from itertools import groupby
from typing import Any

import numpy as np
from more_itertools import chunked

from identity.blocking import (
    RuleTexts,
    SkipBlocks,
    blocked_features,
    candidate_keys,
    pairs_of_keys,
    rule_blocks,
)
from identity.clustering import LinkSet, cluster
from identity.comparisons import AgreementRanks, compare
from identity.evidence import NO_RULE, EvidenceTable, Link, LinkList
from identity.feature_sinks import FeatureSink, feature_sink
from identity.features import (
    FeatureTable,
    NormalizedRecord,
    normalized_columns,
    normalized_values,
    raw_columns,
)
from identity.record_views import RecordView
from identity.records import Record
from identity.scoring import (
    ComparisonModel,
    FittedModel,
    agreement_ranks,
    anchor_pairs,
    disagreeing_levels,
    estimate_prior,
    fit_models,
    fitted,
    kept_models,
    on_shared_value,
    pair_weights,
    refit_disagreement_on_anchors,
    told_apart,
)
from identity.settings import (
    BlockingRule,
    Comparison,
    EntitySettings,
    ResolutionSettings,
    StewardConstraints,
)
from identity.sorted_keys import contains, sorted_unique, subset_mask
from workers.forked import ALONE, Split, peeked
from workers.gc_pause import collector_off

__all__ = [
    "BatchIndex",
    "Link",
    "NormalizedRecord",
    "RecordIndex",
    "ResolutionResult",
    "index_records",
    "resolve_batch",
    "score_pairs",
]

CHUNK_SIZE = 20_000  # records read at a time: bounds the pydantic objects held at once
PAIR_CHUNK = 1 << 21  # pairs compared at a time: bounds the per-value scratch of a comparison
HELD_WEIGHT_PAIRS = 1 << 14  # up to this many pairs, `_Weights` holds its columns (~1.5 MB)
PARALLEL_COMPARE_PAIRS = 1 << 18  # from this many candidate pairs, a worker compares too
PARALLEL_BLOCKING_RECORDS = 1 << 16  # from this many records, a worker blocks too


@dataclass
class ResolutionResult:
    labels: np.ndarray
    candidate_pairs: np.ndarray
    links: LinkList
    review: LinkList
    stats: dict[str, Any] = field(default_factory=dict)


Input = Record | RecordView | NormalizedRecord  # what a resolve reads
SkipStoredBlocks = Callable[[str, str, np.ndarray], np.ndarray]  # (kind, rule, texts) -> skip


def _input_key(item: Input) -> str:
    return item.key if isinstance(item, NormalizedRecord | RecordView) else item.provenance.key


def _steward_pairs(
    pairs: list[tuple[int | str, int | str]], index_of: dict[str, int], n: int
) -> np.ndarray:
    resolved = []
    for a, b in pairs:
        if any(isinstance(x, str) and x not in index_of for x in (a, b)):
            raise ValueError(f"steward pair ({a!r}, {b!r}) names no record of this batch")
        ia, ib = (index_of[x] if isinstance(x, str) else x for x in (a, b))
        if not (0 <= ia < n and 0 <= ib < n):
            raise ValueError(f"steward pair ({a!r}, {b!r}) names no record of this batch")
        if ia != ib:
            resolved.append((min(ia, ib), max(ia, ib)))
    return np.array(resolved, dtype=np.int64).reshape(-1, 2)


KINDS: tuple[str, ...] = ("person", "organization")


@dataclass
class _Intake:
    """What a resolve keeps of its input records: their raw values, sent to be coded per
    kind, each record's kind, and the indices of the records stewards name by key —
    never the records."""

    sink: FeatureSink
    named: set[str]
    index_of: dict[str, int] = field(default_factory=dict)
    kind_parts: list[np.ndarray] = field(default_factory=list)
    n: int = 0

    def add(self, chunk: Sequence[Input]) -> None:
        kinds = np.array([KINDS.index(r.kind) for r in chunk], dtype=np.int8)
        start = 0
        for normalized, run in groupby(chunk, key=lambda r: isinstance(r, NormalizedRecord)):
            size = len(list(run))
            self._add_run(chunk[start : start + size], kinds[start : start + size], normalized)
            start += size
        if self.named:
            for i, item in enumerate(chunk):
                key = _input_key(item)
                if key in self.named:
                    self.index_of[key] = self.n + i
        self.kind_parts.append(kinds)
        self.n += len(chunk)

    def _add_run(self, run: Sequence[Input], kinds: np.ndarray, normalized: bool) -> None:
        """Records of one form (parsed, or normalized values), sent per kind in order."""
        for code, kind in enumerate(KINDS):
            members = np.flatnonzero(kinds == code)
            if len(members):
                of_kind: Any = [run[i] for i in members.tolist()]
                raw = (
                    normalized_columns(kind, of_kind) if normalized else raw_columns(kind, of_kind)
                )
                self.sink.add(kind, raw, len(of_kind), normalized)

    def kinds(self) -> np.ndarray:
        return np.concatenate(self.kind_parts) if self.kind_parts else np.empty(0, np.int8)


def _read(
    records: Iterable[Input], settings: ResolutionSettings, named: set[str]
) -> tuple[_Intake, dict[str, FeatureTable]]:
    """Records read a chunk at a time into feature tables per kind. A stream of more than
    one chunk (a store's pages, parsed as they come) has its values coded in a forked
    worker while this process reads on; records already in a list cost nothing to read,
    so a worker would only add the sending."""
    head, chunks = peeked(chunked(records, CHUNK_SIZE), 2)
    streamed = not isinstance(records, Sequence)
    with feature_sink(settings, forked=streamed and len(head) > 1) as sink:
        intake = _Intake(sink, named)
        for chunk in chunks:
            intake.add(chunk)
        return intake, sink.finish()


@dataclass(frozen=True)
class _Weights:
    """Each comparison's weight of the candidate pairs, computed when asked: held for
    every pair (16M at a million records) they would be the largest array of a resolve."""

    models: list[ComparisonModel]
    levels: np.ndarray
    agreed: list[np.ndarray | None]
    cap: float

    def shared(self, i: int, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Per pair: agrees on comparison i through a value different people carry."""
        agreed = self.agreed[i]
        levels = self.levels[rows, i]
        return on_shared_value(
            self.models[i], len(levels), None if agreed is None else agreed[rows]
        )

    @cached_property
    def _held(self) -> list[np.ndarray] | None:
        """Every comparison's column, held where the pairs are few (a record matched on
        demand): the total and the links' and review's evidence then read them instead
        of computing each column three times."""
        if len(self.levels) > HELD_WEIGHT_PAIRS:
            return None
        return [self._computed(i, slice(None)) for i in range(len(self.models))]

    def column(self, i: int, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        held = self._held
        return self._computed(i, rows) if held is None else held[i][rows]

    def _computed(self, i: int, rows: np.ndarray | slice) -> np.ndarray:
        agreed = self.agreed[i]
        shared = self.shared(i, rows) if self.models[i].shared_values is not None else None
        return pair_weights(
            self.models[i],
            self.levels[rows, i],
            None if agreed is None else agreed[rows],
            shared,
            self.cap,
        )

    def total(self, split: Split) -> np.ndarray:
        """Each pair's summed weight, a chunk of pairs at a time (bounded scratch), the
        chunks split by `split` (a pair's weights are added in the same order either
        way)."""
        evidence = split.zeros((len(self.levels),), np.float64)

        def add(rows: slice) -> None:
            for i in range(len(self.models)):
                evidence[rows] += self.column(i, rows)

        split.map(
            add,
            [slice(start, start + PAIR_CHUNK) for start in range(0, len(evidence), PAIR_CHUNK)],
        )
        return evidence

    def of(self, mask: np.ndarray) -> np.ndarray:
        """The pairs' weights as a (pairs x comparisons) table: a link's evidence."""
        rows = np.flatnonzero(mask)
        table = np.zeros((len(rows), len(self.models)), dtype=np.float32)
        for i in range(len(self.models)):
            table[:, i] = self.column(i, rows)
        return table


@dataclass
class _Scored:
    """Scores of all candidate pairs of one entity kind."""

    levels: np.ndarray
    weights: _Weights
    match_weight: np.ndarray
    probability: np.ndarray
    rule: np.ndarray
    conflict: np.ndarray


def _compare_into(
    table: FeatureTable,
    comparison: Comparison,
    pairs: np.ndarray,
    levels: np.ndarray,
    agreed: np.ndarray | None,
    ranks: AgreementRanks | None,
) -> None:
    """One comparison's level of every pair, and the agreed value's code where `agreed`
    is asked for; a chunk of pairs at a time, so scratch stays bounded."""
    for start in range(0, len(pairs), PAIR_CHUNK):
        chunk = slice(start, start + PAIR_CHUNK)
        outcome = compare(table, comparison, pairs[chunk, 0], pairs[chunk, 1], ranks)
        levels[chunk] = outcome.levels
        if agreed is not None:
            agreed[chunk] = outcome.agreed


def _compare_all(
    table: FeatureTable,
    entity: EntitySettings,
    pairs: np.ndarray,
    split: Split,
    ranks: AgreementRanks | None,
) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """Levels (pairs × comparisons, int8) and, for comparisons weighed by value frequency,
    the agreed value's code (the only ones that need it: it costs 4 bytes a pair), of
    several shared values the first by `ranks` where given. Comparisons are independent
    numpy work, split by `split`."""
    comparisons = entity.comparisons
    levels = split.zeros((len(pairs), len(comparisons)), np.int8)
    agreed: list[np.ndarray | None] = [
        split.zeros((len(pairs),), np.int32) if c.term_frequency or c.shared_identifier else None
        for c in comparisons
    ]
    split.map(
        lambda i: _compare_into(table, comparisons[i], pairs, levels[:, i], agreed[i], ranks),
        range(len(comparisons)),
    )
    return levels, agreed


def _conflicts(levels: np.ndarray, decisive: list[np.ndarray]) -> np.ndarray:
    """Per pair: a comparison reached a level that vetoes the match."""
    conflict = np.zeros(len(levels), dtype=bool)
    for i, vetoes in enumerate(decisive):
        if vetoes.any():
            conflict |= vetoes[levels[:, i]]
    return conflict


def _deterministic(levels: np.ndarray, weights: _Weights, entity: EntitySettings) -> np.ndarray:
    """Index of the first deterministic rule each pair satisfies (NO_RULE if none). A
    compatible comparison is missing or at a level where the values do not disagree
    ("garcia lopez" / "garcia ortega" is close by Jaro-Winkler but two people)."""
    position = {c.name: i for i, c in enumerate(entity.comparisons)}
    rule = np.full(len(levels), NO_RULE, dtype=np.int16)
    for r_index, r in enumerate(entity.deterministic_rules):
        holds = np.ones(len(levels), dtype=bool)
        for name in r.exact:
            i = position[name]
            holds &= (levels[:, i] == 0) & ~weights.shared(i)
        for name in r.compatible:
            i = position[name]
            holds &= ~disagreeing_levels(entity.comparisons[i])[levels[:, i]]
        rule[(rule == NO_RULE) & holds] = r_index
    return rule


def _decisive(model: ComparisonModel, settings: ResolutionSettings) -> np.ndarray:
    """Per level (and a last False for a missing value, indexed as `disagreeing_levels`
    is): a conflict level vetoes a match only where the data shows true matches almost
    never reach it (a national id that sources copy with typos now and then is evidence,
    not a veto). Worked out in Python, one array made: a match request asks it of every
    comparison, on a handful of levels each."""
    at_most = settings.conflict_max_m
    conflicts = zip(model.comparison.conflict_levels(), model.m.tolist(), strict=True)
    return np.array([*(conflict and m <= at_most for conflict, m in conflicts), False])


def _score(
    table: FeatureTable,
    entity: EntitySettings,
    settings: ResolutionSettings,
    pairs: np.ndarray,
    sessions: list[tuple[np.ndarray, set[str]]],
    stats: dict[str, Any],
    model: FittedModel | None,
) -> tuple[_Scored, list[ComparisonModel], float]:
    """The pairs' scores, the comparisons' models and the prior (the share of matches).
    A kept `model` also decides which of several shared values a pair agrees on, as it
    did in the store it was fitted on (the batch's counts would not)."""
    started = time.perf_counter()
    kept = None if model is None else kept_models(table, entity, model)
    split = Split.for_size(len(pairs), PARALLEL_COMPARE_PAIRS)  # the pair-wise steps
    ranks = None if kept is None else agreement_ranks(table, kept)
    levels, agreed = _compare_all(table, entity, pairs, split, ranks)
    stats["seconds_compare"] = time.perf_counter() - started
    started = time.perf_counter()
    if kept is None:
        models = fit_models(table, entity, settings, pairs, levels, agreed, sessions, split)
        refit_disagreement_on_anchors(
            models, levels, anchor_pairs(models, levels, agreed), settings.anchor_min_pairs
        )
    else:
        models = kept
    weights = _Weights(models, levels, agreed, settings.shared_identifier_max_weight)
    stats["seconds_fit"] = time.perf_counter() - started
    match_weight = weights.total(split)
    share = model.prior if model else estimate_prior(match_weight, pairs, table.n, settings)
    match_weight += _log_odds(share)
    probability = 1.0 / (1.0 + np.exp2(-np.clip(match_weight, -500, 500)))
    scored = _Scored(
        levels,
        weights,
        match_weight,
        probability,
        _deterministic(levels, weights, entity),
        _conflicts(levels, [_decisive(m, settings) for m in models]),
    )
    return scored, models, share


def _log_odds(share: float) -> float:
    return float(np.log2(share / (1 - share)))


def _model_statistics(
    table: FeatureTable, models: list[ComparisonModel], share: float
) -> dict[str, Any]:
    """What a resolve reports of the models it scored with (the model to store among them):
    worked out apart from the scores, since scoring a few pairs (`score_pairs`) costs less
    than these."""
    return {
        "prior": share,
        "prior_weight": _log_odds(share),
        "model": fitted(table, models, share),
        "m_u": {
            m.comparison.name: {
                lvl.label: {"m": float(m.m[j]), "u": float(m.u[j]), "weight": float(m.weights[j])}
                for j, lvl in enumerate(m.comparison.levels)
            }
            for m in models
        },
    }


def _member(pairs: np.ndarray, keys: np.ndarray, n: int) -> np.ndarray:
    if len(keys) == 0:
        return np.zeros(len(pairs), dtype=bool)
    return contains(
        sorted_unique(keys[:, 0] * n + keys[:, 1]), pairs[:, 0].astype(np.int64) * n + pairs[:, 1]
    )


def _mark_subset(keys: np.ndarray, job: tuple[np.ndarray, np.ndarray]) -> None:
    """Mark in `job`'s mask the candidate keys that `job`'s rule yielded."""
    subset_mask(keys, *job)


def _pair_keys(pairs: np.ndarray, n: int) -> np.ndarray:
    """Pairs of record indices as keys i * n + j, i < j, whichever way round they came."""
    low, high = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    return low.astype(np.int64) * n + high


def _blocked(
    table: FeatureTable,
    entity: EntitySettings,
    settings: ResolutionSettings,
    split: Split,
    focus: np.ndarray | None,
    stats: dict[str, Any],
    skip: SkipBlocks | None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The candidate pairs of the blocking rules (those touching `focus` when given) as
    sorted keys, and each rule's own; the rules' statistics go into `stats`. `skip` names
    blocks to pair no records in."""
    n = table.n
    started = time.perf_counter()
    keys, rule_stats, rule_keys = candidate_keys(
        table,
        entity.blocking_rules,
        settings.max_block_size,
        split,
        skip,
    )
    stats["seconds_blocking"] = time.perf_counter() - started
    stats["blocking"] = {
        r.name: {
            "pairs": r.pairs,
            "largest_block": r.largest_block,
            "capped_blocks": r.capped_blocks,
            "capped_records": r.capped_records,
            "cap": r.cap,
        }
        for r in rule_stats
    }
    if focus is not None:
        keys, *rule_keys = (
            k[focus[k // max(n, 1)] | focus[k % max(n, 1)]] for k in (keys, *rule_keys)
        )
    return keys, rule_keys


def _resolve_kind(
    table: FeatureTable,
    kind: str,
    settings: ResolutionSettings,
    must: np.ndarray,
    cannot: np.ndarray,
    model: FittedModel | None,
    focus: np.ndarray | None,
    given: np.ndarray | None,
    skip: SkipStoredBlocks | None = None,
) -> tuple[np.ndarray, np.ndarray, EvidenceTable, EvidenceTable, dict[str, Any]]:
    entity = settings.for_kind(kind)
    n = table.n
    stats: dict[str, Any] = {"records": n}
    split = Split.for_size(n, PARALLEL_BLOCKING_RECORDS)  # blocking and the rules' masks
    if given is None:
        skip_kind = None if skip is None else partial(skip, kind)
        keys, rule_keys = _blocked(table, entity, settings, split, focus, stats, skip_kind)
    else:  # scored as given: no rule's pairs train m (the model is fitted)
        keys = sorted_unique(_pair_keys(given, n))
        rule_keys = [np.empty(0, np.int64) for _ in entity.blocking_rules]
    if len(must):
        keys = sorted_unique(np.concatenate([keys, _pair_keys(must, n)]))
    pairs = pairs_of_keys(keys, n)
    stats["candidate_pairs"] = len(pairs)
    trained = [
        (rule, k) for rule, k in zip(entity.blocking_rules, rule_keys, strict=True) if rule.trains_m
    ]
    masks = split.zeros((len(trained), len(keys)), np.bool_)
    split.map(partial(_mark_subset, keys), [(k, masks[i]) for i, (_, k) in enumerate(trained)])
    sessions = [(masks[i], blocked_features(rule)) for i, (rule, _) in enumerate(trained)]
    del keys, rule_keys, trained  # the largest arrays are per pair: each held only as needed
    scored, models, share = _score(table, entity, settings, pairs, sessions, stats, model)
    stats.update(_model_statistics(table, models, share))
    decisive = [_decisive(m, settings) for m in models]
    vetoing = [(m.comparison, v) for m, v in zip(models, decisive, strict=True) if v.any()]
    stats["conflict_comparisons"] = [c.name for c, _ in vetoing]
    is_must, is_cannot = _member(pairs, must, n), _member(pairs, cannot, n)
    accepted, review = _decide(scored, settings, is_must, is_cannot)
    started = time.perf_counter()
    weak = (scored.rule == NO_RULE) & (scored.probability < settings.strong_link_probability)
    priority = np.where(scored.rule != NO_RULE, np.inf, scored.match_weight)
    link_set = LinkSet(
        pairs[accepted, 0],
        pairs[accepted, 1],
        priority[accepted],
        weak[accepted],
        is_must[accepted],
    )

    def conflict(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        vetoed = np.zeros(len(left), dtype=bool)
        for c, vetoes in vetoing:
            vetoed |= vetoes[compare(table, c, left, right).levels]
        return vetoed

    def clash(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        pairs = np.column_stack([left, right])
        levels = _compare_all(table, entity, pairs, ALONE, None)[0]
        return _conflicts(levels, decisive), told_apart(table, models, pairs, levels)

    labels, cluster_stats = cluster(n, link_set, conflict, clash, cannot, settings.max_block_size)
    stats["seconds_cluster"] = time.perf_counter() - started
    stats.update(cluster_stats)
    tables = tuple(_evidence(pairs, scored, mask, entity) for mask in (accepted, review))
    stats["links"], stats["review"] = int(accepted.sum()), int(review.sum())
    return labels, pairs, tables[0], tables[1], stats


def _decide(
    scored: _Scored, settings: ResolutionSettings, is_must: np.ndarray, is_cannot: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: linked (a steward's must-link, or a probable or rule-decided match
    nothing vetoes), and sent to review (not linked, not vetoed, probable enough)."""
    decided = (scored.probability >= settings.match_probability) | (scored.rule != NO_RULE)
    accepted = is_must | (decided & ~scored.conflict & ~is_cannot)
    review = (
        ~accepted
        & ~scored.conflict
        & ~is_cannot
        & (scored.probability >= settings.review_probability)
    )
    return accepted, review


def _evidence(
    pairs: np.ndarray, scored: _Scored, mask: np.ndarray, entity: EntitySettings
) -> EvidenceTable:
    return EvidenceTable(
        pairs[mask, 0],
        pairs[mask, 1],
        scored.probability[mask],
        scored.match_weight[mask],
        scored.rule[mask],
        scored.levels[mask],
        scored.weights.of(mask),
        tuple(entity.comparisons),
        tuple(r.name for r in entity.deterministic_rules),
    )


def _reindex(table: EvidenceTable, original: np.ndarray) -> EvidenceTable:
    """Evidence of one kind with record indices mapped back to the batch's indices."""
    return EvidenceTable(
        original[table.left],
        original[table.right],
        *(
            getattr(table, f)
            for f in (
                "probability",
                "match_weight",
                "rule",
                "levels",
                "weights",
                "comparisons",
                "rule_names",
            )
        ),
    )


@collector_off()
def resolve_batch(
    records: Iterable[Input],
    settings: ResolutionSettings | None = None,
    constraints: StewardConstraints | None = None,
    *,
    model: Mapping[str, FittedModel] | None = None,
    focus: Collection[int] | None = None,
    pairs: np.ndarray | None = None,
    index: Callable[[BatchIndex], None] | None = None,
    skip_blocks: SkipStoredBlocks | None = None,
) -> ResolutionResult:
    """Resolve a batch: one label per record (in input order), equal labels meaning one
    golden record.

    `records` may be any iterable, e.g. a generator over pages of a store: it is read
    once, in chunks, and only feature codes are kept, so the records need never all be in
    memory. Any of them may come as `NormalizedRecord`s (what `index_records` gave a store),
    which resolve exactly as the records they were normalized from, or as `RecordView`s of
    their stored JSON, which resolve as the records.

    `model` maps an entity kind to the parameters a previous resolve fitted (its
    `stats[kind]["model"]`); given, that kind is scored with them instead of refitting,
    which is how an incremental resolve of a few changed records (plus the records they
    block with) scores like the full store. `focus` (record indices) keeps only the
    candidate pairs that touch one of those records: the pairs a change can move. `pairs`
    (record indices, k x 2) are the candidate pairs instead of the blocking rules' (a
    partitioned resolve's pairs, found per block range); they need a `model` for every
    kind. `index` is given the batch's `BatchIndex` (what a store indexes) as soon as the
    records are read, before they are blocked and scored: a store works its rows out
    beside the engine.
    `skip_blocks` tells, by entity kind, rule and block text, the blocks to pair no records
    in: a batch holding part of a block the whole store holds above its cap.
    """
    settings = settings or ResolutionSettings()
    constraints = constraints or StewardConstraints()
    started = time.perf_counter()
    steward = [*constraints.must_link, *constraints.cannot_link]
    intake, tables = _read(
        records, settings, {x for pair in steward for x in pair if isinstance(x, str)}
    )
    n, kinds = intake.n, intake.kinds()
    if index is not None:
        index(BatchIndex(settings, tables, kinds))
    stats: dict[str, Any] = {"seconds_features": time.perf_counter() - started}
    if pairs is not None:
        pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    must = _steward_pairs(constraints.must_link, intake.index_of, n)
    cannot = _steward_pairs(constraints.cannot_link, intake.index_of, n)
    del intake
    focused = None
    if focus is not None:
        focused = np.zeros(n, dtype=bool)
        focused[np.fromiter(focus, dtype=np.int64, count=len(focus))] = True
    labels = np.full(n, -1, dtype=np.int64)
    pair_parts, link_tables, review_tables = [], [], []
    for code, kind in enumerate(KINDS):
        original = np.flatnonzero(kinds == code)
        if len(original) == 0:
            continue
        table = tables.pop(kind)
        local = np.full(n, -1, dtype=np.int64)
        local[original] = np.arange(len(original))

        def localize(found: np.ndarray, what: str, local: np.ndarray = local) -> np.ndarray:
            mapped = local[found]
            if ((mapped < 0) & (mapped != mapped[:, ::-1])).any():
                raise ValueError(f"a {what} pair joins a person and an organization")
            return mapped[(mapped >= 0).all(axis=1)]

        kind_model = (model or {}).get(kind)
        if pairs is not None and kind_model is None:
            raise ValueError(f"candidate pairs given without a fitted {kind} model")
        kind_labels, kind_pairs, links, review, kind_stats = _resolve_kind(
            table,
            kind,
            settings,
            localize(must, "steward"),
            localize(cannot, "steward"),
            kind_model,
            None if focused is None else focused[original],
            None if pairs is None else localize(pairs, "candidate"),
            skip_blocks,
        )
        del table
        labels[original] = kind_labels + labels.max() + 1
        pair_parts.append(original[kind_pairs])
        link_tables.append(_reindex(links, original))
        review_tables.append(_reindex(review, original))
        stats[kind] = kind_stats
    stats["seconds_total"] = time.perf_counter() - started
    candidate = (np.concatenate(pair_parts) if pair_parts else np.empty((0, 2))).astype(np.int32)
    return ResolutionResult(
        labels, candidate, LinkList(link_tables), LinkList(review_tables), stats
    )


def score_pairs(
    records: Sequence[Input],
    pairs: np.ndarray | Sequence[tuple[int, int]],
    settings: ResolutionSettings,
    model: FittedModel,
) -> tuple[LinkList, LinkList]:
    """The links and review pairs among `pairs` (rows of two indices into `records`, all
    of one entity kind), scored and decided with a fitted `model` exactly as
    `resolve_batch(records, model=...)` scores and decides them when it blocks them: the
    pairs are taken as given (no blocking) and nothing is clustered, which is all a
    record matched against its known neighbours needs."""
    _, tables = _read(records, settings, set())
    if len(tables) != 1:
        raise ValueError("score_pairs takes records of one entity kind")
    ((kind, table),) = tables.items()
    entity = settings.for_kind(kind)
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    scored, _, _ = _score(table, entity, settings, pairs, [], {}, model)
    none = np.zeros(len(pairs), dtype=bool)
    accepted, review = _decide(scored, settings, none, none)
    return (
        LinkList([_evidence(pairs, scored, accepted, entity)]),
        LinkList([_evidence(pairs, scored, review, entity)]),
    )


@dataclass(frozen=True)
class RecordIndex:
    """What a store keeps of records to find and score them again without them: each
    record's entity kind, per blocking rule (by name) the texts of the blocks each record
    falls in, and each record's normalized values (`NormalizedRecord.values`), all in
    input order."""

    kinds: list[str]
    blocks: dict[str, list[tuple[str, ...]]]
    values: list[list[Any]]


class BatchIndex:
    """The `RecordIndex` of a batch read from the feature tables that resolved it, a range
    of records at a time: a store indexes a full resolve's records without coding them a
    second time, and a page at a time. A record has no block text for a rule of the other
    entity kind or when it lacks a key, and several for a multi-valued key (every email);
    rules of both kinds may share a name, so a store keys its index by entity kind too."""

    def __init__(
        self, settings: ResolutionSettings, tables: Mapping[str, FeatureTable], kinds: np.ndarray
    ) -> None:
        self.settings = settings
        self.tables = dict(tables)
        self.kinds = kinds
        self.n = len(kinds)
        self._rows = {kind: np.flatnonzero(kinds == KINDS.index(kind)) for kind in self.tables}
        self._texts: dict[str, list[tuple[str, RuleTexts]]] = {}  # worked out when first read

    def records(self, start: int, stop: int) -> RecordIndex:
        """The index of input records `start`..`stop`."""
        if not 0 <= start <= stop <= self.n:
            raise IndexError(f"records {start}..{stop} of a batch of {self.n}")
        size = stop - start
        blocks: dict[str, list[tuple[str, ...]]] = {}
        for kind in self.tables:
            low, high, at = self._span(kind, start, stop)
            if low == high:
                continue
            for name, texts in self._rule_texts(kind):
                column = blocks.setdefault(name, [()] * size)
                for index, found in zip(at, texts.of(low, high), strict=True):
                    column[index] = found
        return RecordIndex(self.kind_names(start, stop), blocks, self.values(start, stop))

    def kind_names(self, start: int, stop: int) -> list[str]:
        """The entity kind of input records `start`..`stop`."""
        return [KINDS[code] for code in self.kinds[start:stop].tolist()]

    def values(self, start: int, stop: int) -> list[list[Any]]:
        """The normalized values of input records `start`..`stop`."""
        values: list[list[Any]] = [[] for _ in range(stop - start)]
        for kind, table in self.tables.items():
            low, high, at = self._span(kind, start, stop)
            for index, row in zip(at, normalized_values(kind, table, low, high), strict=True):
                values[index] = row
        return values

    def block_rows(self) -> Iterator[tuple[str, BlockingRule, np.ndarray, np.ndarray, list[str]]]:
        """Every (record, block) row of the batch, column-wise, by entity kind and blocking
        rule: the rows' records (input positions) and block numbers, and the blocks'
        texts by number (`rule_blocks`): what `records` gives a page at a time, for a
        store that indexes every record."""
        for kind, table in self.tables.items():
            for rule in self.settings.for_kind(kind).blocking_rules:
                records, numbers, texts = rule_blocks(table, rule)
                yield kind, rule, self._rows[kind][records], numbers, texts

    def _span(self, kind: str, start: int, stop: int) -> tuple[int, int, list[int]]:
        """The rows of a kind's table that hold input records `start`..`stop`, and where
        in that range each one's record is."""
        rows = self._rows[kind]
        low, high = np.searchsorted(rows, (start, stop)).tolist()
        return low, high, (rows[low:high] - start).tolist()

    def _rule_texts(self, kind: str) -> list[tuple[str, RuleTexts]]:
        if kind not in self._texts:
            self._texts[kind] = [
                (rule.name, RuleTexts(self.tables[kind], rule))
                for rule in self.settings.for_kind(kind).blocking_rules
            ]
        return self._texts[kind]


@collector_off()
def index_records(
    records: Iterable[Record | RecordView], settings: ResolutionSettings | None = None
) -> RecordIndex:
    """The records' blocks, exactly the engine's grouping, and their normalized values
    (see `BatchIndex`)."""
    settings = settings or ResolutionSettings()
    intake, tables = _read(records, settings, set())
    return BatchIndex(settings, tables, intake.kinds()).records(0, intake.n)
