"""`relhub resolve`: golden records from what changed, ending with a data-quality summary."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import (
    ConfigOption,
    JsonOption,
    WaitOption,
    console,
    load,
    print_json,
    progress_bar,
    user_errors,
)
from hub.quality import QualitySummary
from hub.resolve import ResolveReport
from hub.resolve import resolve as resolve_step
from hub.resolve.partitioned import resolve_partitioned


@user_errors
def resolve(
    full: bool = typer.Option(False, "--full", help="Re-resolve every record, not just changes."),
    keep_model: bool = typer.Option(
        False,
        "--keep-model",
        help="With --full: score with the stored model instead of fitting it anew.",
    ),
    partitions: int = typer.Option(
        1,
        "--partitions",
        min=1,
        help="With --full: score pairs in this many partitions of the blocking index, one "
        "after another (the resolve DAG spreads them over workers); same result.",
    ),
    wait: float = WaitOption,
    config_file: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Link source records into golden records with stable ids."""
    if partitions > 1 and not full:
        raise typer.BadParameter("needs --full", param_hint="--partitions")
    config, engine = load(config_file)
    with progress_bar("resolve") as progress:
        if partitions > 1:
            report = resolve_partitioned(
                config, engine, partitions, refit=not keep_model, progress=progress, wait_s=wait
            )
        else:
            report = resolve_step(
                config, engine, full=full, refit=not keep_model, progress=progress, wait_s=wait
            )
    if as_json:
        print_json(report.as_dict())
    else:
        print_resolve_report(report)


def print_resolve_report(report: ResolveReport) -> None:
    mode = "full" if report.full else "incremental"
    console.print(
        f"resolve ({mode}, run {report.run_id}, {report.seconds:.1f} s): "
        f"{report.changed} changed, {report.resolved} re-resolved, "
        f"{report.golden_records} golden records survived ({report.unchanged} as stored, "
        f"{report.minted} new, "
        f"{report.merged} merged, {report.split} split, {report.retired} retired)"
    )
    for note in report.notes:
        console.print(f"note: {note}")
    if report.summary is not None:
        print_quality(report.summary)


def print_quality(summary: QualitySummary) -> None:
    console.print(
        f"data quality: {summary.records_in} records in, {summary.golden_records_out} golden "
        f"records out, {summary.review_queue} pairs waiting for review"
    )
    table = Table(title="per source system")
    for column in ("system", "records", "golden records", "duplicates"):
        table.add_column(column, justify="left" if column == "system" else "right")
    for system, quality in summary.systems.items():
        table.add_row(system, *(str(v) for v in asdict(quality).values()))
    console.print(table)
    sizes = ", ".join(f"{label}: {count}" for label, count in summary.cluster_sizes.items())
    console.print(f"golden records by member count: {sizes}")
