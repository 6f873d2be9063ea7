"""BambooHR connector (employees) on BambooHR's REST API, over requests.

Credentials (RELHUB_CONN_<ID>_<FIELD> variables or an Airflow connection; never logged):
  company    the company domain: `acme` for https://acme.bamboohr.com (required)
  api_key    an API key; BambooHR takes it as the HTTP Basic user name (required; an
             Airflow connection's password)
  base_url   the API gateway, default https://api.bamboohr.com/api/gateway.php; the
             emulator's URL in tests
Options (relhub.yaml, all optional):
  requests_per_window / window_s   client-side limit, default 90 per 10 s (BambooHR
                                   publishes no limit and throttles with 503 + Retry-After)
  page_size                        records per page handed to the sync, default 500
  write_concurrency                updates in flight at once, default 4 (one request each)
  max_attempts, base_delay_s, max_delay_s, timeout_s   retry policy and request timeout
Unknown options are refused, naming the known ones.

Reads: BambooHR's list endpoints do not page; a read is two requests. An incremental read
asks `GET /v1/employees/changed?since=` for what was deleted since the watermark, and one
custom report (`POST /v1/reports/custom`, filtered on lastChanged, asked for after the
change list so it is at least as recent) for the fields of every employee inserted or
updated; an employee the change list names and the report lacks was deleted in between,
and that deletion is in the next read's change list. A full read is the
report without the filter: every employee, active or terminated, as a snapshot whose
absentees the sync marks deleted. Records go out sorted by (lastChanged, id) in pages of
`page_size`, each page a checkpoint. BambooHR stamps changes to the second: a change made
later within a checkpoint's second is what the sync's overlap window re-reads.
Terminations are fields (`status` Inactive, `terminationDate`); BambooHR's empty date
`0000-00-00` is read as no value.
Writes: `POST /v1/employees/{id}` per request, a few in flight, one `WriteResult` each.
BambooHR cannot upsert by another field, so a request without a record id is rejected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

import requests
from more_itertools import chunked

from connectors.base import (
    AuthenticationError,
    ConnectorError,
    FieldSchema,
    FieldType,
    ObjectSchema,
    Page,
    ReadSpec,
    Reject,
    SourceRecord,
    TransientError,
    Watermark,
    WriteRequest,
    WriteResult,
    WriteStatus,
    after_cursor,
    error_reason,
    parse_timestamp,
    write_unchanged,
)
from connectors.http import DEFAULT_TIMEOUT_S, RateLimiter, Retrier, RetryPolicy, parse_retry_after
from connectors.options import ApiOptions

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.bamboohr.com/api/gateway.php"
OBJECT = "employees"
ID_FIELD = "id"
MODIFIED_FIELD = "lastChanged"
EMPTY_DATE = "0000-00-00"
PAGE_SIZE = 500
_TRANSIENT = frozenset({429, 500, 502, 503, 504})
_TYPES = {
    "email": FieldType.EMAIL,
    "phone": FieldType.PHONE,
    "date": FieldType.DATE,
    "timestamp": FieldType.DATETIME,
    "list": FieldType.PICKLIST,
    "status": FieldType.PICKLIST,
    "int": FieldType.INTEGER,
    "bool": FieldType.BOOLEAN,
    "textarea": FieldType.TEXT,
}


@dataclass(frozen=True)
class BambooHROptions(ApiOptions):
    label: ClassVar[str] = "BambooHR"

    requests_per_window: int = 90
    window_s: float = 10.0
    page_size: int = PAGE_SIZE
    write_concurrency: int = 4


class BambooHRConnector:
    system: str
    max_write_batch = 100  # one request per employee; the batch only bounds a push step

    def __init__(
        self,
        system: str,
        api_root: str,
        api_key: str,
        *,
        limiter: RateLimiter,
        policy: RetryPolicy,
        page_size: int = PAGE_SIZE,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        write_concurrency: int = 4,
    ) -> None:
        self.system = system
        self.page_size = page_size
        self._root = api_root
        self._timeout_s = timeout_s
        self._retrier = Retrier(policy, limiter=limiter)
        self._session = requests.Session()
        self._session.auth = (api_key, "x")  # BambooHR ignores the password
        self._session.headers["Accept"] = "application/json"
        self._schema: ObjectSchema | None = None
        # One request per employee: with ~50 ms round trips, one at a time is slow; the
        # shared limiter still caps the rate.
        self._workers = ThreadPoolExecutor(max_workers=write_concurrency)

    @classmethod
    def from_config(
        cls, system: str, options: Mapping[str, Any], credentials: Mapping[str, str]
    ) -> BambooHRConnector:
        company = credentials.get("company") or credentials.get("schema")
        api_key = credentials.get("api_key") or credentials.get("password")
        if not company or not api_key:
            raise ConnectorError(f"{system}: BambooHR credentials need a company and an api_key")
        base_url = (credentials.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        parsed = BambooHROptions.from_mapping(options)
        return cls(
            system,
            f"{base_url}/{company}/v1",
            api_key,
            limiter=RateLimiter(parsed.requests_per_window, parsed.window_s),
            policy=parsed.retry_policy(),
            page_size=parsed.page_size,
            timeout_s=parsed.timeout_s,
            write_concurrency=parsed.write_concurrency,
        )

    # --- schema -------------------------------------------------------------------------
    def discover(self, object_name: str) -> ObjectSchema:
        """The company's fields by alias (custom ones included), from `GET /v1/meta/fields`."""
        _check_object(object_name)
        if self._schema is None:
            listed = self._call("GET", "meta/fields", what="meta fields")
            fields = {ID_FIELD: FieldSchema(ID_FIELD, FieldType.ID, "Employee id")}
            for raw in listed or []:
                name = str(raw.get("alias") or raw["id"])
                fields[name] = FieldSchema(
                    name,
                    _TYPES.get(str(raw.get("type")), FieldType.STRING),
                    str(raw.get("name") or ""),
                    custom=name.startswith("custom"),
                )
            self._schema = ObjectSchema(self.system, OBJECT, fields)
        return self._schema

    # --- reads --------------------------------------------------------------------------
    def read_changes(
        self, spec: ReadSpec, since: Watermark | None, *, full: bool = False
    ) -> Iterator[Page]:
        _check_object(spec.object)
        names = self._field_names(spec)
        if full or since is None:
            rows = self._report(names, None)
            records, rejects = self._records(spec, rows)
            yield from self._pages(records, rejects, snapshot=full)
            return
        deletions = [
            {ID_FIELD: employee_id, MODIFIED_FIELD: change.get("lastChanged")}
            for employee_id, change in self._changes(since.modified_at, "deleted").items()
        ]
        rows = self._report(names, since.modified_at)
        records, rejects = self._records(spec, rows)
        gone, unreadable = self._records(spec, deletions, deleted=True)
        yield from self._pages(
            after_cursor([*records, *gone], since), [*rejects, *unreadable], snapshot=False
        )

    def _field_names(self, spec: ReadSpec) -> list[str]:
        schema = self.discover(spec.object).fields
        wanted = list(spec.fields) if spec.fields is not None else list(schema)
        return [n for n in dict.fromkeys([*wanted, MODIFIED_FIELD]) if n != ID_FIELD]

    def _changes(self, since: datetime, kind: str) -> dict[str, dict[str, Any]]:
        """Employees inserted, updated or deleted (`kind`) since `since`, by id, each with
        its lastChanged."""
        body = self._call(
            "GET",
            "employees/changed",
            params={"since": _since(since), "type": kind},
            what=f"{kind} employees",
        )
        return dict((body or {}).get("employees") or {})

    def _report(self, names: list[str], since: datetime | None) -> list[dict[str, Any]]:
        request: dict[str, Any] = {"title": "relhub sync", "fields": names}
        if since is not None:
            request["filters"] = {"lastChanged": {"includeNull": "no", "value": _since(since)}}
        body = self._call(
            "POST",
            "reports/custom",
            params={"format": "JSON", "onlyCurrent": "true"},
            json=request,
            what="custom report",
        )
        return list((body or {}).get("employees") or [])

    def _records(
        self, spec: ReadSpec, rows: Iterable[Mapping[str, Any]], *, deleted: bool = False
    ) -> tuple[list[SourceRecord], list[Reject]]:
        schema = self.discover(spec.object).fields
        records, rejects = [], []
        for row in rows:
            try:
                employee_id = str(row["id"])
                changed = parse_timestamp(row[MODIFIED_FIELD])
            except (KeyError, ValueError) as error:
                reason = f"unreadable BambooHR employee: {type(error).__name__} {error}"
                rejects.append(Reject(reason, dict(row), str(row.get("id") or "") or None))
                continue
            fields = {name: _value(value, schema.get(name)) for name, value in row.items()}
            record = SourceRecord(self.system, spec.object, employee_id, changed, deleted, fields)
            records.append(record)
        return records, rejects

    def _pages(
        self, records: Iterable[SourceRecord], rejects: list[Reject], *, snapshot: bool
    ) -> Iterator[Page]:
        """Sorted by (lastChanged, id) and cut into pages; each page's last record is its
        checkpoint, since everything before it in that order is already in hand."""
        ordered = sorted(records, key=lambda r: (r.modified_at, r.id))
        chunks = list(chunked(ordered, self.page_size)) or [[]]
        for number, chunk in enumerate(chunks):
            last = number == len(chunks) - 1
            yield Page(
                records=list(chunk),
                rejects=rejects if last else [],
                checkpoint=chunk[-1].cursor if chunk else None,
                snapshot=snapshot,
                snapshot_complete=snapshot and last,
            )

    # --- writes -------------------------------------------------------------------------
    def write_batch(self, object_name: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """One update per employee, side by side; an employee changed since it was read is
        not sent."""
        _check_object(object_name)
        return write_unchanged(
            requests, self._stamps, lambda fresh: list(self._workers.map(self._write, fresh))
        )

    def _stamps(self, field: str | None, expected: Mapping[str, datetime]) -> dict[str, datetime]:
        """lastChanged now of the employees changed since the earliest read among them: one
        request for the batch (lastChanged is an employee's only change time). A deleted
        employee is left out, so its update answers not found; one created since that
        earliest read is listed as inserted, not updated, so every kind is asked for."""
        changed = self._changes(min(expected.values()), "all") if expected else {}
        return {
            employee_id: parse_timestamp(change["lastChanged"])
            for employee_id, change in changed.items()
            if employee_id in expected
            and change.get("lastChanged")
            and change.get("action") != "Deleted"
        }

    def _write(self, request: WriteRequest) -> WriteResult:
        if not request.record_id:
            reason = "BambooHR updates employees by id only; it cannot upsert by another field"
            return WriteResult(WriteStatus.REJECTED, None, reason)
        values = {k: v for k, v in request.fields.items() if k not in (ID_FIELD, MODIFIED_FIELD)}
        try:
            self._call(
                "POST",
                f"employees/{request.record_id}",
                json=values,
                what=f"update employee {request.record_id}",
            )
        except _NotFound as missing:
            return WriteResult(WriteStatus.NOT_FOUND, request.record_id, str(missing))
        except _Refused as refused:
            return WriteResult(WriteStatus.REJECTED, request.record_id, str(refused))
        return WriteResult(WriteStatus.WRITTEN, request.record_id)

    # --- transport ----------------------------------------------------------------------
    def _call(self, method: str, path: str, *, what: str, **kwargs: Any) -> Any:
        """One request through the limiter and the Retrier; the decoded JSON (None if empty)."""

        def attempt() -> Any:
            try:
                response = self._session.request(
                    method, f"{self._root}/{path}", timeout=self._timeout_s, **kwargs
                )
                content = response.content  # a body cut off mid-way raises here
            except requests.RequestException as error:
                raise TransientError(f"{what}: {type(error).__name__}") from None
            if response.status_code >= 400:
                raise _failure(response, what)
            try:
                return json.loads(content) if content else None
            except ValueError:
                raise TransientError(f"{what}: unreadable JSON body") from None

        return self._retrier.call(attempt, what=what)

    def close(self) -> None:
        self._workers.shutdown(wait=True)
        self._session.close()


class _Refused(ConnectorError):
    """BambooHR refused this one request (400, 403, 406, 409): retrying will not help."""


class _NotFound(_Refused):
    """404: no such employee (or resource)."""


def _failure(response: requests.Response, what: str) -> ConnectorError:
    """BambooHR's error: the status, and the reason in the X-BambooHR-Error-Message header
    (or else the body's text)."""
    status = response.status_code
    reason = (
        response.headers.get("X-BambooHR-Error-Message")
        or error_reason(response.text)
        or response.reason
        or ""
    )
    message = f"{what}: HTTP {status} {reason}".rstrip()
    if status == 401:
        return AuthenticationError(message)
    if status in _TRANSIENT:
        return TransientError(message, parse_retry_after(response.headers.get("Retry-After")))
    if status == 404:
        return _NotFound(message)
    return _Refused(message)


def _check_object(object_name: str) -> None:
    if object_name != OBJECT:
        raise ConnectorError(f"BambooHR has no object {object_name!r}; it offers {OBJECT!r}")


def _since(moment: datetime) -> str:
    """BambooHR's `since`: ISO 8601 to the second; flooring re-reads, it never skips."""
    return moment.replace(microsecond=0).isoformat()


def _value(value: Any, field: FieldSchema | None) -> Any:
    """BambooHR writes an empty date as 0000-00-00: that is no date."""
    if field is not None and field.type is FieldType.DATE and value == EMPTY_DATE:
        return None
    return value
