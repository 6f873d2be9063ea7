"""What more blocking recall would cost on the hard synthetic data: the true pairs the
default rules miss, and how many of them extra name keys would pair, at which price.

    python benchmarks/bench_blocking_recall.py --n 100000

Resolves the identity benchmark's data with the default settings, then takes every true
pair that is not a candidate and asks, for each extra blocking key, whether the two records
share one of its blocks and how large the smallest such block is. A cap lets through only
blocks up to its size: the table gives, per key and cap, the missed pairs it would pair and
the pairs its blocks would add to the comparisons (every pair of every block within the
cap). Ends with one JSON line (``"bench": "blocking_recall"``).
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

import numpy as np

from emulators.synthetic.canonical import iter_person_records
from emulators.synthetic.generator import generate
from emulators.synthetic.truth import true_pairs
from identity.engine import index_records, resolve_batch
from identity.settings import PERSON_DEFAULTS, BlockingRule, ResolutionSettings

EXTRA_KEYS = {
    "formal given name + first surname": ["given_formal", "family_first"],
    "given initial + first surname": ["given_initial", "family_first"],
    "exact name pair": ["name_pair"],
    "email handle": ["email_handle"],
}
CAPS = (50, 100, 500, 2000, None)  # None: no cap


def _missed(n: int, seed: int) -> tuple[list[Any], np.ndarray, int, int]:
    """The records, the true pairs the default rules do not make candidates, the number of
    true pairs and of candidate pairs."""
    people = generate(n, seed)
    records = [record for chunk in iter_person_records(people) for record in chunk]
    candidates = np.sort(resolve_batch(records).candidate_pairs.astype(np.int64), axis=1)
    truth = true_pairs(people.truth_person_ids).astype(np.int64)
    found = np.isin(truth[:, 0] * n + truth[:, 1], candidates[:, 0] * n + candidates[:, 1])
    return records, truth[~found], len(truth), len(candidates)


def _key_reach(
    records: list[Any], missed: np.ndarray, keys: list[str]
) -> tuple[np.ndarray, Counter[str]]:
    """Per missed pair, the size of the smallest block of this key the two share (0 when
    none), and the size of every block."""
    rule = BlockingRule(name="extra", keys=keys)
    settings = ResolutionSettings(
        person=PERSON_DEFAULTS.model_copy(update={"blocking_rules": [rule]})
    )
    texts = index_records(records, settings).blocks["extra"]
    sizes = Counter(text for own in texts for text in own)
    smallest = np.array(
        [
            min((sizes[t] for t in set(texts[a]) & set(texts[b])), default=0)
            for a, b in missed.tolist()
        ],
        dtype=np.int64,
    )
    return smallest, sizes


def _pairs_within(block_sizes: np.ndarray) -> int:
    return int((block_sizes * (block_sizes - 1) // 2).sum())


def measure(n: int, seed: int) -> dict[str, Any]:
    records, missed, true_count, candidate_count = _missed(n, seed)
    recall = 1 - len(missed) / true_count
    print(
        f"n = {n:,}: {true_count:,} true pairs, {len(missed):,} not candidates "
        f"(blocking recall {recall:.4f}); {candidate_count:,} candidate pairs"
    )
    print(
        f"{'extra key':36} {'cap':>6} {'missed pairs paired':>20} {'recall':>7} "
        f"{'pairs in blocks':>16}"
    )
    paired_by_any = np.zeros(len(missed), dtype=bool)
    uncapped_pairs: dict[str, int] = {}
    for name, keys in EXTRA_KEYS.items():
        smallest, sizes = _key_reach(records, missed, keys)
        block_sizes = np.fromiter(sizes.values(), dtype=np.int64, count=len(sizes))
        for cap in CAPS:
            limit = cap or n
            paired = (smallest > 0) & (smallest <= limit)
            print(
                f"{name:36} {cap or 'none':>6} {int(paired.sum()):>20,} "
                f"{recall + paired.sum() / true_count:>7.4f} "
                f"{_pairs_within(block_sizes[block_sizes <= limit]):>16,}"
            )
        paired_by_any |= smallest > 0
        uncapped_pairs[name] = _pairs_within(block_sizes)
    best = recall + paired_by_any.sum() / true_count
    print(
        f"all four keys, no cap: {int(paired_by_any.sum()):,} of {len(missed):,} paired, "
        f"recall {best:.4f}; their blocks hold {max(uncapped_pairs.values()):,} to "
        f"{sum(uncapped_pairs.values()):,} pairs (they overlap)"
    )
    return {
        "bench": "blocking_recall",
        "n": n,
        "blocking_recall": round(recall, 4),
        "candidate_pairs": candidate_count,
        "missed_true_pairs": len(missed),
        "uncapped_recall": round(float(best), 4),
        "uncapped_pairs_at_least": max(uncapped_pairs.values()),
        "uncapped_pairs_at_most": sum(uncapped_pairs.values()),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="person records to generate")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    print(json.dumps(measure(args.n, args.seed)))


if __name__ == "__main__":
    main()
