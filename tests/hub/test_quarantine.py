"""The quarantine a user can see, fix and clear: one entry per bad record, closed when the
record maps, leaves the export or is dismissed; fixed rows and fixed mappings picked up
without `--full`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from syncfixtures import MAPPING, make_source, row, write_rows
from typer.testing import CliRunner

from hub.cli import app
from hub.config import RelhubConfig
from hub.store.migrate import open_store
from hub.store.models import QuarantineRow, SourceRecordRow
from hub.sync import sync_source

runner = CliRunner()


def sync(config: RelhubConfig, engine: Engine, **options: Any) -> dict[str, Any]:
    return sync_source(config, engine, config.sources[0], **options).totals()


def entries(engine: Engine) -> list[tuple[str | None, int | None, str | None, str]]:
    """(record id, line, resolution, reason) of every entry by line; open: resolution None."""
    query = select(
        QuarantineRow.source_id, QuarantineRow.line, QuarantineRow.resolution, QuarantineRow.reason
    ).order_by(QuarantineRow.line)
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(query)]  # type: ignore[misc]


def canonical(engine: Engine, source_id: str) -> dict[str, Any]:
    query = select(SourceRecordRow.canonical).where(SourceRecordRow.source_id == source_id)
    with engine.connect() as connection:
        return connection.execute(query).scalar_one()  # type: ignore[no-any-return]


def accounted(totals: dict[str, Any]) -> bool:
    stored = totals["inserted"] + totals["updated"] + totals["unchanged"]
    return totals["fetched"] == stored + totals["quarantined"]


def test_a_resync_updates_the_entry_instead_of_adding_one(tmp_path: Path, store_url: str) -> None:
    rows = [row(0), row(1, email="not-an-email"), row(2, id="")]
    config = make_source(tmp_path, rows)
    engine = open_store(store_url)
    for options in ({}, {}, {"full": True}):
        totals = sync(config, engine, **options)
        assert (totals["fetched"], totals["quarantined"]) == (3, 2)
        assert accounted(totals)
    assert entries(engine) == [
        ("C000001", 3, None, "line 3: emails (from email): invalid email 'not-an-email'"),
        (None, 4, None, "line 4: missing id: 'id' is empty"),
    ]


def test_every_bad_field_is_named_in_one_reason_with_its_line(
    tmp_path: Path, store_url: str
) -> None:
    config = make_source(tmp_path, [row(0, email="nope", born="31/02/1980", visits="many")])
    engine = open_store(store_url)
    sync(config, engine)
    [(_, line, _, reason)] = entries(engine)
    assert line == 2
    assert reason.startswith("line 2: ")
    assert "emails (from email)" in reason
    assert "birth_date (from born)" in reason
    assert "visits (from visits)" in reason


def test_a_fixed_row_is_read_again_whatever_the_watermark(tmp_path: Path, store_url: str) -> None:
    rows = [row(0), row(1, email="not-an-email")]
    config = make_source(tmp_path, rows, overlap_seconds=0)
    engine = open_store(store_url)
    sync(config, engine)
    write_rows(tmp_path / "customers.csv", [row(0), row(1)])  # same change time

    totals = sync(config, engine)

    assert (totals["inserted"], totals["unchanged"], totals["quarantined"]) == (1, 0, 0)
    assert [e[2] for e in entries(engine)] == ["mapped"]
    assert canonical(engine, "C000001")["emails"] == ["ana1@example.com"]


def test_a_row_without_an_id_closes_when_it_leaves_the_export(
    tmp_path: Path, store_url: str
) -> None:
    config = make_source(tmp_path, [row(0), row(1, id="")])
    engine = open_store(store_url)
    sync(config, engine)
    write_rows(tmp_path / "customers.csv", [row(0), row(1)])

    totals = sync(config, engine)

    assert totals["inserted"] == 1
    assert entries(engine) == [(None, 3, "gone", "line 3: missing id: 'id' is empty")]


def test_a_dismissed_entry_stays_closed_until_its_row_changes(
    tmp_path: Path, store_url: str
) -> None:
    config = make_source(tmp_path, [row(0, email="nope")])
    engine = open_store(store_url)
    sync(config, engine)
    invoke(tmp_path, store_url, "quarantine", "dismiss", "1", "--reason", "test row")
    sync(config, engine, full=True)
    assert [e[2] for e in entries(engine)] == ["dismissed"]

    write_rows(tmp_path / "customers.csv", [row(0, email="still-not-an-email")])
    sync(config, engine, full=True)
    assert [e[2] for e in entries(engine)] == [None]


def test_retry_applies_a_mapping_fix_to_quarantined_rows(tmp_path: Path, store_url: str) -> None:
    config = make_source(tmp_path, [row(0), row(1, email="not-an-email")])
    engine = open_store(store_url)
    sync(config, engine)
    lenient = MAPPING.replace(
        "emails: {from: email, transforms: [email]}",
        "emails: {from: email, transforms: [email], on_invalid: drop}",
    )
    (tmp_path / "shop.yaml").write_text(lenient)

    result = invoke(tmp_path, store_url, "quarantine", "retry", "--json")

    assert result.exit_code == 0, result.output
    [report] = json.loads(result.stdout)
    assert (report["stored"], report["still_quarantined"]) == (1, 0)
    assert [e[2] for e in entries(engine)] == ["mapped"]
    assert canonical(engine, "C000001")["given_name"] == "Ana1"


def test_a_mapping_change_re_maps_stored_records_at_the_next_sync(
    tmp_path: Path, store_url: str
) -> None:
    config = make_source(tmp_path, [row(i) for i in range(3)])
    engine = open_store(store_url)
    first = sync(config, engine)
    assert first["objects"]["customers"]["remapped"] == 0
    (tmp_path / "shop.yaml").write_text(
        MAPPING.replace("    attributes:\n      visits: {from: visits, type: integer}\n", "")
    )

    totals = sync(config, engine)

    report = totals["objects"]["customers"]
    assert (totals["unchanged"], report["remapped"], report["remap_changed"]) == (3, 3, 3)
    assert "visits" not in canonical(engine, "C000001").get("attributes", {})
    with engine.connect() as connection:
        runs = set(connection.execute(select(SourceRecordRow.last_run_id)).scalars())
    assert runs == {2}  # marked for the next resolve by the sync that re-mapped them
    assert sync(config, engine)["objects"]["customers"]["remapped"] == 0


def invoke(folder: Path, store_url: str, *args: str) -> Any:
    return runner.invoke(
        app,
        list(args),
        env={"RELHUB_DATABASE_URL": store_url, "RELHUB_CONFIG": str(folder / "relhub.yaml")},
    )


def test_list_show_and_dismiss_on_the_command_line(tmp_path: Path, store_url: str) -> None:
    config = make_source(tmp_path, [row(0), row(1, email="nope"), row(2, id="")])
    sync(config, open_store(store_url))

    listed = invoke(tmp_path, store_url, "quarantine", "list", "shop", "--open", "--json")
    assert listed.exit_code == 0, listed.output
    document = json.loads(listed.stdout)
    assert document["total"] == 2
    by_record = {e["source_id"]: e for e in document["entries"]}
    assert by_record["C000001"]["state"] == "open"
    assert by_record[None]["line"] == 4

    table = invoke(tmp_path, store_url, "quarantine", "list", "--reason", "INVALID EMAIL")
    assert "C000001" in table.stdout and "line 4" not in table.stdout

    shown = invoke(tmp_path, store_url, "quarantine", "show", str(by_record["C000001"]["id"]))
    assert shown.exit_code == 0, shown.output
    assert "emails (from email): invalid email 'nope'" in shown.stdout
    assert '"email": "nope"' in shown.stdout

    unknown = invoke(tmp_path, store_url, "quarantine", "dismiss", "999", "--reason", "x")
    assert unknown.exit_code == 2
    assert "no quarantine entry 999" in unknown.stderr

    ids = [str(e["id"]) for e in document["entries"]]
    dismissed = invoke(tmp_path, store_url, "quarantine", "dismiss", *ids, "--reason", "junk")
    assert dismissed.exit_code == 0, dismissed.output
    after = invoke(tmp_path, store_url, "quarantine", "list", "--open", "--json")
    assert json.loads(after.stdout)["total"] == 0
    status = json.loads(invoke(tmp_path, store_url, "status", "--json").stdout)
    assert status["objects"][0]["open_quarantine"] == 0


@pytest.mark.parametrize("entry", ["abc", "0"])
def test_show_refuses_what_is_not_an_entry(tmp_path: Path, store_url: str, entry: str) -> None:
    make_source(tmp_path, [row(0)])
    result = invoke(tmp_path, store_url, "quarantine", "show", entry)
    assert result.exit_code == 2
