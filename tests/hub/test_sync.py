"""The sync step on SQLite and PostgreSQL: nothing lost, nothing stored twice."""

from __future__ import annotations

import json
import multiprocessing
import pickle
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, func, select, update
from syncfixtures import make_source, row, store_contents, write_rows

from hub.page_mapping import MappedPage, content_hash
from hub.store.db import JSONText
from hub.store.migrate import open_store
from hub.store.models import QuarantineRow, Run, SourceRecordRow
from hub.store.snapshots import SnapshotRow
from hub.sync import sync_source


def sync(config, engine: Engine, *, full: bool = False):  # type: ignore[no-untyped-def]
    return sync_source(config, engine, config.sources[0], full=full).totals()


def quarantine_reasons(engine: Engine) -> dict[str | None, str]:
    with engine.connect() as connection:
        return {q.source_id: q.reason for q in connection.execute(select(QuarantineRow))}


def test_malformed_records_are_quarantined_and_the_rest_lands(
    tmp_path: Path, store_url: str
) -> None:
    good = [row(i) for i in range(50)]
    bad = [
        row(100, id=""),
        row(101, email="not-an-email"),
        row(102, born="31/02/19x8"),
        row(103, last="x" * (10 * 1024 * 1024)),
        row(104, visits="many"),
        row(105, updated="yesterday-ish"),
    ]
    config = make_source(tmp_path, good[:25] + bad + good[25:], page_size=7)
    with (tmp_path / "customers.csv").open("ab") as handle:  # invalid UTF-8, and a short row
        handle.write(
            b"C000106,Jos\xe9,Ruiz,jose@example.com,1980-01-01,1,2026-01-01T00:00:00Z,false\n"
        )
        handle.write(b"C000107,only,three\n")
    engine = open_store(store_url)

    totals = sync(config, engine)

    assert totals["fetched"] == 58
    assert totals["inserted"] == 50
    assert totals["quarantined"] == 8
    assert totals["fetched"] == totals["inserted"] + totals["quarantined"]
    reasons = quarantine_reasons(engine)
    assert "missing id" in reasons[None]
    assert "invalid email 'not-an-email'" in reasons["C000101"]
    assert "unparseable date '31/02/19x8'" in reasons["C000102"]
    assert "over the 1048576-byte limit" in reasons["C000103"]
    assert "visits (from visits): 'many' is not an integer" in reasons["C000104"]
    assert "unparseable updated 'yesterday-ish'" in reasons["C000105"]
    assert "invalid UTF-8 in field 'first'" in reasons["C000106"]
    assert "3 values for 8 columns" in reasons["C000107"]
    with engine.connect() as connection:
        raw = connection.execute(
            select(QuarantineRow.raw).where(QuarantineRow.source_id == "C000106")
        ).scalar_one()
        stored = connection.execute(select(func.count()).select_from(SourceRecordRow)).scalar()
        run = connection.execute(select(Run)).one()
    assert "Jos\\xe9" in raw  # the bad byte is kept, escaped
    assert stored == 50
    assert (run.status, run.counts["quarantined"]) == ("succeeded", 8)


def versions_seen(engine: Engine) -> list[tuple[str, object, int]]:
    """When each stored version was seen and by which run: a no-op rerun leaves them be."""
    columns = (SourceRecordRow.source_id, SourceRecordRow.last_seen_at, SourceRecordRow.last_run_id)
    with engine.connect() as connection:
        return sorted(tuple(row) for row in connection.execute(select(*columns)))


def test_rerun_without_change_changes_nothing(tmp_path: Path, store_url: str) -> None:
    config = make_source(tmp_path, [row(i) for i in range(40)] + [row(99, email="bad")])
    engine = open_store(store_url)
    sync(config, engine)
    before = store_contents(engine)
    seen_before = versions_seen(engine)

    totals = sync(config, engine)

    assert (totals["inserted"], totals["updated"], totals["unchanged"]) == (0, 0, 40)
    assert store_contents(engine) == before
    seen_after = versions_seen(engine)
    assert seen_after == seen_before


def test_payloads_stored_in_another_json_spelling_read_as_unchanged(
    tmp_path: Path, store_url: str
) -> None:
    """A store written when the raw payload's JSON had spaces (the standard library's)
    hashes every record otherwise: the next sync rewrites the payloads and hashes, but
    marks no record changed (canonical form and run kept), and the one after is a no-op."""
    config = make_source(tmp_path, [row(i) for i in range(40)])
    engine = open_store(store_url)
    sync(config, engine)
    table = SourceRecordRow.__table__
    with engine.begin() as connection:
        for pk, payload in connection.execute(select(table.c.id, table.c.payload)).all():
            spaced = json.dumps(payload, sort_keys=True, ensure_ascii=False)
            connection.execute(
                update(table)
                .where(table.c.id == pk)
                .values(payload=JSONText(spaced), content_hash=content_hash(spaced, False))
            )
    before = store_contents(engine)
    runs_before = [(source_id, run) for source_id, _, run in versions_seen(engine)]

    totals = sync(config, engine)

    assert (totals["inserted"], totals["updated"], totals["unchanged"]) == (0, 0, 40)
    assert [(source_id, run) for source_id, _, run in versions_seen(engine)] == runs_before
    after = store_contents(engine)
    assert after["snapshots"] != before["snapshots"]  # the hashes, now of the new spelling
    assert [s[:3] + s[4:] for s in after["snapshots"]] == [
        s[:3] + s[4:] for s in before["snapshots"]
    ]
    assert sync(config, engine)["unchanged"] == 40
    assert store_contents(engine) == after


