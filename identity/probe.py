"""One record asked about: the read API's match and search, a request at a time.

A resolve reads a stream of records in chunks (possibly coding them in a forked worker),
blocks, compares, fits and clusters; a probe is one record, looked up in a store's index
and scored against the few stored records it blocks with. The same feature coding,
block texts, comparisons, fitted weights and decisions as `resolve_batch`, without the
batch machinery around them: that machinery was most of a match request's CPU.
"""

from __future__ import annotations

import numpy as np

from identity.engine import KINDS, BatchIndex, RecordIndex
from identity.features import FeatureBuilder
from identity.records import Record
from identity.settings import ResolutionSettings


def index_probe(record: Record, settings: ResolutionSettings) -> RecordIndex:
    """The record's `RecordIndex` (its block texts per rule and normalized values), as
    `index_records([record], settings)` gives it."""
    builder = FeatureBuilder(record.kind, settings)
    builder.add([record])
    kinds = np.array([KINDS.index(record.kind)], dtype=np.int8)
    return BatchIndex(settings, {record.kind: builder.finish()}, kinds).records(0, 1)
