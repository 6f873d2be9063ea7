"""Fellegi–Sunter weights: u by random sampling, m by expectation maximisation.

u (how often two different records agree at a level by chance) comes from random record
pairs, with exact agreement taken from the value frequencies themselves because random
pairs almost never agree exactly on a rare identifier. m (how often true matches reach a
level) comes from EM over the distinct comparison patterns of the candidate pairs, with u
held fixed, as Splink does. Every configured m or u overrides the estimate.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import repeat
from typing import Any, NamedTuple

import numpy as np

from identity.comparisons import NULL_LEVEL, AgreementRanks, compare
from identity.features import FeatureTable
from identity.settings import Comparison, EntitySettings, ResolutionSettings
from identity.sorted_keys import sorted_unique
from workers.forked import ALONE, Split

_FLOOR = 1e-9
# Levels at which two values disagree: relatives make EM overrate how often true matches
# reach them, so their m is measured on anchor pairs.
_DISAGREEING_KINDS: frozenset[str] = frozenset({"else", "second_token_differs"})


def levels_of_kind(comparison: Comparison, kinds: Collection[str]) -> np.ndarray:
    """Per level, whether its kind is one of `kinds`, plus a last False for a missing
    value: indexed by a pair's level (NULL_LEVEL, -1, reads the last)."""
    return np.array([lvl.kind in kinds for lvl in comparison.levels] + [False])


def disagreeing_levels(comparison: Comparison) -> np.ndarray:
    """Per level, whether the two values disagree there (`levels_of_kind`)."""
    return levels_of_kind(comparison, _DISAGREEING_KINDS)


@dataclass
class ComparisonModel:
    """One comparison's parameters. Its weights are worked out once for each m and u it
    is given (EM and the anchor refit give it new ones): a match request reads them some
    thirty times."""

    comparison: Comparison
    m: np.ndarray
    u: np.ndarray
    value_u: np.ndarray | None  # per value code: chance agreement on this value (frequency)
    shared_values: np.ndarray | None  # per value code: True if different people carry it

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name in ("m", "u"):  # worked out again from the new parameters
            self.__dict__.pop("weights", None)
            self.__dict__.pop("level_weights", None)

    @cached_property
    def weights(self) -> np.ndarray:
        """log2(m / u) per level; 0 for a neutral level."""
        weights = np.log2(self.m / self.u)
        weights[[i for i, lvl in enumerate(self.comparison.levels) if lvl.neutral]] = 0.0
        return weights

    @cached_property
    def level_weights(self) -> np.ndarray:
        """`weights` and a last 0 for a missing value: indexed by a pair's level as
        `disagreeing_levels` is (NULL_LEVEL, -1, reads the last)."""
        return np.append(self.weights, 0.0)

    def with_frequencies(
        self, value_u: np.ndarray | None, shared_values: np.ndarray | None
    ) -> ComparisonModel:
        """This model, its weights as worked out, with a batch's value frequencies (its
        attributes taken over as they are: copy.copy took 2.6 against 0.7 us)."""
        model = ComparisonModel.__new__(ComparisonModel)
        model.__dict__.update(self.__dict__)
        model.value_u, model.shared_values = value_u, shared_values
        return model


def _exact_u(table: FeatureTable, feature: str) -> float:
    """Chance that two random records (both with a value) agree exactly."""
    counts, total = table.counts(feature)
    if total < 2:
        return _FLOOR
    return max(float((counts * (counts - 1.0)).sum()) / (total * (total - 1.0)), _FLOOR)


