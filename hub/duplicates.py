"""Duplicate ids within one export: one row per id is stored, the others quarantined.

An export that lists an id twice says two things about one record. When the rows' change
times order them the newest wins; otherwise the first row in the file does, so that an
incremental and a `--full` sync agree. Every other row is quarantined with a reason naming
the line whose version is kept, under an entry of its own (id and line): it stays open
while the export repeats the id, and it never closes the record's own entry.
"""

from __future__ import annotations

from datetime import datetime

from hub.page_mapping import MappedPage
from hub.store.quarantine import QuarantineEntry, quarantine_entry
from hub.store.snapshots import SnapshotRow


class DuplicateIds:
    """Screens the pages of one read of an export, in read order, for repeated ids."""

    def __init__(self) -> None:
        # id -> change time and line of the row whose version stands, and the number of
        # the page it came in (a row replaced in its own page is never stored)
        self.kept: dict[str, tuple[datetime | None, int | None, int]] = {}
        self.pages = 0

    def screen(self, page: MappedPage) -> None:
        """Move the page's rows that another row of the export outranks to its quarantine."""
        self.pages += 1
        rows: dict[str, SnapshotRow] = {}
        for row in page.rows:
            known = self.kept.get(row.source_id)
            if known is None or _newer(row.modified_at, known[0]):
                if known is not None and known[2] == self.pages:
                    page.quarantine.append(_superseded(rows[row.source_id], row.line))
                rows[row.source_id] = row
                self.kept[row.source_id] = (row.modified_at, row.line, self.pages)
            else:
                page.quarantine.append(_outranked(row, known[0], known[1]))
        page.rows = list(rows.values())


def _newer(time: datetime | None, than: datetime | None) -> bool:
    return time is not None and than is not None and time > than


def _superseded(row: SnapshotRow, by_line: int | None) -> QuarantineEntry:
    return _entry(row, f"duplicate id {row.source_id!r}: line {by_line} has a newer version")


def _outranked(
    row: SnapshotRow, kept_time: datetime | None, kept_line: int | None
) -> QuarantineEntry:
    if _newer(kept_time, row.modified_at):
        why = f"line {kept_line} has a newer version"
    else:
        why = f"line {kept_line} has it too, with no later change time; its version is kept"
    return _entry(row, f"duplicate id {row.source_id!r}: {why}")


def _entry(row: SnapshotRow, reason: str) -> QuarantineEntry:
    return quarantine_entry(
        row.source_id,
        f"line {row.line}: {reason}" if row.line else reason,
        row.payload,
        key=f"dup:{row.source_id}:{row.line}",
        line=row.line,
        modified_at=row.modified_at,
    )
