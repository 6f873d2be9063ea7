"""Blocking: which record pairs are worth comparing, by sort-and-group on integer keys.

A rule is a list of keys; records that share every key form a block, and each block
yields all its pairs. Blocks above the size cap are skipped and reported, because a
block of n records costs n²/2 comparisons (think of a shared inbox on 10,000 records).
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import cast

import jellyfish
import numpy as np

from identity.features import MISSING, FeatureTable
from identity.normalize import first_token
from identity.settings import BlockingRule
from identity.sorted_keys import sorted_unique
from workers.forked import ALONE, Split

log = logging.getLogger(__name__)
_KEY_CHUNK = 1 << 21
_NON_ASCII_LETTER = re.compile(r"[^A-Za-z]+")


@dataclass(frozen=True)
class KeyColumn:
    """One blocking key over a table: (record, code) rows and the text of every code."""

    records: np.ndarray
    codes: np.ndarray
    values: np.ndarray


def _key_column(codes: np.ndarray, values: np.ndarray) -> KeyColumn:
    """A single-valued key: one row per record that has a value."""
    present = np.flatnonzero(codes >= 0)
    return KeyColumn(present.astype(np.int64), codes[present].astype(np.int64), values)


def _recode(table: FeatureTable, feature: str, derive: Callable[[str], str]) -> KeyColumn:
    """A key derived from each distinct value of a feature (from every value of a
    multi-valued one)."""
    derived: dict[str, int] = {}
    mapping = np.fromiter(
        (
            derived.setdefault(k, len(derived)) if (k := derive(v)) else MISSING
            for v in table.values(feature)
        ),
        dtype=np.int64,
        count=len(table.values(feature)),
    )
    values = np.array(list(derived), dtype=object)
    if feature in table.multi:
        column = table.multi[feature]
        codes = mapping[column.codes]
        keep = codes >= 0
        return KeyColumn(column.records[keep].astype(np.int64), codes[keep], values)
    codes = table.codes(feature)
    # MISSING (-1) indexes the appended MISSING: a feature empty on every record has no values
    return _key_column(np.append(mapping, MISSING)[codes], values)


def _email_handle(email: str) -> str:
    """The letters of an email's local part: "alejandro.jimenez@corp" and
    "alejandro_jimenez@hotmail" are one person's handle at two providers."""
    local = email.partition("@")[0]
    if local.isascii():  # most: one regex pass instead of a test per character
        return _NON_ASCII_LETTER.sub("", local)
    return "".join(c for c in local if c.isalpha())


def _name_pair(table: FeatureTable) -> KeyColumn:
    """Given and family name as an unordered pair: catches exact and swapped names. Its
    text holds the two names in sorted order, whatever else the batch holds: coded in the
    order a batch met them, a record alone wrote 'smith william' where the store's full
    batch wrote 'william smith', and an incremental resolve put the record in a block of
    its own, outside the one the store holds above its cap."""
    given = table.codes("given_name").astype(np.int64)
    family = table.codes("family_name").astype(np.int64)
    # One value space for both columns, coded in sorted order: the lower code sorts first.
    given_values, family_values = table.values("given_name"), table.values("family_name")
    names = np.array(sorted({*given_values.tolist(), *family_values.tolist()}), dtype=object)
    code_of = {name: code for code, name in enumerate(names.tolist())}
    g_map = np.array([code_of[v] for v in given_values] or [0])
    f_map = np.array([code_of[v] for v in family_values] or [0])
    g = np.where(given >= 0, g_map[np.maximum(given, 0)], MISSING)
    f = np.where(family >= 0, f_map[np.maximum(family, 0)], MISSING)
    present = np.flatnonzero((g >= 0) & (f >= 0))
    lo, hi = np.minimum(g, f)[present], np.maximum(g, f)[present]
    pair_codes, codes = np.unique(lo * (len(names) + 1) + hi, return_inverse=True)
    low, high = np.divmod(pair_codes, len(names) + 1)
    values = names[low] + " " + names[high] if len(pair_codes) else names[:0]
    return KeyColumn(present, codes.astype(np.int64), values)


