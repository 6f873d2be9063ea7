"""Evaluate comparison levels over arrays of record pairs.

String similarities are computed once per distinct pair of values (rapidfuzz's
`cpdist` over the unique code pairs), never once per record pair in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler
from rapidfuzz.process import cpdist

from identity.features import FeatureTable, ValueIndex
from identity.settings import Comparison, ComparisonLevel

NULL_LEVEL = -1
_UNSET = -2
# Pairs from which `cpdist` runs on every core: starting its threads costs ~150 µs a call,
# which a match on demand (a few pairs per comparison) paid nine times per request.
_THREADED_FROM = 5_000
# Pairs up to which each is scored as it comes: finding the distinct ones (`np.unique`)
# costs more than scoring a match on demand's few pairs twice.
_DEDUPLICATED_FROM = 64


@dataclass(frozen=True)
class ComparisonOutcome:
    """Per pair: the level index (NULL_LEVEL when a side is missing) and, for pairs at an
    exact first level, the code of the agreed value (-1 otherwise), for frequency weights."""

    levels: np.ndarray
    agreed: np.ndarray


def _unique_pair_scores(
    values: np.ndarray, left: np.ndarray, right: np.ndarray, scorer: Callable[..., float]
) -> np.ndarray:
    if len(left) == 0:
        return np.empty(0, dtype=np.float64)
    base = np.int64(len(values))
    keys = left.astype(np.int64) * base + right
    inverse: np.ndarray | slice = slice(None)
    if len(keys) < _DEDUPLICATED_FROM:
        unique = keys
    else:
        unique, inverse = np.unique(keys, return_inverse=True)
    workers = -1 if len(unique) >= _THREADED_FROM else 1
    scores = cpdist(values[unique // base], values[unique % base], scorer=scorer, workers=workers)
    return np.asarray(scores, dtype=np.float64)[inverse]


def _cross_codes(table: FeatureTable, feature: str, other: str) -> np.ndarray:
    """Codes of `other` translated into `feature`'s value space (-1 when absent there)."""
    index = {v: i for i, v in enumerate(table.values(feature))}
    mapping = np.array([index.get(v, -1) for v in table.values(other)] + [-1], dtype=np.int64)
    codes = table.codes(other)
    return np.where(codes >= 0, mapping[codes], -1)


