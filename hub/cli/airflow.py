"""`relhub airflow pools`: the pools relhub.yaml needs, printed or applied to Airflow."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import ConfigOption, JsonOption, console, print_json, user_errors
from hub.config import load_config
from hub.pools import apply_pools, configured_pools, pool_import_document

app = typer.Typer(help="Airflow set-up derived from relhub.yaml.", no_args_is_help=True)


@app.command()
@user_errors
def pools(
    config_file: Path | None = ConfigOption,
    apply: bool = typer.Option(
        False, "--apply", help="Create or resize them with `airflow pools import`."
    ),
    as_json: bool = JsonOption,
) -> None:
    """The Airflow pools that the sources name, with their slots."""
    wanted = configured_pools(load_config(config_file))
    if apply:
        apply_pools(wanted)
    if as_json:
        print_json(pool_import_document(wanted))
        return
    table = Table("pool", "slots", title="Airflow pools" + (" (applied)" if apply else ""))
    for name, slots in wanted.items():
        table.add_row(name, str(slots))
    console.print(table if wanted else "no source names a pool")
