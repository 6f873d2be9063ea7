"""`relhub serve`: the read API under uvicorn, one process per worker."""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import typer
import uvicorn
from uvicorn.config import LOGGING_CONFIG

from hub.cli.common import ConfigOption, load, user_errors
from hub.config import config_path


def _logging(access_log: bool) -> dict[str, Any]:
    """uvicorn's logging, with its own access log (full URLs, query strings included)
    replaced by ours (route templates only)."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["relhub.access"] = {
        "handlers": ["default"],
        "level": "INFO" if access_log else "WARNING",
        "propagate": False,
    }
    return config


@user_errors
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    workers: int = typer.Option(
        os.cpu_count() or 1, "--workers", min=1, help="Worker processes (default: one per core)."
    ),
    access_log: bool = typer.Option(True, "--access-log/--no-access-log"),
    config_file: Path | None = ConfigOption,
) -> None:
    """Serve the read API (OpenAPI at /openapi.json, everything under /v1)."""
    config, engine = load(config_file)  # migrates, and fails here rather than in a worker
    engine.dispose()
    if config_file is not None or "RELHUB_CONFIG" in os.environ or config_path().exists():
        os.environ["RELHUB_CONFIG"] = str(config.path)
    os.environ["RELHUB_DATABASE_URL"] = config.database_url()
    uvicorn.run(
        "hub.serve.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        proxy_headers=False,  # nothing reads the client's address: no layer to rewrite it
        access_log=False,
        log_config=_logging(access_log),
    )
