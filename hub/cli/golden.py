"""`relhub golden show|export`: golden records with their provenance, members and history."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import IO, Any, TypeVar

import typer
from rich.table import Table
from sqlalchemy import Engine

from hub.cli.common import (
    ConfigOption,
    JsonOption,
    console,
    load,
    plain,
    print_json,
    progress_bar,
    user_errors,
)
from hub.config import RelhubConfig
from hub.golden import GoldenView
from hub.golden import export as export_golden
from hub.golden import show as show_golden
from hub.mapping.sensitive import configured_sensitive_fields, mask
from identity.records import EntityKind, canonical_fields

app = typer.Typer(help="Golden records.", no_args_is_help=True)
F = TypeVar("F", bound=Callable[..., Any])


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


FormatOption = typer.Option(ExportFormat.JSONL, "--format", "-f")
OutputOption = typer.Option(None, "--output", "-o", help="File (default: stdout).")
SensitiveOption = typer.Option(
    False, "--include-sensitive", help="Show fields the mappings mark sensitive (masked otherwise)."
)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ";".join(_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return "" if value is None else str(value)


def _csv_fields() -> list[str]:
    names: dict[str, None] = {}
    for kind in EntityKind:
        names.update(dict.fromkeys(canonical_fields(kind)))
    names.pop("lifecycle_stage", None)
    return [*names, "addresses"]


def _write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    fields = _csv_fields()
    writer = csv.writer(out)
    writer.writerow(
        [
            "golden_id",
            "entity_kind",
            "roles",
            "lifecycle_stage",
            *fields,
            "members",
            "relationships",
        ]
    )
    count = 0
    for g in records:
        members = [f"{m['system']}/{m['object']}/{m['id']}" for m in g["members"]]
        writer.writerow(
            [
                g["golden_id"],
                g["entity_kind"],
                _text(g["roles"]),
                _text(g["lifecycle_stage"]),
                *(_text(g["fields"].get(name)) for name in fields),
                _text(members),
                _text([f"{r['type']}:{_target(r)}" for r in g["relationships"]]),
            ]
        )
        count += 1
    return count


def _target(relationship: dict[str, Any]) -> str:
    """A relationship's other end: a golden id, the company, or an unresolved record key."""
    return str(relationship.get("golden_id") or relationship.get("to") or relationship["record"])


def _write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for g in records:
        out.write(json.dumps(g, ensure_ascii=False, default=plain) + "\n")
        count += 1
    return count


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        yield handle


@app.command()
@user_errors
def export(
    format: ExportFormat = FormatOption,
    output: Path | None = OutputOption,
    config_file: Path | None = ConfigOption,
    include_sensitive: bool = SensitiveOption,
) -> None:
    """Every active golden record, one per line, with the members it unifies and its
    relationships (works_at, contact_of, partner_of, customer_of) on golden ids."""
    config, engine = load(config_file)
    sensitive = frozenset() if include_sensitive else configured_sensitive_fields(config)
    writer = _write_csv if format is ExportFormat.CSV else _write_jsonl
    with progress_bar("export") as progress, _output(output) as out:

        def counted() -> Iterator[dict[str, Any]]:
            for done, record in enumerate(export_golden(engine), start=1):
                if done % 1000 == 0:
                    progress("golden records", done)
                if sensitive:
                    record["fields"] = mask(record["fields"], sensitive)
                yield record

        count = writer(counted(), out)
    if output is not None:
        console.print(f"{count} golden records written to {output}")


@app.command()
@user_errors
def show(
    golden_id: str = typer.Argument(..., help="A golden id; an old (merged) id works too."),
    config_file: Path | None = ConfigOption,
    as_json: bool = JsonOption,
    include_sensitive: bool = SensitiveOption,
) -> None:
    """Fields with provenance, members, relationships, the evidence that joined them, and
    id history."""
    config, engine = load(config_file)
    view = golden_view(config, engine, golden_id, include_sensitive=include_sensitive)
    if as_json:
        print_json(vars(view))
        return
    print_golden_view(view)


def golden_view(
    config: RelhubConfig, engine: Engine, golden_id: str, *, include_sensitive: bool = False
) -> GoldenView:
    """A golden record as `golden show` presents it: sensitive fields masked unless asked."""
    view = show_golden(engine, golden_id)
    if not include_sensitive:
        view.fields = mask(view.fields, configured_sensitive_fields(config))
    return view


def print_golden_view(view: GoldenView) -> None:
    """Fields with provenance, members, links with their evidence, and id history."""
    moved = (
        f" (asked for {view.asked_for}, merged into it)"
        if (view.asked_for != view.golden_id)
        else ""
    )
    console.print(
        f"[bold]{view.golden_id}[/]{moved}: {view.entity_kind}, {view.status}, "
        f"roles {', '.join(view.roles) or '-'}, lifecycle {view.lifecycle_stage or '-'}"
    )
    table = Table(title="fields")
    for column in ("field", "value", "rule", "from"):
        table.add_column(column)
    for name, entry in view.fields.items():
        for item in entry if isinstance(entry, list) else [entry]:
            p = item["provenance"]
            table.add_row(
                name,
                _text(item["value"]),
                item["rule"],
                f"{p['system']}/{p['object']}/{p['record_id']} {p.get('modified_at', '')}".strip(),
            )
    console.print(table)
    console.print(
        "members: " + ", ".join(f"{m['system']}/{m['object']}/{m['id']}" for m in view.members)
    )
    for relationship in view.relationships:
        console.print(
            f"{relationship['type']} {_target(relationship)} "
            f"(stated by {', '.join(relationship['stated_by'])})"
        )
    for link in view.links:
        why = link["rule"] or ", ".join(
            f"{e['comparison']} {e['level']} ({e['weight']:+.2f})" for e in link["evidence"]
        )
        console.print(
            f"link {link['left']} ~ {link['right']}: p={link['probability']:.4f} "
            f"weight {link['match_weight']:.2f}: {why}"
        )
    for event in view.history:
        other = f" {event['other_id']}" if event["other_id"] else ""
        console.print(
            f"history: {event['golden_id']} {event['event']}{other} "
            f"(run {event['run_id']}, {event['at']})"
        )