def test_incremental_changes_deletions_and_fixed_quarantine(tmp_path: Path, store_url: str) -> None:
    rows = [row(i) for i in range(30)] + [row(30, email="bad")]
    config = make_source(tmp_path, rows, overlap_seconds=0)
    engine = open_store(store_url)
    sync(config, engine)

    later = "2026-02-01T00:00:00Z"
    rows[3] = row(3, updated=later, email="new3@example.com")
    rows[4] = row(4, updated=later, deleted="true")
    rows[30] = row(30, updated=later)  # the quarantined record, fixed at the source
    write_rows(tmp_path / "customers.csv", [*rows, row(31, updated=later)])
    totals = sync(config, engine)

    assert totals["fetched"] == 4  # only what changed after the watermark
    assert (totals["inserted"], totals["updated"], totals["deletions"]) == (2, 2, 1)
    with engine.connect() as connection:
        by_id = {r.source_id: r for r in connection.execute(select(SourceRecordRow))}
        open_quarantine = connection.execute(
            select(func.count())
            .select_from(QuarantineRow)
            .where(QuarantineRow.resolved_at.is_(None))
        ).scalar()
    assert by_id["C000003"].canonical["emails"] == ["new3@example.com"]
    assert by_id["C000004"].deleted is True
    assert open_quarantine == 0
    assert store_contents(engine)["states"] == [
        ("shop", "customers", "2026-02-01T00:00:00+00:00", "C000031")
    ]


def test_shared_timestamp_across_pages_stored_once(tmp_path: Path, store_url: str) -> None:
    """25 records with one timestamp over 3 pages, then more with the same timestamp."""
    stamp = "2026-03-01T12:00:00Z"
    rows = [row(i, updated=stamp) for i in range(0, 50, 2)]
    config = make_source(tmp_path, rows, page_size=10, overlap_seconds=0)
    engine = open_store(store_url)
    assert sync(config, engine)["inserted"] == 25

    rows += [row(i, updated=stamp) for i in range(51, 60, 2)]  # same stamp, later ids
    write_rows(tmp_path / "customers.csv", rows)
    totals = sync(config, engine)

    assert (totals["fetched"], totals["inserted"]) == (5, 5)
    with engine.connect() as connection:
        ids = connection.execute(select(SourceRecordRow.source_id)).scalars().all()
    assert len(ids) == len(set(ids)) == 30


def test_overlap_window_rereads_without_writing(tmp_path: Path, store_url: str) -> None:
    rows = [row(i, updated=f"2026-03-01T12:00:{i:02d}Z") for i in range(40)]
    config = make_source(tmp_path, rows, overlap_seconds=10)
    engine = open_store(store_url)
    sync(config, engine)
    totals = sync(config, engine)
    assert totals["fetched"] == 11  # 12:00:29 .. 12:00:39 re-read for clock skew
    assert (totals["inserted"], totals["updated"], totals["unchanged"]) == (0, 0, 11)


def test_deletion_by_absence_from_a_full_snapshot(tmp_path: Path, store_url: str) -> None:
    rows = [row(i) for i in range(20)]
    config = make_source(tmp_path, rows, deletion="absence", page_size=6, max_deletion_share=0.25)
    engine = open_store(store_url)
    sync(config, engine)

    write_rows(tmp_path / "customers.csv", rows[:15])
    totals = sync(config, engine)
    assert totals["deletions"] == 5
    assert sync(config, engine)["deletions"] == 0  # already gone: nothing more to do

    write_rows(tmp_path / "customers.csv", rows)  # they come back
    sync(config, engine)
    with engine.connect() as connection:
        deleted = connection.execute(
            select(func.count()).select_from(SourceRecordRow).where(SourceRecordRow.deleted)
        ).scalar()
    assert deleted == 0


def test_full_resync_reads_everything_and_writes_nothing_new(
    tmp_path: Path, store_url: str
) -> None:
    config = make_source(tmp_path, [row(i) for i in range(30)], overlap_seconds=0)
    engine = open_store(store_url)
    sync(config, engine)
    assert sync(config, engine)["fetched"] == 0
    totals = sync(config, engine, full=True)
    assert (totals["fetched"], totals["unchanged"]) == (30, 30)


def _sync_into(config, url: str):  # type: ignore[no-untyped-def]
    return sync(config, open_store(url))


def test_a_daemonic_process_maps_its_pages_itself(tmp_path: Path) -> None:
    """A pool's worker (Celery's, say) may not start the mapping workers: it maps alone."""
    config = make_source(
        tmp_path, [row(i) for i in range(40)] + [row(99, email="bad")], page_size=7
    )
    with multiprocessing.get_context("fork").Pool(1) as pool:  # its workers are daemonic
        totals = pool.apply(_sync_into, (config, f"sqlite:///{tmp_path}/daemon.db"))
    assert (totals["inserted"], totals["quarantined"]) == (40, 1)


def test_a_mapped_page_crosses_the_pipe_unchanged() -> None:
    """Its rows travel as plain tuples and come back as the store's rows, field for field."""
    stamp = datetime(2024, 5, 1, 12, tzinfo=UTC)
    rows = [
        SnapshotRow("c1", "person", '{"a":1}', '{"n":"A"}', stamp, False, "0" * 32, 3),
        SnapshotRow("c2", None, '{"a":2}', None, None, True, "1" * 32),
    ]
    page = MappedPage(rows, [], 3, ["c1", "c2", "c3"], None, True, True, False, {"phone": 1})
    back = pickle.loads(pickle.dumps(page, pickle.HIGHEST_PROTOCOL))
    assert back == page
    assert all(type(row) is SnapshotRow for row in back.rows)
    assert back.rows[1].line is None
