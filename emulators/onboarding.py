"""What `relhub emulate` prints beside its banner: every credential the stand-in accepts
and a `relhub.yaml` source block for it, ready to paste.

Credentials go into `RELHUB_CONN_<ID>_<FIELD>` variables, never into the file, as they
do in production (README: Credentials); the block names the shipped mapping and, for
Salesforce, the emulator's CA as `ca_bundle` (its TLS certificate is self-signed).
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Final

MAPPINGS: Final = Path(__file__).resolve().parents[1] / "mappings"
OBJECTS: Final = {
    "salesforce": ["Account", "Contact", "Lead"],
    "hubspot": ["companies", "contacts"],
    "bamboohr": ["employees"],
    "partnerstack": ["partnerships", "partner_contacts", "customers"],
}


def connection_id(system: str, prefix: str = "emulated") -> str:
    return f"{prefix}_{system}"


def source_block(
    system: str, connection: str | None = None, options: Mapping[str, object] | None = None
) -> str:
    """One `sources:` entry for the emulated `system` (`options` as a YAML flow mapping)."""
    lines = [
        f"  - name: {system}",
        f"    type: {system}",
        f"    connection: {connection or connection_id(system)}",
        f"    mapping: {MAPPINGS / f'{system}.yaml'}",
        f"    objects: [{', '.join(OBJECTS[system])}]",
    ]
    if options:
        pairs = ", ".join(f"{name}: {json.dumps(value)}" for name, value in options.items())
        lines.append(f"    options: {{{pairs}}}")
    return "\n".join(lines) + "\n"


def credential_variables(connection: str, credentials: Mapping[str, str]) -> dict[str, str]:
    """The `RELHUB_CONN_<ID>_<FIELD>` variables `hub.connections` reads the fields from."""
    prefix = f"RELHUB_CONN_{connection.upper()}_"
    return {f"{prefix}{field.upper()}": value for field, value in credentials.items()}


def credential_exports(system: str, credentials: Mapping[str, str]) -> str:
    variables = credential_variables(connection_id(system), credentials)
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in variables.items())


def print_setup(system: str, credentials: Mapping[str, str], ca_bundle: Path | None = None) -> None:
    """The credentials and the source block, as a newcomer pastes them."""
    print(
        "\nIn the shell that runs relhub:\n"
        + credential_exports(system, credentials)
        + "\nIn relhub.yaml:\nsources:\n"
        + source_block(system, options={"ca_bundle": str(ca_bundle)} if ca_bundle else None)
        + "\nThen: relhub mappings validate && relhub sync\n",
        flush=True,
    )
