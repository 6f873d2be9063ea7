"""A local stand-in for HubSpot's CRM v3 API: contacts and companies over real HTTP.

    with HubSpotEmulator(config=EmulatorConfig(error_rate=0.1)) as hub:
        generate(hub.store, contacts=100)
        ... point hubspot-api-client at hub.base_url with hub.token ...

`serve()` runs one until interrupted (`relhub emulate hubspot --port N --data FILE`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from emulators.hubspot.gate import EmulatorConfig, LoggedRequest, RequestLog
from emulators.hubspot.seed import generate, load_data_file
from emulators.hubspot.server import DEFAULT_TOKEN, HubSpotEmulator, serve
from emulators.hubspot.store import CrmStore

__all__ = [
    "DEFAULT_TOKEN",
    "CrmStore",
    "EmulatorConfig",
    "HubSpotEmulator",
    "LoggedRequest",
    "RequestLog",
    "contract_harness",
    "generate",
    "load_data_file",
    "serve",
]


def contract_harness() -> AbstractContextManager[Any]:
    """The ContractHarness over contacts (emulators/harness.py); imports the connector lazily
    so that serving the emulator does not load hubspot-api-client."""
    from emulators.hubspot.harness import contract_harness as harness

    return harness()
