"""The connector contract suite's view of BambooHR: the real connector on a live emulator."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.bamboohr import BambooHRConnector
from connectors.base import ReadSpec
from emulators.bamboohr import BambooHREmulator, default_config

EMPLOYEES = ReadSpec("employees", id_field="id", modified_at_field="lastChanged")

# Contract tests check behaviour, not patience: short waits, a limit they never reach,
# and attempts enough for 2,100 one-request writes, four at a time, through the faults.
# Under the contract's faults (10 % errors, a 3-request burst every 10) a retry fails
# about 38 % of the time (measured over 6,300 writes). With 12 attempts one of 2,100 writes
# ran out about once in 60 runs (seen in CI); 40 attempts make it ~1e-13 a run, and a
# write that fails that often is still reported, at 0.01 s a retry.
FAST_OPTIONS = {
    "base_delay_s": 0.01,
    "max_delay_s": 0.2,
    "max_attempts": 40,
    "requests_per_window": 10_000,
    "page_size": 500,
}
SHARED_SECOND = 5  # seeded employees share a lastChanged second five at a time


@dataclass
class BambooHRHarness:
    """BambooHR stamps changes to the second. Seeded employees start a day back and share
    seconds (reads must break ties by id); a later change moves a second past every
    earlier one, as the sync's overlap window would make sure it is seen."""

    emulator: BambooHREmulator
    connector: BambooHRConnector
    spec: ReadSpec = EMPLOYEES
    seeded: int = 0
    clock: datetime = field(
        default_factory=lambda: datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    )

    def create(self, fields: dict[str, Any]) -> str:
        if self.seeded % SHARED_SECOND == 0:
            self.clock += timedelta(seconds=1)
        self.seeded += 1
        return self.emulator.store.insert(fields, at=self.clock).id

    def update(self, record_id: str, fields: dict[str, Any]) -> None:
        self.emulator.store.update(record_id, fields, at=self._tick())

    def delete(self, record_id: str) -> None:
        self.emulator.store.delete(record_id, at=self._tick())

    def set_faults(self, *, error_rate: float = 0.0, throttle_every: int = 0) -> None:
        self.emulator.config.error_rate = error_rate
        self.emulator.config.throttle_every = throttle_every
        self.emulator.gate.reseed()

    def get(self, record_id: str) -> dict[str, Any] | None:
        employee = self.emulator.store.get(record_id)
        return None if employee is None else dict(employee.fields)

    def _tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        self.seeded = 0  # the next create starts a second of its own
        return self.clock


def connector_for(emulator: BambooHREmulator, **options: Any) -> BambooHRConnector:
    """A connector wired to `emulator` the way relhub.yaml and a connection would."""
    credentials = {
        "company": emulator.store.company,
        "api_key": emulator.api_key,
        "base_url": emulator.base_url,
    }
    return BambooHRConnector.from_config("bamboohr", {**FAST_OPTIONS, **options}, credentials)


@contextmanager
def contract_harness() -> Iterator[BambooHRHarness]:
    config = default_config()
    config.retry_after_s = 0.01
    config.rate_limit = 100_000
    with BambooHREmulator(config=config) as emulator:
        connector = connector_for(emulator)
        try:
            yield BambooHRHarness(emulator, connector)
        finally:
            connector.close()
