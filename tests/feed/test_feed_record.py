"""Resolve records golden-record events for the change feed: what each cycle changed."""

from __future__ import annotations

from pathlib import Path

from identityfixtures import Shop, person

from hub.feed import events
from hub.feed.read import changes_after, feed_head
from hub.feed.record import GoldenState, created_detail, differences
from hub.store.db import JSONText, dumps


def _feed(shop: Shop, after: int = 0) -> list[tuple[str, str, dict[str, object]]]:
    with shop.engine.connect() as connection:
        return [(c.event, c.golden_id, c.detail) for c in changes_after(connection, after, 1000)]


def _head(shop: Shop) -> int:
    with shop.engine.connect() as connection:
        return feed_head(connection)


def test_each_cycle_records_what_it_changed(tmp_path: Path, store_url: str) -> None:
    shop = Shop(tmp_path, store_url, {i: person(i) for i in (0, 1, 3)} | {6: person(6, who=0)})
    first = shop.cycle()
    ana, bruno, diego = shop.golden_of(0), shop.golden_of(1), shop.golden_of(3)
    created = _feed(shop)
    assert first.events == 3 and _head(shop) == 3
    assert sorted((e, g) for e, g, _ in created) == sorted(
        (events.CREATED, g) for g in (ana, bruno, diego)
    )
    assert all(d == {"roles": ["customer"], "lifecycle_stage": None} for _, _, d in created)

    assert shop.cycle().events == 0  # nothing changed: nothing recorded, no position taken
    assert _head(shop) == 3

    shop.put(1, {**person(1), "first": "Bruna"})
    shop.cycle()
    assert _feed(shop, 3) == [(events.UPDATED, bruno, {"fields": ["given_name"]})]

    shop.put(3, person(3, who=0))  # Diego's record now describes Ana: Diego's id merges
    shop.cycle()
    merged = _feed(shop, 4)
    assert (events.MERGED, ana, {"merged_ids": [diego]}) in merged
    assert all(g != diego for e, g, _ in merged if e == events.UPDATED)

    shop.put(6, person(6, who=9))  # one of Ana's records leaves her: a split
    shop.cycle()
    split = [(e, d) for e, g, d in _feed(shop, 4 + len(merged)) if g == shop.golden_of(6)]
    assert split == [(events.SPLIT, {"split_from": ana})]

    position = _head(shop)
    shop.delete(1)
    shop.cycle()
    assert _feed(shop, position) == [(events.RETIRED, bruno, {})]
    positions = []
    with shop.engine.connect() as connection:
        positions = [c.position for c in changes_after(connection, 0, 1000)]
    assert positions == list(range(1, _head(shop) + 1))


def test_differences_name_fields_stages_and_roles() -> None:
    before = GoldenState(
        "active",
        {"given_name": {"value": "Ana", "rule": "r", "provenance": {"system": "a"}}},
        ["lead"],
        "lead",
    )
    same_value_new_source = {
        "entity_kind": "person",
        "fields": {"given_name": {"value": "Ana", "rule": "r", "provenance": {"system": "b"}}},
        "roles": ["lead"],
        "lifecycle_stage": "lead",
    }
    assert differences("g1", before, same_value_new_source) == []
    after = {
        "entity_kind": "person",
        "fields": {
            "given_name": {"value": "Ana", "rule": "r", "provenance": {"system": "a"}},
            "emails": [{"value": "ana@example.com", "rule": "r", "provenance": {}}],
        },
        "roles": ["customer", "partner_contact"],
        "lifecycle_stage": "customer",
    }
    assert differences("g1", before, after) == [
        ("g1", "person", events.UPDATED, {"fields": ["emails"]}),
        ("g1", "person", events.LIFECYCLE_CHANGED, {"from": "lead", "to": "customer"}),
        ("g1", "person", events.ROLE_GAINED, {"roles": ["customer", "partner_contact"]}),
        ("g1", "person", events.ROLE_LOST, {"roles": ["lead"]}),
    ]


def test_a_created_detail_from_serialized_roles_is_the_text_its_values_dump_to() -> None:
    for stage in ("customer", None):
        detail = {"roles": ["customer", "partner"], "lifecycle_stage": stage}
        serialized = {**detail, "roles": JSONText('["customer","partner"]')}
        assert created_detail(serialized) == dumps(detail)
        assert isinstance(created_detail(serialized), JSONText)
        assert created_detail(detail) == detail
