"""A local stand-in for PartnerStack's vendor API v2: groups, partnerships, customers.

    with PartnerStackEmulator(config=partnerstack_limits(error_rate=0.1)) as program:
        generate(program.store, people=2_000)
        ... point the connector at program.credentials() ...

`serve()` runs one until interrupted (`relhub emulate partnerstack --port N --data FILE`).
"""

from __future__ import annotations

from pathlib import Path

from emulators.onboarding import print_setup
from emulators.partnerstack.seed import SeededProgram, enrol, generate, load_data_file
from emulators.partnerstack.server import (
    PUBLIC_KEY,
    SECRET_KEY,
    PartnerStackEmulator,
    partnerstack_limits,
)
from emulators.partnerstack.store import ProgramStore

__all__ = [
    "PUBLIC_KEY",
    "SECRET_KEY",
    "PartnerStackEmulator",
    "ProgramStore",
    "SeededProgram",
    "enrol",
    "generate",
    "load_data_file",
    "partnerstack_limits",
    "serve",
]


def serve(port: int, data_file: Path | None, *, host: str = "127.0.0.1") -> None:
    """Run until interrupted: seeded from `data_file`, or from the synthetic company."""
    store = ProgramStore()
    if data_file is not None:
        loaded = f"{load_data_file(store, data_file)} items"
    else:
        seeded = generate(store)
        loaded = f"{len(seeded.partnerships)} partnerships, {len(seeded.customers)} customers"
    emulator = PartnerStackEmulator(store=store, host=host, port=port)
    print_setup("partnerstack", emulator.credentials())
    emulator.serve_until_interrupted(f"PartnerStack emulator on {emulator.base_url} ({loaded})")
