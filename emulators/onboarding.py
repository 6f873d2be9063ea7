"""What `relhub emulate` prints beside its banner: every credential the stand-in accepts
and a `relhub.yaml` source block for it, ready to paste.

Credentials go into `RELHUB_CONN_<ID>_<FIELD>` variables, never into the file, as they
do in production (README: Credentials); the block names the shipped mapping and, for
Salesforce, the emulator's CA as `ca_bundle` (its TLS certificate is self-signed).
"""

from __future__ import annotations

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


def connection_id(system: str) -> str:
    return f"emulated_{system}"


def source_block(system: str, ca_bundle: Path | None = None) -> str:
    """One `sources:` entry for the emulated `system`."""
    lines = [
        f"  - name: {system}",
        f"    type: {system}",
        f"    connection: {connection_id(system)}",
        f"    mapping: {MAPPINGS / f'{system}.yaml'}",
        f"    objects: [{', '.join(OBJECTS[system])}]",
    ]
    if ca_bundle is not None:
        lines.append(f'    options: {{ca_bundle: "{ca_bundle}"}}')
    return "\n".join(lines) + "\n"


def credential_exports(system: str, credentials: Mapping[str, str]) -> str:
    prefix = f"RELHUB_CONN_{connection_id(system).upper()}_"
    return "".join(
        f"export {prefix}{field.upper()}={shlex.quote(value)}\n"
        for field, value in credentials.items()
    )


def print_setup(system: str, credentials: Mapping[str, str], ca_bundle: Path | None = None) -> None:
    """The credentials and the source block, as a newcomer pastes them."""
    print(
        "\nIn the shell that runs relhub:\n"
        + credential_exports(system, credentials)
        + "\nIn relhub.yaml:\nsources:\n"
        + source_block(system, ca_bundle)
        + "\nThen: relhub mappings validate && relhub sync\n",
        flush=True,
    )
