"""`relhub push`: write the golden record back into the source systems."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import (
    EXIT_PROBLEMS,
    ConfigOption,
    JsonOption,
    console,
    load,
    print_json,
    progress_bar,
    user_errors,
)
from hub.push.drain import PushReport
from hub.push.outbox import BuildReport, build_outbox
from hub.push.queries import PendingSummary, pending_summary, rejected_writes
from hub.push.step import push as push_step
from hub.push.step import push_sources


@user_errors
def push(
    targets: list[str] = typer.Argument(None, help="Sources to push to (default: all)."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print what would be written, per system and field; write nothing."
    ),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most N writes per target."),
    rejected: bool = typer.Option(False, "--rejected", help="List the writes systems refused."),
    config_file: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Push golden ids and survived fields into the systems' records, each write once."""
    config, engine = load(config_file)
    systems = [s.name for s in push_sources(config, targets or ())]
    if rejected:
        _print_rejected(rejected_writes(engine, systems), as_json)
        return
    if dry_run:
        with progress_bar("outbox") as progress:
            build_outbox(config, engine, progress=progress)
        summaries = pending_summary(engine, systems)
        if as_json:
            print_json([asdict(s) for s in summaries])
        else:
            print_pending(summaries)
        return
    with progress_bar("push") as progress:
        built, reports = push_step(config, engine, targets or (), limit=limit, progress=progress)
    if as_json:
        print_json({"outbox": built.as_dict(), "targets": [r.as_dict() for r in reports]})
    else:
        print_push_reports(built, reports)
    if any(r.rejected for r in reports):
        raise typer.Exit(EXIT_PROBLEMS)


def print_pending(summaries: list[PendingSummary]) -> None:
    """What a push would write, per system and field, with a few examples."""
    for s in summaries:
        if s.merges:
            console.print(f"[bold]{s.system}: {len(s.merges)} duplicates would be merged away")
            for merge in s.merges:
                console.print(f"  {merge['object']} {merge['id']} into {merge['into']}")
        table = Table(title=f"{s.system}: {s.records} records would be written")
        table.add_column("object.field")
        table.add_column("writes", justify="right")
        for label, n in sorted(s.by_field.items()):
            table.add_row(label, str(n))
        console.print(table)
        for example in s.sample:
            console.print(f"  {example['object']} {example['id']}: {example['fields']}")


def print_push_reports(built: BuildReport, reports: list[PushReport]) -> None:
    table = Table(title=f"push ({built.queued} writes queued)")
    for column in ("target", "written", "rejected", "skipped", "confirmed", "seconds"):
        table.add_column(column)
    for r in reports:
        table.add_row(
            r.system,
            str(r.written),
            str(r.rejected),
            str(r.skipped),
            str(r.confirmed),
            f"{r.seconds:.1f}",
        )
    console.print(table)


def _print_rejected(rows: list[dict[str, object]], as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return
    table = Table(title=f"{len(rows)} rejected writes")
    for column in ("system", "object", "id", "fields", "message"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            str(r["system"]), str(r["object"]), str(r["id"]), str(r["fields"]), str(r["message"])
        )
    console.print(table)
