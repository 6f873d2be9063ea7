"""An incremental resolve after any sequence of changes leaves what a full resolve with the
same fitted model leaves: the same golden records, members, decisions and evidence, and
the same data-quality summary — also where people share identifiers (a switchboard on
many records, a family mailbox, a generic inbox) and blocks cross small caps."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from identityfixtures import Shop, person

from identity.settings import BlockingRule, ResolutionSettings

Change = tuple[str, int, int, int, int, bool]
SWITCHBOARDS = ["+34 910 000 001", "+34 930 000 002"]
SHARED_MAILBOXES = ["familia.garcia@example.com", "info@example.com"]
changes = st.lists(
    st.tuples(
        st.sampled_from(["put", "put", "delete"]),
        st.integers(0, 9),
        st.integers(0, 5),
        st.integers(0, 3),  # email: the person's own, own again, a family or generic mailbox
        st.integers(0, 3),  # phone: none, the person's own mobile, one of two switchboards
        st.booleans(),  # the person's own mobile as a second phone
    ),
    min_size=1,
    max_size=5,
)


def _sharing(index: int, who: int, email: int, phone: int, mobile: bool) -> dict[str, Any]:
    """Row `index` of person `who`, with an email and a phone other people may share, and
    maybe the person's own mobile beside it."""
    values = person(index, who=who)
    if email >= 2:
        values["email"] = SHARED_MAILBOXES[email - 2]
    own = f"+34 6{who:02d} 000 {who:03d}"
    values["phone"] = ["", own, *SWITCHBOARDS][phone]
    values["mobile"] = own if mobile else ""
    return values


def _capped(cap: int) -> ResolutionSettings:
    """Default settings with every blocking rule capped at `cap` records a block."""
    person_settings = ResolutionSettings().person
    rules = [
        rule.model_copy(update={"max_block_size": min(rule.max_block_size or cap, cap)})
        for rule in person_settings.blocking_rules
    ]
    return ResolutionSettings(
        person=person_settings.model_copy(update={"blocking_rules": rules}), max_block_size=cap
    )


@pytest.mark.parametrize("cap", [2000, 4, 2], ids=["default caps", "caps of 4", "caps of 2"])
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rounds=st.lists(changes, min_size=1, max_size=3))
def test_incremental_resolve_equals_full(
    store_maker: Callable[[], AbstractContextManager[str]], cap: int, rounds: list[list[Change]]
) -> None:
    """Rows come and go and change hands between people, mailboxes and switchboards: a
    block of a shared value (or one person's rows) crosses its cap, and its pairs vanish
    or appear for every member, changed or not; a row gives a switchboard and its own
    mobile, whose other carriers an incremental resolve may not take."""
    with tempfile.TemporaryDirectory() as folder, store_maker() as url:
        shop = Shop(
            Path(folder),
            url,
            {i: _sharing(i, i % 4, i % 4, i % 4, i % 2 == 0) for i in range(6)},
            phones=True,
        )
        shop.config = shop.config.model_copy(update={"resolution": _capped(cap)})
        shop.cycle()
        for round_of_changes in rounds:
            for action, index, who, email, phone, mobile in round_of_changes:
                if action == "put":
                    shop.put(index, _sharing(index, who, email, phone, mobile))
                elif index in shop.rows:
                    shop.delete(index)
            last = shop.cycle()
        incremental = shop.state()
        full = shop.cycle(full=True, refit=False)
        assert full.full
        assert shop.state() == incremental
        assert last.summary == full.summary  # the summary moved by deltas matches a recount
        shop.engine.dispose()


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


def _resolves_as_full(shop: Shop) -> None:
    """Resolve what changed, incrementally: the store then holds what a full resolve with
    the same fitted model leaves."""
    assert not shop.cycle().full
    incremental = shop.state()
    shop.cycle(full=True, refit=False)
    assert shop.state() == incremental


def test_a_pair_sharing_a_switchboard_and_a_mobile_is_weighed_as_in_a_full_resolve(
    store_maker: Callable[[], AbstractContextManager[str]],
) -> None:
    """Rows 0 and 1 are one person giving both her own mobile and the switchboard that
    rows 2-5 (four other people) carry too. A full resolve weighs their link by the rarer
    of the two phones: the mobile. The incremental resolve after row 0 changes takes rows
    0 and 1 alone (the switchboard's other carriers link with neither), where each phone is
    carried twice: it must still weigh the link by the mobile, as the fitted model's
    frequencies rank them, not by the switchboard, capped as a shared value."""
    with tempfile.TemporaryDirectory() as folder, store_maker() as url:
        rows = {i: dict(person(i, who=1 if i < 2 else i), phone=SWITCHBOARDS[0]) for i in range(6)}
        rows[0]["mobile"] = rows[1]["mobile"] = "+34 600 111 222"
        shop = Shop(Path(folder), url, rows, phones=True)
        shop.cycle()
        assert shop.golden_of(0) == shop.golden_of(1)
        shop.put(0, dict(rows[0], visits="9"))
        _resolves_as_full(shop)
        shop.engine.dispose()


def test_swapped_names_fall_in_the_block_a_full_resolve_puts_them_in(
    store_maker: Callable[[], AbstractContextManager[str]],
) -> None:
    """Row 1 is row 0's person with her given and family names swapped; row 2 a namesake
    of row 0, so their name block holds three records, above a cap of 2. Changed alone,
    row 1 must still fall in that block (its text the two names in sorted order, not in
    the order a batch meets them), so the incremental resolve indexes it and skips the
    block as the full resolve does."""
    with tempfile.TemporaryDirectory() as folder, store_maker() as url:
        rows = {
            0: dict(person(0, who=0), first="Ana", last="Ruiz"),
            1: dict(person(1, who=0), first="Ruiz", last="Ana"),
            2: dict(person(2, who=2), first="Ana", last="Ruiz"),
        }
        shop = Shop(Path(folder), url, rows)
        shop.config = shop.config.model_copy(update={"resolution": _capped(2)})
        shop.cycle()
        shop.put(1, dict(rows[1], visits="9"))
        _resolves_as_full(shop)
        shop.engine.dispose()
