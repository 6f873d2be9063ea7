"""A full resolve that moves nothing writes nothing of the golden records, their members,
links or review queue: it compares each survived golden record with the stored one by
digest, and each pair and member with the stored row, and writes only what changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from identityfixtures import Shop, person
from sqlalchemy import event, func, select

from hub.resolve import ResolveReport
from hub.store.identity_models import GoldenMemberRow, GoldenRecordRow, LinkRow, ReviewRow


def written_by(shop: Shop, report: ResolveReport) -> dict[str, int]:
    """Rows of each identity table that name the run as their writer."""
    run = report.run_id
    with shop.engine.connect() as connection:
        return {
            table.__tablename__: connection.execute(
                select(func.count()).select_from(table).where(column == run)
            ).scalar_one()
            for table, column in (
                (GoldenRecordRow, GoldenRecordRow.updated_run_id),
                (GoldenMemberRow, GoldenMemberRow.run_id),
                (LinkRow, LinkRow.run_id),
                (ReviewRow, ReviewRow.run_id),
            )
        }


def test_a_full_resolve_rewrites_only_the_golden_records_that_changed(
    tmp_path: Path, store_url: str
) -> None:
    shop = Shop(tmp_path, store_url, {i: person(i, who=i // 2) for i in range(40)})
    first = shop.cycle(full=True)
    assert first.golden_records == 20 and first.unchanged == 0 and first.links == 20
    assert written_by(shop, first) == {
        "golden_records": 20,
        "golden_members": 40,
        "identity_links": 20,
        "review_queue": 0,
    }
    state = shop.state()

    again = shop.cycle(full=True)
    assert again.golden_records == again.unchanged == 20
    assert written_by(shop, again) == dict.fromkeys(written_by(shop, again), 0)
    assert shop.state() == state

    shop.put(7, person(7, who=3, visits="99"))
    shop.put(9, person(9, who=40))  # leaves person 4 for one of its own
    changed = shop.cycle(full=True, refit=False)  # a refit would move every pair's weights
    assert changed.golden_records == 21 and changed.unchanged == 18
    assert written_by(shop, changed) == {
        "golden_records": 3,  # 7's, 9's old one (4), and 9's new one
        "golden_members": 1,
        "identity_links": 0,
        "review_queue": 0,
    }


def test_golden_ids_minted_by_the_run_are_not_looked_up(tmp_path: Path, store_url: str) -> None:
    """A minted id was never issued: no stored row to compare by digest, read for the
    change feed or delete first, so a store's first resolve asks for none by id."""
    shop = Shop(tmp_path, store_url, {i: person(i, who=i // 2) for i in range(40)})
    lookups: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if "golden_records.golden_id IN" in statement:
            lookups.append(statement.split(None, 1)[0])

    event.listen(shop.engine, "before_cursor_execute", note)
    shop.cycle(full=True)
    assert lookups == []
    shop.cycle(full=True)  # every id issued: each page's stored digests are read
    assert "SELECT" in lookups
