"""The BambooHR connector against the emulator: real HTTP, real faults, the shipped mapping."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from bamboohr_harness import EMPLOYEES, connector_for, contract_harness
from sqlalchemy import create_engine, select
from typer.testing import CliRunner

from connectors.bamboohr import BambooHRConnector
from connectors.base import (
    AuthenticationError,
    ConnectorError,
    FieldType,
    Page,
    SourceRecord,
    Watermark,
    WriteRequest,
    WriteStatus,
)
from emulators.bamboohr import BambooHREmulator, CompanyStore, default_config, generate
from hub.cli import app
from hub.mapping.spec import load_mapping
from hub.mapping.validate import check_against_schema, compile_mapping
from hub.store.models import SourceRecordRow

MAPPING = Path(__file__).resolve().parents[2] / "mappings" / "bamboohr.yaml"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def hr() -> Iterator[BambooHREmulator]:
    config = default_config()
    config.retry_after_s = 0.01
    config.rate_limit = 100_000
    with BambooHREmulator(config=config) as emulator:
        yield emulator


@pytest.fixture
def connector(hr: BambooHREmulator) -> Iterator[BambooHRConnector]:
    live = connector_for(hr, page_size=7)
    yield live
    live.close()


def seed(hr: BambooHREmulator, count: int) -> list[str]:
    """`count` employees, three to a second: reads must break the ties by id."""
    return [
        hr.store.insert(
            {"firstName": f"Emp{n}", "lastName": "Doe", "workEmail": f"emp{n}@acme.example"},
            at=T0 + timedelta(seconds=n // 3),
        ).id
        for n in range(count)
    ]


def read(
    connector: BambooHRConnector, since: Watermark | None, *, full: bool = False
) -> tuple[list[SourceRecord], list[Page]]:
    pages = list(connector.read_changes(EMPLOYEES, since, full=full))
    return [r for p in pages for r in p.records], pages


def test_discover_types_the_companys_fields(connector: BambooHRConnector) -> None:
    fields = connector.discover("employees").fields
    assert fields["id"].type is FieldType.ID
    assert fields["lastChanged"].type is FieldType.DATETIME
    assert fields["terminationDate"].type is FieldType.DATE
    assert fields["workEmail"].type is FieldType.EMAIL
    assert fields["customAnnualBonus"].custom and not fields["firstName"].custom
    with pytest.raises(ConnectorError, match="no object 'contacts'"):
        connector.discover("contacts")


def test_pages_are_ordered_checkpoints_and_a_resume_neither_skips_nor_repeats(
    hr: BambooHREmulator, connector: BambooHRConnector
) -> None:
    ids = seed(hr, 30)
    records, pages = read(connector, None)
    assert sorted(r.id for r in records) == sorted(ids) and len(records) == 30
    assert [len(p.records) for p in pages] == [7, 7, 7, 7, 2]
    cursors = [r.cursor for r in records]
    assert cursors == sorted(cursors)  # type: ignore[type-var]
    assert [p.checkpoint for p in pages] == [p.records[-1].cursor for p in pages]
    resumed, _ = read(connector, pages[1].checkpoint)
    assert [r.id for r in resumed] == [r.id for r in records[14:]]


def test_inserts_updates_terminations_and_deletions_arrive_incrementally(
    hr: BambooHREmulator, connector: BambooHRConnector
) -> None:
    ids = seed(hr, 12)
    _, pages = read(connector, None)
    checkpoint = pages[-1].checkpoint
    assert checkpoint is not None
    later = checkpoint.modified_at + timedelta(minutes=5)
    hr.store.update(ids[1], {"jobTitle": "CTO"}, at=later)
    hr.store.terminate(ids[2], "2025-04-30", at=later)
    hr.store.delete(ids[3], at=later + timedelta(seconds=1))
    newcomer = hr.store.insert({"firstName": "New", "lastName": "Hire"}, at=later).id

    changed, pages = read(connector, checkpoint)
    by_id = {r.id: r for r in changed}
    assert Counter(r.id for r in changed) == Counter([ids[1], ids[2], ids[3], newcomer])
    assert by_id[ids[1]].fields["jobTitle"] == "CTO"
    terminated = by_id[ids[2]].fields
    assert (terminated["status"], terminated["terminationDate"]) == ("Inactive", "2025-04-30")
    assert by_id[ids[3]].deleted and not by_id[newcomer].deleted
    assert by_id[ids[1]].fields["terminationDate"] is None  # BambooHR's 0000-00-00
    assert pages[-1].checkpoint == by_id[ids[3]].cursor
    assert read(connector, pages[-1].checkpoint)[0] == []


def test_a_full_read_is_a_snapshot_with_terminated_employees(
    hr: BambooHREmulator, connector: BambooHRConnector
) -> None:
    ids = seed(hr, 10)
    hr.store.terminate(ids[0], "2025-02-28")
    hr.store.delete(ids[1])
    records, pages = read(connector, None, full=True)
    assert {r.id for r in records} == set(ids) - {ids[1]}
    assert all(p.snapshot for p in pages) and pages[-1].snapshot_complete
    assert not any(p.snapshot_complete for p in pages[:-1])


def test_errors_throttling_and_dropped_bodies_lose_and_repeat_nothing(
    hr: BambooHREmulator, connector: BambooHRConnector
) -> None:
    ids = seed(hr, 40)
    hr.config.error_rate, hr.config.drop_rate = 0.3, 0.3
    hr.config.throttle_every, hr.config.throttle_burst = 4, 2
    hr.gate.reseed()
    for _ in range(6):
        records, _ = read(connector, None)
        assert sorted(r.id for r in records) == sorted(ids)
    for i in ids[:10]:
        hr.store.update(i, {"jobTitle": "Lead"}, at=T0 + timedelta(hours=1))
    hr.store.delete(ids[10], at=T0 + timedelta(hours=1))
    for _ in range(6):
        changed, _ = read(connector, Watermark(T0 + timedelta(minutes=30)))
        assert sorted(r.id for r in changed) == sorted(ids[:11])
    answered = Counter(hr.log.statuses())
    assert answered[503] >= 1 and answered[500] + answered[502] >= 1, answered
    assert any(entry.verdict == "drop" for entry in hr.log.snapshot())


def test_writes_report_per_employee_and_never_write_the_read_only_fields(
    hr: BambooHREmulator, connector: BambooHRConnector
) -> None:
    ids = seed(hr, 3)
    results = connector.write_batch(
        "employees",
        [
            WriteRequest({"customRelhubGoldenId": "g-1", "lastChanged": "x"}, record_id=ids[0]),
            WriteRequest({"customRelhubGoldenId": "g-2"}, record_id="424242"),
            WriteRequest({"hireDate": "31/12/2024"}, record_id=ids[1]),
            WriteRequest({"customRelhubGoldenId": "g-4"}, external_id_field="workEmail"),
        ],
    )
    assert [r.status for r in results] == [
        WriteStatus.WRITTEN,
        WriteStatus.NOT_FOUND,
        WriteStatus.REJECTED,
        WriteStatus.REJECTED,
    ]
    assert "Invalid date" in results[2].message and "upsert" in results[3].message
    assert hr.store.get(ids[0]).fields["customRelhubGoldenId"] == "g-1"  # type: ignore[union-attr]
    assert [(i, json.loads(body)) for i, body in hr.api.updates] == [
        (ids[0], {"customRelhubGoldenId": "g-1"})
    ]


def test_a_refused_key_raises_without_leaking_it(hr: BambooHREmulator) -> None:
    bad = BambooHRConnector.from_config(
        "bamboohr",
        {"max_attempts": 1},
        {"company": hr.store.company, "api_key": "secret-123", "base_url": hr.base_url},
    )
    with pytest.raises(AuthenticationError) as raised:
        bad.discover("employees")
    assert "secret-123" not in str(raised.value) and "invalid" in str(raised.value)
    with pytest.raises(ConnectorError, match="company and an api_key"):
        BambooHRConnector.from_config("bamboohr", {}, {"api_key": "k"})


def test_mapping_file_validates_against_the_discovered_schema(
    connector: BambooHRConnector,
) -> None:
    mapping = load_mapping(MAPPING)
    assert mapping.system == "bamboohr" and set(mapping.objects) == {"employees"}
    compile_mapping(mapping)
    schema = connector.discover("employees")
    assert [str(p) for p in check_against_schema(mapping, "employees", schema)] == []


def test_contract_harness_drives_the_emulator_behind_the_connector() -> None:
    with contract_harness() as harness:
        record_id = harness.create({"firstName": "H"})
        harness.update(record_id, {"firstName": "Hh"})
        assert harness.get(record_id) == {"firstName": "Hh"}
        harness.delete(record_id)
        assert harness.get(record_id) is None


def relhub_yaml(folder: Path) -> Path:
    path = folder / "relhub.yaml"
    path.write_text(
        f"""\
