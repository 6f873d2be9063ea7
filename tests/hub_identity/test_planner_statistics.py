"""A full resolve leaves planner statistics on every table it rewrote, so the incremental
resolves after it are planned on the store as it is, not as autovacuum last saw it."""

from __future__ import annotations

from pathlib import Path

from identityfixtures import Shop, person
from sqlalchemy import text

REWRITTEN = {
    "blocking_keys",
    "record_features",
    "golden_members",
    "golden_records",
    "identity_links",
}


def analyzed_tables(shop: Shop) -> set[str]:
    with shop.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            query = "SELECT DISTINCT tablename FROM pg_stats WHERE schemaname = current_schema()"
        elif connection.execute(
            text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        ).first():
            query = "SELECT DISTINCT tbl FROM sqlite_stat1"
        else:
            return set()  # never analyzed
        return set(connection.execute(text(query)).scalars())


def test_a_full_resolve_analyzes_what_it_rewrote(tmp_path: Path, store_url: str) -> None:
    shop = Shop(tmp_path, store_url, {i: person(i, who=i // 2) for i in range(40)})
    assert not REWRITTEN & analyzed_tables(shop)
    report = shop.cycle()
    assert report.full and report.links
    assert analyzed_tables(shop) >= REWRITTEN
