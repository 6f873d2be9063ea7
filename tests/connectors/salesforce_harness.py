"""The ContractHarness (harness.py) for Salesforce: a connector on Contact."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from connectors.base import ReadSpec
from connectors.salesforce import SalesforceConnector
from emulators.salesforce.faults import Faults
from emulators.salesforce.server import EmulatorConfig, SalesforceEmulator
from emulators.salesforce.store import ApiError


def connector_for(emulator: SalesforceEmulator, **options: Any) -> SalesforceConnector:
    """A connector wired to a running emulator, with test-sized retry delays."""
    settings = {
        "ca_bundle": str(emulator.ca_path),
        "base_delay_s": 0.01,
        "max_attempts": 8,
        "rate_limit_calls": 1000,
        **options,
    }
    return SalesforceConnector.from_config("salesforce", settings, emulator.credentials())


@dataclass
class SalesforceHarness:
    emulator: SalesforceEmulator
    connector: SalesforceConnector
    spec: ReadSpec

    def create(self, fields: dict[str, Any]) -> str:
        return self.emulator.store.create("Contact", {"LastName": "Contract", **fields})

    def update(self, record_id: str, fields: dict[str, Any]) -> None:
        self.emulator.store.update("Contact", record_id, fields)

    def delete(self, record_id: str) -> None:
        self.emulator.store.delete("Contact", record_id)

    def set_faults(self, *, error_rate: float = 0.0, throttle_every: int = 0) -> None:
        self.emulator.set_faults(
            Faults(seed=11, error_rate=error_rate, throttle_every=throttle_every, retry_after_s=0)
        )

    def get(self, record_id: str) -> dict[str, Any] | None:
        try:
            return self.emulator.store.get("Contact", record_id)
        except ApiError:
            return None


@contextmanager
def contract_harness() -> Iterator[SalesforceHarness]:
    with SalesforceEmulator(EmulatorConfig()) as emulator:
        connector = connector_for(emulator)
        spec = ReadSpec("Contact", "Id", "SystemModstamp", "IsDeleted")
        try:
            yield SalesforceHarness(emulator, connector, spec)
        finally:
            connector.close()