class _SingleValued:
    """Level conditions over a single-valued feature for a fixed set of pairs."""

    def __init__(
        self, table: FeatureTable, feature: str, left: np.ndarray, right: np.ndarray
    ) -> None:
        self.table, self.feature = table, feature
        self.left, self.right = left, right
        codes = table.codes(feature)
        self.cl, self.cr = codes[left].astype(np.int64), codes[right].astype(np.int64)
        # scorer -> its score per pair, NaN until computed
        self._scores: dict[Callable[..., float], np.ndarray] = {}

    def missing(self) -> np.ndarray:
        return (self.cl < 0) | (self.cr < 0)

    def _swapped_similar(self, level: ComparisonLevel, rows: np.ndarray) -> np.ndarray:
        """Both crossings similar: left's value ~ right's other, left's other ~ right's."""
        other_codes = self.table.codes(level.other or "").astype(np.int64)
        ol, orr = other_codes[self.left[rows]], other_codes[self.right[rows]]
        ok = (ol >= 0) & (orr >= 0)
        combined = np.concatenate(
            [self.table.values(self.feature), self.table.values(level.other or "")]
        )
        shift = len(self.table.values(self.feature))
        first = _unique_pair_scores(
            combined, self.cl[rows][ok], orr[ok] + shift, JaroWinkler.normalized_similarity
        )
        second = _unique_pair_scores(
            combined, ol[ok] + shift, self.cr[rows][ok], JaroWinkler.normalized_similarity
        )
        out = np.zeros(len(rows), dtype=bool)
        out[ok] = (first >= (level.threshold or 0)) & (second >= (level.threshold or 0))
        return out

    def _second_tokens(self, level: ComparisonLevel, cl: np.ndarray, cr: np.ndarray) -> np.ndarray:
        """Same first token; then one side lacks the rest ("garcia" / "garcia lopez": a
        second surname dropped) or both have a rest below the Jaro-Winkler threshold
        ("garcia lopez" / "garcia ortega": two people)."""
        firsts, rests, rest_values = self.table.column(self.feature).tokens
        same_first = firsts[cl] == firsts[cr]
        has_l, has_r = rests[cl] >= 0, rests[cr] >= 0
        if level.kind == "second_token_dropped":
            return same_first & (has_l != has_r)
        both = np.flatnonzero(same_first & has_l & has_r)
        out = np.zeros(len(cl), dtype=bool)
        scores = _unique_pair_scores(
            rest_values, rests[cl[both]], rests[cr[both]], JaroWinkler.normalized_similarity
        )
        out[both] = scores < (level.threshold or 0)
        return out

    def holds(self, level: ComparisonLevel, rows: np.ndarray) -> np.ndarray:
        if level.feature in self.table.multi and level.kind == "exact":
            # a value in common among each record's several (a legal and a preferred name)
            return _common_values(self.table, level.feature, self.left[rows], self.right[rows])[0]
        if level.feature and level.feature != self.feature:  # the level's feature holds
            other = _SingleValued(self.table, level.feature, self.left[rows], self.right[rows])
            present = np.flatnonzero(~other.missing())
            out = np.zeros(len(rows), dtype=bool)
            out[present] = other.holds(level, present)
            return out
        cl, cr = self.cl[rows], self.cr[rows]
        if level.kind == "exact":
            return cl == cr
        if level.kind == "else":
            return np.ones(len(rows), dtype=bool)
        if level.kind == "exact_with":
            codes = self.table.codes(level.other or "")
            ol, orr = codes[self.left[rows]], codes[self.right[rows]]
            return (cl == cr) & (ol == orr) & (ol >= 0)
        if level.kind == "swapped":
            crossed = _cross_codes(self.table, self.feature, level.other or "")
            if level.threshold is None:
                swapped = (crossed[self.right[rows]] == cl) & (crossed[self.left[rows]] == cr)
                return swapped & (cl != cr)
            return self._swapped_similar(level, rows)
        if level.kind == "days_within":
            ordinals = self.table.columns[self.feature].ordinals
            assert ordinals is not None, f"{self.feature} is not a date feature"
            return np.abs(ordinals[cl] - ordinals[cr]) <= (level.threshold or 0)
        if level.kind in ("second_token_dropped", "second_token_differs"):
            return self._second_tokens(level, cl, cr)
        if level.kind == "jaro_winkler":
            scores = self._pair_scores(JaroWinkler.normalized_similarity, rows)
            return scores >= (level.threshold or 0) - 1e-9
        return self._pair_scores(DamerauLevenshtein.distance, rows) <= (level.threshold or 0)

    def _pair_scores(self, scorer: Callable[..., float], rows: np.ndarray) -> np.ndarray:
        """The scorer on the pairs at `rows`, each pair scored once across levels (a second
        Jaro-Winkler band, a second edit budget, reads what the first computed)."""
        scores = self._scores.setdefault(scorer, np.full(len(self.cl), np.nan))
        todo = rows[np.isnan(scores[rows])]
        if len(todo):
            scores[todo] = _unique_pair_scores(
                self.table.values(self.feature), self.cl[todo], self.cr[todo], scorer
            )
        return scores[rows]


_NONE_SHARED = np.iinfo(np.int64).max


