"""Bulk API 2.0 query jobs: create, poll, and CSV results paged by `Sforce-Locator`.

Shapes follow the Bulk API 2.0 guide ("Understanding Bulk API 2.0 Query"): POST
/jobs/query creates a job (UploadComplete), which runs asynchronously (InProgress) until
JobComplete (or Failed, with an errorMessage); GET .../results answers CSV pages of at most
`maxRecords` rows, the header `Sforce-Locator` naming the next page ("null" after the
last) and `Sforce-NumberOfRecords` the rows in this one. A request is validated before its
query runs: Bulk API 2.0 takes no aggregate function (COUNT()) and no compound address or
geolocation field; ORDER BY and LIMIT are accepted (they turn off PK chunking). Rows come
in no promised order.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulators.salesforce import soql
from emulators.salesforce.reply import Reply
from emulators.salesforce.schema import ObjectDef
from emulators.salesforce.store import ApiError, format_datetime, now_ms

Bind = Callable[[str], tuple[ObjectDef, soql.Query]]
Rows = Callable[..., list[dict[str, Any]]]
CSV = "text/csv; charset=UTF-8"


@dataclass
class _Job:
    info: dict[str, Any]
    rows: list[list[str]]
    polls_left: int


class BulkQueryJobs:
    """The org's query jobs; each answers the rows its query matched when it was created."""

    def __init__(self, bind: Bind, rows: Rows, api_version: str) -> None:
        self._bind = bind
        self._rows = rows
        self._version = float(api_version)
        self.polls_in_progress = 1  # status polls that still answer InProgress
        self.failure: str | None = None  # a new job fails with this errorMessage
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def handle(self, method: str, rest: list[str], params: Mapping[str, str], body: Any) -> Reply:
        if not rest and method == "POST":
            return self._create(body)
        if len(rest) == 1 and method == "GET":
            return Reply(200, self._poll(rest[0]))
        if len(rest) == 2 and rest[1] == "results" and method == "GET":
            return self._results(rest[0], params)
        if len(rest) == 1 and method == "DELETE":
            with self._lock:
                self._job(rest[0])
                del self._jobs[rest[0]]
            return Reply(204)
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    def _create(self, body: Any) -> Reply:
        if not isinstance(body, dict) or body.get("operation") not in {"query", "queryAll"}:
            raise ApiError(400, "API_ERROR", "operation must be query or queryAll")
        obj, query = self._bind(str(body.get("query") or ""))
        compound = [f for f in query.fields if obj.fields[f].type == "address"]
        if query.count or compound:
            raise ApiError(
                400,
                "API_ERROR",
                "Bulk API 2.0 queries support no aggregate functions (COUNT()) or compound "
                f"fields{': ' + ', '.join(compound) if compound else ''}",
            )
        rows = self._rows(obj, query, include_deleted=body["operation"] == "queryAll")
        stamp = format_datetime(now_ms())
        job_id = "750" + secrets.token_hex(6)
        info = {
            "id": job_id,
            "operation": body["operation"],
            "object": obj.name,
            "createdDate": stamp,
            "systemModstamp": stamp,
            "state": "UploadComplete",
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": self._version,
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        }
        header = list(query.fields)
        table = [header, *([_csv_value(r.get(f)) for f in header] for r in rows)]
        if self.failure is not None:
            info.update(state="Failed", errorMessage=self.failure)
        with self._lock:
            self._jobs[job_id] = _Job(info, table, self.polls_in_progress)
        return Reply(200, dict(info))

    def _poll(self, job_id: str) -> dict[str, Any]:
        with self._lock:
            job = self._job(job_id)
            if job.info["state"] in {"UploadComplete", "InProgress"}:
                if job.polls_left > 0:
                    job.polls_left -= 1
                    job.info["state"] = "InProgress"
                else:
                    job.info.update(
                        state="JobComplete",
                        numberRecordsProcessed=len(job.rows) - 1,
                        retries=0,
                        totalProcessingTime=len(job.rows),
                    )
            return dict(job.info)

    def _results(self, job_id: str, params: Mapping[str, str]) -> Reply:
        with self._lock:
            job = self._job(job_id)
            if job.info["state"] != "JobComplete":
                raise ApiError(409, "API_ERROR", f"Job {job_id} is {job.info['state']}")
            header, rows = job.rows[0], job.rows[1:]
        start = _offset(params.get("locator"))
        size = int(params.get("maxRecords") or len(rows) or 1)
        end = min(start + max(size, 1), len(rows))
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows([header, *rows[start:end]])
        locator = _locator(end) if end < len(rows) else "null"
        headers = {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(end - start)}
        return Reply(200, out.getvalue(), headers, media_type=CSV)

    def _job(self, job_id: str) -> _Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise ApiError(404, "NOT_FOUND", f"Job not found: {job_id}")
        return job


def _csv_value(value: Any) -> str:
    """Bulk CSV: null as an empty cell, booleans lower case, dateTimes in UTC with `Z`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_datetime(value).removesuffix("+0000") + "Z"
    return str(value)


def _locator(offset: int) -> str:
    """Opaque to clients; Salesforce's look like unpadded base64 of a row number."""
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _offset(locator: str | None) -> int:
    if not locator or locator == "null":
        return 0
    try:
        return int(base64.b64decode(locator + "=" * (-len(locator) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "INVALID_LOCATOR", f"invalid locator: {locator}") from error
