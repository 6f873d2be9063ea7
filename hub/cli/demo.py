"""`relhub demo`: the whole loop on a generated company, in one command.

Sync -> resolve -> push (a dry run, then for real) -> sync again, against live emulators
of Salesforce and HubSpot and two file exports, into a fresh SQLite store; then a summary,
one golden record with its provenance, and the HTML data-quality report. The systems come
from the separate `relhub-emulators` distribution, found through the `relhub.demo` entry
point (the production install has no emulators).
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import typer
from rich.panel import Panel
from rich.table import Table
from sqlalchemy.engine import make_url

from hub.cli.common import EXIT_USAGE, console, fail, load, progress_bar, user_errors
from hub.cli.emulate import INSTALL_HINT
from hub.cli.golden import golden_view, print_golden_view
from hub.cli.push import print_pending, print_push_reports
from hub.cli.resolve import print_resolve_report
from hub.cli.sync import print_sync_reports, sync_sources
from hub.golden import active_counts, largest
from hub.push.outbox import build_outbox
from hub.push.queries import pending_summary
from hub.push.step import push, push_sources
from hub.quality import QualitySummary
from hub.report import report_figures, write_report
from hub.resolve import resolve

DEMO_GROUP = "relhub.demo"
DEMO_FOLDER = Path("relhub-demo")


def _company_systems() -> Callable[[Path, int, int], AbstractContextManager[Any]]:
    points = {point.name: point for point in entry_points(group=DEMO_GROUP)}
    if "company" not in points:
        raise fail(f"the demo needs the emulators; {INSTALL_HINT}", EXIT_USAGE)
    systems: Callable[[Path, int, int], AbstractContextManager[Any]] = points["company"].load()
    return systems


@user_errors
def demo(
    people: int = typer.Option(3000, "--people", min=10, help="People in the generated company."),
    seed: int = typer.Option(1, "--seed", help="Seed of the generated company."),
    folder: Path = typer.Option(
        DEMO_FOLDER, "--folder", help="Where the configuration, exports, store and report go."
    ),
    database: str | None = typer.Option(
        None, "--database", help="Store (default: a fresh SQLite file in the folder)."
    ),
) -> None:
    """Run sync -> resolve -> push -> sync on a generated company in local emulators."""
    started = time.perf_counter()
    company_systems = _company_systems()
    folder = folder.resolve()  # the printed commands and the written config work from anywhere
    store = database or f"sqlite:///{folder / 'relhub.db'}"
    _start_afresh(store)
    os.environ["RELHUB_DATABASE_URL"] = store
    with company_systems(folder, people, seed) as company:
        config, engine = load(company.config_path)
        seeded = ", ".join(f"{n:,} {system}" for system, n in company.records.items())
        console.print(f"A generated company of {people:,} people: {seeded} records.")

        console.rule("[bold]1. sync")
        print_sync_reports(sync_sources(config, engine, config.sources))
        console.rule("[bold]2. resolve")
        with progress_bar("resolve") as progress:
            resolved = resolve(config, engine, progress=progress)
        print_resolve_report(resolved)
        console.rule("[bold]3. push, dry run: what would be written")
        build_outbox(config, engine)
        print_pending(pending_summary(engine, [s.name for s in push_sources(config)]))
        console.rule("[bold]4. push (the outbox the dry run built)")
        with progress_bar("push") as progress:
            built, pushed = push(config, engine, progress=progress)
        print_push_reports(built, pushed)
        console.rule("[bold]5. sync again: the pushed records come back, nothing echoes")
        again = sync_sources(config, engine, config.sources)
        print_sync_reports(again)
        echo = resolve(config, engine)
        console.print(
            f"{sum(r.totals()['fetched'] for r in again):,} records re-read after the push, "
            f"{echo.changed:,} changed for identity: what the push wrote (golden ids, emails "
            "and phones filled in) is stored with the records, not taken for new changes."
        )

        console.rule("[bold]Summary")
        _print_summary(resolved.summary, active_counts(engine), sum(r.written for r in pushed))
        shown = largest(engine, "person")
        if shown is not None:
            console.rule("[bold]One golden person, with provenance")
            print_golden_view(golden_view(config, engine, shown))
        url = make_url(store).render_as_string(hide_password=True)
        report = write_report(
            report_figures(engine, config.resolution), url, folder / "report.html"
        )
    console.print(f"Data-quality report: {report.resolve()}")
    console.print(f"Done in {time.perf_counter() - started:.0f} s.")
    commands = [_command_for(company.config_path, database, command) for command in NEXT_COMMANDS]
    _print_next_steps(company.config_path, commands)


def _start_afresh(store: str) -> None:
    url = make_url(store)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)


def _print_summary(summary: QualitySummary | None, golden: dict[str, int], written: int) -> None:
    table = Table(title="per system")
    for column in ("system", "records", "golden records", "duplicates found"):
        table.add_column(column, justify="left" if column == "system" else "right")
    for system, quality in (summary.systems if summary else {}).items():
        table.add_row(
            system, f"{quality.records:,}", f"{quality.golden_records:,}", f"{quality.duplicates:,}"
        )
    console.print(table)
    console.print(
        f"golden persons {golden.get('person', 0):,}, organizations "
        f"{golden.get('organization', 0):,}; writes pushed {written:,}; pairs waiting for "
        f"review {summary.review_queue if summary else 0:,} (`relhub review list`)"
    )


NEXT_COMMANDS = ("status", "review list", "golden export --format jsonl")


def _command_for(config_path: Path, database: str | None, command: str) -> str:
    """`relhub COMMAND` as the user must type it to reach the demo's store from any folder
    (`-c` belongs to each command, `--database` to `relhub` itself)."""
    if database:
        url = make_url(database).render_as_string(hide_password=True)
        return f"relhub --database '{url}' {command}"
    return f"relhub {command} -c {shlex.quote(str(config_path))}"


def _print_next_steps(config_path: Path, commands: list[str]) -> None:
    console.print(
        Panel(
            "Look into the demo's store, from any folder:\n"
            + "".join(f"  $ {command}\n" for command in commands)
            + "\n"
            "The same loop under Airflow: `export AIRFLOW_HOME=$PWD/.airflow "
            "AIRFLOW__CORE__DAGS_FOLDER=$PWD/dags AIRFLOW__CORE__LOAD_EXAMPLES=False "
            "RELHUB_CONFIG=$PWD/relhub.yaml`, then `airflow standalone` (UI on "
            "http://localhost:8080) runs relhub_sync, relhub_resolve and the push tasks.\n"
            "Real systems: copy a source block of "
            f"{config_path} into relhub.yaml with your own `connection` id, set "
            "RELHUB_CONN_<ID>_<FIELD> variables or an Airflow connection (README: "
            "Credentials), check the mapping with `relhub mappings validate`, then "
            "`relhub sync`, `relhub resolve`, `relhub push --dry-run`.",
            title="Next",
        )
    )
