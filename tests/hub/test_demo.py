"""`relhub demo`: the whole loop on a generated company in live emulators, as a user runs it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from hub.cli import app
from hub.store.identity_models import GoldenMemberRow
from hub.store.migrate import open_store
from hub.store.models import QuarantineRow, SourceRecordRow

runner = CliRunner()


def test_the_demo_syncs_resolves_pushes_and_syncs_again_without_echo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "demo"
    store = f"sqlite:///{folder / 'relhub.db'}"  # the demo's own, as `make demo` runs it
    monkeypatch.setenv("RELHUB_DATABASE_URL", "sqlite:///elsewhere.db")  # the demo sets it
    result = runner.invoke(app, ["demo", "--people", "300", "--folder", str(folder)])
    assert result.exit_code == 0, result.output
    for step in ("1. sync", "2. resolve", "3. push, dry run", "4. push", "5. sync again"):
        assert step in result.output
    assert "One golden person, with provenance" in result.output
    assert (folder / "report.html").read_text().count("<svg") >= 4

    engine = open_store(store)
    with engine.connect() as connection:
        stored = dict(
            connection.execute(
                select(SourceRecordRow.system, func.count()).group_by(SourceRecordRow.system)
            ).all()
        )
        contacts = connection.execute(
            select(func.count())
            .select_from(SourceRecordRow)
            .where(SourceRecordRow.system == "hubspot", SourceRecordRow.object == "contacts")
        ).scalar_one()
        members = connection.execute(
            select(func.count())
            .select_from(GoldenMemberRow)
            .where(GoldenMemberRow.system == "hubspot", GoldenMemberRow.object == "contacts")
        ).scalar_one()
        quarantined = connection.execute(select(func.count()).select_from(QuarantineRow)).scalar()
    # Every record seeded into the four emulators arrived through its connector, once,
    # and the summary counts each system.
    said = re.search(r"people: (.*?) records\.", " ".join(result.output.split()))
    assert said is not None, result.output
    seeded = {
        system: int(n.replace(",", "")) for n, system in re.findall(r"(\d[\d,]*) ([a-z]+)", said[1])
    }
    assert set(seeded) == {"salesforce", "hubspot", "bamboohr", "partnerstack"}
    assert stored == seeded
    summary = result.output.split("Summary", 1)[1]
    for system, count in seeded.items():
        assert re.search(rf"{system}\s+│\s+{count:,}\s+│", summary), (system, summary)
    assert contacts == members > 0  # every HubSpot contact stored, each in a golden record
    assert quarantined == 0  # the shipped mappings read every generated record
    assert "0 changed for identity" in " ".join(result.output.split())  # no echo

    # A newcomer runs each command the demo prints next, from another folder, with no
    # store in the environment: each reaches the demo's store and shows what it holds.
    monkeypatch.delenv("RELHUB_DATABASE_URL")
    monkeypatch.delenv("RELHUB_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    printed = [line.strip(" │") for line in result.output.splitlines() if "$ relhub " in line]
    assert len(printed) == 3, result.output
    for line in printed:
        command = shlex.split(line.split("$ relhub ", 1)[1])
        shown = runner.invoke(app, command)
        assert shown.exit_code == 0, (line, shown.output)
        assert len(shown.stdout.strip().splitlines()) > 3, (line, shown.stdout)
