"""`relhub webhooks add|list|remove|replay|dead|deliver`: push the change feed to
subscribers' URLs, signed, and see what could not be delivered."""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import asdict
from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import (
    EXIT_PROBLEMS,
    ConfigOption,
    JsonOption,
    WaitOption,
    console,
    load,
    print_json,
    user_errors,
)
from hub.feed.events import EVENT_TYPES
from hub.feed.subscriptions import (
    WebhookError,
    add_subscription,
    dead_letters,
    list_subscriptions,
    remove_subscription,
    replay,
)
from hub.feed.webhooks import Deliverer, DeliveryReport, RetryPolicy

app = typer.Typer(help="Webhooks: the change feed POSTed to your URLs.", no_args_is_help=True)
EVENTS = ", ".join(t.removeprefix("golden.") for t in EVENT_TYPES)


@app.command()
@user_errors
def add(
    url: str = typer.Argument(..., help="Where to POST, http:// or https://."),
    events: str = typer.Option(
        ..., "--events", "-e", help=f"Comma-separated event types: {EVENTS}, or all."
    ),
    secret_env: str | None = typer.Option(
        None,
        "--secret-from-env",
        metavar="VAR",
        help="Sign with the secret in this environment variable (default: generate one "
        "and print it once).",
    ),
    config_file: Path | None = ConfigOption,
) -> None:
    """Subscribe a URL to event types, from the feed's head on."""
    secret = None
    if secret_env is not None:
        secret = os.environ.get(secret_env)
        if not secret:
            raise WebhookError(f"environment variable {secret_env} is not set")
    _, engine = load(config_file)
    subscription, generated = add_subscription(engine, url, events.split(","), secret)
    console.print(
        f"webhook {subscription.id}: {', '.join(subscription.events)} after cursor "
        f"{subscription.cursor}",
        highlight=False,
    )
    if generated is not None:
        console.print("signing secret (shown once, keep it now):", highlight=False)
        typer.echo(generated)


@app.command("list")
@user_errors
def list_command(config_file: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
    """Every subscription with its cursor and its pending and dead deliveries (no secrets)."""
    _, engine = load(config_file)
    subscriptions = list_subscriptions(engine)
    if as_json:
        print_json([asdict(s) for s in subscriptions])
        return
    table = Table(title="webhooks")
    for column in ("id", "url", "events", "cursor", "pending", "dead", "created"):
        table.add_column(column)
    for s in subscriptions:
        table.add_row(
            str(s.id),
            s.url,
            ", ".join(e.removeprefix("golden.") for e in s.events),
            str(s.cursor),
            str(s.pending),
            str(s.dead),
            f"{s.created_at:%Y-%m-%d %H:%M}",
        )
    console.print(table)


@app.command()
@user_errors
def remove(
    subscription_id: int = typer.Argument(..., metavar="ID"),
    config_file: Path | None = ConfigOption,
    wait_s: float = WaitOption,
) -> None:
    """Delete a subscription and what is still owed to it: it receives nothing more."""
    _, engine = load(config_file)
    removed = remove_subscription(engine, subscription_id, wait_s)
    console.print(f"webhook {removed.id} removed", highlight=False)


@app.command("replay")
@user_errors
def replay_command(
    subscription_id: int = typer.Argument(..., metavar="ID"),
    after: int = typer.Option(
        ..., "--after", metavar="CURSOR", min=0, help="Send again every event after this one."
    ),
    config_file: Path | None = ConfigOption,
    wait_s: float = WaitOption,
) -> None:
    """Redeliver from a cursor (dead letters after it included) at the next pass."""
    _, engine = load(config_file)
    subscription = replay(engine, subscription_id, after, wait_s)
    console.print(
        f"webhook {subscription.id}: the events after {after} go out again at the next "
        "relhub webhooks deliver",
        highlight=False,
    )


@app.command()
@user_errors
def dead(
    subscription_id: int | None = typer.Argument(None, metavar="[ID]", help="Only this one."),
    config_file: Path | None = ConfigOption,
    as_json: bool = JsonOption,
) -> None:
    """Deliveries given up on after every attempt (replay them with replay --after)."""
    _, engine = load(config_file)
    letters = dead_letters(engine, subscription_id)
    if as_json:
        print_json([asdict(letter) for letter in letters])
        return
    table = Table(title=f"dead letters ({len(letters)})")
    for column in ("webhook", "cursor", "event", "golden id", "attempts", "last error"):
        table.add_column(column)
    for letter in letters:
        table.add_row(
            str(letter.subscription_id),
            str(letter.position),
            letter.event,
            letter.golden_id,
            str(letter.attempts),
            letter.last_error or "",
        )
    console.print(table)


def _print(report: DeliveryReport) -> None:
    console.print(report.summary(), highlight=False)


def _print_busy(report: DeliveryReport) -> None:
    """A looping pass's line, when it had something to send."""
    if report.requests:
        _print(report)


@app.command()
@user_errors
def deliver(
    loop: bool = typer.Option(False, "--loop", help="Keep delivering until interrupted."),
    interval: float = typer.Option(
        5.0, "--interval", min=0.1, metavar="SECONDS", help="Between passes with --loop."
    ),
    max_attempts: int = typer.Option(
        RetryPolicy.max_attempts,
        "--max-attempts",
        min=1,
        help="Attempts before an event goes to the dead letters.",
    ),
    config_file: Path | None = ConfigOption,
    wait_s: float = WaitOption,
) -> None:
    """One delivery pass (for cron or Airflow): the events due now, to every subscriber."""
    _, engine = load(config_file)
    deliverer = Deliverer(engine, RetryPolicy(max_attempts=max_attempts))
    if loop:
        with contextlib.suppress(KeyboardInterrupt):
            deliverer.follow(interval, threading.Event(), _print_busy)
        return
    report = deliverer.deliver(wait_s)
    _print(report)
    if report.dead:
        raise typer.Exit(EXIT_PROBLEMS)
