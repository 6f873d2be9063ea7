"""`relhub db upgrade`: for operators who migrate ahead of a deployment."""

from __future__ import annotations

from pathlib import Path

import typer

from hub.cli.common import ConfigOption, console, user_errors
from hub.config import load_config
from hub.store.db import make_engine
from hub.store.migrate import current_revision
from hub.store.migrate import upgrade as upgrade_store

app = typer.Typer(help="Store administration.", no_args_is_help=True)


@app.command()
@user_errors
def upgrade(
    revision: str = typer.Argument("head", help="Target revision."),
    config_file: Path | None = ConfigOption,
) -> None:
    """Migrate the store to a revision (default: the latest)."""
    engine = make_engine(load_config(config_file).database_url())
    before = current_revision(engine)
    upgrade_store(engine, revision)
    console.print(f"store at revision {current_revision(engine)} (was {before or 'empty'})")
