"""Pausing CPython's cyclic garbage collector around bulk work.

A resolve allocates millions of small containers that live until the step ends (parsed
records, their lists, feature dictionaries). The cyclic collector is triggered by
allocations and, at every full collection, walks every live container — in a resolve of
a million records that is most of the input time, and it finds no cycles: these objects
are freed by reference counting. Measured on the synthetic people: building a canonical
record costs 30 µs with the collector running and 8 µs with it paused.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off, then restore its previous state
    (nested pauses leave it off until the outermost one ends)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
