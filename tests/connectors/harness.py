"""What the connector contract suite needs from each emulator.

Each system's `*_harness.py` beside this module offers a `contract_harness()` context
manager yielding an object of this shape: a connector wired to a running emulator, and a
back door into the emulator's state so a test can change the "source system" behind the
connector's back.
"""

from __future__ import annotations

from typing import Any, Protocol

from connectors.base import Connector, ReadSpec


class ContractHarness(Protocol):
    connector: Connector
    spec: ReadSpec
    """A person-like object the suite reads and writes; `spec.fields` may be None."""

    def create(self, fields: dict[str, Any]) -> str:
        """Insert a record straight into the emulator's state; return its id."""
        ...

    def update(self, record_id: str, fields: dict[str, Any]) -> None:
        """Change a record in the emulator's state, bumping its modified time."""
        ...

    def delete(self, record_id: str) -> None:
        """Delete a record in the emulator's state so that reads report the deletion."""
        ...

    def set_faults(self, *, error_rate: float = 0.0, throttle_every: int = 0) -> None:
        """Inject faults: a fraction of 500/503 answers, and a 429 burst every N requests."""
        ...

    def get(self, record_id: str) -> dict[str, Any] | None:
        """The record as the emulator holds it now (None once deleted)."""
        ...
