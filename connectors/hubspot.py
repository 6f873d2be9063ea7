"""HubSpot CRM connector (contacts, companies) on hubspot-api-client.

Credentials (RELHUB_CONN_<ID>_<FIELD> variables or an Airflow connection; never logged):
  access_token  a private app's access token (required; an Airflow connection's password)
  base_url      the API root, default https://api.hubapi.com; the emulator's URL in tests
                (an Airflow connection's host, with its scheme)
Options (relhub.yaml, all optional):
  requests_per_window / window_s   client-side ceiling, default 180 per 10 s: the connector
                                   paces by the portal's X-HubSpot-RateLimit-Max / -Remaining
                                   headers (100 / 10 s on Free and Starter and for OAuth apps,
                                   190 on Professional and Enterprise) and never above this
  search_requests_per_second       default 4 (HubSpot: 5 per second for search)
  consistency_lag_s                how far behind "now" a checkpoint stays, default 30: HubSpot's
                                   search index trails writes, so a record can surface late
                                   with an older lastmodifieddate
  write_concurrency                batch writes in flight at once, default 4
  reconcile_every_s                how often an incremental read compares ids to find
                                   deletions, default 86,400 (the first sync of each UTC
                                   day); 0: every read
  max_attempts, base_delay_s, max_delay_s, timeout_s   retry policy and request timeout
  page_size                        accepted for a source's page_size; HubSpot's pages are
                                   fixed (search 200, list 100)
Unknown options are refused, naming the known ones.

Reads: incremental reads search on the modified-date property (GTE the watermark, one
ascending sort, keyset pages of 200, so HubSpot's 10,000-result search cap never
applies); a full read walks the list endpoint. Deletions (archived, merged away, or
permanently deleted, which never reach the archive) are found by reconciling ids once a
`reconcile_every_s` period: a list of live ids the sync compares with what it holds.
Writes: batch update by id, or batch upsert by a unique property, at most 100 inputs a
call, several calls in flight, one `WriteResult` per request.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from itertools import chain
from typing import Any, ClassVar

import hubspot
import urllib3
from hubspot.crm.associations.v4 import ApiException as AssociationsApiException
from hubspot.crm.objects import ApiException as ObjectsApiException
from hubspot.crm.properties import ApiException as PropertiesApiException
from more_itertools import chunked

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
    epoch_ms,
    error_reason,
    json_object,
    parse_timestamp,
    reconciliation_due,
    write_unchanged,
)
from connectors.http import (
    DEFAULT_TIMEOUT_S,
    RateLimiter,
    Retrier,
    RetryPolicy,
    parse_retry_after,
    transport_error,
)
from connectors.options import ApiOptions

log = logging.getLogger(__name__)

MODIFIED_PROPERTY = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate"}
ID_PROPERTY = "hs_object_id"
MERGED_PROPERTY = "hs_merged_object_ids"
LIFECYCLE_PROPERTY = "lifecyclestage"
# Not a HubSpot property: a contact's companies from the v4 associations, primary first.
COMPANIES_FIELD = "associated_company_ids"
ASSOCIATION_BATCH = 1_000  # the v4 associations batch read's maximum
SEARCH_PAGE = 200  # search's maximum `limit`
LIST_PAGE = 100  # the list endpoint's and the batch endpoints' maximum
URL_PROPERTY_BUDGET = 2_000  # characters of `properties=` a GET may carry; more go in a POST body

_API_ERRORS = (ObjectsApiException, PropertiesApiException, AssociationsApiException)
_TYPES = {
    "number": FieldType.NUMBER,
    "bool": FieldType.BOOLEAN,
    "date": FieldType.DATE,
    "datetime": FieldType.DATETIME,
    "phone_number": FieldType.PHONE,
}
_CATEGORY_STATUS = {"OBJECT_NOT_FOUND": WriteStatus.NOT_FOUND, "CONFLICT": WriteStatus.AMBIGUOUS}


@dataclass(frozen=True)
class HubSpotOptions(ApiOptions):
    label: ClassVar[str] = "HubSpot"

    requests_per_window: int = 180
    window_s: float = 10.0
    search_requests_per_second: int = 4
    consistency_lag_s: float = 30.0
    write_concurrency: int = 4
    reconcile_every_s: float = 86_400.0
    page_size: int | None = None  # a source's page_size, passed to every connector


class HubSpotConnector:
    system: str
    max_write_batch = LIST_PAGE

    def __init__(
        self,
        system: str,
        client: hubspot.Client,
        *,
        limiter: RateLimiter,
        search_limiter: RateLimiter,
        policy: RetryPolicy,
        consistency_lag: timedelta = timedelta(seconds=30),
        timeout_s: float = DEFAULT_TIMEOUT_S,
        write_concurrency: int = 4,
        reconcile_every_s: float = 86_400.0,
    ) -> None:
        self.system = system
        self._reconcile_every_s = reconcile_every_s
        objects = client.crm.objects  # each attribute access builds a new client: keep them
        self._search_api = objects.search_api
        self._basic_api = objects.basic_api
        self._batch_api = objects.batch_api
        self._properties_api = client.crm.properties.core_api
        self._associations_api = client.crm.associations.v4.batch_api
        # merging has no generic-object endpoint in the client: one per object type
        self._merge_apis = {
            "contacts": client.crm.contacts.basic_api,
            "companies": client.crm.companies.basic_api,
        }
        self._limiter = limiter
        self._search_limiter = search_limiter
        self._retrier = Retrier(policy, limiter=limiter)
        self._search_retrier = Retrier(policy, limiter=search_limiter)
        self._lag = consistency_lag
        self._timeout_s = timeout_s
        self._schemas: dict[str, ObjectSchema] = {}
        # Batches in flight at once: with ~50 ms round trips, one at a time cannot use
        # HubSpot's 190 requests / 10 s; the shared limiter still caps the rate.
        self._workers = ThreadPoolExecutor(max_workers=write_concurrency)

    @classmethod
    def from_config(
        cls, system: str, options: Mapping[str, Any], credentials: Mapping[str, str]
    ) -> HubSpotConnector:
        token = credentials.get("access_token") or credentials.get("password")
        if not token:
            raise ConnectorError(f"{system}: HubSpot credentials need an access_token")
        settings: dict[str, Any] = {"access_token": token, "retry": False}  # Retrier retries
        base_url = credentials.get("base_url") or credentials.get("host")
        if base_url:
            settings["host"] = base_url.rstrip("/")
        parsed = HubSpotOptions.from_mapping(options)
        return cls(
            system,
            hubspot.Client.create(**settings),
            limiter=RateLimiter(parsed.requests_per_window, parsed.window_s),
            search_limiter=RateLimiter(parsed.search_requests_per_second, 1.0),
            policy=parsed.retry_policy(),
            consistency_lag=timedelta(seconds=parsed.consistency_lag_s),
            timeout_s=parsed.timeout_s,
            write_concurrency=parsed.write_concurrency,
            reconcile_every_s=parsed.reconcile_every_s,
        )

    # --- schema -------------------------------------------------------------------------
    def discover(self, object_name: str) -> ObjectSchema:
        if object_name not in self._schemas:
            body = self._call(
                self._properties_api.get_all, object_name, what=f"properties {object_name}"
            )
            fields = {p["name"]: _field(p) for p in body.get("results", [])}
            if object_name == "contacts":
                fields[COMPANIES_FIELD] = FieldSchema(
                    COMPANIES_FIELD, FieldType.REFERENCE, "Associated companies (v4 associations)"
                )
            self._schemas[object_name] = ObjectSchema(self.system, object_name, fields)
        return self._schemas[object_name]

    # --- reads --------------------------------------------------------------------------
    def read_changes(
        self, spec: ReadSpec, since: Watermark | None, *, full: bool = False
    ) -> Iterator[Page]:
        horizon = Watermark(datetime.now(UTC) - self._lag)
        names = self._property_names(spec)
        if full:
            yield from self._full_read(spec, names, horizon)
            return
        if since is not None and reconciliation_due(since, self._reconcile_every_s):
            yield from self._reconcile(spec)
        yield from _ChangeSearch(self, spec, names, since, horizon).pages()

    def _reconcile(self, spec: ReadSpec) -> Iterator[Page]:
        """Every live id, as a snapshot of ids only: the sync marks the ids it holds and
        HubSpot no longer lists as deleted. That covers archived records (restorable for
        90 days), permanent and GDPR deletions (never archived) and merged-away ids, at
        live records / 100 requests once a period instead of archived / 100 every run."""
        for results, last in self._listing(spec.object, [ID_PROPERTY], False):
            ids = [str(raw["id"]) for raw in results]
            yield Page(snapshot=True, snapshot_complete=last, present_ids=ids)

    def _property_names(self, spec: ReadSpec) -> list[str]:
        schema = self.discover(spec.object).fields
        wanted = [
            name
            for name in (spec.fields if spec.fields is not None else schema)
            if name != COMPANIES_FIELD
        ]
        extra = [
            ID_PROPERTY,
            self._modified(spec),
            *([MERGED_PROPERTY] if MERGED_PROPERTY in schema else []),
        ]
        return list(dict.fromkeys([*wanted, *extra]))

    def _modified(self, spec: ReadSpec) -> str:
        return modified_property(spec.object, spec.modified_at_field)

    def _full_read(self, spec: ReadSpec, names: list[str], horizon: Watermark) -> Iterator[Page]:
        """The list endpoint in id order; a long property list is fetched by batch read instead."""
        in_url = sum(len(name) + 12 for name in names) <= URL_PROPERTY_BUDGET
        for results, last in self._listing(spec.object, names if in_url else [ID_PROPERTY], False):
            if not in_url and results:
                results = self._batch_read(spec.object, [r["id"] for r in results], names)
            page = self._page(spec, results)
            page.snapshot = True
            if last:
                page.checkpoint, page.snapshot_complete = horizon, True
            yield page

    def _listing(
        self, object_name: str, names: list[str], archived: bool
    ) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        """Pages of `GET /crm/v3/objects/{object}`, each with whether it is the last."""
        after: str | None = None
        guard = PagingGuard(f"list {object_name}")
        while True:
            body = self._call(
                self._basic_api.get_page,
                object_name,
                limit=LIST_PAGE,
                after=after,
                properties=names,
                archived=_query_bool(archived),
                what=f"list {'archived ' if archived else ''}{object_name}",
            )
            after = ((body.get("paging") or {}).get("next") or {}).get("after")
            yield list(body.get("results", [])), after is None
            if after is None:
                return
            guard.check(after)

    def _batch_read(
        self, object_name: str, ids: list[str], names: list[str]
    ) -> list[dict[str, Any]]:
        request = {
            "inputs": [{"id": i} for i in ids],
            "properties": names,
            "propertiesWithHistory": [],
        }
        body = self._call(
            self._batch_api.read,
            object_name,
            request,
            archived=_query_bool(False),
            what=f"batch read {object_name}",
        )
        return list(body.get("results", []))

    def _page(self, spec: ReadSpec, results: Sequence[Mapping[str, Any]]) -> Page:
        """Raw HubSpot objects to records; merged-away ids surface as deletions of their own."""
        page = Page()
        schema = self.discover(spec.object).fields
        modified = self._modified(spec)
        for raw in results:
            try:
                record = self._record(spec.object, raw, schema, modified)
            except (KeyError, ValueError) as error:
                page.rejects.append(
                    Reject(f"unreadable HubSpot object: {error}", raw, raw.get("id"))
                )
                continue
            page.records.append(record)
            for merged in str(record.fields.get(MERGED_PROPERTY) or "").split(";"):
                if merged and merged != record.id:
                    page.records.append(
                        SourceRecord(
                            self.system,
                            spec.object,
                            merged,
                            record.modified_at,
                            True,
                            {"merged_into": record.id},
                        )
                    )
        if COMPANIES_FIELD in schema and (spec.fields is None or COMPANIES_FIELD in spec.fields):
            live = [record for record in page.records if not record.deleted]
            companies = self._companies_of([record.id for record in live])
            for record in live:
                record.fields[COMPANIES_FIELD] = companies.get(record.id, [])
        return page

    def _companies_of(self, contact_ids: list[str]) -> dict[str, list[str]]:
        """Each contact's companies by the v4 associations batch read, the primary first:
        `associatedcompanyid` names only the primary one. A contact with none is an error
        entry (NO_ASSOCIATIONS_FOUND) and simply has none here."""
        companies: dict[str, list[str]] = {}
        guard = PagingGuard("read contact to company associations")
        pending: list[dict[str, str]] = [{"id": i} for i in contact_ids]
        while pending:
            inputs, pending = pending[:ASSOCIATION_BATCH], pending[ASSOCIATION_BATCH:]
            body = self._call(
                self._associations_api.get_page,
                "contacts",
                "companies",
                {"inputs": inputs},
                what="read contact to company associations",
            )
            for result in body.get("results", []):
                contact = str(result["from"]["id"])
                ranked = sorted(result.get("to") or [], key=lambda to: not _is_primary(to))
                companies.setdefault(contact, []).extend(str(to["toObjectId"]) for to in ranked)
                after = ((result.get("paging") or {}).get("next") or {}).get("after")
                if after:
                    guard.check((contact, after))
                    pending.append({"id": contact, "after": str(after)})
        return companies

    def _record(
        self,
        object_name: str,
        raw: Mapping[str, Any],
        schema: Mapping[str, FieldSchema],
        modified: str,
    ) -> SourceRecord:
        props = raw["properties"]
        fields = {name: _coerce(value, schema.get(name)) for name, value in props.items()}
        stamp = _changed_at(raw, modified)
        return SourceRecord(self.system, object_name, str(raw["id"]), stamp, False, fields)

    def search(self, object_name: str, request: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            self._search_api.do_search,
            object_name,
            request,
            search=True,
            what=f"search {object_name}",
        )

    # --- writes -------------------------------------------------------------------------
    def write_batch(self, object_name: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Batch updates and upserts; an update whose record changed since it was read (its
        modified date moved) is not sent."""
        return write_unchanged(
            requests, partial(self._stamps, object_name), partial(self._write, object_name)
        )

    def _stamps(
        self, object_name: str, field: str | None, expected: Mapping[str, datetime]
    ) -> dict[str, datetime]:
        """The records' modified dates now, by batch read (100 ids a call, side by side);
        an archived record is left out, so its update answers not found."""
        name = modified_property(object_name, field)
        read = partial(self._batch_read, object_name, names=[name])
        pages = self._workers.map(read, list(chunked(expected, LIST_PAGE)))
        return {str(raw["id"]): _changed_at(raw, name) for raw in chain.from_iterable(pages)}

    def _write(self, object_name: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        results: list[WriteResult | None] = [None] * len(requests)
        properties: list[dict[str, str]] = [{} for _ in requests]
        schema = self.discover(object_name).fields
        groups: dict[str | None, list[tuple[int, str]]] = {}
        for index, request in enumerate(requests):
            key = _write_key(request)
            try:
                properties[index] = _wire(request.fields, schema)
            except ValueError as bad:
                results[index] = WriteResult(WriteStatus.REJECTED, request.record_id, str(bad))
                continue
            if key is None:
                results[index] = WriteResult(
                    WriteStatus.REJECTED,
                    request.record_id,
                    "no record id or external id value to write by",
                )
            else:
                groups.setdefault(request.external_id_field, []).append((index, key))
        for id_property, members in groups.items():
            for wave in _waves(members):
                chunks = list(chunked(wave, self.max_write_batch))
                write = partial(
                    self._write_chunk,
                    object_name,
                    id_property,
                    requests=requests,
                    properties=properties,
                )
                outcomes = self._workers.map(write, chunks)
                for index, result in chain.from_iterable(outcomes):
                    results[index] = result
        return [r if r is not None else WriteResult(WriteStatus.AMBIGUOUS) for r in results]

    def _write_chunk(
        self,
        object_name: str,
        id_property: str | None,
        chunk: list[tuple[int, str]],
        requests: Sequence[WriteRequest],
        properties: Sequence[dict[str, str]],
        clear_backwards: bool = True,
    ) -> list[tuple[int, WriteResult]]:
        """One batch call; inputs HubSpot refused for moving lifecyclestage backwards are
        written again after a call that clears it (HubSpot only moves it forward)."""
        try:
            body = self._send(object_name, id_property, [(k, properties[i]) for i, k in chunk])
        except (TransientError, AuthenticationError, DailyLimitReached):
            raise
        except ConnectorError as refused:  # the whole call was refused: every input shares why
            return [
                (index, WriteResult(WriteStatus.REJECTED, requests[index].record_id, str(refused)))
                for index, _ in chunk
            ]
        outcome: dict[str, WriteResult] = {}
        for result in body.get("results", []):
            key = (result.get("properties") or {}).get(id_property) if id_property else result["id"]
            outcome[str(key).casefold()] = WriteResult(WriteStatus.WRITTEN, str(result["id"]))
        backwards: set[str] = set()
        for error in body.get("errors", []):
            status = _CATEGORY_STATUS.get(error.get("category", ""), WriteStatus.REJECTED)
            for key in (error.get("context") or {}).get("ids", []):
                outcome[str(key).casefold()] = WriteResult(status, None, error.get("message", ""))
                if _names_property(error, LIFECYCLE_PROPERTY):
                    backwards.add(str(key).casefold())
        redone: dict[int, WriteResult] = {}
        if backwards and clear_backwards:
            again = [(i, k) for i, k in chunk if k.casefold() in backwards]
            self._send(object_name, id_property, [(k, {LIFECYCLE_PROPERTY: ""}) for _, k in again])
            redone = dict(
                self._write_chunk(
                    object_name, id_property, again, requests, properties, clear_backwards=False
                )
            )
        unmatched = [key for _, key in chunk if key.casefold() not in outcome]
        if unmatched and id_property is None:
            written = {str(result["id"]) for result in body.get("results", [])}
            outcome |= self._merged_away(object_name, unmatched, written)
        missing = WriteResult(
            WriteStatus.AMBIGUOUS, None, "HubSpot returned no result for this input"
        )
        return [
            (
                index,
                redone.get(index)
                or _with_id(outcome.get(key.casefold(), missing), requests[index]),
            )
            for index, key in chunk
        ]

    def _send(
        self, object_name: str, id_property: str | None, items: list[tuple[str, dict[str, str]]]
    ) -> dict[str, Any]:
        """One batch update by id, or upsert by `id_property`, of (key, properties) pairs."""
        inputs = [
            {
                "id": key,
                "properties": values,
                **({"idProperty": id_property} if id_property else {}),
            }
            for key, values in items
        ]
        action = self._batch_api.upsert if id_property else self._batch_api.update
        return self._call(
            action,
            object_name,
            {"inputs": inputs},
            what=f"batch {'upsert' if id_property else 'update'} {object_name}",
        )

    def _merged_away(
        self, object_name: str, keys: list[str], written: set[str]
    ) -> dict[str, WriteResult]:
        """Inputs by ids merged away: HubSpot wrote to the record they were merged into,
        whose result carries its own new id. A batch read of the old ids answers with
        that record and its `hs_merged_object_ids`, which names them."""
        found: dict[str, WriteResult] = {}
        for raw in self._batch_read(object_name, keys, [MERGED_PROPERTY]):
            survivor = str(raw["id"])
            trail = str((raw.get("properties") or {}).get(MERGED_PROPERTY) or "").split(";")
            for key in keys:
                if survivor in written and key in trail:
                    found[key.casefold()] = WriteResult(
                        WriteStatus.WRITTEN, survivor, f"{key} was merged into {survivor}"
                    )
        return found

    def merge(self, object_name: str, primary_id: str, merged_id: str) -> WriteResult:
        """POST /crm/v3/objects/{object}/merge: both records make way for one with a new id
        (answered as the result's record_id); their old ids keep resolving to it."""
        api = self._merge_apis.get(object_name)
        if api is None:
            reason = f"HubSpot merges contacts and companies, not {object_name}"
            return WriteResult(WriteStatus.REJECTED, merged_id, reason)
        request = {"primaryObjectId": primary_id, "objectIdToMerge": merged_id}
        try:
            body = self._call(api.merge, request, what=f"merge {object_name}")
        except (TransientError, AuthenticationError, DailyLimitReached):
            raise
        except ConnectorError as refused:
            return WriteResult(WriteStatus.REJECTED, merged_id, str(refused))
        return WriteResult(WriteStatus.WRITTEN, str(body.get("id") or primary_id))

    # --- transport ----------------------------------------------------------------------
    def _call(
        self, fn: Callable[..., Any], *args: Any, what: str, search: bool = False, **kwargs: Any
    ) -> dict[str, Any]:
        """One API call through the limiter and the Retrier, answered as decoded JSON.

        `_preload_content=False` hands back the raw response, so the body is read (and a
        cut-off body detected) inside the retried call, and pages skip model decoding.
        """

        def attempt() -> dict[str, Any]:
            with (self._search_limiter if search else self._limiter).flight() as sent_at:
                try:
                    response = fn(
                        *args, _preload_content=False, _request_timeout=self._timeout_s, **kwargs
                    )
                    data = response.data
                except _API_ERRORS as error:
                    if not search:
                        self._pace(error.headers, sent_at)
                    raise _translate(error, what) from None
                except (urllib3.exceptions.HTTPError, OSError) as error:
                    host = self._search_api.api_client.configuration.host
                    raise transport_error(error, host, what) from None
                if not search:
                    self._pace(response.headers, sent_at)
            return json.loads(data) if data else {}

        retrier = self._search_retrier if search else self._retrier
        return retrier.call(attempt, what=what)

    def _pace(self, headers: Mapping[str, str] | None, sent_at: float) -> None:
        """Adopt the portal's own limits from its X-HubSpot-RateLimit headers: its tier's
        window (100 or 190 requests / 10 s; the configured rate stays a ceiling) and what
        is left of it, which other integrations of the same app also spend."""
        headers = headers or {}
        try:
            limit = int(headers["X-HubSpot-RateLimit-Max"])
            interval_ms = int(headers["X-HubSpot-RateLimit-Interval-Milliseconds"])
            remaining = headers.get("X-HubSpot-RateLimit-Remaining")
            left = None if remaining is None else int(remaining)
        except (KeyError, ValueError):
            return  # an answer without the headers (a proxy's, a 5xx) says nothing
        self._limiter.conform(limit, interval_ms / 1000, left, sent_at=sent_at)

    def close(self) -> None:
        self._workers.shutdown(wait=True)
        apis = (
            self._search_api,
            self._basic_api,
            self._batch_api,
            self._properties_api,
            self._associations_api,
        )
        for api in (*apis, *self._merge_apis.values()):
            api.api_client.rest_client.pool_manager.clear()


@dataclass
class _ChangeSearch:
    """One incremental read: keyset pages of a search on the modified date.

    Every page is a fresh search from the last timestamp seen (GTE, skipping ids already
    emitted there), never an `after` offset: offsets shift when records change during the
    read, which would skip records, and stop at HubSpot's 10,000-result cap. A full page
    on a single timestamp cannot move on by time, so that timestamp is paged by
    `hs_object_id` instead. Ties come back in no promised order, so a page's checkpoint is
    the last timestamp known complete (a later one has been seen) with its largest id.
    The checkpoint stays behind `horizon`, which is behind the start of the read.
    """

    connector: HubSpotConnector
    spec: ReadSpec
    names: list[str]
    since: Watermark | None
    horizon: Watermark
    done: Watermark | None = None
    current_ms: int | None = None  # the newest timestamp seen, not yet known complete
    current_max_id: str = ""
    emitted_at_current: set[str] = field(default_factory=set)

    def pages(self) -> Iterator[Page]:
        modified = self.connector._modified(self.spec)
        lower = epoch_ms(self.since.modified_at) if self.since else None
        operator = "GTE"
        while True:
            filters = [] if lower is None else [_filter(modified, operator, lower)]
            results = self._search(filters, modified)
            yield self._emit(results)
            if len(results) < SEARCH_PAGE:
                break
            if lower is not None and self.current_ms == lower and operator == "GTE":
                # a full page on one timestamp
                yield from self._by_id(modified, lower)
                operator = "GT"
            else:
                operator = "GTE"
            lower = self.current_ms
        # Exhausted: every change up to the horizon has been seen (the horizon trails the
        # index).
        self._complete(self.horizon)
        yield Page(checkpoint=self._checkpoint())

    def _by_id(self, modified: str, stamp_ms: int) -> Iterator[Page]:
        """Every record on one timestamp, in keyset pages by id."""
        last_id = 0
        guard = PagingGuard(f"search {self.spec.object} by id")
        while True:
            filters = [_filter(modified, "EQ", stamp_ms), _filter(ID_PROPERTY, "GT", last_id)]
            results = self._search(filters, ID_PROPERTY)
            yield self._emit(results)
            if len(results) < SEARCH_PAGE:
                return
            last_id = int(results[-1]["id"])
            guard.check(last_id)

    def _search(self, filters: list[dict[str, str]], sort: str) -> list[dict[str, Any]]:
        body = self.connector.search(
            self.spec.object,
            {
                "filterGroups": [{"filters": filters}] if filters else [],
                "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
                "properties": self.names,
                "limit": SEARCH_PAGE,
            },
        )
        return list(body.get("results", []))

    def _emit(self, results: Sequence[Mapping[str, Any]]) -> Page:
        page = self.connector._page(self.spec, results)
        fresh = []
        for record in page.records:
            if record.deleted:  # a merged-away id, reported beside its survivor
                fresh.append(record)
                continue
            stamp = epoch_ms(record.modified_at) if record.modified_at else None
            if stamp is not None and stamp != self.current_ms:
                if self.current_ms is not None and stamp > self.current_ms:
                    self._complete(Watermark(parse_timestamp(self.current_ms), self.current_max_id))
                self.current_ms, self.current_max_id = stamp, record.id
                self.emitted_at_current = set()
            self.current_max_id = max(self.current_max_id, record.id)
            if record.id in self.emitted_at_current or not any(after_cursor([record], self.since)):
                continue
            self.emitted_at_current.add(record.id)
            fresh.append(record)
        page.records = fresh
        page.checkpoint = self._checkpoint()
        return page

    def _complete(self, watermark: Watermark) -> None:
        if self.done is None or watermark > self.done:
            self.done = watermark

    def _checkpoint(self) -> Watermark | None:
        """The completed cursor, held behind the horizon and never behind the start."""
        if self.done is None:
            return self.since if self.since and self.since <= self.horizon else None
        point = min(self.done, self.horizon)
        return max(point, self.since) if self.since else point


def modified_property(object_name: str, named: str | None) -> str:
    """The property a record's change time is read from: the mapping's, or the object's own."""
    return named or MODIFIED_PROPERTY.get(object_name, "hs_lastmodifieddate")


def _query_bool(value: bool) -> Any:
    """A boolean query parameter as the spec spells it: the client would send `False`."""
    return "true" if value else "false"


def _filter(name: str, operator: str, value: int) -> dict[str, str]:
    return {"propertyName": name, "operator": operator, "value": str(value)}


def _write_key(request: WriteRequest) -> str | None:
    if request.external_id_field:
        value = request.fields.get(request.external_id_field)
        return None if value in (None, "") else str(value)
    return request.record_id


def _waves(members: list[tuple[int, str]]) -> list[list[tuple[int, str]]]:
    """Split writes so no wave names one record twice, keeping each record's writes in order.

    HubSpot refuses a whole batch that names an id twice, and batches of one wave run in
    parallel: a record's second write goes into the next wave, so it lands after the first.
    """
    waves: list[list[tuple[int, str]]] = []
    seen: Counter[str] = Counter()
    for index, key in members:
        wave = seen[key.casefold()]
        seen[key.casefold()] += 1
        if wave == len(waves):
            waves.append([])
        waves[wave].append((index, key))
    return waves


def _with_id(result: WriteResult, request: WriteRequest) -> WriteResult:
    if result.record_id is None and request.record_id:
        return WriteResult(result.status, request.record_id, result.message)
    return result


def _wire(fields: Mapping[str, Any], schema: Mapping[str, FieldSchema]) -> dict[str, str]:
    """Values as HubSpot takes them, by property type: strings, "" to clear, `true`/`false`,
    a date as YYYY-MM-DD (HubSpot refuses one not at midnight UTC), a datetime as ISO 8601
    in UTC with milliseconds (not Python's `str(datetime)`). ValueError rejects the record."""
    out = {}
    for name, value in fields.items():
        kind = schema[name].type if name in schema else None
        if value is None or value == "":
            out[name] = ""
        elif isinstance(value, bool):
            out[name] = "true" if value else "false"
        elif kind in (FieldType.DATE, FieldType.DATETIME):
            try:
                is_date = kind is FieldType.DATE
                out[name] = _as_date(value).isoformat() if is_date else _iso(parse_timestamp(value))
            except ValueError:
                raise ValueError(f"{name}: {value!r} is not a {kind.value}") from None
        else:
            out[name] = str(value)
    return out


def _as_date(value: Any) -> date:
    """The calendar date a value names (a datetime's own date, whatever its zone)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    return parse_timestamp(text).date() if text.isdigit() else date.fromisoformat(text[:10])


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _is_primary(association: Mapping[str, Any]) -> bool:
    """Whether a v4 association target is the primary one (HubSpot's type 1 to a company)."""
    return any(kind.get("typeId") == 1 for kind in association.get("associationTypes") or [])


def _names_property(error: Mapping[str, Any], name: str) -> bool:
    """Whether a batch error entry refused the named property."""
    return any(
        name in ((detail.get("context") or {}).get("propertyName") or [])
        for detail in error.get("errors") or []
    )


class DailyLimitReached(ConnectorError):
    """HubSpot's daily request allowance is used up: retrying before it resets is useless."""


def _translate(error: Any, what: str) -> ConnectorError:
    """A client exception as ours; the message comes from HubSpot's JSON body, never headers."""
    status = int(error.status or 0)
    message, policy = error_reason(error.body), json_object(error.body).get("policyName")
    text = f"{what}: HubSpot answered {status} {message}".strip()
    if status in (401, 403):
        return AuthenticationError(text)
    if status == 429 and policy == "DAILY":
        return DailyLimitReached(
            f"{text}: the portal's daily API limit is used up; it resets at midnight in the "
            "portal's time zone, and the sync resumes from its last committed watermark"
        )
    if status == 429 or status >= 500 or status == 0:
        headers = error.headers or {}
        return TransientError(text, retry_after=parse_retry_after(headers.get("Retry-After")))
    return ConnectorError(text)


def _field(prop: Mapping[str, Any]) -> FieldSchema:
    """A HubSpot property as a field; HubSpot types email and URLs as plain strings."""
    name, kind, widget = prop["name"], prop.get("type", "string"), prop.get("fieldType", "")
    if name == ID_PROPERTY:
        field_type = FieldType.ID
    elif kind == "enumeration":
        field_type = FieldType.MULTIPICKLIST if widget == "checkbox" else FieldType.PICKLIST
    elif widget == "phonenumber":
        field_type = FieldType.PHONE
    elif name == "email":
        field_type = FieldType.EMAIL
    elif name in ("website", "domain"):
        field_type = FieldType.URL
    elif kind == "number" and name.startswith("associated"):  # associatedcompanyid & co.
        field_type = FieldType.REFERENCE
    else:
        field_type = _TYPES.get(kind, FieldType.TEXT if widget == "textarea" else FieldType.STRING)
    options = tuple(str(o.get("value")) for o in prop.get("options") or [])
    return FieldSchema(
        name, field_type, prop.get("label", ""), not prop.get("hubspotDefined", False), options
    )


def _coerce(value: Any, schema: FieldSchema | None) -> Any:
    """HubSpot's string values as typed ones; ValueError rejects the record."""
    if value in (None, "") or schema is None:
        return None if value == "" else value
    if schema.type is FieldType.NUMBER:
        number = float(value)
        return int(number) if number.is_integer() else number
    if schema.type is FieldType.BOOLEAN:
        return str(value).lower() == "true"
    return value


def _changed_at(raw: Mapping[str, Any], modified: str) -> datetime:
    """A HubSpot object's change time: its modified-date property, else `updatedAt`."""
    return parse_timestamp((raw.get("properties") or {}).get(modified) or raw["updatedAt"])
