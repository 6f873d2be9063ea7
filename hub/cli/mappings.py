"""`relhub mappings validate|preview`: check and try mapping files before a sync."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import EXIT_PROBLEMS, ConfigOption, JsonOption, console, print_json, user_errors
from hub.config import load_config
from hub.mapping_checks import mapping_problems, preview_samples

app = typer.Typer(help="Validate and preview mapping files.", no_args_is_help=True)


@app.command()
@user_errors
def validate(
    config_file: Path | None = ConfigOption,
    offline: bool = typer.Option(
        False, "--offline", help="Skip schema discovery: check the files only."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Check every mapping against the config and the schema each connector discovers."""
    config = load_config(config_file)
    problems = mapping_problems(config, offline=offline)
    if as_json:
        print_json({"ok": not problems, "problems": problems})
    elif problems:
        for problem in problems:
            console.print(f"[red]✗[/] {problem}", highlight=False, soft_wrap=True)
    else:
        console.print(f"[green]✓[/] {len(config.sources)} source mappings valid", highlight=False)
    if problems:
        raise typer.Exit(EXIT_PROBLEMS)


@app.command()
@user_errors
def preview(
    source_name: str = typer.Argument(..., metavar="SOURCE"),
    object_name: str | None = typer.Option(None, "--object", help="Object (default: first)."),
    limit: int = typer.Option(5, "--limit", min=1, help="Records to show."),
    config_file: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Show sample records raw and mapped, side by side, or why they would be quarantined."""
    name, samples = preview_samples(load_config(config_file), source_name, object_name, limit)
    if as_json:
        print_json(samples)
        return
    for sample in samples:
        table = Table(title=f"{source_name}.{name} {sample['id']}", show_header=True)
        table.add_column("source field")
        table.add_column("raw")
        table.add_column("canonical field")
        table.add_column("value")
        left = [(k, "" if v is None else str(v)) for k, v in sample["source"].items()]
        right = list(_flatten(sample.get("canonical", {"QUARANTINE": sample.get("quarantine")})))
        for index in range(max(len(left), len(right))):
            lk, lv = left[index] if index < len(left) else ("", "")
            rk, rv = right[index] if index < len(right) else ("", "")
            table.add_row(lk, lv, rk, rv)
        console.print(table)


def _flatten(value: object, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _flatten(v, f"{prefix}{k}.")]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [pair for i, v in enumerate(value) for pair in _flatten(v, f"{prefix}{i}.")]
    return [(prefix.rstrip("."), str(value))]
