"""`relhub emulate salesforce|hubspot`: a local stand-in of a SaaS API, for people."""

from __future__ import annotations

import importlib
from enum import StrEnum
from pathlib import Path

import typer

from hub.cli.common import user_errors


class EmulatedSystem(StrEnum):
    SALESFORCE = "salesforce"
    HUBSPOT = "hubspot"


@user_errors
def emulate(
    system: EmulatedSystem = typer.Argument(..., help="Which API to emulate."),
    port: int = typer.Option(8443, "--port", "-p", help="Port on 127.0.0.1."),
    data: Path | None = typer.Option(
        None,
        "--data",
        exists=True,
        dir_okay=False,
        help="JSONL or CSV file to seed from (default: generated records).",
    ),
) -> None:
    """Serve an emulated API until interrupted (Ctrl-C)."""
    module = importlib.import_module(f"emulators.{system.value}")
    module.serve(port, data)