DERIVED_KEYS: dict[str, tuple[str, Callable[[str], str]]] = {
    "given_initial": ("given_name", lambda v: v[:1]),
    "family_first": ("family_name", first_token),
    "family_phonetic": ("family_name", lambda v: jellyfish.metaphone(first_token(v))),
    "birth_year": ("birth_date", lambda v: v[:4]),
    "email_handle": ("email", _email_handle),
}  # key -> (feature, text of the key from a value of it; "" for none)
SINGLE_KEYS: dict[str, Callable[[FeatureTable], KeyColumn]] = {
    **{
        key: functools.partial(_recode, feature=feature, derive=derive)
        for key, (feature, derive) in DERIVED_KEYS.items()
    },
    "name_pair": _name_pair,
}
MULTI_DERIVED: frozenset[str] = frozenset({"email_handle"})  # from a multi-valued feature
MULTI_KEYS: dict[str, tuple[str, Callable[[str], list[str]]]] = {
    "name_tokens": ("name", lambda v: [t for t in v.split() if len(t) > 2]),
}


ADDRESS_FEATURES: frozenset[str] = frozenset({"street", "city", "postcode", "region"})
_DERIVED_FROM: dict[str, set[str]] = {
    "given_initial": {"given_name"},
    "given_formal": {"given_name"},
    "family_first": {"family_name"},
    "family_phonetic": {"family_name"},
    "birth_year": {"birth_date"},
    "name_pair": {"given_name", "family_name"},
    "name_tokens": {"name"},
    "email_handle": {"email"},
}


def blocked_features(rule: BlockingRule) -> set[str]:
    """Features whose agreement a rule forces (an address key forces the whole address,
    since street, city and postcode agree together far more often than by chance)."""
    features: set[str] = set()
    for key in rule.keys:
        features |= _DERIVED_FROM.get(key, {key})
    return features | ADDRESS_FEATURES if features & ADDRESS_FEATURES else features


def _tokens(table: FeatureTable, key: str) -> KeyColumn:
    """A multi-valued key split from a single-valued feature (one row per token)."""
    feature, split = MULTI_KEYS[key]
    codes = table.codes(feature)
    tokens: dict[str, int] = {}
    per_value = [
        [tokens.setdefault(t, len(tokens)) for t in split(v)] for v in table.values(feature)
    ]
    present = np.flatnonzero(codes >= 0)
    counts = np.array([len(per_value[c]) for c in codes[present]], dtype=np.int64)
    flat = [t for c in codes[present] for t in per_value[c]]
    return KeyColumn(
        np.repeat(present, counts),
        np.asarray(flat, dtype=np.int64),
        np.array(list(tokens), dtype=object),
    )


def key_column(table: FeatureTable, key: str) -> KeyColumn:
    """The (record, code) rows of a blocking key; a multi-valued key gives a record one row
    per value (every email of a record blocks with it)."""
    if key in table.multi:
        column = table.multi[key]
        return KeyColumn(
            column.records.astype(np.int64), column.codes.astype(np.int64), column.values
        )
    if key in MULTI_KEYS:
        return _tokens(table, key)
    if key in SINGLE_KEYS:
        return SINGLE_KEYS[key](table)
    if key in table.columns:
        return _key_column(table.columns[key].codes, table.columns[key].values)
    raise KeyError(f"unknown blocking key {key!r}")


def _is_multi(multi_features: Collection[str], key: str) -> bool:
    return key in multi_features or key in MULTI_KEYS or key in MULTI_DERIVED


def _ordered_keys(rule: BlockingRule, multi_features: Collection[str]) -> list[str]:
    """The rule's keys with its multi-valued one first (the one each row is of)."""
    multi = [k for k in rule.keys if _is_multi(multi_features, k)]
    if len(multi) > 1:
        raise ValueError(f"blocking rule {rule.name!r}: at most one multi-valued key")
    return multi + [k for k in rule.keys if k not in multi]


def _dense(values: np.ndarray) -> np.ndarray:
    return np.unique(values, return_inverse=True)[1].astype(np.int64)


def rule_columns(
    table: FeatureTable, rule: BlockingRule
) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """The records of a rule's rows and, per key, each row's code and the codes' texts;
    rows missing any key are dropped."""
    ordered = _ordered_keys(rule, table.multi)
    first = key_column(table, ordered[0])
    records, parts = first.records, [(first.codes, first.values)]
    for key in ordered[1:]:
        column = key_column(table, key)
        per_record = np.full(table.n, MISSING, dtype=np.int64)
        per_record[column.records] = column.codes
        codes = per_record[records]
        keep = codes >= 0
        records = records[keep]
        parts = [(c[keep], v) for c, v in parts] + [(codes[keep], column.values)]
    return records, parts


RecordValues = Mapping[str, str | Sequence[str]]  # feature -> normalized value ("": none) or values


