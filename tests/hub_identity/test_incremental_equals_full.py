"""An incremental resolve after any sequence of changes leaves what a full resolve with the
same fitted model leaves: the same golden records, members, decisions and evidence, and
the same data-quality summary."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from identityfixtures import Shop, person

Change = tuple[str, int, int]
changes = st.lists(
    st.tuples(st.sampled_from(["put", "put", "delete"]), st.integers(0, 7), st.integers(0, 5)),
    min_size=1, max_size=4)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds=st.lists(changes, min_size=1, max_size=3))
def test_incremental_resolve_equals_full(rounds: list[list[Change]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        shop = Shop(Path(folder), f"sqlite:///{folder}/relhub.db",
                    {i: person(i, who=i % 4) for i in range(5)})
        shop.cycle()
        for round_of_changes in rounds:
            for action, index, who in round_of_changes:
                if action == "put":
                    shop.put(index, person(index, who=who))
                elif index in shop.rows:
                    shop.delete(index)
            last = shop.cycle()
        incremental = shop.state()
        full = shop.cycle(full=True, refit=False)
        assert full.full
        assert shop.state() == incremental
        assert last.summary == full.summary  # the summary moved by deltas matches a recount
