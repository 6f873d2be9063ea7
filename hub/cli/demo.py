"""`relhub demo`: the whole job on the embedded defaults, in one command."""

from __future__ import annotations

import os
from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from hub.cli.common import (
    ConfigOption,
    console,
    load,
    per_source,
    progress_bar,
    user_errors,
)
from hub.cli.resolve import print_resolve_report
from hub.cli.sync import print_sync_reports
from hub.resolve import resolve
from hub.sync import sync_source

DEMO_DATABASE = "sqlite:///relhub-demo.db"


@user_errors
def demo(
    config_file: Path | None = ConfigOption,
    database: str = typer.Option(
        DEMO_DATABASE, "--database", help="Store for the demo; a SQLite file is started afresh."
    ),
) -> None:
    """Sync the sample exports into a fresh store and summarise what happened."""
    url = make_url(database)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{url.database}{suffix}").unlink(missing_ok=True)
    os.environ["RELHUB_DATABASE_URL"] = database
    config, engine = load(config_file)
    console.rule("[bold]Relhub demo: sync")
    reports = []
    with progress_bar("sync") as progress:
        for source in config.sources:
            reports.append(
                sync_source(
                    config,
                    engine,
                    source,
                    progress=per_source(progress, source.name),
                )
            )
    print_sync_reports(reports)
    totals = [r.totals() for r in reports]
    fetched = sum(t["fetched"] for t in totals)
    quarantined = sum(t["quarantined"] for t in totals)
    stored = fetched - quarantined
    console.print(
        f"{fetched} records fetched from {len(reports)} sources: {stored} stored, "
        f"{quarantined} quarantined with a reason (see `relhub status`). Store: {database}"
    )
    console.rule("[bold]Relhub demo: resolve")
    with progress_bar("resolve") as progress:
        print_resolve_report(resolve(config, engine, progress=progress))
    console.print(
        "Next: `relhub review list`, `relhub golden export --format jsonl`, "
        "`relhub golden show ID`."
    )
