"""Fellegi–Sunter weights: u by random sampling, m by expectation maximisation.

u (how often two different records agree at a level by chance) comes from random record
pairs, with exact agreement taken from the value frequencies themselves because random
pairs almost never agree exactly on a rare identifier. m (how often true matches reach a
level) comes from EM over the distinct comparison patterns of the candidate pairs, with u
held fixed, as Splink does. Every configured m or u overrides the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from identity.comparisons import NULL_LEVEL, compare
from identity.features import FeatureTable
from identity.settings import Comparison, EntitySettings, ResolutionSettings

_FLOOR = 1e-9


@dataclass
class ComparisonModel:
    comparison: Comparison
    m: np.ndarray
    u: np.ndarray
    value_u: np.ndarray | None  # per value code: chance agreement on this value (frequency)
    shared_values: np.ndarray | None  # per value code: True if different people carry it

    @property
    def weights(self) -> np.ndarray:
        return np.log2(self.m / self.u)


def _value_counts(table: FeatureTable, feature: str) -> tuple[np.ndarray, int]:
    if feature in table.multi:
        column = table.multi[feature]
        return np.bincount(column.codes, minlength=len(column.values)), len(
            np.unique(column.records))
    codes = table.codes(feature)
    present = codes[codes >= 0]
    return np.bincount(present, minlength=len(table.values(feature))), len(present)


def _exact_u(table: FeatureTable, feature: str) -> float:
    """Chance that two random records (both with a value) agree exactly."""
    counts, total = _value_counts(table, feature)
    if total < 2:
        return _FLOOR
    return max(float((counts * (counts - 1.0)).sum()) / (total * (total - 1.0)), _FLOOR)


def _random_pairs(n: int, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    left = rng.integers(0, n, size=count)
    right = rng.integers(0, n, size=count)
    keep = left != right
    return np.minimum(left, right)[keep], np.maximum(left, right)[keep]


def estimate_u(table: FeatureTable, comparison: Comparison, left: np.ndarray,
               right: np.ndarray) -> np.ndarray:
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
    table: FeatureTable, comparison: Comparison, distinct_people: np.ndarray
) -> tuple[np.ndarray | None, np.ndarray | None]:
    if not (comparison.term_frequency or comparison.shared_identifier):
        return None, None
    counts, total = _value_counts(table, comparison.feature)
    value_u = np.maximum(counts / max(total, 1), _FLOOR) if comparison.term_frequency else None
    shared = None
    if comparison.shared_identifier and comparison.feature in table.multi:
        column = table.multi[comparison.feature]
        people = distinct_people[column.records]
        pairs = np.unique(column.codes.astype(np.int64) * (people.max(initial=0) + 2) + people + 1)
        per_value = np.bincount(pairs // (people.max(initial=0) + 2),
                                minlength=len(column.values))
        shared = per_value > 1
    return value_u, shared


def pattern_keys(levels: np.ndarray, sizes: list[int]) -> np.ndarray:
    """Each pair's comparison vector as one integer (mixed radix, null = 0)."""
    key = np.zeros(levels.shape[0], dtype=np.int64)
    for column, size in enumerate(sizes):
        key = key * (size + 1) + (levels[:, column].astype(np.int64) + 1)
    return key


def _log_likelihoods(patterns: np.ndarray, models: list[ComparisonModel],
                     active: list[int]) -> tuple[np.ndarray, np.ndarray]:
    log_m = np.zeros(len(patterns))
    log_u = np.zeros(len(patterns))
    for column in active:
        present = patterns[:, column] != NULL_LEVEL
        idx = patterns[present, column]
        log_m[present] += np.log(models[column].m[idx])
        log_u[present] += np.log(models[column].u[idx])
    return log_m, log_u


def _posterior(share: float, log_m: np.ndarray, log_u: np.ndarray) -> np.ndarray:
    odds = np.exp(np.clip(np.log(share) - np.log1p(-share) + log_m - log_u, -700, 700))
    return odds / (1.0 + odds)


def _patterns(levels: np.ndarray, models: list[ComparisonModel]
              ) -> tuple[np.ndarray, np.ndarray]:
    """Distinct comparison vectors and how many pairs show each."""
    sizes = [len(m.comparison.levels) for m in models]
    _, first, counts = np.unique(pattern_keys(levels, sizes), return_index=True,
                                 return_counts=True)
    return levels[first].astype(np.int64), counts.astype(np.float64)


