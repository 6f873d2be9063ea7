"""Golden ids stay stable through sync -> resolve cycles with merges, splits and deletions."""

from __future__ import annotations

from pathlib import Path

from identityfixtures import GIVEN, Shop, person
from sqlalchemy import select
from syncfixtures import row

from hub.golden import resolve_id, show
from hub.store.identity_models import LinkRow


def test_ids_survive_merges_splits_and_deletions(tmp_path: Path, store_url: str) -> None:
    shop = Shop(
        tmp_path,
        store_url,
        {i: person(i) for i in (0, 1, 3, 4, 5)} | {6: person(6, who=0), 7: person(7, who=1)},
    )
    first = shop.cycle()
    assert first.full and first.summary is not None
    assert first.summary.golden_records_out == 5
    ana, bruno = shop.golden_of(0), shop.golden_of(1)
    assert shop.golden_of(6) == ana and shop.golden_of(7) == bruno
    shop.put(2, person(2))
    assert shop.cycle().minted == 1
    carmen = shop.golden_of(2)

    shop.put(2, person(2, who=0))  # Carmen's record now describes Ana: the older id stays
    merge = shop.cycle()
    assert not merge.full and merge.changed == 1 and merge.resolved == 3
    assert shop.golden_of(2) == ana and merge.merged == 1
    with shop.engine.connect() as connection:
        assert resolve_id(connection, carmen) == ana

    shop.put(3, person(3, who=1))  # Diego's record joins Bruno: Bruno (2 members) keeps his id
    shop.put(1, person(1, who=0))  # and one of Bruno's records moves to Ana
    shop.cycle()
    assert shop.golden_of(0) == shop.golden_of(1) == ana
    assert shop.golden_of(7) == shop.golden_of(3)

    shop.put(6, person(6, who=9))  # a split: Ana keeps her id on the larger part
    split = shop.cycle()
    assert split.split == 1 and split.minted == 1
    assert shop.golden_of(0) == ana and shop.golden_of(6) != ana
    view = show(shop.engine, shop.golden_of(6))
    assert {"event": "split_from", "other_id": ana} in [
        {"event": h["event"], "other_id": h["other_id"]} for h in view.history
    ]

    shop.delete(4)
    gone = shop.golden_of(4)
    deleted = shop.cycle()
    assert deleted.retired == 1
    assert show(shop.engine, gone).status == "retired"
    assert show(shop.engine, ana).members  # untouched by the deletion


def test_merged_id_resolves_to_its_survivor(tmp_path: Path, store_url: str) -> None:
    shop = Shop(tmp_path, store_url, {0: person(0), 1: person(1), 2: person(2), 3: person(3)})
    shop.cycle()
    ids = {i: shop.golden_of(i) for i in range(4)}
    shop.put(0, person(0, who=9))  # 0 and 2 leave their clusters and meet as a new pair...
    shop.put(2, person(2, who=9))
    shop.put(1, person(1, who=3))  # ...while 1 joins 3: two ids, one cluster
    report = shop.cycle()
    assert report.merged == 2  # {0, 2} and {1, 3} each unite two ids
    survivor = shop.golden_of(3)
    assert survivor == min(ids[1], ids[3])  # same creation run: the smaller id is the oldest
    loser = max(ids[1], ids[3])
    view = show(shop.engine, loser)
    assert view.golden_id == survivor and view.asked_for == loser
    assert any(h["event"] == "merged_into" and h["golden_id"] == loser for h in view.history)
    assert {m["id"] for m in view.members} == {"C000001", "C000003"}
    assert (view.links and view.links[0]["rule"]) or view.links[0]["evidence"]


def _namesake(index: int, given: str, **changes: str) -> dict[str, str]:
    """A García López born 1980-02-01 (the fixture row's surname and birth date)."""
    return row(index, first=given, email=f"{given.lower()}@example.com", **changes)


def test_a_change_reaches_only_the_records_it_links_with(tmp_path: Path, sqlite_url: str) -> None:
    """Four people who share a surname and a birth date share blocks but link with no one:
    a change to one re-resolves that one, not its block neighbours."""
    rows = {i: _namesake(i, given) for i, given in enumerate(GIVEN[:4])}
    shop = Shop(tmp_path, sqlite_url, rows | {4: _namesake(4, "Ana")})
    assert shop.cycle().summary.golden_records_out == 4  # type: ignore[union-attr]
    shop.put(1, _namesake(1, "Bruno", visits="9"))
    assert shop.cycle().resolved == 1
    shop.put(4, _namesake(4, "Ana", visits="9"))  # Ana's second record: her pair moves
    assert shop.cycle().resolved == 2


def _link_run(shop: Shop, left: int, right: int) -> int | None:
    with shop.engine.connect() as connection:
        return connection.execute(
            select(LinkRow.run_id).where(
                LinkRow.left_key == shop.key(left), LinkRow.right_key == shop.key(right)
            )
        ).scalar_one_or_none()


def test_a_pair_decided_as_before_keeps_its_link_row(tmp_path: Path, store_url: str) -> None:
    """An incremental resolve rewrites only the links it decides otherwise: Ana's two
    records keep their link row (and the run that first decided it) when one of them
    changes a field no comparison reads; the row goes when a new email parts them, and
    comes back, written by that run, when the email does."""
    shop = Shop(tmp_path, store_url, {0: person(0, who=0), 1: person(1, who=0), 2: person(2)})
    first = shop.cycle()
    assert _link_run(shop, 0, 1) == first.run_id
    shop.put(0, person(0, who=0, visits="9"))
    assert shop.cycle().resolved == 2 and _link_run(shop, 0, 1) == first.run_id
    shop.put(0, dict(person(0, who=0), email="ana.home@example.org"))
    assert shop.cycle().split == 1 and _link_run(shop, 0, 1) is None
    shop.put(0, person(0, who=0))
    fourth = shop.cycle()
    assert _link_run(shop, 0, 1) == fourth.run_id
