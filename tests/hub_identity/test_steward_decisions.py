"""Steward decisions are stored and honoured by every later resolve, incremental or full."""

from __future__ import annotations

from pathlib import Path

import pytest
from identityfixtures import Shop, person

from hub.golden import show
from hub.review import DecisionError, decide_pair, override_field


def test_no_match_splits_and_stays_split(tmp_path: Path, store_url: str) -> None:
    shop = Shop(tmp_path, store_url, {0: person(0), 1: person(1, who=0), 2: person(2)})
    shop.cycle()
    assert shop.golden_of(0) == shop.golden_of(1)
    decide_pair(shop.engine, shop.key(1), shop.key(0), match=False)
    shop.cycle()
    assert shop.golden_of(0) != shop.golden_of(1)
    shop.put(1, dict(person(1, who=0), visits="9"))  # a later change to one of them
    shop.cycle()
    shop.cycle(full=True)
    assert shop.golden_of(0) != shop.golden_of(1)


def test_match_joins_different_people(tmp_path: Path, store_url: str) -> None:
    shop = Shop(tmp_path, store_url, {0: person(0), 1: person(1), 2: person(2)})
    shop.cycle()
    decide_pair(shop.engine, shop.key(0), shop.key(2), match=True)
    shop.cycle()
    assert shop.golden_of(0) == shop.golden_of(2) != shop.golden_of(1)
    shop.cycle(full=True)
    assert shop.golden_of(0) == shop.golden_of(2)


def test_cannot_link_stops_a_chain(tmp_path: Path, sqlite_url: str) -> None:
    shop = Shop(tmp_path, sqlite_url, {0: person(0), 1: person(1, who=0), 2: person(2)})
    shop.cycle()
    decide_pair(shop.engine, shop.key(1), shop.key(2), match=True)  # A ~ B (model), B ~ C
    shop.cycle()
    assert shop.golden_of(0) == shop.golden_of(1) == shop.golden_of(2)
    decide_pair(shop.engine, shop.key(0), shop.key(2), match=False)
    shop.cycle()
    assert shop.golden_of(1) == shop.golden_of(2) != shop.golden_of(0)


def test_field_override_wins_over_newer_source_values(tmp_path: Path, store_url: str) -> None:
    shop = Shop(tmp_path, store_url, {0: person(0), 1: person(1)})
    shop.cycle()
    golden = shop.golden_of(0)
    override_field(shop.engine, golden, "given_name", "Anita")
    shop.cycle()
    field = show(shop.engine, golden).fields["given_name"]
    assert field["value"] == "Anita" and field["rule"] == "steward_override"
    shop.put(0, dict(person(0), first="Ana María"))  # a newer source value does not win
    shop.cycle(full=True)
    assert show(shop.engine, golden).fields["given_name"]["value"] == "Anita"


def test_decisions_name_real_records_and_fields(tmp_path: Path, sqlite_url: str) -> None:
    shop = Shop(tmp_path, sqlite_url, {0: person(0)})
    shop.cycle()
    with pytest.raises(DecisionError, match="no source record 'shop/customers/nope'"):
        decide_pair(shop.engine, shop.key(0), "shop/customers/nope", match=True)
    with pytest.raises(DecisionError, match="no field 'shoe_size'"):
        override_field(shop.engine, shop.golden_of(0), "shoe_size", 44)
