"""Sets of int64 keys (a record pair i < j as i * n + j) kept as sorted unique arrays.

numpy 2's `np.unique` hashes when asked for values only; on tens of millions of int64
keys that is several times slower than sorting, and `np.isin` re-sorts both sides on
every call. Candidate pairs are merged and probed many times per resolve, so they are
kept sorted once and probed with binary search.
"""

from __future__ import annotations

import numpy as np


def sorted_unique(keys: np.ndarray) -> np.ndarray:
    """The distinct keys in ascending order (sort-based)."""
    ordered = np.sort(keys)
    if len(ordered) == 0:
        return ordered
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def contains(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """For each needle, whether it is in `haystack` (sorted unique)."""
    if len(haystack) == 0:
        return np.zeros(len(needles), dtype=bool)
    position = np.minimum(np.searchsorted(haystack, needles), len(haystack) - 1)
    return haystack[position] == needles


def subset_mask(
    haystack: np.ndarray, subset: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """Mask over `haystack` (sorted unique) of the keys in `subset` (all of them in it),
    written into `out` (all False) when given."""
    mask = np.zeros(len(haystack), dtype=bool) if out is None else out
    mask[np.searchsorted(haystack, subset)] = True
    return mask