sources:
  - name: bamboohr
    type: bamboohr
    mapping: {MAPPING}
    connection: hr_emulator
    overlap_seconds: 0
    objects: [employees]
    options: {{base_delay_s: 0.01, max_delay_s: 0.2, max_attempts: 8, page_size: 50}}
"""
    )
    return path


def test_relhub_sync_stores_employees_terminations_and_deletions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> None:
    store = CompanyStore()
    ids = generate(store, people=2_000)
    config = default_config()
    config.retry_after_s, config.throttle_every, config.error_rate = 0.01, 4, 0.1
    with BambooHREmulator(store=store, config=config, api_key="hr-secret-key") as hr:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("RELHUB_CONFIG", str(relhub_yaml(tmp_path)))
        monkeypatch.setenv("RELHUB_DATABASE_URL", store_url)
        monkeypatch.setenv("RELHUB_CONN_HR_EMULATOR_COMPANY", store.company)
        monkeypatch.setenv("RELHUB_CONN_HR_EMULATOR_API_KEY", hr.api_key)
        monkeypatch.setenv("RELHUB_CONN_HR_EMULATOR_BASE_URL", hr.base_url)
        runner = CliRunner()
        first = runner.invoke(app, ["sync", "--json"])
        assert first.exit_code == 0, first.output
        [report] = json.loads(first.stdout)
        assert (report["fetched"], report["inserted"]) == (len(ids), len(ids))

        active = next(i for i in ids if store.get(i).fields["status"] == "Active")  # type: ignore[union-attr]
        store.terminate(active, "2026-01-31")
        store.delete(ids[-1])
        second = runner.invoke(app, ["sync", "--json"])
        assert second.exit_code == 0, second.output
        assert "hr-secret-key" not in first.output + second.output

    engine = create_engine(store_url)
    with engine.connect() as connection:
        rows = {
            row.source_id: row
            for row in connection.execute(
                select(SourceRecordRow).where(SourceRecordRow.system == "bamboohr")
            )
        }
    engine.dispose()
    assert set(rows) == set(ids)
    assert rows[ids[-1]].deleted
    canonical = rows[active].canonical or {}
    assert "former_employee" in canonical["roles"] and "employee" not in canonical["roles"]
    assert canonical["attributes"]["former_employee_since"] == "2026-01-31"
    still = next(r for i, r in rows.items() if i not in (active, ids[-1]) and not r.deleted)
    assert still.canonical and still.canonical["roles"]
