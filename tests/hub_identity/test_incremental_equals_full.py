"""An incremental resolve after any sequence of changes leaves what a full resolve with the
same fitted model leaves: the same golden records, members, decisions and evidence, and
the same data-quality summary."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from identityfixtures import Shop, person

from identity.settings import BlockingRule, ResolutionSettings

Change = tuple[str, int, int]
changes = st.lists(
    st.tuples(st.sampled_from(["put", "put", "delete"]), st.integers(0, 7), st.integers(0, 5)),
    min_size=1,
    max_size=4,
)


@pytest.mark.parametrize("max_block_size", [2000, 2], ids=["default caps", "blocks cross a cap"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rounds=st.lists(changes, min_size=1, max_size=3))
def test_incremental_resolve_equals_full(max_block_size: int, rounds: list[list[Change]]) -> None:
    """With a cap of 2, a block of one person's rows (same given name and birth date)
    crosses it as rows come and go: its pairs vanish or appear for every member."""
    with tempfile.TemporaryDirectory() as folder:
        shop = Shop(
            Path(folder),
            f"sqlite:///{folder}/relhub.db",
            {i: person(i, who=i % 4) for i in range(5)},
        )
        shop.config = shop.config.model_copy(
            update={"resolution": ResolutionSettings(max_block_size=max_block_size)}
        )
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


def _one_rule_shop(folder: Path) -> Shop:
    """Three rows in one block (given name and birth date) under a cap of 2, and no other
    rule: rows 0 and 1 are one person with two mailboxes, row 2 a namesake born the same
    day. Three records fit no model, so any pair that is scored at all is linked."""
    lucia = person(0, who=1)
    rows = {
        0: dict(lucia, email="lucia.uno@example.com"),
        1: dict(person(1, who=1), email="lucia.dos@example.com"),
        2: dict(person(2, who=1), email="otra@example.com", last="Pardo Ruiz"),
    }
    shop = Shop(folder, f"sqlite:///{folder}/relhub.db", rows)
    person_settings = ResolutionSettings().person.model_copy(
        update={
            "blocking_rules": [
                BlockingRule(
                    name="given_name_birth_date",
                    keys=["given_name", "birth_date"],
                    max_block_size=2,
                )
            ]
        }
    )
    settings = ResolutionSettings(
        person=person_settings, match_probability=1e-9, review_probability=1e-9
    )  # any pair scored is a link
    shop.config = shop.config.model_copy(update={"resolution": settings})
    return shop


@pytest.mark.parametrize("leave", ["delete", "edit"])
def test_a_block_falling_under_its_cap_pairs_records_no_change_touched(leave: str) -> None:
    """The namesake leaves the block (deleted, or its birth date corrected): the block is
    under its cap again, so rows 0 and 1, untouched, become a pair and one golden record,
    as a full resolve finds."""
    with tempfile.TemporaryDirectory() as folder:
        shop = _one_rule_shop(Path(folder))
        shop.cycle()
        assert shop.golden_of(0) != shop.golden_of(1)
        if leave == "delete":
            shop.delete(2)
        else:
            shop.put(2, dict(shop.rows[2], born="1990-01-01"))
        shop.cycle()
        assert shop.golden_of(0) == shop.golden_of(1)
        incremental = shop.state()
        shop.cycle(full=True, refit=False)
        assert shop.state() == incremental
