"""Bad input a user can see: every row of an export stored, quarantined with its line,
or refused before anything is written; never swallowed, never deleted by accident."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from syncfixtures import COLUMNS, make_source, row, write_rows
from typer.testing import CliRunner

from hub.cli import app
from hub.deletion_guard import MassDeletionRefused
from hub.store.migrate import open_store
from hub.store.models import QuarantineRow, SourceRecordRow
from hub.sync import sync_source


def sync(config, engine: Engine, **options):  # type: ignore[no-untyped-def]
    return sync_source(config, engine, config.sources[0], **options).totals()


def live_ids(engine: Engine) -> set[str]:
    query = select(SourceRecordRow.source_id).where(SourceRecordRow.deleted.is_(False))
    with engine.connect() as connection:
        return set(connection.execute(query).scalars())


def open_quarantine(engine: Engine) -> list[tuple[str | None, str]]:
    query = select(QuarantineRow.source_id, QuarantineRow.reason).where(
        QuarantineRow.resolved_at.is_(None)
    )
    with engine.connect() as connection:
        return sorted(tuple(r) for r in connection.execute(query))  # type: ignore[misc]


def csv_line(values: dict[str, str]) -> str:
    return ",".join(values[c] for c in COLUMNS) + "\n"


def test_a_stray_quote_costs_one_row_and_deletes_nothing(tmp_path: Path, store_url: str) -> None:
    rows = [row(i) for i in range(5)]
    config = make_source(tmp_path, rows, deletion="absence", page_size=2)
    engine = open_store(store_url)
    sync(config, engine)
    lines = [",".join(COLUMNS) + "\n"] + [csv_line(r) for r in rows]
    lines[3] = lines[3].replace("Ana2", '"Ana2')  # row 3 of 5, on line 4
    (tmp_path / "customers.csv").write_text("".join(lines))

    totals = sync(config, engine)

    assert totals["fetched"] == 5
    assert totals["fetched"] == totals["unchanged"] + totals["quarantined"]
    assert totals["deletions"] == 0
    assert live_ids(engine) == {r["id"] for r in rows}
    assert open_quarantine(engine) == [
        ("C000002", "line 4: unterminated quote opened on this line")
    ]


def test_a_byte_order_mark_changes_nothing(tmp_path: Path, store_url: str) -> None:
    config = make_source(tmp_path, [row(i) for i in range(3)])
    path = tmp_path / "customers.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    engine = open_store(store_url)
    totals = sync(config, engine)
    assert (totals["fetched"], totals["inserted"], totals["quarantined"]) == (3, 3, 0)


@pytest.mark.parametrize("export", ["", ",".join(COLUMNS) + "\n"])
def test_an_empty_export_deletes_nothing_without_allow_deletions(
    tmp_path: Path, store_url: str, export: str
) -> None:
    rows = [row(i) for i in range(8)]
    config = make_source(tmp_path, rows, deletion="absence")
    engine = open_store(store_url)
    sync(config, engine)
    (tmp_path / "customers.csv").write_text(export)

    with pytest.raises(MassDeletionRefused, match="delete 8 of 8 live records"):
        sync(config, engine)
    assert len(live_ids(engine)) == 8

    assert sync(config, engine, allow_deletions=True)["deletions"] == 8
    assert live_ids(engine) == set()


def test_deleting_more_than_the_share_stops_and_less_goes_through(
    tmp_path: Path, store_url: str
) -> None:
    rows = [row(i) for i in range(20)]
    config = make_source(tmp_path, rows, deletion="absence", page_size=3)
    engine = open_store(store_url)
    sync(config, engine)

    write_rows(tmp_path / "customers.csv", rows[:17])  # 3 of 20: 15% > 10%
    with pytest.raises(MassDeletionRefused, match="15%, over the 10% limit"):
        sync(config, engine)
    assert len(live_ids(engine)) == 20

    write_rows(tmp_path / "customers.csv", rows[:18])  # 2 of 20: 10%
    assert sync(config, engine)["deletions"] == 2


def test_the_guard_is_one_line_and_exit_1_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_source(tmp_path, [row(i) for i in range(4)], deletion="absence")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RELHUB_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("RELHUB_CONFIG", raising=False)
    runner = CliRunner()
    assert runner.invoke(app, ["sync"]).exit_code == 0
    (tmp_path / "customers.csv").write_text("")

    refused = runner.invoke(app, ["sync"])
    assert refused.exit_code == 1
    assert "--allow-deletions" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1

    allowed = runner.invoke(app, ["sync", "--allow-deletions", "--json"])
    assert allowed.exit_code == 0, allowed.output
    engine = open_store(f"sqlite:///{tmp_path / 'cli.db'}")
    with engine.connect() as connection:
        live = connection.execute(
            select(func.count()).select_from(SourceRecordRow).where(~SourceRecordRow.deleted)
        ).scalar()
    assert live == 0
