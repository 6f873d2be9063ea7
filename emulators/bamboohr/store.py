"""The emulated company's employees and the change log behind "changed since".

Every change goes through `CompanyStore` under one lock. BambooHR keeps one
last-changed time per employee, to the second: any field change, a termination or a
deletion moves it. Deleted employees leave the employee list but stay in the change
log, so `GET /v1/employees/changed` can report them as `Deleted`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emulators.bamboohr.schema import FIELDS


def utc_now_s() -> datetime:
    """Now, truncated to the second: BambooHR's timestamps carry no fraction."""
    return datetime.now(UTC).replace(microsecond=0)


def format_time(moment: datetime) -> str:
    """BambooHR's timestamp shape: ISO 8601 with a numeric offset, `2024-05-01T10:11:12+00:00`."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()


def parse_time(value: str) -> datetime:
    """An ISO 8601 date or timestamp, as `since` and report filters take it; naive is UTC."""
    moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class UnknownField(ValueError):
    """A write named a field the company does not have (or one nobody may write)."""


@dataclass(slots=True)
class Employee:
    id: str
    fields: dict[str, str | None]
    created_at: datetime
    last_changed: datetime


@dataclass(frozen=True, slots=True)
class Change:
    """One row of the change log: `action` is Inserted, Updated or Deleted."""

    id: str
    action: str
    last_changed: datetime


class CompanyStore:
    def __init__(self, company: str = "acme", *, clock: Callable[[], datetime] = utc_now_s) -> None:
        self.company = company
        self.clock = clock
        self.lock = threading.RLock()
        self.employees: dict[str, Employee] = {}
        self.deleted: dict[str, Employee] = {}
        self._next_id = 1

    def insert(
        self,
        values: Mapping[str, Any],
        *,
        employee_id: str | None = None,
        at: datetime | None = None,
    ) -> Employee:
        _check_writable(values)
        with self.lock:
            if employee_id is None:
                employee_id = str(self._next_id)
            if employee_id.isdigit():
                self._next_id = max(self._next_id, int(employee_id) + 1)
            moment = at or self.clock()
            employee = Employee(employee_id, _text_values(values), moment, moment)
            self.employees[employee_id] = employee
            self.deleted.pop(employee_id, None)
            return employee

    def update(
        self, employee_id: str, values: Mapping[str, Any], *, at: datetime | None = None
    ) -> Employee:
        """Raises KeyError for an unknown employee, UnknownField for an unknown field."""
        _check_writable(values)
        with self.lock:
            employee = self.employees[employee_id]
            employee.fields.update(_text_values(values))
            employee.last_changed = at or self.clock()
            return employee

    def terminate(self, employee_id: str, on: str, *, at: datetime | None = None) -> Employee:
        """What an HR admin's termination does: inactive, a Terminated status, the date."""
        return self.update(
            employee_id,
            {"status": "Inactive", "employmentHistoryStatus": "Terminated", "terminationDate": on},
            at=at,
        )

    def delete(self, employee_id: str, *, at: datetime | None = None) -> None:
        with self.lock:
            employee = self.employees.pop(employee_id)
            employee.last_changed = at or self.clock()
            self.deleted[employee_id] = employee

    def get(self, employee_id: str) -> Employee | None:
        with self.lock:
            return self.employees.get(employee_id)

    def live(self) -> list[Employee]:
        with self.lock:
            return list(self.employees.values())

    def changes(self, since: datetime) -> list[Change]:
        """Employees inserted, updated or deleted at or after `since`, oldest first."""
        with self.lock:
            rows = [
                Change(e.id, "Inserted" if e.created_at >= since else "Updated", e.last_changed)
                for e in self.employees.values()
                if e.last_changed >= since
            ]
            rows += [
                Change(e.id, "Deleted", e.last_changed)
                for e in self.deleted.values()
                if e.last_changed >= since
            ]
        return sorted(rows, key=lambda c: (c.last_changed, c.id))


def _check_writable(values: Mapping[str, Any]) -> None:
    for name in values:
        field = FIELDS.get(name)
        if field is None or not field.writable:
            raise UnknownField(name)


def _text_values(values: Mapping[str, Any]) -> dict[str, str | None]:
    """BambooHR keeps every value as text; an empty string clears a field."""
    return {k: None if v in (None, "") else str(v) for k, v in values.items()}
