"""`relhub mappings validate|preview`: check and try mapping files before a sync."""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from connectors.base import ConnectorError
from hub.cli.common import EXIT_PROBLEMS, ConfigOption, JsonOption, console, print_json, user_errors
from hub.config import RelhubConfig, load_config
from hub.connections import open_connector
from hub.mapping.engine import MappingError
from hub.mapping.sensitive import mask
from hub.mapping.spec import load_mapping
from hub.mapping.validate import check_against_schema, compile_mapping
from hub.sync import read_spec
from hub.yamlfile import ConfigError

app = typer.Typer(help="Validate and preview mapping files.", no_args_is_help=True)


def mapping_problems(config: RelhubConfig, *, offline: bool) -> list[str]:
    """Every problem of every source's mapping: compile errors, then schema mismatches."""
    problems: list[str] = []
    for source in config.sources:
        try:
            mapping = load_mapping(config.resolve_path(source.mapping))
            compile_mapping(mapping)
        except ConfigError as error:
            problems.append(str(error))
            continue
        if mapping.system != source.name:
            problems.append(
                f"{mapping.path}: system: {mapping.system!r} does not match source {source.name!r}"
            )
        objects = list(source.objects) or list(mapping.objects)
        missing = [name for name in objects if name not in mapping.objects]
        problems.extend(f"{mapping.path}: objects: no mapping for object {n!r}" for n in missing)
        if offline:
            continue
        try:
            connector = open_connector(config, source)
            try:
                for name in (n for n in objects if n not in missing):
                    schema = connector.discover(name)
                    problems.extend(str(p) for p in check_against_schema(mapping, name, schema))
            finally:
                connector.close()
        except (ConnectorError, ConfigError) as error:
            problems.append(f"{source.name}: cannot discover the schema: {error}")
    return problems


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
    config = load_config(config_file)
    source = config.source(source_name)
    mappers = compile_mapping(load_mapping(config.resolve_path(source.mapping)))
    name = object_name or next(iter(source.objects or mappers))
    if name not in mappers:
        raise ConfigError(source.mapping, None, "objects", f"no mapping for object {name!r}")
    mapper = mappers[name]
    connector = open_connector(config, source)
    samples: list[dict[str, Any]] = []
    try:
        pages = connector.read_changes(read_spec(mapper), None, full=True)
        for record in islice((r for page in pages for r in page.records), limit):
            used = mask(
                {f: record.fields.get(f) for f in mapper.mapping.source_fields()},
                mapper.sensitive_sources,
            )
            try:
                mapped = mask(
                    mapper.map(record).model_dump(mode="json", exclude_none=True),
                    mapper.sensitive,
                )
                samples.append({"id": record.id, "source": used, "canonical": mapped})
            except MappingError as error:
                samples.append({"id": record.id, "source": used, "quarantine": str(error)})
    finally:
        connector.close()
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