def _rarest_in_rows(
    index: ValueIndex, rank: np.ndarray, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """Per pair, the key rank * n_values + code of the first-ranked value both records'
    padded rows hold (_NONE_SHARED if none): every value of one row against the other's."""
    n_values = np.int64(max(len(index.frequency), 1))
    left_rows, right_rows = index.padded[left], index.padded[right]
    best = np.full(len(left), _NONE_SHARED, dtype=np.int64)
    for i in range(left_rows.shape[1]):
        codes = left_rows[:, i]
        present = codes >= 0
        if not present.any():
            break  # rows are filled from the left: no record has more values
        held = np.zeros(len(left), dtype=bool)
        for j in range(right_rows.shape[1]):
            held |= right_rows[:, j] == codes
        held &= present
        keys = rank[codes[held]] * n_values + codes[held]
        best[held] = np.minimum(best[held], keys)
    return best


def _rarest_by_search(
    index: ValueIndex, rank: np.ndarray, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    """`_rarest_in_rows` for pairs with a record of many values: each of the left
    record's values is looked up among the right record's (record, code) keys."""
    n_values = np.int64(max(len(index.frequency), 1))
    counts = np.diff(index.starts)[left]
    pair_index = np.repeat(np.arange(len(left)), counts)
    offsets = np.arange(len(pair_index)) - np.repeat(np.cumsum(counts) - counts, counts)
    candidate = index.codes_by_record[np.repeat(index.starts[left], counts) + offsets].astype(
        np.int64
    )
    probe = right[pair_index].astype(np.int64) * n_values + candidate
    owned = index.owned
    found = owned[np.minimum(np.searchsorted(owned, probe), len(owned) - 1)] == probe
    best = np.full(len(left), _NONE_SHARED, dtype=np.int64)
    hit_codes = candidate[found]
    np.minimum.at(best, pair_index[found], rank[hit_codes] * n_values + hit_codes)
    return best


def _common_values(
    table: FeatureTable,
    feature: str,
    left: np.ndarray,
    right: np.ndarray,
    rank: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """For multi-valued features: which pairs share a value, and the one they agree on:
    the first by `rank` (per value code, lower first; by default the batch's frequency,
    so the rarest)."""
    column = table.multi[feature]
    index = column.index
    rank = index.frequency if rank is None else rank
    if index.wide is None:
        best = _rarest_in_rows(index, rank, left, right)
    else:
        searched = index.wide[left] | index.wide[right]
        best = np.empty(len(left), dtype=np.int64)
        best[~searched] = _rarest_in_rows(index, rank, left[~searched], right[~searched])
        best[searched] = _rarest_by_search(index, rank, left[searched], right[searched])
    has = best != _NONE_SHARED
    agreed = np.full(len(left), -1, dtype=np.int32)
    agreed[has] = best[has] % np.int64(max(len(column.values), 1))
    return has, agreed


def _multi_level_holds(
    table: FeatureTable,
    comparison: Comparison,
    level: ComparisonLevel,
    shared: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
) -> np.ndarray | bool:
    """A level of a multi-valued feature: a value in common (exact), everything (else), or
    a value of `level.feature` in common but none of `level.other` (other_value: two
    people's own mailboxes at one employer)."""
    if level.kind == "exact":
        return shared
    if level.kind == "else":
        return True
    if level.kind == "other_value" and level.feature and level.other:
        # `level.feature` takes its values from this comparison's space (an employer of a
        # mailbox is an employer): only pairs sharing a value here can hold.
        rows = np.flatnonzero(shared)
        holds = np.zeros(len(left), dtype=bool)
        holds[rows] = (
            _common_values(table, level.feature, left[rows], right[rows])[0]
            & ~_common_values(table, level.other, left[rows], right[rows])[0]
        )
        return holds
    raise ValueError(
        f"{comparison.name}: multi-valued features support exact, other_value and else levels"
    )


AgreementRanks = Mapping[str, np.ndarray]  # multi-valued feature -> rank per value code


def compare(
    table: FeatureTable,
    comparison: Comparison,
    left: np.ndarray,
    right: np.ndarray,
    ranks: AgreementRanks | None = None,
) -> ComparisonOutcome:
    """The level of every pair for one comparison (first level whose condition holds).
    A pair sharing several values of a multi-valued feature agrees on the first by
    `ranks` (lower first) where it ranks the feature, else on the batch's rarest."""
    levels = np.full(len(left), _UNSET, dtype=np.int8)
    agreed = np.full(len(left), -1, dtype=np.int32)
    if comparison.feature in table.multi:
        primary = table.codes(comparison.feature)
        missing = (primary[left] < 0) | (primary[right] < 0)
        shared, codes = _common_values(
            table, comparison.feature, left, right, (ranks or {}).get(comparison.feature)
        )
        levels[missing] = NULL_LEVEL
        for index, level in enumerate(comparison.levels):
            hit = (levels == _UNSET) & _multi_level_holds(
                table, comparison, level, shared, left, right
            )
            levels[hit] = index
            agreed[hit & shared] = codes[hit & shared]
        return ComparisonOutcome(levels, agreed)
    evaluator = _SingleValued(table, comparison.feature, left, right)
    levels[evaluator.missing()] = NULL_LEVEL
    for index, level in enumerate(comparison.levels):
        rows = (levels == _UNSET).nonzero()[0]  # not np.flatnonzero: a third of the time
        if len(rows) == 0:
            break
        hit = rows[evaluator.holds(level, rows)]
        levels[hit] = index
        if index == 0 and level.kind == "exact" and not level.feature:
            agreed[hit] = evaluator.cl[hit]
    return ComparisonOutcome(levels, agreed)