def _random_pairs(n: int, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    left = rng.integers(0, n, size=count)
    right = rng.integers(0, n, size=count)
    keep = left != right
    return np.minimum(left, right)[keep], np.maximum(left, right)[keep]


def estimate_u(
    table: FeatureTable, comparison: Comparison, left: np.ndarray, right: np.ndarray
) -> np.ndarray:
    levels = compare(table, comparison, left, right).levels
    present = levels[levels != NULL_LEVEL]
    floor = 0.5 / max(len(present), 1)
    counts = np.bincount(present, minlength=len(comparison.levels)).astype(np.float64)
    u = np.maximum(counts / max(len(present), 1), floor)
    if comparison.levels[0].kind == "exact":
        u[0] = _exact_u(table, comparison.feature)
    return _apply_overrides(u / u.sum(), comparison, "u")


def _apply_overrides(values: np.ndarray, comparison: Comparison, which: str) -> np.ndarray:
    for index, level in enumerate(comparison.levels):
        override = getattr(level, which)
        if override is not None:
            values[index] = override
    return values


def _initial_m(comparison: Comparison) -> np.ndarray:
    m = np.array([0.9 * 0.1**i for i in range(len(comparison.levels))])
    m[-1] = 0.05
    return _apply_overrides(m / m.sum(), comparison, "m")


def _frequency_model(
    table: FeatureTable,
    comparison: Comparison,
    strangers: _Strangers | None,
    model: FittedModel | None,
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per value code: its chance agreement (frequency) and whether different people carry
    it — from the fitted data when `model` carries them, else from this batch's pairs."""
    if not (comparison.term_frequency or comparison.shared_identifier):
        return None, None
    feature = comparison.feature
    if model is not None and model.frequencies is not None and model.totals is not None:
        counts = model.frequencies.get(feature, ValueCounts([], [])).of(table.values(feature))
        total = model.totals.get(feature, 0)
        shared_set = model.shared_sets.get(feature, frozenset())
        shared: np.ndarray | None = np.fromiter(
            (v in shared_set for v in table.values(feature)),
            dtype=bool,
            count=len(table.values(feature)),
        )
    else:
        counts, total = table.counts(feature)
        shared = _shared_values(table, feature, strangers) if strangers else None
    value_u = np.maximum(counts / max(total, 1), _FLOOR) if comparison.term_frequency else None
    return value_u, shared if comparison.shared_identifier and feature in table.multi else None


@dataclass(frozen=True)
class _Strangers:
    """Candidate pairs seen from one identifier: the value each agrees on (-1: none) and
    whether its two records are different people by a comparison that tells them apart."""

    agreed: np.ndarray
    apart: np.ndarray


def _shared_values(table: FeatureTable, feature: str, strangers: _Strangers) -> np.ndarray:
    """Per value of a multi-valued identifier: carried by different people.

    A value is shared when two records carrying it disagree outright on who they are
    (different given names, another generation: a shared inbox, a family mailbox), or
    when its carriers were too many to be paired at all (a block above the cap). A
    nickname, a typo or a missing name on one record does not make a person's own email
    look shared.
    """
    column = table.multi[feature]
    carriers = np.bincount(
        sorted_unique(column.codes.astype(np.int64) * table.n + column.records) // max(table.n, 1),
        minlength=len(column.values),
    )
    on_value = strangers.agreed >= 0
    paired = np.bincount(strangers.agreed[on_value], minlength=len(column.values)) > 0
    apart = (
        np.bincount(strangers.agreed[on_value & strangers.apart], minlength=len(column.values)) > 0
    )
    return apart | ((carriers > 1) & ~paired)


def strangers_by_comparison(
    entity: EntitySettings, levels: np.ndarray, agreed: list[np.ndarray | None]
) -> list[_Strangers | None]:
    """For each shared-identifier comparison, the pairs as `_shared_values` reads them."""
    apart = np.zeros(len(levels), dtype=bool)
    for i, c in enumerate(entity.comparisons):
        if c.tells_apart:
            apart |= disagreeing_levels(c)[levels[:, i]]
    return [
        _Strangers(codes, apart) if c.shared_identifier and codes is not None else None
        for c, codes in zip(entity.comparisons, agreed, strict=True)
    ]


def pattern_keys(levels: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Each pair's comparison vector as one integer (mixed radix, null = 0)."""
    key = np.zeros(levels.shape[0], dtype=np.int64)
    for column, size in enumerate(sizes):
        key = key * (size + 1) + (levels[:, column].astype(np.int64) + 1)
    return key


def _log_ratios(
    patterns: np.ndarray, models: list[ComparisonModel], active: list[int]
) -> np.ndarray:
    """ln(P(pattern | match) / P(pattern | non-match)) of each pattern."""
    ratio = np.zeros(len(patterns))
    for column in active:
        present = patterns[:, column] != NULL_LEVEL
        ratio[present] += models[column].weights[patterns[present, column]] * np.log(2.0)
    return ratio


def _posterior(share: float, log_ratio: np.ndarray) -> np.ndarray:
    """P(match) per pair, in the dtype of `log_ratio` (beyond ±80 nats it is 0 or 1)."""
    odds = log_ratio + (np.log(share) - np.log1p(-share))
    np.clip(odds, -80, 80, out=odds)
    np.exp(odds, out=odds)  # in place: on every candidate pair, each copy costs
    odds /= odds + 1.0
    return odds


def _patterns(keys: np.ndarray, sizes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct comparison vectors (decoded from `pattern_keys`) and how many pairs show
    each, in key order."""
    distinct, counts = np.unique(keys, return_counts=True)
    patterns = np.empty((len(distinct), len(sizes)), dtype=np.int64)
    for column in reversed(range(len(sizes))):
        distinct, digit = np.divmod(distinct, sizes[column] + 1)
        patterns[:, column] = digit - 1
    return patterns, counts.astype(np.float64)


def _em_session(
    patterns: np.ndarray,
    counts: np.ndarray,
    models: list[ComparisonModel],
    active: list[int],
    settings: ResolutionSettings,
) -> tuple[dict[int, np.ndarray], float]:
    """One EM run over the comparison vectors of one blocking rule's pairs: m of the
    `active` comparisons, and the expected number of matches the estimate rests on."""
    m = {c: models[c].m.copy() for c in active}
    trial = [
        ComparisonModel(mod.comparison, m.get(c, mod.m), mod.u, None, None)
        for c, mod in enumerate(models)
    ]
    share = 0.1
    weight = counts
    for _ in range(settings.em_max_iterations):
        weight = counts * _posterior(share, _log_ratios(patterns, trial, active))
        new_share = float(np.clip(weight.sum() / counts.sum(), 1e-6, 1 - 1e-6))
        delta = abs(new_share - share)
        share = new_share
        for c in active:
            present = patterns[:, c] != NULL_LEVEL
            totals = np.bincount(
                patterns[present, c], weights=weight[present], minlength=len(trial[c].m)
            )
            new_m = np.maximum(totals / max(totals.sum(), _FLOOR), 1e-6)
            new_m = _apply_overrides(new_m / new_m.sum(), trial[c].comparison, "m")
            delta = max(delta, float(np.abs(new_m - trial[c].m).max()))
            trial[c].m = new_m
        if delta < settings.em_tolerance:
            break
    return {c: trial[c].m for c in active}, float(weight.sum())


def expectation_maximisation(
    levels: np.ndarray,
    sessions: list[tuple[np.ndarray, set[str]]],
    models: list[ComparisonModel],
    settings: ResolutionSettings,
    split: Split = ALONE,
) -> None:
    """Fit m (u fixed) as Splink does: one EM session per blocking rule, over that rule's
    pairs, training only the comparisons the rule did not block on (their agreement is
    forced by the rule, so it says nothing about m). Each m is the mean over sessions
    weighted by the matches each found: a rule whose pairs are nearly all non-matches
    (common names) has no matches to learn m from. Sessions are independent: `split` may
    share them with a worker.
    """
    sizes = [len(m.comparison.levels) for m in models]
    keys = pattern_keys(levels, sizes)  # once: sessions share most pairs

    def session(run: tuple[np.ndarray, set[str]]) -> tuple[dict[int, np.ndarray], float] | None:
        mask, blocked_features = run
        active = [
            c
            for c, mod in enumerate(models)
            if mod.comparison.trained and mod.comparison.feature not in blocked_features
        ]
        if mask.sum() < 2 or not active:
            return None
        return _em_session(*_patterns(keys[mask], sizes), models, active, settings)

    estimates: dict[int, list[tuple[np.ndarray, float]]] = {}
    for outcome in split.map(session, sessions):
        if outcome is not None:
            fitted, matches = outcome
            for c, m in fitted.items():
                estimates.setdefault(c, []).append((m, matches))
    for c, found in estimates.items():
        weights = np.array([w for _, w in found])
        if weights.sum() > 0:
            mean = np.average([m for m, _ in found], axis=0, weights=weights)
            models[c].m = _apply_overrides(mean, models[c].comparison, "m")


def estimate_prior(
    pair_weights: np.ndarray, pairs: np.ndarray, n: int, settings: ResolutionSettings
) -> float:
    """The share of matches among all record pairs, from the candidates' own weights.

    A fixed point as in EM (the prior is the mean posterior), on each pair's real weight
    (frequency-adjusted, shared identifiers capped): a shared inbox's colleagues must not
    count as matches. And a record is counted in at most `max_expected_matches` matches:
    a crowd of namesakes is not one person recorded fifty times.
    """
    total_pairs = n * (n - 1) / 2
    if len(pairs) == 0:
        return float(np.clip(1.0 / max(total_pairs, 1.0), 1e-12, 0.5))  # one record: no pairs
    left, right = pairs[:, 0], pairs[:, 1]
    if (left[1:] < left[:-1]).any():
        raise ValueError("candidate pairs must come sorted by their first record")
    # A record's pairs as the first record are a run: summed in one pass, not scattered.
    runs = np.flatnonzero(np.r_[True, left[1:] != left[:-1]])
    firsts = left[runs]
    cap = settings.max_expected_matches
    share = 0.1
    log_ratio = np.multiply(pair_weights, np.log(2.0), dtype=np.float32)  # half the memory
    for _ in range(settings.em_max_iterations):
        posterior = _posterior(share, log_ratio)
        per_record = np.bincount(right, posterior, minlength=n)
        per_record[firsts] += np.add.reduceat(posterior, runs, dtype=np.float64)
        expected = float(np.minimum(per_record, cap).sum()) / 2
        new_share = float(np.clip(expected / len(pairs), 1e-9, 1 - 1e-9))
        if abs(new_share - share) < settings.em_tolerance * share:
            break
        share = new_share
    return float(np.clip(share * len(pairs) / max(total_pairs, 1.0), 1e-12, 0.5))


STORED_FORM = "frequency-lists"  # how `FittedModel.to_dict` lays a model out


class ValueCounts(NamedTuple):
    """A feature's repeated values and how many records carry each."""

    values: list[str]
    counts: list[int]

    def of(self, values: np.ndarray) -> np.ndarray:
        """The count of each of `values` (1 for a value not listed: seen once, or new).
        Looked up from a map of `values`, the smaller side in an incremental resolve:
        no map of the 430k stored values (at a million records) is built."""
        position = dict(zip(values.tolist(), range(len(values)), strict=True))
        found = np.fromiter(
            map(position.get, self.values, repeat(-1)), dtype=np.int64, count=len(self.values)
        )
        counts = np.ones(len(values), dtype=np.float64)
        listed = found >= 0
        counts[found[listed]] = np.asarray(self.counts, dtype=np.float64)[listed]
        return counts


class IndexedCounts(ValueCounts):
    """`ValueCounts` that finds values through a map of its own, built on first use: for a
    model that scores many small batches (the read API's match scores one record a
    request), where `ValueCounts.of` would walk every listed value each time (430k at a
    million records)."""

    @cached_property
    def _count_of(self) -> dict[Any, int]:
        return dict(zip(self.values, self.counts, strict=True))

    def of(self, values: np.ndarray) -> np.ndarray:
        count_of = self._count_of
        found = (count_of.get(value, 1) for value in values.tolist())
        return np.fromiter(found, dtype=np.float64, count=len(values))


@dataclass(frozen=True)
class FittedModel:
    """What a full resolve fitted for one entity kind: m and u per comparison (by name), the
    prior and, optionally, the term frequencies it weighed values by (per feature, values
    seen once left out; records with a value per feature) and the values different people
    share. Passed back in, a small batch of changed records (with the records they block
    with) is scored exactly as the full store was, without refitting on a sample too small
    to fit or counting frequencies within the batch."""

    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    prior: float
    frequencies: dict[str, ValueCounts] | None = None
    totals: dict[str, int] | None = None
    shared: dict[str, list[str]] | None = None

    @cached_property
    def _parameters(self) -> dict[str, ComparisonModel]:
        return {}

    def parameters(self, comparison: Comparison) -> ComparisonModel:
        """The comparison's m and u as a model without value frequencies, its weights worked
        out once for every batch this model scores (a match request each: the eleven
        comparisons' weights were a twentieth of its scoring)."""
        held = self._parameters.get(comparison.name)
        if held is None or held.comparison is not comparison:
            held = ComparisonModel(
                comparison, self.m[comparison.name], self.u[comparison.name], None, None
            )
            held.level_weights  # noqa: B018 -- worked out here, once, for every copy
            self._parameters[comparison.name] = held
        return held

    @cached_property
    def shared_sets(self) -> dict[str, frozenset[str]]:
        """`shared` as sets, built once per model: every batch it scores looks its values
        up in them (a match request, one record at a time)."""
        return {feature: frozenset(values) for feature, values in (self.shared or {}).items()}

    def for_many_batches(self) -> FittedModel:
        """This model with its frequencies found through maps (`IndexedCounts`), for a
        process that keeps it to score batch after batch."""
        if self.frequencies is None:
            return self
        indexed: dict[str, ValueCounts] = {
            feature: IndexedCounts(*counts) for feature, counts in self.frequencies.items()
        }
        return replace(self, frequencies=indexed)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (floats round-trip exactly through JSON). Frequencies go as a
        list of values and a list of counts per feature, as they are held: 430k of them at
        a million records, which an incremental resolve reads every time (0.04 s to
        decode, against 0.21 s as one JSON object zipped into dicts)."""
        frequencies = (
            None
            if self.frequencies is None
            else {
                feature: value_counts._asdict()
                for feature, value_counts in self.frequencies.items()
            }
        )
        return {
            "m": {name: m.tolist() for name, m in self.m.items()},
            "u": {name: u.tolist() for name, u in self.u.items()},
            "prior": self.prior,
            "frequencies": frequencies,
            "totals": self.totals,
            "shared": self.shared,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FittedModel:
        """The inverse of `to_dict`; also reads models stored with m, u and prior only."""
        stored = data.get("frequencies")
        frequencies = (
            None
            if stored is None
            else {feature: ValueCounts(**lists) for feature, lists in stored.items()}
        )
        return cls(
            {n: np.array(v, dtype=np.float64) for n, v in data["m"].items()},
            {n: np.array(v, dtype=np.float64) for n, v in data["u"].items()},
            float(data["prior"]),
            frequencies,
            data.get("totals"),
            data.get("shared"),
        )


def fitted(table: FeatureTable, models: list[ComparisonModel], prior: float) -> FittedModel:
    """The model to store: parameters plus the frequencies and shared values it used."""
    frequencies: dict[str, ValueCounts] = {}
    totals: dict[str, int] = {}
    shared: dict[str, list[str]] = {}
    for model in models:
        feature = model.comparison.feature
        if (model.value_u is None and model.shared_values is None) or feature in totals:
            continue
        counts, totals[feature] = table.counts(feature)
        values = table.values(feature)
        repeated = np.flatnonzero(counts > 1)
        frequencies[feature] = ValueCounts(values[repeated].tolist(), counts[repeated].tolist())
        if model.shared_values is not None:
            shared[feature] = values[model.shared_values].tolist()
    return FittedModel(
        {c.comparison.name: c.m.copy() for c in models},
        {c.comparison.name: c.u.copy() for c in models},
        prior,
        frequencies,
        totals,
        shared,
    )


def kept_models(
    table: FeatureTable, entity: EntitySettings, model: FittedModel
) -> list[ComparisonModel]:
    """Models of every comparison taken from a fitted `model`, its frequencies and shared
    values read for this batch's values."""
    return [
        model.parameters(c).with_frequencies(*_frequency_model(table, c, None, model))
        for c in entity.comparisons
    ]


def agreement_ranks(table: FeatureTable, models: list[ComparisonModel]) -> AgreementRanks:
    """Per multi-valued feature weighed by value: which of several values a pair shares it
    agrees on (lower rank first): the rarest by the models' frequencies, at equal
    frequency one no different people carry. A kept model ranks the same values the same
    way whatever else a batch holds, where the batch's own counts would not: an
    incremental resolve's few records hold a switchboard twice that the store holds on
    ten records, and a pair giving it beside its own mobile agreed on it and was capped."""
    ranks: dict[str, np.ndarray] = {}
    for model in models:
        feature = model.comparison.feature
        if feature not in table.multi or feature in ranks:
            continue
        if model.value_u is None and model.shared_values is None:
            continue
        size = len(table.values(feature))
        value_u = np.zeros(size) if model.value_u is None else model.value_u
        shared = np.zeros(size, bool) if model.shared_values is None else model.shared_values
        keys = np.column_stack([value_u, shared])  # rarest, then not shared, first
        ranks[feature] = np.unique(keys, axis=0, return_inverse=True)[1].reshape(-1)
    return ranks


def _apart_by_own_values(
    table: FeatureTable, models: list[ComparisonModel], pairs: np.ndarray, levels: np.ndarray
) -> np.ndarray:
    """Per pair: two people by a comparison's `tells_apart_with`. Each record carries a
    value no different people share (a phone of its own: a switchboard or a household's
    landline says nothing of who holds it), they have none in common, and another
    comparison listed disagrees (another employer, another job title). One person's
    records differ so only by a phone changed with the job; a family mailbox's three
    Elizabeth Smiths, or a work mailbox reissued to a namesake after a leaver, differ so
    every time, and what they share is then shared, not proof."""
    apart = np.zeros(len(levels), dtype=bool)
    position = {m.comparison.name: i for i, m in enumerate(models)}
    for c, model in enumerate(models):
        comparison = model.comparison
        if not comparison.tells_apart_with or model.shared_values is None:
            continue
        column = table.multi[comparison.feature]
        own = np.zeros(table.n, dtype=bool)
        own[column.records[~model.shared_values[column.codes]]] = True
        differ = disagreeing_levels(comparison)[levels[:, c]] & own[pairs[:, 0]] & own[pairs[:, 1]]
        other = np.zeros(len(levels), dtype=bool)
        for name in comparison.tells_apart_with:
            o = position[name]
            other |= disagreeing_levels(models[o].comparison)[levels[:, o]]
        apart |= differ & other
    return apart


def told_apart(
    table: FeatureTable, models: list[ComparisonModel], pairs: np.ndarray, levels: np.ndarray
) -> np.ndarray:
    """Per pair: two people by what each record holds of its own, whatever the score:
    phones of their own that differ beside another employer or job title
    (`tells_apart_with`), or personal mailboxes of their own at one employer (an
    `other_value` level). Two namesake colleagues look so; one person's records seldom
    do, so a weak link may not join records that are (clustering)."""
    apart = _apart_by_own_values(table, models, pairs, levels)
    for c, model in enumerate(models):
        own = levels_of_kind(model.comparison, ("other_value",))
        if own.any():
            apart |= own[levels[:, c]]
    return apart


def fit_models(
    table: FeatureTable,
    entity: EntitySettings,
    settings: ResolutionSettings,
    pairs: np.ndarray,
    candidate_levels: np.ndarray,
    agreed: list[np.ndarray | None],
    sessions: list[tuple[np.ndarray, set[str]]],
    split: Split = ALONE,
) -> list[ComparisonModel]:
    """Models of every comparison: u sampled and m by EM (comparisons and sessions split by
    `split`). `agreed` holds, per comparison weighed by value, the value code each of the
    candidate `pairs` agrees on."""
    strangers = strangers_by_comparison(entity, candidate_levels, agreed)
    left, right = _random_pairs(
        table.n, min(settings.u_sample_pairs, table.n * (table.n - 1) // 2), settings.seed
    )

    def model_of(job: tuple[Comparison, _Strangers | None]) -> ComparisonModel:
        comparison, pairs_seen = job
        value_u, shared = _frequency_model(table, comparison, pairs_seen, None)
        u = (
            estimate_u(table, comparison, left, right)
            if table.n > 1
            else np.full(len(comparison.levels), 0.5)
        )
        return ComparisonModel(comparison, _initial_m(comparison), u, value_u, shared)

    models = split.map(model_of, list(zip(entity.comparisons, strangers, strict=True)))
    apart = _apart_by_own_values(table, models, pairs, candidate_levels)
    if apart.any():
        for model, seen in zip(models, strangers, strict=True):
            if model.shared_values is not None and seen is not None:
                widened = _Strangers(seen.agreed, seen.apart | apart)
                model.shared_values = _shared_values(table, model.comparison.feature, widened)
    expectation_maximisation(candidate_levels, sessions, models, settings, split)
    return models


def anchor_pairs(
    models: list[ComparisonModel], levels: np.ndarray, agreed: list[np.ndarray | None]
) -> np.ndarray:
    """Pairs that agree exactly on an identifier (an email, a phone, a national id) no
    different people carry: matches known without the names, dates and addresses."""
    anchors = np.zeros(len(levels), dtype=bool)
    for c, model in enumerate(models):
        if model.comparison.anchor:
            anchors |= (levels[:, c] == 0) & ~on_shared_value(model, len(levels), agreed[c])
    return anchors


def refit_disagreement_on_anchors(
    models: list[ComparisonModel], levels: np.ndarray, anchors: np.ndarray, min_pairs: int
) -> None:
    """Re-estimate m of each trained comparison's disagreeing levels (`else`, a second
    surname that differs) on the anchor pairs.

    EM cannot tell relatives who share a surname, an address and a birth date (twins,
    siblings, father and son) from duplicates, so it learns that true matches often
    differ on the given name or the birth date. Pairs tied by a personal identifier
    show how often they really do; the other levels keep EM's proportions.
    """
    for c, model in enumerate(models):
        comparison = model.comparison
        refit = disagreeing_levels(comparison)[:-1] & np.array(
            [lvl.m is None for lvl in comparison.levels]
        )
        if not comparison.trained or comparison.anchor or not refit.any():
            continue
        present = levels[anchors & (levels[:, c] != NULL_LEVEL), c]
        if len(present) < min_pairs:
            continue
        counts = np.bincount(present, minlength=len(refit)).astype(np.float64)
        shares = np.maximum(counts[refit] / len(present), 0.5 / len(present))
        m = model.m.copy()
        m[~refit] *= (1.0 - shares.sum()) / max(float(m[~refit].sum()), _FLOOR)
        m[refit] = shares
        model.m = _apply_overrides(m, comparison, "m")


def pair_weights(
    model: ComparisonModel,
    levels: np.ndarray,
    agreed: np.ndarray | None,
    shared: np.ndarray | None,
    cap: float,
) -> np.ndarray:
    """Each pair's weight for one comparison.

    Exact agreement on a value weighs log2(m / frequency of the value); on a value that
    different people carry (`shared`, from `on_shared_value`; None when the comparison
    knows no such values) it is capped, so a shared inbox never proves a match alone.
    """
    weights = model.level_weights[levels]
    if agreed is not None and model.value_u is not None:
        on_value = agreed >= 0
        weights[on_value] = np.log2(model.m[0] / model.value_u[agreed[on_value]])
    if shared is not None:
        weights[shared] = np.minimum(weights[shared], cap)
    return weights


def on_shared_value(model: ComparisonModel, count: int, agreed: np.ndarray | None) -> np.ndarray:
    """Per pair: agrees on a value that different people carry."""
    shared = np.zeros(count, dtype=bool)
    if agreed is not None and model.shared_values is not None:
        on_value = agreed >= 0
        shared[on_value] = model.shared_values[agreed[on_value]]
    return shared
