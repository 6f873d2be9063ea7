"""`relhub report`: the data-quality report of a store, as one HTML file."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from hub.cli.common import ConfigOption, console, load, user_errors
from hub.report import report_figures, write_report


@user_errors
def report(
    config_file: Path | None = ConfigOption,
    output: Path = typer.Option(
        Path("relhub-report.html"), "--output", "-o", help="Where to write the HTML file."
    ),
) -> None:
    """Write the data-quality report (duplicates, cluster sizes, match weights,
    completeness, quarantine) as a self-contained HTML file."""
    config, engine = load(config_file)
    store = make_url(config.database_url()).render_as_string(hide_password=True)
    path = write_report(report_figures(engine, config.resolution), store, output)
    console.print(f"report written to {path.resolve()}")
