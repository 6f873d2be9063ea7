"""The ContractHarness (harness.py) for file exports: a CSV in a temporary folder.

A file source has no server to stand in for: the "source system" is the export itself.
Creating a record appends a row, as an export that grows between syncs does; changing
or deleting one rewrites the file with the row's `updated` time bumped (a deletion sets
the `deleted` flag, the way the file connector's `deletion: flag` exports report it).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.base import ReadSpec
from connectors.files import FileConnector, FileObject

COLUMNS = ("id", "name", "email", "updated", "deleted")
PEOPLE = ReadSpec("people", id_field="id", modified_at_field="updated", deleted_field="deleted")
PAGE_SIZE = 100  # small pages, so a read of a few hundred rows spans several
_NEVER = datetime.min.replace(tzinfo=UTC)
FAULTS_UNSUPPORTED = "a file export is read from disk: there is no transport to fail"


@dataclass
class FileHarness:
    path: Path
    connector: FileConnector
    spec: ReadSpec = PEOPLE
    rows: dict[str, dict[str, str]] = field(default_factory=dict)
    _last_stamp: datetime = _NEVER

    def create(self, fields: dict[str, Any]) -> str:
        record_id = f"P{len(self.rows) + 1:07d}"
        self.rows[record_id] = self._row(
            {"id": record_id, "name": "", "email": "", "deleted": "false", **fields}
        )
        with self.path.open("a", newline="", encoding="utf-8") as handle:
            csv.DictWriter(handle, fieldnames=COLUMNS).writerow(self.rows[record_id])
        return record_id

    def update(self, record_id: str, fields: dict[str, Any]) -> None:
        self.rows[record_id] = self._row({**self._live(record_id), **fields})
        self._rewrite()

    def delete(self, record_id: str) -> None:
        self.update(record_id, {"deleted": "true"})

    def set_faults(self, *, error_rate: float = 0.0, throttle_every: int = 0) -> None:
        """A no-op: see FAULTS_UNSUPPORTED."""

    def get(self, record_id: str) -> dict[str, Any] | None:
        row = self.rows.get(record_id)
        return None if row is None or row["deleted"] == "true" else dict(row)

    def _live(self, record_id: str) -> dict[str, str]:
        if self.get(record_id) is None:
            raise KeyError(f"no live record {record_id!r} in {self.path.name}")
        return self.rows[record_id]

    def _row(self, values: dict[str, Any]) -> dict[str, str]:
        """A row stamped with a strictly increasing `updated`, as a source's clock would be."""
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise KeyError(f"{self.path.name} has no column(s) {sorted(unknown)}")
        now = datetime.now(UTC)
        self._last_stamp = max(now, self._last_stamp + timedelta(milliseconds=1))
        stamp = self._last_stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {name: str(values.get(name, "")) for name in COLUMNS} | {"updated": stamp}

    def _rewrite(self) -> None:
        with self.path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(self.rows.values())


@contextmanager
def contract_harness() -> Iterator[FileHarness]:
    with tempfile.TemporaryDirectory(prefix="relhub-files-") as folder:
        path = Path(folder) / "people.csv"
        path.write_text(",".join(COLUMNS) + "\n", encoding="utf-8")
        connector = FileConnector(
            "files", {PEOPLE.object: FileObject(path, "csv")}, page_size=PAGE_SIZE
        )
        try:
            yield FileHarness(path, connector)
        finally:
            connector.close()
