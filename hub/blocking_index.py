"""Blocking keys as stable digests, so an incremental resolve finds stored neighbours.

The engine blocks on integer codes that mean something only within one batch; the store
needs keys that mean the same in every run. The engine tells each record's block texts
per rule (`identity.engine.block_keys`); each (entity kind, rule, text) becomes a short
digest. `INDEX_VERSION` names this digest scheme: a store indexed under another one is
resolved in full once (it is part of the model's settings digest).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from identity.engine import block_keys
from identity.records import OrganizationRecord, PersonRecord
from identity.settings import ResolutionSettings

Record = PersonRecord | OrganizationRecord
INDEX_VERSION = "block-texts-2"  # 2: rows keep their block's cap
_SEPARATOR = "\x1f"


def block_digest(kind: str, rule: str, text: str) -> str:
    return hashlib.blake2b(_SEPARATOR.join((kind, rule, text)).encode(),
                           digest_size=16).hexdigest()


def record_blocks(records: Sequence[Record], settings: ResolutionSettings
                  ) -> list[dict[str, int]]:
    """The block digests of each record, under every blocking rule of its entity kind,
    each with the rule's cap (the engine pairs no records within a larger block)."""
    texts = block_keys(records, settings)
    blocks: list[dict[str, int]] = [{} for _ in records]
    for index, record in enumerate(records):
        for rule in settings.for_kind(record.kind).blocking_rules:
            cap = rule.max_block_size or settings.max_block_size
            blocks[index].update((block_digest(record.kind, rule.name, text), cap)
                                 for text in texts[rule.name][index])
    return blocks
