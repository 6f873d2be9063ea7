"""A file export checked before and while it is read: a mapping naming a column the header
lacks, a dialect the reader cannot follow, and ids the export repeats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from syncfixtures import COLUMNS, MAPPING, make_source, row, store_contents, write_rows
from typer.testing import CliRunner

from hub.cli import app
from hub.config import RelhubConfig
from hub.store.migrate import open_store
from hub.store.models import QuarantineRow, SourceRecordRow
from hub.sync import sync_source

runner = CliRunner()


def sync(config: RelhubConfig, engine: Engine, **options: Any) -> dict[str, Any]:
    totals = sync_source(config, engine, config.sources[0], **options).totals()
    stored = totals["inserted"] + totals["updated"] + totals["unchanged"]
    assert totals["fetched"] == stored + totals["quarantined"]
    return totals


def invoke(folder: Path, store_url: str, *args: str) -> Any:
    env = {"RELHUB_DATABASE_URL": store_url, "RELHUB_CONFIG": str(folder / "relhub.yaml")}
    return runner.invoke(app, list(args), env=env)


def stored_count(store_url: str) -> int:
    with open_store(store_url).connect() as connection:
        return connection.execute(select(func.count()).select_from(SourceRecordRow)).scalar_one()


def test_a_column_the_header_lacks_stops_the_sync_naming_the_mapping_line(
    tmp_path: Path, store_url: str
) -> None:
    make_source(tmp_path, [row(0)])
    (tmp_path / "shop.yaml").write_text(MAPPING.replace("{from: born,", "{from: birthday,"))

    result = invoke(tmp_path, store_url, "sync")

    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert f"{tmp_path / 'shop.yaml'}:13: objects.customers.fields.birth_date.from:" in line
    assert "column 'birthday' is not in the header of shop customers" in line
    assert stored_count(store_url) == 0


def test_a_wrong_delimiter_is_caught_by_the_header_check(tmp_path: Path, store_url: str) -> None:
    make_source(tmp_path, [row(0)])
    lines = (tmp_path / "customers.csv").read_text().splitlines()
    (tmp_path / "customers.csv").write_text("\n".join(x.replace(",", ";") for x in lines) + "\n")

    result = invoke(tmp_path, store_url, "sync")

    assert result.exit_code == 2
    assert f"'{';'.join(COLUMNS)}'" in result.stderr  # the header, read as one column
    assert stored_count(store_url) == 0


def test_a_header_naming_a_column_twice_is_exit_2(tmp_path: Path, store_url: str) -> None:
    make_source(tmp_path, [row(0)])
    text = (tmp_path / "customers.csv").read_text()
    (tmp_path / "customers.csv").write_text(text.replace("visits", "email", 1))

    result = invoke(tmp_path, store_url, "sync")

    assert result.exit_code == 2
    assert "CSV header names 'email' more than once" in result.stderr
    assert stored_count(store_url) == 0


def open_entries(engine: Engine) -> list[tuple[str | None, int | None, str]]:
    query = (
        select(QuarantineRow.source_id, QuarantineRow.line, QuarantineRow.reason)
        .where(QuarantineRow.resolved_at.is_(None))
        .order_by(QuarantineRow.line)
    )
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(query)]  # type: ignore[misc]


def given_name(engine: Engine, source_id: str) -> str:
    query = select(SourceRecordRow.canonical).where(SourceRecordRow.source_id == source_id)
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()["given_name"]  # type: ignore[no-any-return]


OLD, NEW = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"


@pytest.mark.parametrize("page_size", [1, 1000])
def test_the_newest_of_a_repeated_id_wins_wherever_it_stands(
    tmp_path: Path, store_url: str, page_size: int
) -> None:
    rows = [row(1, OLD, first="Old"), row(2), row(1, NEW, first="New"), row(3, first="Last")]
    config = make_source(tmp_path, [*rows, row(3, NEW, first="Newer")], page_size=page_size)
    engine = open_store(store_url)

    totals = sync(config, engine)

    assert totals["fetched"] == 5
    assert (given_name(engine, "C000001"), given_name(engine, "C000003")) == ("New", "Newer")
    reasons = [reason for _, _, reason in open_entries(engine)]
    if page_size == 1:  # the older rows were stored before the newer came: no quarantine
        assert (totals["inserted"], totals["updated"], totals["quarantined"]) == (3, 2, 0)
    else:  # replaced in their own page: quarantined, saying which line is newer
        assert reasons == [
            "line 2: duplicate id 'C000001': line 4 has a newer version",
            "line 5: duplicate id 'C000003': line 6 has a newer version",
        ]

    write_rows(tmp_path / "customers.csv", [rows[2], rows[1], rows[0]])  # newest first
    totals = sync(config, engine, full=True)
    assert given_name(engine, "C000001") == "New"
    assert open_entries(engine) == [
        ("C000001", 4, "line 4: duplicate id 'C000001': line 2 has a newer version")
    ]


def test_ids_repeated_with_one_change_time_keep_the_first_row_and_say_so(
    tmp_path: Path, store_url: str
) -> None:
    rows = [row(1, first="First"), row(2), row(1, first="Second"), row(1, first="Third")]
    config = make_source(tmp_path, rows, overlap_seconds=0, page_size=2)
    engine = open_store(store_url)

    first = sync(config, engine)

    assert (first["fetched"], first["inserted"], first["quarantined"]) == (4, 2, 2)
    assert given_name(engine, "C000001") == "First"
    why = "line 2 has it too, with no later change time; its version is kept"
    assert open_entries(engine) == [
        ("C000001", 4, f"line 4: duplicate id 'C000001': {why}"),
        ("C000001", 5, f"line 5: duplicate id 'C000001': {why}"),
    ]
    after_first = store_contents(engine)

    incremental = sync(config, engine)  # the repeated id's rows are read again: still open
    assert incremental["quarantined"] == 2
    sync(config, engine, full=True)
    assert store_contents(engine) == after_first

    write_rows(tmp_path / "customers.csv", rows[:2])  # the export fixed
    sync(config, engine)
    assert open_entries(engine) == []
