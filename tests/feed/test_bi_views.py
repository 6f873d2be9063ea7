"""The SQL views for BI tools answer the same on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from identityfixtures import Shop, person
from sqlalchemy import text


def test_views_show_golden_records_members_and_changes(tmp_path: Path, store_url: str) -> None:
    shop = Shop(tmp_path, store_url, {0: person(0), 1: person(1), 2: person(2, who=0)})
    shop.cycle()
    ana = shop.golden_of(0)
    with shop.engine.connect() as connection:
        golden = connection.execute(
            text(
                "SELECT golden_id, status, given_name, family_name, email, member_count"
                " FROM relhub_golden_records ORDER BY given_name"
            )
        ).all()
        members = connection.execute(
            text(
                "SELECT source_id, golden_status FROM relhub_golden_members"
                " WHERE golden_id = :g ORDER BY source_id"
            ),
            {"g": ana},
        ).all()
        changes = connection.execute(
            text("SELECT position, event, golden_id FROM relhub_changes ORDER BY position")
        ).all()
    assert [tuple(row) for row in golden] == [
        (ana, "active", "Ana", "García López", "ana.0@example.com", 2),
        (shop.golden_of(1), "active", "Bruno", "Iglesias Rubio", "bruno.1@example.com", 1),
    ]
    assert [tuple(row) for row in members] == [("C000000", "active"), ("C000002", "active")]
    first, second = sorted((ana, shop.golden_of(1)))  # a run records in golden-id order
    assert [tuple(row) for row in changes] == [
        (1, "golden.created", first),
        (2, "golden.created", second),
    ]
