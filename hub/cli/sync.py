"""`relhub sync` and `relhub status`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from hub.cli.common import (
    EXIT_PROBLEMS,
    ConfigOption,
    JsonOption,
    WaitOption,
    console,
    errors,
    explain,
    load,
    per_source,
    print_json,
    progress_bar,
    user_errors,
)
from hub.config import RelhubConfig, SourceConfig
from hub.push.queries import outbox_counts
from hub.store import runs
from hub.store.quarantine import first_reasons, open_entries
from hub.sync import SyncReport, sync_source


@user_errors
def sync(
    sources: list[str] = typer.Argument(None, help="Sources to sync (default: all)."),
    full: bool = typer.Option(False, "--full", help="Re-read everything, not just changes."),
    allow_deletions: bool = typer.Option(
        False,
        "--allow-deletions",
        help="Let a sync delete more than the source's max_deletion_share of an object.",
    ),
    wait: float = WaitOption,
    config_file: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Extract changed records, map them and store them; bad records are quarantined."""
    config, engine = load(config_file)
    selected = [config.source(name) for name in sources] if sources else config.sources
    known = open_entries(engine, [s.name for s in selected])
    failed: dict[str, Exception] = {}
    reports = sync_sources(
        config,
        engine,
        selected,
        failures=failed,
        full=full,
        allow_deletions=allow_deletions,
        wait_s=wait,
    )
    if as_json:
        print_json([{"source": r.source, "run_id": r.run_id, **r.totals()} for r in reports])
    else:
        print_sync_reports(reports)
        reasons = first_reasons(engine, [r.run_id for r in reports])
        for reason in reasons:
            console.print(f"quarantined: {reason}", markup=False, highlight=False)
        if reasons:
            console.print(
                "all of them: `relhub quarantine list --open`; after a fix: "
                "`relhub quarantine retry` (mapping) or the next `relhub sync` (source row)",
                markup=False,
                highlight=False,
            )
        for report in reports:
            for o in report.objects:
                if o.remapped:
                    console.print(
                        f"{report.source}.{o.object}: mapping changed; re-mapped {o.remapped} "
                        f"stored records, {o.remap_changed} changed, {o.remap_quarantined} "
                        "now refused",
                        highlight=False,
                    )
    new = open_entries(engine, [s.name for s in selected]) - known
    if not as_json and any(r.totals()["quarantined"] for r in reports):
        console.print(
            f"{len(new)} new problems in this run"
            + ("" if new else " (the records quarantined are known from earlier runs)"),
            highlight=False,
        )
    codes = []
    for name, error in failed.items():
        line, code = explain(error) or (str(error), EXIT_PROBLEMS)
        errors.print(
            f"error: sync of {name} failed: {line}", markup=False, highlight=False, soft_wrap=True
        )
        codes.append(code)
    if codes:
        raise typer.Exit(codes[0])
    if new:
        raise typer.Exit(EXIT_PROBLEMS)


def sync_sources(
    config: RelhubConfig,
    engine: Engine,
    sources: list[SourceConfig],
    failures: dict[str, Exception] | None = None,
    **options: Any,
) -> list[SyncReport]:
    """Sync sources one after another under one progress display. With `failures`, a
    source that fails for a reason of its own (unreachable, refused, busy, misconfigured)
    is noted there and the others are still synced; a store error stops them all."""
    reports = []
    with progress_bar("sync") as progress:
        for s in sources:
            try:
                reports.append(
                    sync_source(config, engine, s, progress=per_source(progress, s.name), **options)
                )
            except Exception as error:
                known = explain(error)
                if failures is None or known is None or isinstance(error, SQLAlchemyError):
                    raise
                failures[s.name] = error
    return reports


def print_sync_reports(reports: list[SyncReport]) -> None:
    table = Table(title="sync", show_lines=False)
    for column in (
        "source",
        "object",
        "fetched",
        "inserted",
        "updated",
        "unchanged",
        "quarantined",
        "deletions",
        "watermark",
    ):
        table.add_column(
            column, justify="left" if column in {"source", "object", "watermark"} else "right"
        )
    for report in reports:
        for o in report.objects:
            table.add_row(
                report.source,
                o.object,
                *(
                    str(v)
                    for v in (
                        o.fetched,
                        o.inserted,
                        o.updated,
                        o.unchanged,
                        o.quarantined,
                        o.deletions,
                    )
                ),
                o.watermark or "-",
            )
    console.print(table)


@user_errors
def status(config_file: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
    """Last runs, record counts, watermarks and open quarantine per source object."""
    _, engine = load(config_file)
    objects = runs.object_statuses(engine)
    recent = runs.recent_runs(engine)
    outbox = outbox_counts(engine)
    dropped = runs.dropped_values(engine)
    if as_json:
        print_json(
            {
                "objects": [vars(o) for o in objects],
                "runs": [vars(r) for r in recent],
                "push": outbox,
                "dropped": [vars(d) for d in dropped],
            }
        )
        return
    table = Table(title="objects")
    for column in ("system", "object", "records", "deleted", "quarantined (open)", "watermark"):
        table.add_column(column)
    for o in objects:
        mark = (
            f"{o.watermark.modified_at.isoformat()} {o.watermark.record_id}".strip()
            if (o.watermark)
            else "-"
        )
        table.add_row(
            o.system, o.object, str(o.records), str(o.deleted), str(o.open_quarantine), mark
        )
    console.print(table)
    if dropped:
        table = Table(title="invalid values dropped (on_invalid: drop), last sync")
        for column in ("source", "object", "field", "values", "run"):
            table.add_column(column)
        for d in dropped:
            table.add_row(d.source, d.object, d.field, str(d.count), str(d.run_id))
        console.print(table)
    if outbox:
        table = Table(title="push outbox")
        for column in ("system", "pending", "written", "rejected", "skipped", "in doubt"):
            table.add_column(column)
        for system, counts in sorted(outbox.items()):
            table.add_row(
                system,
                *(str(counts.get(k, 0)) for k in ("pending", "written", "rejected", "skipped")),
                str(counts.get("sending", 0)),
            )
        console.print(table)
    table = Table(title="recent runs")
    for column in (
        "id",
        "step",
        "source",
        "status",
        "started",
        "seconds",
        "fetched",
        "quarantined",
        "error",
    ):
        table.add_column(column)
    for r in recent:
        seconds = f"{(r.finished_at - r.started_at).total_seconds():.1f}" if r.finished_at else "-"
        table.add_row(
            str(r.id),
            r.step,
            r.source or "-",
            r.status,
            r.started_at.strftime("%Y-%m-%d %H:%M:%S"),
            seconds,
            str(r.counts.get("fetched", "-")),
            str(r.counts.get("quarantined", "-")),
            (r.error or "")[:80],
        )
    console.print(table)