def _record_key_texts(values: RecordValues, key: str) -> list[str]:
    """The texts of a blocking key for one record, from its normalized values, as
    `key_column` gives them for a table of that record alone."""
    value = values.get(key)
    if value is not None and not isinstance(value, str):  # a multi-valued feature
        return list(value)
    if key in MULTI_KEYS:
        feature, split = MULTI_KEYS[key]
        return split(cast(str, values[feature])) if values[feature] else []
    if key in DERIVED_KEYS:
        feature, derive = DERIVED_KEYS[key]
        held = values[feature]
        return [
            text for v in ([held] if isinstance(held, str) else held) if v and (text := derive(v))
        ]
    if key == "name_pair":  # the two names in sorted order, as `_name_pair` writes them
        given, family = values["given_name"], values["family_name"]
        return [" ".join(sorted((cast(str, given), cast(str, family))))] if given and family else []
    if value is not None:
        return [value] if value else []
    raise KeyError(f"unknown blocking key {key!r}")


def record_block_texts(values: RecordValues, rule: BlockingRule) -> tuple[str, ...]:
    """The texts of the blocks a rule puts one record in, from its normalized values, as
    `RuleTexts` gives them over a table of that record alone (without building one: a
    probe is indexed a request at a time)."""
    multi = [name for name, value in values.items() if not isinstance(value, str)]
    ordered = _ordered_keys(rule, multi)
    texts = _record_key_texts(values, ordered[0])
    for key in ordered[1:]:
        found = _record_key_texts(values, key)
        if not found:
            return ()
        texts = [text + "\x1f" + found[0] for text in texts]
    return tuple(dict.fromkeys(texts))


SkipBlocks = Callable[[str, np.ndarray], np.ndarray]  # (rule, block texts) -> which to skip


