"""`relhub emulate SYSTEM`: a local stand-in of a SaaS API, for people.

The stand-ins are not part of the production install: they come from the separate
`relhub-emulators` distribution (emulators/pyproject.toml), which registers one entry
point per system in the `relhub.emulators` group. Without it the command says so.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import typer

from hub.cli.common import EXIT_USAGE, console, fail, user_errors

GROUP = "relhub.emulators"
INSTALL_HINT = "install relhub-emulators: pip install --editable ./emulators (make does)"


def installed_emulators() -> dict[str, EntryPoint]:
    """The emulators some installed distribution offers, by system name."""
    return {point.name: point for point in entry_points(group=GROUP)}


@user_errors
def emulate(
    system: str = typer.Argument(
        ..., help="Which API to emulate (salesforce, hubspot, partnerstack, bamboohr)."
    ),
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
    available = installed_emulators()
    point = available.get(system)
    if point is None:
        known = ", ".join(sorted(available)) or "none installed"
        raise fail(f"no emulator for {system!r} (available: {known}); {INSTALL_HINT}", EXIT_USAGE)
    source = f"{point.dist.name} {point.dist.version}" if point.dist else "an unnamed distribution"
    console.print(f"{system} emulator from {source} ({point.value})", highlight=False)
    point.load()(port, data)
