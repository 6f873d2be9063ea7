"""`relhub quarantine list|show|retry|dismiss`: see, fix and clear the records a sync
could not store, without opening the database."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from hub.cli.common import ConfigOption, JsonOption, console, load, print_json, user_errors
from hub.remap import retry_quarantine
from hub.store.quarantine import EntryView, dismiss, get_entry, list_entries

app = typer.Typer(
    help="Records a sync could not store: see why, fix them, clear them.", no_args_is_help=True
)


def _record(entry: EntryView) -> str:
    if entry.source_id:
        return entry.source_id
    return f"line {entry.line}" if entry.line else "(no id)"


def _as_json(entry: EntryView) -> dict[str, Any]:
    return {**asdict(entry), "state": entry.state}


@app.command("list")
@user_errors
def list_command(
    source: str | None = typer.Argument(None, help="Only this source."),
    object_name: str | None = typer.Option(None, "--object", help="Only this object."),
    reason: str | None = typer.Option(
        None, "--reason", help="Only entries whose reason contains this text (any case)."
    ),
    open_only: bool = typer.Option(False, "--open", help="Only open entries, not history."),
    limit: int = typer.Option(100, "--limit", min=1, help="Entries to show, newest first."),
    config_file: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Quarantine entries, newest first: record, state and reason."""
    _, engine = load(config_file)
    entries, total = list_entries(
        engine,
        system=source,
        object_name=object_name,
        reason=reason,
        open_only=open_only,
        limit=limit,
    )
    if as_json:
        print_json({"total": total, "entries": [_as_json(e) for e in entries]})
        return
    table = Table(title=f"quarantine ({len(entries)} of {total})")
    for column in ("id", "source", "object", "record", "state", "last seen", "reason"):
        table.add_column(column, overflow="fold")
    for e in entries:
        table.add_row(
            str(e.id),
            e.system,
            e.object,
            _record(e),
            e.state,
            e.last_seen_at.strftime("%Y-%m-%d %H:%M"),
            e.reason,
        )
    console.print(table)
    if total > len(entries):
        console.print(f"{total - len(entries)} more: raise --limit or filter", highlight=False)
    if entries:
        console.print(
            "`relhub quarantine show ID` shows an entry's row and every reason", highlight=False
        )


@app.command()
@user_errors
def show(
    entry_id: int = typer.Argument(..., help="The entry's id, from `relhub quarantine list`."),
    config_file: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """One entry: its raw row, the line it came from, and every reason."""
    _, engine = load(config_file)
    entry = get_entry(engine, entry_id)
    if as_json:
        print_json(_as_json(entry))
        return
    facts = [
        ("entry", str(entry.id)),
        ("source", f"{entry.system}.{entry.object}"),
        ("record", entry.source_id or "(no id)"),
        ("line", str(entry.line) if entry.line else "-"),
        (
            "refused by",
            {"read": "the read", "map": "the mapping", "store": "the database"}.get(
                entry.stage, entry.stage
            ),
        ),
        ("state", entry.state + (f" ({entry.note})" if entry.note else "")),
        ("first seen", entry.created_at.isoformat(timespec="seconds")),
        ("last seen", entry.last_seen_at.isoformat(timespec="seconds")),
    ]
    if entry.resolved_at is not None:
        facts.append(("closed", entry.resolved_at.isoformat(timespec="seconds")))
    for label, value in facts:
        console.print(f"{label:>11}: {value}", markup=False, highlight=False)
    console.print("    reasons:", highlight=False)
    for reason in entry.reason.split("; "):
        console.print(f"  - {reason}", markup=False, highlight=False)
    console.print("        raw:", highlight=False)
    console.print(_pretty(entry.raw), markup=False, highlight=False)


def _pretty(raw: str) -> str:
    try:
        return json.dumps(json.loads(raw), indent=2, ensure_ascii=False)
    except ValueError:
        return raw


@app.command()
@user_errors
def retry(
    sources: list[str] = typer.Argument(None, help="Sources to retry (default: all)."),
    config_file: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Re-map the open entries' stored rows with the current mapping: after a mapping fix,
    the rows it now accepts are stored and their entries close."""
    config, engine = load(config_file)
    selected = [config.source(name) for name in sources] if sources else config.sources
    reports = [retry_quarantine(config, engine, source) for source in selected]
    if as_json:
        print_json(
            [
                {
                    "source": r.source,
                    "run_id": r.run_id,
                    "stored": r.stored,
                    "still_quarantined": r.still_quarantined,
                    "need_fixing_at_source": r.need_fixing_at_source,
                }
                for r in reports
            ]
        )
        return
    for r in reports:
        console.print(
            f"{r.source}: {r.stored} stored, {r.still_quarantined} still refused by the mapping",
            highlight=False,
        )
        if r.need_fixing_at_source:
            console.print(
                f"{r.source}: {r.need_fixing_at_source} entries can only be fixed in the "
                f"source; the next `relhub sync {r.source}` reads them again",
                highlight=False,
            )


@app.command("dismiss")
@user_errors
def dismiss_command(
    entry_ids: list[int] = typer.Argument(..., help="Entry ids, from `relhub quarantine list`."),
    reason: str = typer.Option(..., "--reason", help="Why, kept with the entry."),
    config_file: Path | None = ConfigOption,
) -> None:
    """Close entries a person has judged (a test row, a record to drop); kept as history.
    A dismissed entry stays closed while its row comes back unchanged."""
    _, engine = load(config_file)
    closed = dismiss(engine, entry_ids, reason)
    already = len(set(entry_ids)) - closed
    suffix = f" ({already} already closed)" if already else ""
    console.print(f"dismissed {closed} entries{suffix}", highlight=False)
