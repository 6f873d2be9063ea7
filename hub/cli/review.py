"""`relhub review list|decide|link|unlink|override`: steward decisions every resolve honours."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from hub.cli.common import ConfigOption, JsonOption, console, load, print_json, user_errors
from hub.review import decide_pair, override_field, review_queue

app = typer.Typer(help="The review queue and steward decisions.", no_args_is_help=True)
NoteOption = typer.Option(None, "--note", help="Why, for the audit trail.")
LeftArgument = typer.Argument(..., help="Record key system/object/id.")
RightArgument = typer.Argument(..., help="Record key system/object/id.")


class Verdict(StrEnum):
    MATCH = "match"
    NO_MATCH = "no-match"


VerdictArgument = typer.Argument(..., help="match or no-match")


@app.command("list")
@user_errors
def list_queue(
    limit: int = typer.Option(50, "--limit", min=1, help="Pairs to show, most likely first."),
    config_file: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Pairs in the review band with the evidence for and against."""
    _, engine = load(config_file)
    items, total = review_queue(engine, limit)
    if as_json:
        print_json({"total": total, "pairs": [vars(i) for i in items]})
        return
    table = Table(title=f"review queue ({len(items)} of {total})")
    for column in ("left", "right", "probability", "weight", "evidence"):
        table.add_column(column)
    for item in items:
        evidence = ", ".join(
            f"{e['comparison']}: {e['level']} ({e['weight']:+.1f})"
            for e in item.evidence
            if e["level"] != "missing"
        )
        table.add_row(
            item.left, item.right, f"{item.probability:.3f}", f"{item.match_weight:.1f}", evidence
        )
    console.print(table)


def _decide(config_file: Path | None, left: str, right: str, match: bool, note: str | None) -> None:
    _, engine = load(config_file)
    decide_pair(engine, left, right, match=match, note=note)
    verdict = "must-link" if match else "cannot-link"
    console.print(f"{verdict} {left} ~ {right} stored; the next `relhub resolve` applies it")


@app.command()
@user_errors
def decide(
    left: str = LeftArgument,
    right: str = RightArgument,
    verdict: Verdict = VerdictArgument,
    note: str | None = NoteOption,
    config_file: Path | None = ConfigOption,
) -> None:
    """Settle a pair from the review queue."""
    _decide(config_file, left, right, verdict is Verdict.MATCH, note)


@app.command()
@user_errors
def link(
    left: str = LeftArgument,
    right: str = RightArgument,
    note: str | None = NoteOption,
    config_file: Path | None = ConfigOption,
) -> None:
    """Must-link: these two records are one entity, whatever the model says."""
    _decide(config_file, left, right, True, note)


@app.command()
@user_errors
def unlink(
    left: str = LeftArgument,
    right: str = RightArgument,
    note: str | None = NoteOption,
    config_file: Path | None = ConfigOption,
) -> None:
    """Cannot-link: these two records are never one entity (also stops chains through them)."""
    _decide(config_file, left, right, False, note)


def _value(text: str) -> Any:
    """JSON when it parses (lists for emails, phones), otherwise the text itself."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


@app.command()
@user_errors
def override(
    golden_id: str = typer.Argument(..., help="Golden id (an old id works too)."),
    field: str = typer.Argument(..., help="Canonical field, e.g. job_title or emails."),
    value: str = typer.Argument(..., help="The value; JSON for lists: '[\"a@x.com\"]'."),
    note: str | None = NoteOption,
    config_file: Path | None = ConfigOption,
) -> None:
    """Pin a golden field to a value; survivorship never overrules it."""
    _, engine = load(config_file)
    current = override_field(engine, golden_id, field, _value(value), note)
    console.print(f"{current}.{field} pinned; the next `relhub resolve` applies it")
