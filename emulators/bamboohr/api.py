"""BambooHR's employee endpoints as plain functions of the store.

No sockets here: `CompanyApi.handle` takes a method, the path below
`/api/gateway.php/{company}/v1/`, the query and the raw body, and returns a status and
a JSON-able body shaped as BambooHR documents them. BambooHR reports errors in the
`X-BambooHR-Error-Message` header over an empty body; `Reply.error` carries that text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulators.bamboohr.schema import DIRECTORY_FIELDS, EMPTY_DATE, FIELDS, field_for
from emulators.bamboohr.store import CompanyStore, Employee, UnknownField, format_time, parse_time

Query = Mapping[str, Sequence[str]]
CHANGE_TYPES = ("inserted", "updated", "deleted", "all")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any = None  # None: an empty body
    error: str | None = None  # the X-BambooHR-Error-Message header


def refuse(status: int, message: str) -> Reply:
    return Reply(status, None, message)


class CompanyApi:
    def __init__(self, store: CompanyStore, *, directory_shared: bool = True) -> None:
        self.store = store
        self.directory_shared = directory_shared
        self.updates: list[tuple[str, bytes]] = []  # (employee id, request body) applied
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Reply]]] = [
            ("GET", re.compile(r"meta/fields/?"), self._fields),
            ("GET", re.compile(r"employees/directory/?"), self._directory),
            ("GET", re.compile(r"employees/changed/?"), self._changed),
            ("GET", re.compile(r"employees/(\d+)/?"), self._employee),
            ("GET", re.compile(r"employees/(\d+)/tables/employmentStatus/?"), self._statuses),
            ("POST", re.compile(r"employees/(\d+)/?"), self._update),
            ("POST", re.compile(r"reports/custom/?"), self._custom_report),
        ]

    def handle(self, method: str, path: str, query: Query, raw: bytes) -> Reply:
        for verb, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and verb == method:
                return handler(*match.groups(), query=query, raw=raw)
        return refuse(404, f"No such resource: {method} {path}")

    # --- reads --------------------------------------------------------------------------
    def _fields(self, *, query: Query, raw: bytes) -> Reply:
        return Reply(200, [field.to_api() for field in FIELDS.values()])

    def _directory(self, *, query: Query, raw: bytes) -> Reply:
        """Active employees only, and only if the company shares its directory."""
        if not self.directory_shared:
            return refuse(403, "The directory has not been shared company-wide.")
        fields = [
            {"id": name, "type": kind, "name": label} for name, kind, label in DIRECTORY_FIELDS
        ]
        people = [
            {
                "id": e.id,
                "displayName": _display_name(e),
                **{name: e.fields.get(name) for name, _, _ in DIRECTORY_FIELDS[1:]},
            }
            for e in sorted(self.store.live(), key=lambda e: int(e.id))
            if e.fields.get("status", "Active") == "Active"
        ]
        return Reply(200, {"fields": fields, "employees": people})

    def _employee(self, employee_id: str, *, query: Query, raw: bytes) -> Reply:
        names = [n for value in query.get("fields", []) for n in value.split(",") if n]
        if not names:
            return refuse(400, "The fields parameter is required.")
        unknown = [n for n in names if n != "id" and field_for(n) is None]
        if unknown:
            return refuse(400, f"Invalid field(s): {', '.join(unknown)}")
        employee = self.store.get(employee_id)
        if employee is None:
            return refuse(404, f"Employee {employee_id} not found.")
        return Reply(200, {"id": employee.id, **_values(employee, names)})

    def _statuses(self, employee_id: str, *, query: Query, raw: bytes) -> Reply:
        """The employment status history: hired on the hire date, and terminated on the
        termination date when there is one."""
        employee = self.store.get(employee_id)
        if employee is None:
            return refuse(404, f"Employee {employee_id} not found.")
        fields = employee.fields
        rows = [(fields.get("hireDate"), "Full-Time")]
        if fields.get("terminationDate"):
            rows.append((fields["terminationDate"], "Terminated"))
        return Reply(
            200,
            [
                {
                    "id": str(number),
                    "employeeId": employee.id,
                    "date": on or EMPTY_DATE,
                    "employmentStatus": status,
                }
                for number, (on, status) in enumerate(rows, start=1)
            ],
        )

    def _changed(self, *, query: Query, raw: bytes) -> Reply:
        since = _since(_first(query, "since"))
        if since is None:
            return refuse(400, "The since parameter must be an ISO 8601 timestamp.")
        kind = (_first(query, "type") or "all").lower()
        if kind not in CHANGE_TYPES:
            return refuse(400, f"Invalid type {kind!r}; expected one of {', '.join(CHANGE_TYPES)}.")
        changes = [
            c for c in self.store.changes(since) if kind == "all" or c.action.lower() == kind
        ]
        employees = {
            c.id: {"id": c.id, "action": c.action, "lastChanged": format_time(c.last_changed)}
            for c in changes
        }
        latest = format_time(changes[-1].last_changed) if changes else None
        return Reply(200, {"latest": latest, "employees": employees})

    def _custom_report(self, *, query: Query, raw: bytes) -> Reply:
        """Every employee, active or not (unlike the UI), optionally changed since a time."""
        if (_first(query, "format") or "").upper() != "JSON":
            return refuse(400, "This emulator produces reports in format=JSON only.")
        body = _json(raw)
        if not isinstance(body, dict) or not isinstance(body.get("fields"), list):
            return refuse(400, "The report request needs a list of fields.")
        names = [str(name) for name in body["fields"]]
        unknown = [n for n in names if n != "id" and field_for(n) is None]
        if unknown:
            return refuse(400, f"Invalid field(s): {', '.join(unknown)}")
        changed = ((body.get("filters") or {}).get("lastChanged") or {}).get("value")
        since = _since(changed) if changed else None
        if changed and since is None:
            return refuse(400, "filters.lastChanged.value must be an ISO 8601 timestamp.")
        employees = [
            {"id": e.id, **_values(e, names)}
            for e in sorted(self.store.live(), key=lambda e: int(e.id))
            if since is None or e.last_changed >= since
        ]
        fields = [_report_field(n) for n in names]
        return Reply(
            200, {"title": body.get("title") or "", "fields": fields, "employees": employees}
        )

    # --- writes -------------------------------------------------------------------------
    def _update(self, employee_id: str, *, query: Query, raw: bytes) -> Reply:
        body = _json(raw)
        if not isinstance(body, dict):
            return refuse(400, "The request body must be a JSON object of field values.")
        for name, value in body.items():
            field = FIELDS.get(name)
            if field is not None and field.type == "date" and value and not _DATE.match(str(value)):
                return refuse(400, f"Invalid date for {name}: {value!r} (expected YYYY-MM-DD)")
        try:
            self.store.update(employee_id, body)
        except KeyError:
            return refuse(404, f"Employee {employee_id} not found.")
        except UnknownField as error:
            return refuse(400, f"Invalid field: {error}")
        self.updates.append((employee_id, raw))
        return Reply(200)


def _values(employee: Employee, names: Sequence[str]) -> dict[str, Any]:
    """Requested fields keyed as requested (alias or numeric id), BambooHR-shaped."""
    values: dict[str, Any] = {}
    for name in names:
        field = field_for(name)
        if field is None:
            continue
        if field.alias == "lastChanged":
            values[name] = format_time(employee.last_changed)
            continue
        value = employee.fields.get(field.alias)
        values[name] = EMPTY_DATE if value is None and field.type == "date" else value
    return values


def _report_field(name: str) -> dict[str, str]:
    field = field_for(name)
    if field is None:
        return {"id": "id", "type": "int", "name": "EE #"}
    return {"id": name, "type": field.type, "name": field.name}


def _display_name(employee: Employee) -> str:
    given = employee.fields.get("preferredName") or employee.fields.get("firstName") or ""
    return f"{given} {employee.fields.get('lastName') or ''}".strip()


def _first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _since(value: str | None) -> datetime | None:
    """The parsed timestamp, or None when it is missing or unreadable."""
    if not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