def _em_session(levels: np.ndarray, models: list[ComparisonModel], active: list[int],
                settings: ResolutionSettings) -> tuple[dict[int, np.ndarray], float]:
    """One EM run over the pairs of one blocking rule: m of the `active` comparisons, and
    the expected number of matches the estimate rests on."""
    patterns, counts = _patterns(levels, models)
    m = {c: models[c].m.copy() for c in active}
    trial = [ComparisonModel(mod.comparison, m.get(c, mod.m), mod.u, None, None)
             for c, mod in enumerate(models)]
    share = 0.1
    weight = counts
    for _ in range(settings.em_max_iterations):
        weight = counts * _posterior(share, *_log_likelihoods(patterns, trial, active))
        new_share = float(np.clip(weight.sum() / counts.sum(), 1e-6, 1 - 1e-6))
        delta = abs(new_share - share)
        share = new_share
        for c in active:
            present = patterns[:, c] != NULL_LEVEL
            totals = np.bincount(patterns[present, c], weights=weight[present],
                                 minlength=len(trial[c].m))
            new_m = np.maximum(totals / max(totals.sum(), _FLOOR), 1e-6)
            new_m = _apply_overrides(new_m / new_m.sum(), trial[c].comparison, "m")
            delta = max(delta, float(np.abs(new_m - trial[c].m).max()))
            trial[c].m = new_m
        if delta < settings.em_tolerance:
            break
    return {c: trial[c].m for c in active}, float(weight.sum())


def expectation_maximisation(
    levels: np.ndarray, sessions: list[tuple[np.ndarray, set[str]]],
    models: list[ComparisonModel], settings: ResolutionSettings, total_pairs: float,
) -> float:
    """Fit m (u fixed) as Splink does: one EM session per blocking rule, over that rule's
    pairs, training only the comparisons the rule did not block on (their agreement is
    forced by the rule, so it says nothing about m). Each m is the mean over sessions
    weighted by the matches each found: a rule whose pairs are nearly all non-matches
    (common names) has no matches to learn m from.

    Returns the prior: the expected share of matches among all record pairs.
    """
    estimates: dict[int, list[tuple[np.ndarray, float]]] = {}
    for mask, blocked_features in sessions:
        active = [c for c, mod in enumerate(models)
                  if mod.comparison.feature not in blocked_features]
        if mask.sum() < 2 or not active:
            continue
        fitted, matches = _em_session(levels[mask], models, active, settings)
        for c, m in fitted.items():
            estimates.setdefault(c, []).append((m, matches))
    for c, found in estimates.items():
        weights = np.array([w for _, w in found])
        if weights.sum() > 0:
            mean = np.average([m for m, _ in found], axis=0, weights=weights)
            models[c].m = _apply_overrides(mean, models[c].comparison, "m")
    if len(levels) == 0:  # one record, or none: no pairs, and a prior below one
        return float(np.clip(1.0 / max(total_pairs, 1.0), 1e-12, 0.5))
    patterns, counts = _patterns(levels, models)
    log_m, log_u = _log_likelihoods(patterns, models, list(range(len(models))))
    share = 0.1
    for _ in range(settings.em_max_iterations):
        share = float(np.clip((counts * _posterior(share, log_m, log_u)).sum() / counts.sum(),
                              1e-9, 1 - 1e-9))
    expected_matches = share * counts.sum()
    return float(np.clip(expected_matches / max(total_pairs, 1.0), 1e-12, 0.5))


def distinct_people_key(table: FeatureTable) -> np.ndarray:
    """A coarse "who is this" code per record, to tell one person from several sharing an
    identifier: the first three letters of the given name (or the organization name)."""
    feature = "given_name" if "given_name" in table.columns else "name"
    prefixes: dict[str, int] = {}
    mapping = np.array([prefixes.setdefault(v[:3], len(prefixes))
                        for v in table.values(feature)] + [-1], dtype=np.int64)
    return mapping[table.codes(feature)]


def fit_models(
    table: FeatureTable, entity: EntitySettings, settings: ResolutionSettings,
    candidate_levels: np.ndarray, sessions: list[tuple[np.ndarray, set[str]]],
) -> tuple[list[ComparisonModel], float]:
    left, right = _random_pairs(
        table.n, min(settings.u_sample_pairs, table.n * (table.n - 1) // 2), settings.seed)
    people = distinct_people_key(table)
    models = []
    for comparison in entity.comparisons:
        value_u, shared = _frequency_model(table, comparison, people)
        u = estimate_u(table, comparison, left, right) if table.n > 1 else np.full(
            len(comparison.levels), 0.5)
        models.append(ComparisonModel(comparison, _initial_m(comparison), u, value_u, shared))
    prior = expectation_maximisation(candidate_levels, sessions, models, settings,
                                     table.n * (table.n - 1) / 2)
    return models, prior


def pair_weights(
    model: ComparisonModel, levels: np.ndarray, agreed: np.ndarray, cap: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's weight for one comparison, and whether it rests on a shared value.

    Exact agreement on a value weighs log2(m / frequency of the value); on a value that
    different people carry it is capped, so a shared inbox never proves a match alone.
    """
    weights = np.where(levels == NULL_LEVEL, 0.0, model.weights[np.maximum(levels, 0)])
    shared = np.zeros(len(levels), dtype=bool)
    on_value = agreed >= 0
    if model.value_u is not None:
        weights[on_value] = np.log2(model.m[0] / model.value_u[agreed[on_value]])
    if model.shared_values is not None:
        shared[on_value] = model.shared_values[agreed[on_value]]
        weights[shared] = np.minimum(weights[shared], cap)
    return weights, shared
