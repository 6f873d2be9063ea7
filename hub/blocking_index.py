"""Blocking keys as stable digests, so an incremental resolve finds stored neighbours.

The engine blocks on integer codes that mean something only within one batch; the store
needs keys that mean the same in every run. Each (entity kind, rule, key values) becomes
a short digest. Derived keys mirror `identity.blocking.SINGLE_KEYS` / `MULTI_KEYS` (a test
checks that both group records alike); the engine exposes codes only, not key text.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Sequence

import jellyfish

from identity.features import FeatureTable, build_features
from identity.normalize import first_token
from identity.records import OrganizationRecord, PersonRecord
from identity.settings import BlockingRule, ResolutionSettings

Record = PersonRecord | OrganizationRecord
_SEPARATOR = "\x1f"
_DERIVED: dict[str, tuple[str, Callable[[str], list[str]]]] = {
    "given_initial": ("given_name", lambda v: [v[:1]]),
    "family_first": ("family_name", lambda v: [first_token(v)]),
    "family_phonetic": ("family_name", lambda v: [jellyfish.metaphone(first_token(v))]),
    "birth_year": ("birth_date", lambda v: [v[:4]]),
    "name_tokens": ("name", lambda v: [t for t in v.split() if len(t) > 2]),
}


def _single(table: FeatureTable, feature: str) -> list[list[str]]:
    values = table.values(feature)
    return [[str(values[c])] if c >= 0 else [] for c in table.codes(feature)]


def _key_texts(table: FeatureTable, key: str) -> list[list[str]]:
    """Per record, the text values of one blocking key (empty: the record has none)."""
    if key in table.multi:
        column = table.multi[key]
        texts: list[list[str]] = [[] for _ in range(table.n)]
        for record, code in zip(column.records.tolist(), column.codes.tolist(), strict=True):
            texts[record].append(str(column.values[code]))
        return texts
    if key == "name_pair":
        pairs = zip(_single(table, "given_name"), _single(table, "family_name"), strict=True)
        return [[_SEPARATOR.join(sorted((g[0], f[0])))] if g and f else [] for g, f in pairs]
    if key in _DERIVED:
        feature, derive = _DERIVED[key]
        cache: dict[str, list[str]] = {}
        return [[d for v in values for d in cache.setdefault(v, derive(v)) if d]
                for values in _single(table, feature)]
    if key in table.columns:
        return _single(table, key)
    raise KeyError(f"unknown blocking key {key!r}")


def _digest(kind: str, rule: str, values: Sequence[str]) -> str:
    text = _SEPARATOR.join((kind, rule, *values))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def rule_blocks(table: FeatureTable, kind: str, rule: BlockingRule) -> list[set[str]]:
    """The block digests of each record of `table` under one rule."""
    per_key = [_key_texts(table, key) for key in rule.keys]
    return [{_digest(kind, rule.name, values)
             for values in itertools.product(*(texts[i] for texts in per_key))}
            for i in range(table.n)]


def record_blocks(records: Sequence[Record], settings: ResolutionSettings
                  ) -> list[dict[str, int]]:
    """The block digests of each record, under every blocking rule of its entity kind,
    each with the rule's cap (the engine pairs no records within a larger block)."""
    blocks: list[dict[str, int]] = [{} for _ in records]
    for kind in ("person", "organization"):
        indices = [i for i, r in enumerate(records) if r.kind == kind]
        if not indices:
            continue
        table = build_features([records[i] for i in indices], kind, settings)
        for rule in settings.for_kind(kind).blocking_rules:
            cap = rule.max_block_size or settings.max_block_size
            for index, own in zip(indices, rule_blocks(table, kind, rule), strict=True):
                blocks[index] |= dict.fromkeys(own, cap)
    return blocks
