"""The `relhub` command line: thin commands that parse, call `hub`, and print."""

from __future__ import annotations

import os
import sys
from importlib.metadata import version

import typer
from typer.core import TyperGroup

from hub.cli import airflow, db, golden, mappings, quarantine, review, tokens, webhooks
from hub.cli.anywhere import hoisted
from hub.cli.common import configure_logging, errors
from hub.cli.demo import demo
from hub.cli.emulate import emulate
from hub.cli.help import readable_help
from hub.cli.push import push
from hub.cli.report import report
from hub.cli.resolve import resolve
from hub.cli.serve import serve
from hub.cli.sync import status, sync
from hub.cli.termination import Terminated, stop_on_sigterm

readable_help()
app = typer.Typer(
    name="relhub",
    help="Relhub: one golden record per real person and organization, across your systems.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"relhub {version('relhub')}")
        raise typer.Exit()


@app.callback()
def _options(
    verbose: int = typer.Option(
        0,
        "--verbose",
        "-v",
        count=True,
        help="Log what each step does; twice (-v -v): debug lines too.",
    ),
    database: str | None = typer.Option(
        None,
        "--database",
        metavar="URL",
        help="The store's SQLAlchemy URL for this command (sets RELHUB_DATABASE_URL; "
        "default: relhub.yaml's store.url, else sqlite:///relhub.db).",
    ),
    _version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=_print_version,
        help="Print the version and exit.",
    ),
) -> None:
    configure_logging(verbose)
    if database:
        os.environ["RELHUB_DATABASE_URL"] = database


app.command()(demo)
app.command()(sync)
app.command()(status)
app.command()(emulate)
app.command()(resolve)
app.command()(report)
app.command()(push)
app.command()(serve)
app.add_typer(airflow.app, name="airflow")
app.add_typer(db.app, name="db")
app.add_typer(mappings.app, name="mappings")
app.add_typer(golden.app, name="golden")
app.add_typer(review.app, name="review")
app.add_typer(tokens.app, name="tokens")
app.add_typer(quarantine.app, name="quarantine")
app.add_typer(webhooks.app, name="webhooks")


def main() -> None:
    stop_on_sigterm()
    command = typer.main.get_command(app)
    assert isinstance(command, TyperGroup)
    try:
        command(args=hoisted(command, sys.argv[1:]))
    except Terminated:
        errors.print("relhub: stopped (SIGTERM); what it had not committed was rolled back")
        raise
