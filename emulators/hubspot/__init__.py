"""A local stand-in for HubSpot's CRM v3 API: contacts and companies over real HTTP.

    with HubSpotEmulator(config=EmulatorConfig(error_rate=0.1)) as hub:
        generate(hub.store, contacts=100)
        ... point hubspot-api-client at hub.base_url with hub.token ...

`serve()` runs one until interrupted (`relhub emulate hubspot --port N --data FILE`).
"""

from __future__ import annotations

from emulators.gate import EmulatorConfig, LoggedRequest, RequestLog
from emulators.hubspot.seed import generate, load_data_file
from emulators.hubspot.server import DEFAULT_TOKEN, HubSpotEmulator, serve
from emulators.hubspot.store import CrmStore
from emulators.hubspot.tiers import tier_config

__all__ = [
    "DEFAULT_TOKEN",
    "CrmStore",
    "EmulatorConfig",
    "HubSpotEmulator",
    "LoggedRequest",
    "RequestLog",
    "generate",
    "load_data_file",
    "serve",
    "tier_config",
]
