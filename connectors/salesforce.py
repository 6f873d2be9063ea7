"""Salesforce connector on simple-salesforce: SOQL change reads and sObject Collections writes.

Credentials (an Airflow connection or environment variables; never logged):
  login_url        https://login.salesforce.com, https://test.salesforce.com or a My Domain
                   URL (alias: instance_url); or `domain` ("login", "test", "acme.my")
  client_id        the connected app's consumer key
  client_secret    the connected app's consumer secret
  username, password, security_token
                   the OAuth username-password flow; without a username the connector
                   uses the client-credentials flow (the app's run-as user)
Options:
  api_version (62.0), page_size (2,000: the query batchSize, 200..2,000), chunk_size
  (10,000: the LIMIT of one query, so a cursor can resume between queries), lookback_s (0:
  re-read this many seconds before the watermark against late commits; the sync
  de-duplicates what it re-reads), rate_limit_calls / rate_limit_period_s (20 a second),
  max_attempts (6), base_delay_s (0.5), max_delay_s (60), max_url_length
  (16,384: Salesforce answers 414 beyond it), timeout_s (30), ca_bundle (a CA file to trust),
  max_api_share (0.8 of the org's daily API requests), bulk_min_records (10,000: an initial
  or full read of an object this large runs as a Bulk API 2.0 query job; 0: never),
  bulk_page_size (50,000 rows a results page), bulk_poll_s (2), bulk_timeout_s (3,600).
  Unknown options are refused, naming the known ones.

Reads use queryAll so deletions arrive with IsDeleted=true, ordered by (SystemModstamp, Id)
and filtered past the watermark on that pair, so equal timestamps never skip or repeat a
record (LastModifiedDate would miss changes made by system processes). A field list too
long for one GET URL is split into several queries joined by Id.
queryAll sees a deletion only while the record is in the recycle bin (15 days, less when
the bin is emptied; never for a hard delete), so an incremental read first asks getDeleted
for its window: when the answer's earliestDateAvailable is newer than the watermark, some
deletions may be gone without trace, and the read reconciles ids (`SELECT Id`, a snapshot
of ids only) so the sync marks the missing ones deleted. A full read is a snapshot.
Source-side merges go through the SOAP API's merge call (salesforce_soap.py), which the
REST API lacks.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, ClassVar, Final, TypeVar
from urllib.parse import quote_plus

import requests
from more_itertools import chunked
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from connectors.base import (
    AuthenticationError,
    ConnectorError,
    FieldSchema,
    FieldType,
    ObjectSchema,
    Page,
    PagingGuard,
    ReadSpec,
    Reject,
    SourceRecord,
    TransientError,
    Watermark,
    WriteRequest,
    WriteResult,
    WriteStatus,
    after_cursor,
    checkpoint_at_end,
    write_unchanged,
)
from connectors.http import RateLimiter, Retrier, parse_retry_after, transport_error
from connectors.options import ApiOptions
from connectors.salesforce_bulk import bulk_pages
from connectors.salesforce_soap import MERGEABLE, SoapAnswer, merge_envelope, read_answer
from connectors.salesforce_soql import parse_sf_datetime, soql_name, soql_quote

log = logging.getLogger(__name__)
_SOAP_TRANSIENT = frozenset({"SERVER_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED"})
T = TypeVar("T")

_TYPES = {
    "id": FieldType.ID,
    "string": FieldType.STRING,
    "textarea": FieldType.TEXT,
    "email": FieldType.EMAIL,
    "phone": FieldType.PHONE,
    "url": FieldType.URL,
    "picklist": FieldType.PICKLIST,
    "multipicklist": FieldType.MULTIPICKLIST,
    "combobox": FieldType.PICKLIST,
    "reference": FieldType.REFERENCE,
    "boolean": FieldType.BOOLEAN,
    "int": FieldType.INTEGER,
    "double": FieldType.NUMBER,
    "currency": FieldType.NUMBER,
    "percent": FieldType.NUMBER,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "address": FieldType.ADDRESS,
}
_COMPOUND = {"address", "location"}  # their parts are separate fields; skip the compound
_GONE = {"ENTITY_IS_DELETED", "NOT_FOUND", "INVALID_CROSS_REFERENCE_KEY"}
_URL_OVERHEAD = 600  # instance URL, resource path, cursor WHERE, ORDER BY and LIMIT
# The one field every change read orders, filters and stamps records by: LastModifiedDate
# stays put when a system process (a roll-up, automation) changes a record.
MODSTAMP: Final = "SystemModstamp"


def _encoded_len(text: str) -> int:
    return len(quote_plus(text, safe=""))


def _pack(items: Sequence[str], budget: int) -> list[list[str]]:
    """Greedy runs of items whose comma-joined, URL-encoded length stays within budget."""
    runs: list[list[str]] = []
    run: list[str] = []
    used = 0
    for item in items:
        cost = _encoded_len(item) + _encoded_len(", ")
        if run and used + cost > budget:
            runs.append(run)
            run, used = [], 0
        run.append(item)
        used += cost
    return [*runs, run] if run else runs


# -- configuration --------------------------------------------------------------------


@dataclass(frozen=True)
class SalesforceCredentials:
    login_url: str
    client_id: str
    client_secret: str = field(repr=False)
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    security_token: str = field(default="", repr=False)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> SalesforceCredentials:
        allowed = {
            "login_url",
            "instance_url",
            "domain",
            "client_id",
            "client_secret",
            "username",
            "password",
            "security_token",
        }
        unknown = sorted(set(values) - allowed)
        if unknown:
            raise ConnectorError(f"unknown Salesforce credential field(s): {', '.join(unknown)}")
        login_url = values.get("login_url") or values.get("instance_url")
        if not login_url and values.get("domain"):
            login_url = f"https://{values['domain']}.salesforce.com"
        missing = [n for n in ("client_id", "client_secret") if not values.get(n)]
        if not login_url:
            missing.insert(0, "login_url (or domain)")
        if values.get("username") and not values.get("password"):
            missing.append("password")
        if missing:
            raise ConnectorError(f"Salesforce credentials lack: {', '.join(missing)}")
        return cls(
            str(login_url).rstrip("/"),
            values["client_id"],
            values["client_secret"],
            values.get("username") or None,
            values.get("password"),
            values.get("security_token") or "",
        )

    def token_request(self) -> tuple[dict[str, str], tuple[str, str] | None]:
        """The token endpoint form and, for client credentials, HTTP Basic auth."""
        if self.username:
            return {
                "grant_type": "password",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "username": self.username,
                "password": (self.password or "") + self.security_token,
            }, None
        return {"grant_type": "client_credentials"}, (self.client_id, self.client_secret)


@dataclass(frozen=True)
class SalesforceOptions(ApiOptions):
    label: ClassVar[str] = "Salesforce"

    api_version: str = "62.0"
    page_size: int = 2000
    chunk_size: int = 10_000
    lookback_s: float = 0.0
    rate_limit_calls: int = 20
    rate_limit_period_s: float = 1.0
    max_url_length: int = 16_384
    ca_bundle: str | None = None
    max_api_share: float = 0.8  # of the org's daily API requests, shared with other integrations
    bulk_min_records: int = 10_000  # initial and full reads this large use Bulk API 2.0; 0: never
    bulk_page_size: int = 50_000
    bulk_poll_s: float = 2.0
    bulk_timeout_s: float = 3600.0

    def check(self) -> None:
        super().check()
        if not 200 <= self.page_size <= 2000:
            raise ConnectorError("Salesforce option page_size must be within 200..2000")
        if self.chunk_size < 1 or self.lookback_s < 0 or self.max_url_length < 2000:
            raise ConnectorError(
                "Salesforce options chunk_size >= 1, lookback_s >= 0 and "
                "max_url_length >= 2000 are required"
            )


class _PinnedSession(requests.Session):
    """A session whose own `verify` wins: requests otherwise lets REQUESTS_CA_BUNDLE in the
    environment override it, and a configured ca_bundle must be the one trusted."""

    def merge_environment_settings(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        settings = super().merge_environment_settings(*args, **kwargs)
        settings["verify"] = self.verify
        return settings


def _error_code(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, list) and body and isinstance(body[0], dict):
        return str(body[0].get("errorCode", ""))
    return str(body.get("error", "")) if isinstance(body, dict) else ""


_LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")


class ApiLimitReached(ConnectorError):
    """The org's daily API allocation is used up, or relhub's share of it: retrying within
    the day will not help, and the allocation is shared with every other integration."""


def _limit_hook(max_share: float) -> Callable[..., requests.Response]:
    """A response hook: throttling and server errors become TransientError (with
    Retry-After); the daily limit, and usage past `max_share` of it, stop the read.

    Salesforce refuses over-limit calls with 403 REQUEST_LIMIT_EXCEEDED: "TotalRequests"
    is the 24-hour allocation, "ConcurrentPerOrgLongTxn" too many long requests at once
    (that one passes); gateways answer 429. Every API answer reports the day's usage in
    `Sforce-Limit-Info: api-usage=used/max`.
    """

    def hook(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
        status = response.status_code
        if status == 500 and response.headers.get("Content-Type", "").startswith("text/xml"):
            return response  # a SOAP fault, which the SOAP call reads for its code
        code = _error_code(response) if status in {403, 429} or status >= 500 else ""
        usage = _LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
        if status == 403 and code == "REQUEST_LIMIT_EXCEEDED" and "TotalRequests" in response.text:
            raise ApiLimitReached(
                "Salesforce refused the request: the org's daily API request limit is used "
                f"up ({usage.group(0) if usage else 'usage unknown'}); it frees up over 24 hours"
            )
        if status == 429 or status >= 500 or (status == 403 and code == "REQUEST_LIMIT_EXCEEDED"):
            raise TransientError(
                f"Salesforce answered {status} {code}".strip(),
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        if usage and int(usage.group(1)) >= max_share * int(usage.group(2)):
            raise ApiLimitReached(
                f"Salesforce org has used {usage.group(1)} of its {usage.group(2)} daily API "
                f"requests; relhub stops at {max_share:.0%} (option max_api_share) to leave "
                "the rest to the org's other integrations"
            )
        return response

    return hook


class SalesforceApiError(ConnectorError):
    """A request Salesforce refused for a reason retrying will not change."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"Salesforce {status} {code}: {message}")
        self.status = status
        self.code = code


