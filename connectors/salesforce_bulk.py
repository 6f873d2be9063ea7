"""Bulk API 2.0 query jobs for the Salesforce connector's large initial and full extracts.

A REST query over millions of rows can time out, and a retried query starts over; a bulk
job runs on Salesforce's side (it chunks and retries there) and its results are read page
by page through `Sforce-Locator`, each page a call of its own that can be retried alone.
The rows are CSV text: they are typed here by the object's describe so a record reads the
same as through REST (booleans, numbers, `...+0000` dateTimes), and its content hash with
it. The query is sent without ORDER BY (it would turn off PK chunking), so rows come in no
order.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

from simple_salesforce import Salesforce
from simple_salesforce.bulk2 import Operation

from connectors.base import ConnectorError, FieldType
from connectors.salesforce_soql import parse_sf_datetime, rest_datetime

T = TypeVar("T")


class ApiCall(Protocol):
    """The connector's one-call wrapper: rate limit, retries, re-authentication."""

    def __call__(self, what: str, fn: Callable[[Salesforce], T]) -> T: ...


def bulk_pages(
    call: ApiCall,
    object_name: str,
    soql: str,
    types: Mapping[str, FieldType],
    *,
    page_size: int,
    poll_s: float,
    timeout_s: float,
    sleep: Callable[[float], None],
) -> Iterator[tuple[list[dict[str, Any]], bool]]:
    """Run `soql` as a queryAll job (deletions included, as the REST read) and yield each
    results page as typed rows, with whether it is the last."""
    job = call(
        "bulk query job", lambda sf: _client(sf, object_name).create_job(Operation.query_all, soql)
    )
    job_id = str(job["id"])
    _await(call, object_name, job_id, poll_s, timeout_s, sleep)
    locator = ""
    while True:

        def page(sf: Salesforce, at: str = locator) -> Any:
            return _client(sf, object_name).get_query_results(job_id, at, page_size)

        result = call("bulk query results", page)
        rows = [_typed(row, types) for row in csv.DictReader(io.StringIO(result["records"]))]
        locator = result["locator"]
        yield rows, not locator
        if not locator:
            return


def _await(
    call: ApiCall,
    object_name: str,
    job_id: str,
    poll_s: float,
    timeout_s: float,
    sleep: Callable[[float], None],
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        info = call("bulk job status", lambda sf: _client(sf, object_name).get_job(job_id, True))
        state = info.get("state")
        if state == "JobComplete":
            return
        if state in {"Failed", "Aborted"}:
            reason = info.get("errorMessage") or "no reason given"
            raise ConnectorError(f"Salesforce bulk query job {job_id} {state.lower()}: {reason}")
        if time.monotonic() >= deadline:
            raise ConnectorError(
                f"Salesforce bulk query job {job_id} still {state} after {timeout_s:g} s "
                "(option bulk_timeout_s)"
            )
        sleep(poll_s)


def _client(sf: Salesforce, object_name: str) -> Any:
    """simple-salesforce's Bulk API 2.0 client for one object: its per-request methods,
    so each request is rate limited and retried on its own."""
    return getattr(sf.bulk2, object_name)._client


def _typed(row: Mapping[str, str], types: Mapping[str, FieldType]) -> dict[str, Any]:
    """A CSV row as REST renders the record: an empty cell is null."""
    return {name: _value(text, types.get(name)) for name, text in row.items()}


def _value(text: str, kind: FieldType | None) -> Any:
    if text == "":
        return None
    if kind is FieldType.BOOLEAN:
        return text == "true"
    if kind is FieldType.INTEGER:
        return int(text)
    if kind is FieldType.NUMBER:
        return float(text)
    if kind is FieldType.DATETIME:
        stamp = parse_sf_datetime(text)
        return rest_datetime(stamp) if stamp else text
    return text
