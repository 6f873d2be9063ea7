"""The connector contract suite's view of PartnerStack: the real connector on a live emulator.

The person-like object is `partnerships`, whose primary contact's `first_name` the suite
changes; PartnerStack is read-only here, so the suite expects every write refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from connectors.base import ReadSpec
from connectors.partnerstack import PartnerStackConnector
from emulators.partnerstack import PartnerStackEmulator, partnerstack_limits

PARTNERSHIPS = ReadSpec("partnerships", id_field="key", modified_at_field="updated_at")

# Contract tests check behaviour, not patience: short waits; pages of 100 give the faults
# a few dozen requests to hit.
FAST_OPTIONS = {"base_delay_s": 0.01, "max_delay_s": 0.2, "max_attempts": 8, "page_size": 100}


@dataclass
class PartnerStackHarness:
    emulator: PartnerStackEmulator
    connector: PartnerStackConnector
    spec: ReadSpec = PARTNERSHIPS

    def create(self, fields: dict[str, Any]) -> str:
        body = {"partner_key": "", "email": "", "last_name": "", "team": {"members": []}}
        return self.emulator.store.insert("partnerships", {**body, **fields}).key

    def update(self, record_id: str, fields: dict[str, Any]) -> None:
        self.emulator.store.update("partnerships", record_id, fields)

    def delete(self, record_id: str) -> None:
        self.emulator.store.archive("partnerships", record_id)

    def set_faults(self, *, error_rate: float = 0.0, throttle_every: int = 0) -> None:
        self.emulator.config.error_rate = error_rate
        self.emulator.config.throttle_every = throttle_every
        self.emulator.gate.reseed()

    def get(self, record_id: str) -> dict[str, Any] | None:
        item = self.emulator.store.find("partnerships", record_id)
        return None if item is None or item.archived else item.render()


def connector_for(emulator: PartnerStackEmulator, **options: Any) -> PartnerStackConnector:
    """A connector wired to `emulator` the way relhub.yaml would configure it."""
    return PartnerStackConnector.from_config(
        "partnerstack", {**FAST_OPTIONS, **options}, emulator.credentials()
    )


@contextmanager
def contract_harness() -> Iterator[PartnerStackHarness]:
    with PartnerStackEmulator(config=partnerstack_limits(retry_after_s=0.01)) as emulator:
        connector = connector_for(emulator, reconcile_every_s=0)  # deletions on every read
        try:
            yield PartnerStackHarness(emulator, connector)
        finally:
            connector.close()