def _api_error(error: SalesforceError) -> SalesforceApiError:
    """Salesforce answers a list of {errorCode, message}; the first says why."""
    content = error.content
    first = content[0] if isinstance(content, list) and content else content
    if not isinstance(first, dict):
        return SalesforceApiError(error.status, "", str(content)[:300])
    reason = first.get("message") or json.dumps(first)[:300]
    return SalesforceApiError(error.status, str(first.get("errorCode", "")), str(reason))


# -- the connector --------------------------------------------------------------------


class SalesforceConnector:
    """Reads and writes one Salesforce org through its REST API."""

    max_write_batch = 200  # sObject Collections take at most 200 records a call
    change_stamp = MODSTAMP
    change_stamp_why = (
        "LastModifiedDate stays put when a system process changes a record (a roll-up, "
        "automation), so a watermark on it misses those changes"
    )

    def __init__(
        self,
        system: str,
        credentials: SalesforceCredentials,
        options: SalesforceOptions | None = None,
        *,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.system = system
        self.options = options or SalesforceOptions()
        self._credentials = credentials
        self._session = _PinnedSession() if self.options.ca_bundle else requests.Session()
        if self.options.ca_bundle:
            self._session.verify = self.options.ca_bundle
        self._session.hooks["response"].append(_limit_hook(self.options.max_api_share))
        policy = self.options.retry_policy()
        limiter = RateLimiter(self.options.rate_limit_calls, self.options.rate_limit_period_s)
        self._sleep = sleep or time.sleep
        self.retrier = Retrier(policy, limiter=limiter, sleep=self._sleep)
        self._client: Salesforce | None = None
        self._schemas: dict[str, ObjectSchema] = {}

    @classmethod
    def from_config(
        cls, system: str, options: Mapping[str, Any], credentials: Mapping[str, str]
    ) -> SalesforceConnector:
        return cls(
            system,
            SalesforceCredentials.from_mapping(credentials),
            SalesforceOptions.from_mapping(options),
        )

    def __repr__(self) -> str:
        return (
            f"SalesforceConnector(system={self.system!r}, "
            f"login_url={self._credentials.login_url!r})"
        )

    def close(self) -> None:
        self._session.close()

    # -- session ------------------------------------------------------------------------

    def _authenticate(self) -> Salesforce:
        form, basic = self._credentials.token_request()
        try:
            response = self._session.post(
                f"{self._credentials.login_url}/services/oauth2/token",
                data=form,
                auth=basic,
                timeout=self.options.timeout_s,
            )
        except requests.RequestException as error:
            raise transport_error(error, self._credentials.login_url, "token request") from error
        if response.status_code != 200:
            body = response.json() if response.content else {}
            raise AuthenticationError(
                f"Salesforce refused the credentials: "
                f"{body.get('error')}: {body.get('error_description')}"
            )
        payload = response.json()
        self._client = Salesforce(
            session_id=payload["access_token"],
            instance_url=payload["instance_url"],
            version=self.options.api_version,
            session=self._session,
            object_pairs_hook=dict,
        )
        return self._client

    def _call(self, what: str, fn: Callable[[Salesforce], T]) -> T:
        """One API call under the rate limiter and retrier; re-authenticates once on 401."""

        def attempt() -> T:
            try:
                client = self._client or self._authenticate()
                try:
                    return fn(client)
                except SalesforceExpiredSession:
                    log.info("Salesforce session expired; authenticating again")
                    return fn(self._authenticate())
            except SalesforceExpiredSession as error:
                raise AuthenticationError("Salesforce refused a fresh session") from error
            except SalesforceError as error:
                raise _api_error(error) from error
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
            ) as error:
                url = self._client.base_url if self._client else self._credentials.login_url
                raise transport_error(error, url, what) from error

        return self.retrier.call(attempt, what=what)

    # -- discover -----------------------------------------------------------------------

    def discover(self, object_name: str) -> ObjectSchema:
        if object_name not in self._schemas:
            path = f"sobjects/{soql_name(object_name)}/describe"
            described: dict[str, Any] = self._call(
                f"describe {object_name}",
                lambda sf: sf.restful(path, timeout=self.options.timeout_s) or {},
            )
            schema_fields = {
                f["name"]: FieldSchema(
                    name=f["name"],
                    type=_TYPES.get(f["type"], FieldType.UNKNOWN),
                    label=f.get("label", ""),
                    custom=bool(f.get("custom")),
                    picklist_values=tuple(
                        v["value"] for v in f.get("picklistValues") or [] if v.get("active", True)
                    ),
                )
                for f in described["fields"]
                if f["type"] not in _COMPOUND
            }
            self._schemas[object_name] = ObjectSchema(self.system, object_name, schema_fields)
        return self._schemas[object_name]

    def columns(self, object_name: str) -> tuple[str, ...]:
        """The fields describe lists: only those the integration user's field-level security
        lets it read, so a mapped field a profile change hid stops the sync before a read
        (querying it would fail, and a value it no longer sees must not turn null)."""
        return tuple(self.discover(object_name).fields)

    def columns_origin(self, object_name: str) -> str:
        return (
            f"what {self.system} {object_name}'s describe lists: the fields the integration "
            "user may read (grant it field-level Read)"
        )

    # -- read ---------------------------------------------------------------------------

    def read_changes(
        self, spec: ReadSpec, since: Watermark | None, *, full: bool = False
    ) -> Iterator[Page]:
        """Changes by MODSTAMP, whatever field the spec names: the hub refuses a mapping that
        names another before a read (`change_stamp`)."""
        deleted = soql_name(spec.deleted_field or "IsDeleted")
        keys = [soql_name(spec.id_field), MODSTAMP, deleted]
        wanted = spec.fields
        if wanted is None:
            wanted = tuple(self.discover(spec.object).fields)
        columns = list(dict.fromkeys([*keys, *(soql_name(f) for f in wanted)]))
        groups = _pack(columns, (self.options.max_url_length - _URL_OVERHEAD) // 2)
        cursor = None if full else self._start(since)
        if cursor is None and self._is_bulk_sized(spec.object):
            yield from self._bulk_read(spec, columns, deleted, full=full)
            return
        logged: list[SourceRecord] = []
        reconciled: Watermark | None = None
        if cursor is not None:
            logged, reconciled = yield from self._deletion_log(spec, cursor)
        seen_deleted: set[str] = set()
        while True:
            fetched = 0
            for result in self._pages(self._chunk_query(spec, groups[0], cursor)):
                fetched += len(result["records"])
                rows = self._join(spec, result["records"], groups[1:])
                page = self._page(spec, rows, deleted)
                seen_deleted.update(r.id for r in page.records if r.deleted)
                last = result["done"] and fetched < self.options.chunk_size
                page.snapshot, page.snapshot_complete = full, full and last
                cursor = page.checkpoint or cursor
                yield page
            if fetched < self.options.chunk_size:
                break
        unseen = [r for r in logged if r.id not in seen_deleted]
        # After a reconciliation every deletion up to the log's start is known: moving the
        # watermark there keeps the next read from scanning again.
        moved = reconciled if reconciled and (cursor is None or reconciled > cursor) else None
        if unseen or moved:
            yield Page(records=unseen, checkpoint=moved)

    def _is_bulk_sized(self, object_name: str) -> bool:
        """Whether the object holds `bulk_min_records` or more rows, deleted ones included:
        Salesforce's guide recommends Bulk API 2.0 from 10,000 records."""
        threshold = self.options.bulk_min_records
        if not threshold:
            return False
        soql = f"SELECT COUNT() FROM {soql_name(object_name)}"  # noqa: S608 - checked name
        answer = self._call(
            "count",
            lambda sf: sf.query(soql, include_deleted=True, timeout=self.options.timeout_s),
        )
        return int(answer["totalSize"]) >= threshold

    def _bulk_read(
        self, spec: ReadSpec, columns: Sequence[str], deleted: str, *, full: bool
    ) -> Iterator[Page]:
        """One Bulk API 2.0 job for every column (a POST body has no URL limit). Its rows
        come in no order, so only the last page promises a checkpoint, the newest cursor
        of all: a read cut short runs the job again, and the sync de-duplicates."""
        types = {name: f.type for name, f in self.discover(spec.object).fields.items()}
        soql = f"SELECT {', '.join(columns)} FROM {soql_name(spec.object)}"  # noqa: S608
        options = self.options
        results = bulk_pages(
            self._call,
            spec.object,
            soql,
            types,
            page_size=options.bulk_page_size,
            poll_s=options.bulk_poll_s,
            timeout_s=options.bulk_timeout_s,
            sleep=self._sleep,
        )
        pages = ((self._page(spec, rows, deleted), last) for rows, last in results)
        parsed = (((page, last), _newest(page), last) for page, last in pages)
        for (page, last), checkpoint in checkpoint_at_end(parsed):
            page.checkpoint = checkpoint
            page.snapshot, page.snapshot_complete = full, full and last
            yield page

    def _deletion_log(
        self, spec: ReadSpec, start: Watermark
    ) -> Generator[Page, None, tuple[list[SourceRecord], Watermark | None]]:
        """getDeleted since the watermark, and an id reconciliation when it no longer reaches
        that far back: records purged from the recycle bin (after 15 days, or when it was
        emptied) and hard deletes leave no trace a change query could find.

        Yields the reconciliation's pages; returns the logged deletions, emitted after the
        change query for the ids it did not report itself, and where the log begins when
        the ids were reconciled.
        """
        now = datetime.now(UTC)
        path = f"sobjects/{soql_name(spec.object)}/deleted/"
        params = {"start": start.modified_at.isoformat(), "end": now.isoformat()}
        answer: dict[str, Any] = self._call(
            f"getDeleted {spec.object}",
            lambda sf: sf.restful(path, params=params, timeout=self.options.timeout_s) or {},
        )
        earliest = parse_sf_datetime(answer.get("earliestDateAvailable"))
        if earliest is not None and start.modified_at < earliest:
            log.warning(
                "%s %s: the watermark %s is older than the deletion log (%s); "
                "comparing ids to find the records deleted since",
                self.system,
                spec.object,
                start.modified_at.isoformat(),
                earliest.isoformat(),
            )
            yield from self._reconcile(spec)
        else:
            earliest = None
        records = []
        for item in answer.get("deletedRecords") or []:
            stamp = parse_sf_datetime(item.get("deletedDate"))
            fields = {spec.id_field: item["id"], spec.deleted_field or "IsDeleted": True}
            records.append(SourceRecord(self.system, spec.object, item["id"], stamp, True, fields))
        return list(after_cursor(records, start)), Watermark(earliest) if earliest else None

    def _reconcile(self, spec: ReadSpec) -> Iterator[Page]:
        """Every live id (`SELECT Id`, no other column: cheap), as a snapshot that vouches
        for ids only; the sync marks the ids it holds and the scan lacks as deleted."""
        id_field = soql_name(spec.id_field)
        soql = f"SELECT {id_field} FROM {soql_name(spec.object)} ORDER BY {id_field}"  # noqa: S608
        for result in self._pages(soql, include_deleted=False):
            ids = [str(row[id_field]) for row in result["records"]]
            yield Page(snapshot=True, snapshot_complete=result["done"], present_ids=ids)

    def _start(self, since: Watermark | None) -> Watermark | None:
        if since is None or not self.options.lookback_s:
            return since
        return Watermark(since.modified_at - timedelta(seconds=self.options.lookback_s))

    def _chunk_query(self, spec: ReadSpec, columns: Sequence[str], cursor: Watermark | None) -> str:
        id_field = spec.id_field
        where = ""
        if cursor is not None:
            stamp = soql_quote(cursor.modified_at)
            where = (
                f" WHERE ({MODSTAMP} > {stamp} OR ({MODSTAMP} = {stamp} AND "
                f"{id_field} > {soql_quote(cursor.record_id)}))"
                if cursor.record_id
                else f" WHERE {MODSTAMP} >= {stamp}"
            )
        # Names are checked by soql_name and values quoted by soql_quote.
        return (
            f"SELECT {', '.join(columns)} FROM {soql_name(spec.object)}{where} "  # noqa: S608
            f"ORDER BY {MODSTAMP}, {id_field} LIMIT {self.options.chunk_size}"
        )

    def _pages(self, soql: str, *, include_deleted: bool = True) -> Iterator[dict[str, Any]]:
        """Every batch of one queryAll (query without deletions), each fetched (and
        retried) on its own."""
        headers = {"Sforce-Query-Options": f"batchSize={self.options.page_size}"}
        timeout = self.options.timeout_s
        result = self._call(
            "query",
            lambda sf: sf.query(
                soql, include_deleted=include_deleted, headers=headers, timeout=timeout
            ),
        )
        guard = PagingGuard(f"{self.system}: Salesforce query")
        while True:
            yield result
            if result["done"]:
                return
            guard.check(result["nextRecordsUrl"])

            def more(sf: Salesforce, url: str = result["nextRecordsUrl"]) -> dict[str, Any]:
                return sf.query_more(url, identifier_is_url=True, headers=headers, timeout=timeout)

            result = self._call("queryMore", more)

    def _join(
        self, spec: ReadSpec, rows: list[dict[str, Any]], groups: Sequence[Sequence[str]]
    ) -> list[dict[str, Any]]:
        """Fill in the columns that did not fit the first query, fetched by Id."""
        by_id = {row[spec.id_field]: row for row in rows}
        for columns in groups:
            for extra in self._by_id(spec.object, spec.id_field, columns, by_id):
                by_id[extra[spec.id_field]].update(extra)
        return rows

    def _by_id(
        self,
        object_name: str,
        id_field: str,
        columns: Sequence[str],
        ids: Iterable[str],
        *,
        include_deleted: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """`SELECT columns ... WHERE Id IN (...)`, as many ids to a query as the URL holds."""
        select = ", ".join(dict.fromkeys([id_field, *columns]))
        budget = self.options.max_url_length - _URL_OVERHEAD - _encoded_len(select)
        for quoted in _pack([soql_quote(i) for i in ids], budget):
            soql = (
                f"SELECT {select} FROM {object_name} "  # noqa: S608 - checked names
                f"WHERE {id_field} IN ({', '.join(quoted)})"
            )
            for result in self._pages(soql, include_deleted=include_deleted):
                yield from result["records"]

    def _page(self, spec: ReadSpec, rows: list[dict[str, Any]], deleted: str) -> Page:
        page = Page()
        for row in rows:
            values = {k: v for k, v in row.items() if k != "attributes"}
            record_id, stamp = values.get(spec.id_field), parse_sf_datetime(values.get(MODSTAMP))
            if not record_id or stamp is None:
                page.rejects.append(Reject(f"no {spec.id_field} or {MODSTAMP}", values, record_id))
                continue
            page.records.append(
                SourceRecord(
                    self.system,
                    spec.object,
                    str(record_id),
                    stamp,
                    bool(values.get(deleted)),
                    values,
                )
            )
        page.checkpoint = page.records[-1].cursor if page.records else None
        return page

    # -- write --------------------------------------------------------------------------

    def write_batch(self, object_name: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Creates, updates by Id and upserts by external id, 200 to a call, allOrNone=false;
        an update whose record changed since it was read (its stamp moved) is not sent."""
        soql_name(object_name)
        return write_unchanged(
            requests, partial(self._stamps, object_name), partial(self._write, object_name)
        )

    def _stamps(
        self, object_name: str, field: str | None, expected: Mapping[str, datetime]
    ) -> dict[str, datetime]:
        """The records' modification stamps now (`SELECT Id, SystemModstamp ... WHERE Id
        IN`); a deleted record is left out, so its update answers not found."""
        stamp = soql_name(field or MODSTAMP)
        rows = self._by_id(soql_name(object_name), "Id", [stamp], expected, include_deleted=False)
        now = {str(row["Id"]): parse_sf_datetime(row.get(stamp)) for row in rows}
        return {rid: at for rid, at in now.items() if at is not None}

    def _write(self, object_name: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        kinds: dict[tuple[str, str | None], list[int]] = {}
        for index, request in enumerate(requests):
            key: tuple[str, str | None]
            if request.external_id_field:
                key = ("upsert", soql_name(request.external_id_field))
            else:
                key = ("update" if request.record_id else "create", None)
            kinds.setdefault(key, []).append(index)
        results: dict[int, WriteResult] = {}
        for (kind, external_id), indexes in kinds.items():
            targets = [_target(requests[i], external_id) for i in indexes]
            for chunk in _distinct_batches(indexes, targets, self.max_write_batch):
                written = self._write_chunk(
                    object_name, kind, external_id, [requests[i] for i in chunk]
                )
                results.update(zip(chunk, written, strict=True))
        return [results[i] for i in range(len(requests))]

    def _write_chunk(
        self, object_name: str, kind: str, external_id: str | None, requests: Sequence[WriteRequest]
    ) -> list[WriteResult]:
        records = [
            {
                "attributes": {"type": object_name},
                **r.fields,
                **({"Id": r.record_id} if kind == "update" else {}),
            }
            for r in requests
        ]
        method = "POST" if kind == "create" else "PATCH"
        path = "composite/sobjects"
        if external_id:
            path = f"{path}/{object_name}/{external_id}"
        body = {"allOrNone": False, "records": records}
        try:
            answer = self._call(
                f"{kind} {len(records)} {object_name}",
                lambda sf: sf.restful(
                    path, method=method, json=body, timeout=self.options.timeout_s
                ),
            )
        except SalesforceApiError as error:  # the whole call was refused, e.g. an unknown field
            return [WriteResult(WriteStatus.REJECTED, r.record_id, str(error)) for r in requests]
        if not isinstance(answer, list) or len(answer) != len(requests):
            raise ConnectorError(
                f"Salesforce answered {len(answer or [])} results for {len(requests)} records"
            )
        return [_write_result(item, r) for item, r in zip(answer, requests, strict=True)]

    def merge(self, object_name: str, primary_id: str, merged_id: str) -> WriteResult:
        """The SOAP API's merge call (REST has none): `merged_id` goes to the recycle bin
        with MasterRecordId set to `primary_id`, so the next read sees it deleted."""
        if object_name not in MERGEABLE:
            reason = f"Salesforce merges {', '.join(sorted(MERGEABLE))}, not {object_name}"
            return WriteResult(WriteStatus.REJECTED, merged_id, reason)

        def post(sf: Salesforce) -> SoapAnswer:
            url = f"https://{sf.sf_instance}/services/Soap/u/{sf.sf_version}"
            response = sf.session.post(
                url,
                data=merge_envelope(sf.session_id, object_name, primary_id, merged_id),
                headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "merge"},
                timeout=self.options.timeout_s,
            )
            try:
                answer = read_answer(response.text)
            except ValueError as error:
                raise ConnectorError(f"{error} (HTTP {response.status_code})") from None
            if answer.fault == "INVALID_SESSION_ID":
                raise SalesforceExpiredSession(url, 401, "merge", answer.message.encode())
            if answer.fault in _SOAP_TRANSIENT:
                raise TransientError(f"Salesforce answered the merge with {answer.fault}")
            return answer

        answer = self._call(f"merge {object_name}", post)
        if answer.success:
            return WriteResult(WriteStatus.WRITTEN, primary_id, f"{merged_id} merged")
        return WriteResult(WriteStatus.REJECTED, merged_id, answer.message)


def _newest(page: Page) -> Watermark | None:
    """The newest cursor of a page whose records come in no order (a bulk results page)."""
    return max((r.cursor for r in page.records if r.cursor is not None), default=None)


def _target(request: WriteRequest, external_id: str | None) -> str | None:
    """The record a request writes: its id, or its external id's value (None: a create)."""
    if external_id:
        value = next(
            (v for k, v in request.fields.items() if k.lower() == external_id.lower()), None
        )
        return None if value is None else str(value).casefold()
    return request.record_id[:15] if request.record_id else None


def _distinct_batches(
    indexes: Sequence[int], targets: Sequence[str | None], size: int
) -> Iterator[Sequence[int]]:
    """Batches in which no record is written twice: Salesforce refuses a whole list that
    names one record twice ("Duplicate id in list"). The n-th write to a record goes in a
    call after its (n-1)-th, so writes to one record keep their order."""
    rounds: list[list[int]] = []
    seen: dict[str, int] = {}
    for index, key in zip(indexes, targets, strict=True):
        turn = 0 if key is None else seen.get(key, -1) + 1
        if key is not None:
            seen[key] = turn
        while len(rounds) <= turn:
            rounds.append([])
        rounds[turn].append(index)
    for indexes_of_round in rounds:
        yield from chunked(indexes_of_round, size)


def _write_result(item: Mapping[str, Any], request: WriteRequest) -> WriteResult:
    """One SaveResult / UpsertResult as a WriteResult."""
    if item.get("success"):
        return WriteResult(
            WriteStatus.WRITTEN,
            item.get("id") or request.record_id,
            "created" if item.get("created") else "",
        )
    errors = item.get("errors") or []
    message = "; ".join(f"{e.get('statusCode')}: {e.get('message')}" for e in errors)
    codes = {e.get("statusCode") for e in errors}
    if "DUPLICATE_EXTERNAL_ID" in codes:
        status = WriteStatus.AMBIGUOUS
    elif codes & _GONE and all(set(e.get("fields") or []) <= {"Id"} for e in errors):
        status = WriteStatus.NOT_FOUND
    else:
        status = WriteStatus.REJECTED
    return WriteResult(status, request.record_id, message)
