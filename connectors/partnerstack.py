"""PartnerStack connector (vendor API v2): partnerships, their contacts, customers, groups.

Credentials (RELHUB_CONN_<ID>_<FIELD> variables or an Airflow connection; never logged):
  public_key, secret_key   the vendor's API keys, sent as HTTP Basic user and password
                           (an Airflow connection's login and password)
  base_url                 the API root, default https://api.partnerstack.com; the
                           emulator's URL in tests (an Airflow connection's host)
Options (relhub.yaml, all optional):
  requests_per_minute      client-side limit, default 3,600 (PartnerStack: 4,000 a minute)
  page_size                items per request, at most 250 (the API's maximum), default 250
  reconcile_every_s        how often an incremental read lists every key to find deletions,
                           default 86,400 (the first sync of each UTC day); 0: every read
  max_attempts, base_delay_s, max_delay_s, timeout_s   retry policy and request timeout
Unknown options are refused, naming the known ones.

Objects: `partnerships` (a partner company enrolled in the program: primary contact,
`group` = tier, `team`), `partner_contacts` (the members of each partnership's team, read
from the partnerships list, each with its partnership's key and change time),
`customers` (customers the partners referred) and `groups`. Nested objects are flattened
with dots (`group.name`, `team.name`, `fields.website`); times are epoch milliseconds.
Reads: the list endpoints page with `starting_after` and `limit`; an incremental read
asks `min_updated` (one millisecond before the watermark, so an inclusive and an exclusive
bound both return the watermark's own millisecond) in the API's default order, which
follows the creation time, so the read checkpoints at its end: the newest change seen,
held behind the moment the read started. PartnerStack reports no deletions: once a
`reconcile_every_s` period, the read lists every live key (archived items are not listed)
and the sync marks the keys it holds and the list no longer has as deleted.
Writes: none; PartnerStack stays the system of record for partners.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, ClassVar

import requests

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
    parse_timestamp,
    reconciliation_due,
)
from connectors.http import DEFAULT_TIMEOUT_S, RateLimiter, Retrier, RetryPolicy, parse_retry_after
from connectors.options import ApiOptions

log = logging.getLogger(__name__)

BASE_URL = "https://api.partnerstack.com"
MAX_PAGE = 250  # the list endpoints' largest `limit`
CONTACTS = "partner_contacts"
ENDPOINTS = {"partnerships": "partnerships", CONTACTS: "partnerships"}
ENDPOINTS |= {name: name for name in ("customers", "groups")}
TIME_FIELDS = frozenset({"created_at", "updated_at", "joined_at"})

_COMMON = {"key": FieldType.ID, "created_at": FieldType.DATETIME, "updated_at": FieldType.DATETIME}
_PERSON = {
    "email": FieldType.EMAIL,
    "first_name": FieldType.STRING,
    "last_name": FieldType.STRING,
}
SCHEMAS: dict[str, dict[str, FieldType]] = {
    "partnerships": {
        **_COMMON,
        **_PERSON,
        "archived": FieldType.BOOLEAN,
        "partner_key": FieldType.STRING,
        "joined_at": FieldType.DATETIME,
        "group.key": FieldType.REFERENCE,
        "group.name": FieldType.PICKLIST,
        "group.slug": FieldType.STRING,
        "team.key": FieldType.STRING,
        "team.name": FieldType.STRING,
        "tags": FieldType.MULTIPICKLIST,
    },
    CONTACTS: {
        **_COMMON,
        **_PERSON,
        "phone": FieldType.PHONE,
        "country": FieldType.STRING,
        "role": FieldType.PICKLIST,
        "partnership_key": FieldType.REFERENCE,
        "partner_key": FieldType.STRING,
        "team.name": FieldType.STRING,
    },
    "customers": {
        **_COMMON,
        "archived": FieldType.BOOLEAN,
        "customer_key": FieldType.STRING,
        "name": FieldType.STRING,
        "email": FieldType.EMAIL,
        "partnership_key": FieldType.REFERENCE,
        "partner_key": FieldType.STRING,
        "test": FieldType.BOOLEAN,
    },
    "groups": {
        **_COMMON,
        "archived": FieldType.BOOLEAN,
        "name": FieldType.STRING,
        "slug": FieldType.STRING,
        "default": FieldType.BOOLEAN,
    },
}


@dataclass(frozen=True)
class PartnerStackOptions(ApiOptions):
    label: ClassVar[str] = "PartnerStack"

    requests_per_minute: int = 3_600
    page_size: int = MAX_PAGE
    reconcile_every_s: float = 86_400.0


class PartnerStackConnector:
    system: str
    max_write_batch = 1

    def __init__(
        self,
        system: str,
        session: requests.Session,
        base_url: str,
        *,
        limiter: RateLimiter,
        policy: RetryPolicy,
        page_size: int = MAX_PAGE,
        reconcile_every_s: float = 86_400.0,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.system = system
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._retrier = Retrier(policy, limiter=limiter)
        self._page_size = max(1, min(page_size, MAX_PAGE))
        self._reconcile_every_s = reconcile_every_s
        self._timeout_s = timeout_s
        self._schemas: dict[str, ObjectSchema] = {}

    @classmethod
    def from_config(
        cls, system: str, options: Mapping[str, Any], credentials: Mapping[str, str]
    ) -> PartnerStackConnector:
        public = credentials.get("public_key") or credentials.get("username")
        secret = credentials.get("secret_key") or credentials.get("password")
        if not public or not secret:
            raise ConnectorError(
                f"{system}: PartnerStack credentials need public_key and secret_key"
            )
        session = requests.Session()
        session.auth = (public, secret)
        session.headers["Accept"] = "application/json"
        parsed = PartnerStackOptions.from_mapping(options)
        return cls(
            system,
            session,
            credentials.get("base_url") or credentials.get("host") or BASE_URL,
            limiter=RateLimiter(parsed.requests_per_minute, 60.0),
            policy=parsed.retry_policy(),
            page_size=parsed.page_size,
            reconcile_every_s=parsed.reconcile_every_s,
            timeout_s=parsed.timeout_s,
        )

    # --- schema -------------------------------------------------------------------------
    def discover(self, object_name: str) -> ObjectSchema:
        """The documented fields, and the custom `fields.*` a sample of items carries."""
        if object_name not in self._schemas:
            fields = {name: FieldSchema(name, kind) for name, kind in _known(object_name).items()}
            sample, _ = self._list_page(object_name, {"limit": 10})
            if object_name == CONTACTS:
                sample = [member for raw in sample for member in _members(raw)]
            for raw in sample:
                for name, value in _flat(raw).items():
                    if name not in fields and name != "team.members":
                        fields[name] = FieldSchema(name, _type_of(value), custom=True)
            self._schemas[object_name] = ObjectSchema(self.system, object_name, fields)
        return self._schemas[object_name]

    # --- reads --------------------------------------------------------------------------
    def read_changes(
        self, spec: ReadSpec, since: Watermark | None, *, full: bool = False
    ) -> Iterator[Page]:
        _known(spec.object)
        horizon = Watermark(datetime.now(UTC))
        if full:
            yield from self._snapshot(spec, horizon)
            return
        if since is not None and reconciliation_due(since, self._reconcile_every_s):
            yield from self._reconcile(spec)
        query = {} if since is None else {"min_updated": epoch_ms(since.modified_at) - 1}
        newest = since
        for items, last in self._listing(spec.object, query):
            page = self._page(spec, items)
            page.records = list(after_cursor(page.records, since))
            for record in page.records:
                if record.cursor is not None and (newest is None or record.cursor > newest):
                    newest = record.cursor
            if last and newest is not None:
                page.checkpoint = (
                    max(min(newest, horizon), since) if since else min(newest, horizon)
                )
            yield page

    def _snapshot(self, spec: ReadSpec, horizon: Watermark) -> Iterator[Page]:
        newest: Watermark | None = None
        for items, last in self._listing(spec.object, {}):
            page = self._page(spec, items)
            page.snapshot = True
            for record in page.records:
                if record.cursor is not None and (newest is None or record.cursor > newest):
                    newest = record.cursor
            if last:
                page.snapshot_complete = True
                page.checkpoint = min(newest, horizon) if newest else horizon
            yield page

    def _reconcile(self, spec: ReadSpec) -> Iterator[Page]:
        """Every live key, as a snapshot of ids only: the sync marks the keys it holds and
        PartnerStack no longer lists (archived, deleted, a member who left) as deleted."""
        for items, last in self._listing(spec.object, {}):
            if spec.object == CONTACTS:
                ids = [str(m["key"]) for item in items for m in _members(item)]
            else:
                ids = [str(item["key"]) for item in items]
            yield Page(snapshot=True, snapshot_complete=last, present_ids=ids)

    def _listing(
        self, object_name: str, query: Mapping[str, Any]
    ) -> Iterator[tuple[list[dict[str, Any]], bool]]:
        """Pages of a list endpoint, each with whether it is the last."""
        after: str | None = None
        guard = PagingGuard(f"list {object_name}")
        while True:
            params = {**query, "limit": self._page_size}
            if after is not None:
                params["starting_after"] = after
            items, has_more = self._list_page(object_name, params)
            last = not has_more or not items
            yield items, last
            if last:
                return
            after = str(items[-1]["key"])
            guard.check(after)

    def _page(self, spec: ReadSpec, items: Sequence[Mapping[str, Any]]) -> Page:
        page = Page()
        for raw in items:
            reads: list[tuple[Any, Callable[[], SourceRecord]]] = (
                [(member, partial(self._contact, raw, member)) for member in _members(raw)]
                if spec.object == CONTACTS
                else [(raw, partial(self._record, spec.object, raw))]
            )
            for item, read in reads:
                try:
                    page.records.append(read())
                except (KeyError, TypeError, ValueError) as error:
                    reason = f"unreadable PartnerStack item: {error!r}"
                    page.rejects.append(Reject(reason, item, _key_of(item)))
        return page

    def _record(self, object_name: str, raw: Mapping[str, Any]) -> SourceRecord:
        fields = _flat(raw)
        fields.pop("team.members", None)  # the members are the partner_contacts object
        return SourceRecord(
            self.system,
            object_name,
            str(raw["key"]),
            parse_timestamp(raw["updated_at"]),
            False,
            _typed(fields),
        )

    def _contact(self, partnership: Mapping[str, Any], member: Mapping[str, Any]) -> SourceRecord:
        """A team member, changed when its partnership last changed."""
        fields = {
            **_flat(member),
            "partnership_key": partnership["key"],
            "partner_key": partnership.get("partner_key"),
            "team.name": (partnership.get("team") or {}).get("name"),
            "created_at": partnership.get("created_at"),
            "updated_at": partnership["updated_at"],
        }
        return SourceRecord(
            self.system,
            CONTACTS,
            str(member["key"]),
            parse_timestamp(partnership["updated_at"]),
            False,
            _typed(fields),
        )

    # --- writes -------------------------------------------------------------------------
    def write_batch(self, object_name: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        reason = "PartnerStack is read-only here: partners are edited in PartnerStack"
        return [WriteResult(WriteStatus.REJECTED, r.record_id, reason) for r in requests]

    # --- transport ----------------------------------------------------------------------
    def _list_page(
        self, object_name: str, params: Mapping[str, Any]
    ) -> tuple[list[dict[str, Any]], bool]:
        endpoint = ENDPOINTS[object_name]
        url = f"{self._base_url}/api/v2/{endpoint}"
        what = f"list {endpoint}"

        def attempt() -> dict[str, Any]:
            try:
                response = self._session.get(url, params=params, timeout=self._timeout_s)
                if response.status_code != 200:
                    raise _translate(response, what)
                body: dict[str, Any] = response.json()
            except requests.RequestException as error:  # refused, reset, a body cut short
                raise TransientError(f"{what}: {type(error).__name__}") from None
            except ValueError:
                raise TransientError(f"{what}: the answer was not JSON") from None
            return body

        data = self._retrier.call(attempt, what=what).get("data") or {}
        return list(data.get("items") or []), bool(data.get("has_more"))

    def close(self) -> None:
        self._session.close()


def _translate(response: requests.Response, what: str) -> ConnectorError:
    """An error answer as ours; the reason is the body's `message`, never a header."""
    message = error_reason(response.text)
    text = f"{what}: PartnerStack answered {response.status_code} {message}".strip()
    if response.status_code in (401, 403):
        return AuthenticationError(text)
    if response.status_code == 429 or response.status_code >= 500:
        return TransientError(
            text, retry_after=parse_retry_after(response.headers.get("Retry-After"))
        )
    return ConnectorError(text)


def _known(object_name: str) -> dict[str, FieldType]:
    try:
        return SCHEMAS[object_name]
    except KeyError:
        known = ", ".join(SCHEMAS)
        raise ConnectorError(
            f"PartnerStack has no object {object_name!r}; known: {known}"
        ) from None


def _members(partnership: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list((partnership.get("team") or {}).get("members") or [])


def _flat(raw: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted names (`group.name`); lists stay values."""
    out: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, Mapping):
            out.update(_flat(value, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = value
    return out


def _typed(fields: dict[str, Any]) -> dict[str, Any]:
    """Epoch-millisecond times as datetimes; ValueError rejects the record."""
    for name in TIME_FIELDS & fields.keys():
        if fields[name] is not None:
            fields[name] = parse_timestamp(int(fields[name]))
    return fields


def _type_of(value: Any) -> FieldType:
    if isinstance(value, bool):
        return FieldType.BOOLEAN
    if isinstance(value, int | float):
        return FieldType.NUMBER
    if isinstance(value, list):
        return FieldType.MULTIPICKLIST
    return FieldType.STRING


def _key_of(raw: Any) -> str | None:
    return str(raw["key"]) if isinstance(raw, Mapping) and raw.get("key") else None