def _texts(parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """The block text of each row (its keys' texts joined, as `RuleTexts` gives them)."""
    texts = parts[0][1][parts[0][0]]
    for codes, values in parts[1:]:
        texts = texts + "\x1f" + values[codes]
    return texts


def rule_rows(
    table: FeatureTable, rule: BlockingRule, skip: SkipBlocks | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(record, block code) rows for a rule; rows missing any key are dropped, and so are
    rows in blocks `skip` names (by text)."""
    records, parts = rule_columns(table, rule)
    if skip is not None and len(records):
        keep = ~skip(rule.name, _texts(parts))
        records, parts = records[keep], [(codes[keep], values) for codes, values in parts]
    return records, _block_codes(parts)


def _block_codes(parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """One code per row for the block its keys' codes put it in."""
    combined = parts[0][0]
    for codes, _ in parts[1:]:
        combined = _dense(combined * (int(codes.max(initial=0)) + 1) + codes)
    return combined


def rule_blocks(
    table: FeatureTable, rule: BlockingRule
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every (record, block) row of a rule over a table, column-wise: the rows' records
    and block numbers (in order of record, then block; a record in a block twice has one
    row), and the blocks' texts by number, as `RuleTexts` gives them. Each text is built
    once however many records share it: a store indexes millions of rows from these."""
    records, parts = rule_columns(table, rule)
    _, first, inverse = np.unique(_block_codes(parts), return_index=True, return_inverse=True)
    texts = _texts([(codes[first], values) for codes, values in parts]).tolist()
    numbers: dict[str, int] = {}  # by text: the codes of two values may join to one text
    renumbered = np.fromiter(
        (numbers.setdefault(text, len(numbers)) for text in texts), dtype=np.int64, count=len(texts)
    )
    width = max(len(numbers), 1)
    rows = np.unique(records * width + renumbered[inverse.reshape(-1)])
    return rows // width, rows % width, list(numbers)


class RuleTexts:
    """The text of every block a rule puts each record in (none when a key is missing;
    records share a block exactly when they share a text), worked out once over a table
    and read a range of records at a time."""

    def __init__(self, table: FeatureTable, rule: BlockingRule) -> None:
        records, parts = rule_columns(table, rule)
        order = np.argsort(records, kind="stable")  # each record's rows together, in order
        self.records = records[order]
        self.parts = [(codes[order], values) for codes, values in parts]

    def of(self, start: int, stop: int) -> list[tuple[str, ...]]:
        """The block texts of each record of rows `start`..`stop` of the table."""
        low, high = np.searchsorted(self.records, (start, stop)).tolist()
        texts = _texts([(codes[low:high], values) for codes, values in self.parts])
        out: list[list[str]] = [[] for _ in range(stop - start)]
        for record, text in zip(
            (self.records[low:high] - start).tolist(), texts.tolist(), strict=True
        ):
            out[record].append(text)
        return [tuple(dict.fromkeys(keys)) for keys in out]


@dataclass(frozen=True)
class RuleStats:
    name: str
    pairs: int
    largest_block: int
    capped_blocks: int
    capped_records: int
    cap: int


def pairs_within_groups(
    records: np.ndarray, groups: np.ndarray, max_size: int
) -> tuple[np.ndarray, np.ndarray, int, int, int]:
    """All pairs (i < j) of records sharing a group, skipping groups above `max_size`
    records. A record that falls in a group twice (two emails with one handle) counts
    once, as the store's blocking index counts it.

    Returns left, right, largest group size, capped group count, capped record count.
    """
    order = np.lexsort((records, groups))
    records, groups = records[order], groups[order]
    again = np.flatnonzero((records[1:] == records[:-1]) & (groups[1:] == groups[:-1])) + 1
    records, groups = np.delete(records, again), np.delete(groups, again)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    sizes = np.diff(np.r_[starts, len(groups)])
    largest = int(sizes.max(initial=0))
    capped = sizes > max_size
    size_per_row = np.repeat(sizes, sizes)
    start_per_row = np.repeat(starts, sizes)
    allowed = ~np.repeat(capped, sizes)
    position = np.arange(len(records))
    after = np.where(allowed, start_per_row + size_per_row - position - 1, 0)
    left_pos = np.repeat(position, after)
    offsets = np.arange(len(left_pos)) - np.repeat(np.cumsum(after) - after, after)
    right_pos = left_pos + 1 + offsets
    left, right = records[left_pos], records[right_pos]
    return (
        np.minimum(left, right),
        np.maximum(left, right),
        largest,
        int(capped.sum()),
        int(sizes[capped].sum()),
    )


def _rule_pairs(
    table: FeatureTable, rule: BlockingRule, max_block_size: int, skip: SkipBlocks | None
) -> tuple[np.ndarray, RuleStats]:
    """A rule's pairs as sorted keys i * n + j, with its statistics."""
    records, groups = rule_rows(table, rule, skip)
    cap = rule.max_block_size or max_block_size
    left, right, largest, capped, capped_records = pairs_within_groups(records, groups, cap)
    pair_keys = sorted_unique(left * table.n + right)
    return pair_keys, RuleStats(rule.name, len(pair_keys), largest, capped, capped_records, cap)


def candidate_keys(
    table: FeatureTable,
    rules: list[BlockingRule],
    max_block_size: int,
    split: Split = ALONE,
    skip: SkipBlocks | None = None,
) -> tuple[np.ndarray, list[RuleStats], list[np.ndarray]]:
    """The deduplicated union of every rule's pairs (i, j), i < j, as sorted keys
    i * n + j, with each rule's statistics and its own pairs (as sorted keys too). Rules
    are independent: `split` may share them with a worker. `skip` names blocks to
    leave out whatever their size here (a part of a block above its cap in the store)."""
    results = split.map(lambda rule: _rule_pairs(table, rule, max_block_size, skip), rules)
    keys = [pair_keys for pair_keys, _ in results]
    stats = [rule_stats for _, rule_stats in results]
    for rule_stats in stats:
        if rule_stats.capped_blocks:
            log.warning(
                "blocking rule %r: %d blocks above %d records skipped (largest %d)",
                rule_stats.name,
                rule_stats.capped_blocks,
                rule_stats.cap,
                rule_stats.largest_block,
            )
    del results
    union = np.concatenate(keys) if keys else np.empty(0, dtype=np.int64)
    union.sort()  # in place: the union of a million records' rules is their largest array
    return union[np.r_[True, union[1:] != union[:-1]]] if len(union) else union, stats, keys


def pairs_of_keys(keys: np.ndarray, n: int) -> np.ndarray:
    """Sorted pair keys i * n + j as a (k, 2) int32 array, a chunk at a time (no int64
    copy of the whole)."""
    pairs = np.empty((len(keys), 2), dtype=np.int32)
    for start in range(0, len(keys), _KEY_CHUNK):
        pairs[start : start + _KEY_CHUNK, 0], pairs[start : start + _KEY_CHUNK, 1] = np.divmod(
            keys[start : start + _KEY_CHUNK], max(n, 1)
        )
    return pairs
