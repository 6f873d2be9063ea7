"""The connector contract suite's view of HubSpot: the real connector on a live emulator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from connectors.base import ReadSpec
from connectors.hubspot import HubSpotConnector
from emulators.gate import EmulatorConfig
from emulators.hubspot.server import HubSpotEmulator

CONTACTS = ReadSpec("contacts", id_field="hs_object_id", modified_at_field="lastmodifieddate")

# Contract tests check behaviour, not patience: short waits, no lag behind the clock.
FAST_OPTIONS = {
    "base_delay_s": 0.01,
    "max_delay_s": 0.2,
    "max_attempts": 8,
    "consistency_lag_s": 0,
    "search_requests_per_second": 40,
}


@dataclass
class HubSpotHarness:
    emulator: HubSpotEmulator
    connector: HubSpotConnector
    spec: ReadSpec = CONTACTS

    def create(self, fields: dict[str, Any]) -> str:
        return self.emulator.store.insert("contacts", fields).id

    def update(self, record_id: str, fields: dict[str, Any]) -> None:
        self.emulator.store.update("contacts", record_id, fields, validate=False)

    def delete(self, record_id: str) -> None:
        self.emulator.store.archive("contacts", record_id)

    def set_faults(self, *, error_rate: float = 0.0, throttle_every: int = 0) -> None:
        self.emulator.config.error_rate = error_rate
        self.emulator.config.throttle_every = throttle_every
        self.emulator.gate.reseed()

    def get(self, record_id: str) -> dict[str, Any] | None:
        record = self.emulator.store.resolve("contacts", record_id)
        return None if record is None else dict(record.properties)


def connector_for(emulator: HubSpotEmulator, **options: Any) -> HubSpotConnector:
    """A connector wired to `emulator` the way relhub.yaml would configure it."""
    credentials = {"access_token": emulator.token, "base_url": emulator.base_url}
    return HubSpotConnector.from_config("hubspot", {**FAST_OPTIONS, **options}, credentials)


@contextmanager
def contract_harness() -> Iterator[HubSpotHarness]:
    config = EmulatorConfig(retry_after_s=0.01, search_rate_limit=50)
    with HubSpotEmulator(config=config) as emulator:
        connector = connector_for(emulator, reconcile_every_s=0)  # deletions on every read
        try:
            yield HubSpotHarness(emulator, connector)
        finally:
            connector.close()
