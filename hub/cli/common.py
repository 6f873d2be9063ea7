"""What every command shares: the console, the store, and errors as one clear line."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from connectors.base import ConnectorError, SourceFormatError
from hub.config import RelhubConfig, load_config
from hub.deletion_guard import MassDeletionRefused
from hub.feed.subscriptions import WebhookError
from hub.golden import UnknownGoldenId
from hub.resolve.partitioned import PartitionedResolveError
from hub.review import DecisionError
from hub.serve.tokens import TokenError
from hub.store.errors import error_line
from hub.store.locks import DEFAULT_WAIT_S, StoreBusy
from hub.store.migrate import open_store
from hub.store.quarantine import UnknownEntry
from hub.url_logging import hide_request_targets
from hub.yamlfile import ConfigError

console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)

EXIT_PROBLEMS = 1
EXIT_USAGE = 2
EXIT_BUSY = 75  # sysexits' EX_TEMPFAIL: another run holds the lock; nothing done, try later

F = TypeVar("F", bound=Callable[..., Any])

ConfigOption = typer.Option(
    None, "--config", "-c", help="relhub.yaml to use (default: $RELHUB_CONFIG or ./relhub.yaml)."
)
JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")
WaitOption = typer.Option(
    DEFAULT_WAIT_S,
    "--wait",
    min=0,
    metavar="SECONDS",
    help="How long to wait for a run of the same step (and source) to finish first; "
    "0: exit at once (code 75) if one is running.",
)


def fail(message: str, code: int) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(code)


def user_errors(command: F) -> F:
    """A user mistake or an unreachable system is one line and an exit code, not a traceback.

    Configuration mistakes (a source that cannot be read as configured too), an unknown
    golden id, record key, field, quarantine entry or webhook given to a command, and a token
    name or scope refused, are usage errors (2); a system or store that fails is 1; a run that
    did not start because another holds its lock is 75.
    """

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except Exception as error:
            known = explain(error)
            if known is None:
                raise
            raise fail(*known) from None

    return run  # type: ignore[return-value]


def explain(error: Exception) -> tuple[str, int] | None:
    """The one line and exit code for an error a user can act on (None: a bug)."""
    usage = ConfigError | UnknownGoldenId | DecisionError | TokenError | UnknownEntry | WebhookError
    if isinstance(error, usage):
        return str(error), EXIT_USAGE
    if isinstance(error, SourceFormatError):
        return f"{type(error).__name__}: {error}", EXIT_USAGE
    if isinstance(error, StoreBusy):
        return str(error), EXIT_BUSY
    if isinstance(error, ConnectorError | MassDeletionRefused | PartitionedResolveError):
        return f"{type(error).__name__}: {error}", EXIT_PROBLEMS
    if isinstance(error, SQLAlchemyError):
        return f"store: {error_line(error)}", EXIT_PROBLEMS
    return None


def configure_logging(verbosity: int) -> None:
    """Warnings; with -v what each step does; with -v -v the libraries' debug lines too,
    urllib3's without the paths and query strings of the URLs it requests."""
    levels = (logging.WARNING, logging.INFO, logging.DEBUG)
    logging.basicConfig(
        level=levels[min(verbosity, len(levels) - 1)],
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    hide_request_targets()


def load(config_file: Path | None) -> tuple[RelhubConfig, Engine]:
    config = load_config(config_file)
    return config, open_store(config.database_url())


def print_json(value: Any) -> None:
    console.print_json(json.dumps(value, default=plain))


def plain(value: Any) -> Any:
    """JSON for what `json` cannot write: times in ISO 8601, dataclasses (a watermark) as
    objects; anything else as its text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[[str, int], None]]:
    """A progress display on a terminal; silent when output goes to a file or a pipe.

    One line per label, with its count and its time; labels follow one another (a
    step, a source's object), so a new one stops the clocks of those before it."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        disable=not errors.is_terminal,
        transient=True,
    ) as progress:
        tasks: dict[str, Any] = {}

        def update(label: str, done: int) -> None:
            if label not in tasks:
                for task in tasks.values():
                    progress.stop_task(task)
                tasks[label] = progress.add_task(f"{description} {label}", total=None)
            progress.update(tasks[label], completed=done)

        yield update


def per_source(progress: Callable[[str, int], None], source: str) -> Callable[[str, int], None]:
    """`progress` for one source's objects: their labels carry the source's name."""
    return lambda name, done: progress(f"{source}.{name}", done)
