"""The REST resources under `/services/data/vXX.X/`, without HTTP, auth or faults.

Shapes follow the Salesforce REST API Developer Guide: query / queryAll with
`nextRecordsUrl` paging, sObject describe, rows, rows by external id, get updated /
get deleted, sObject Collections (create, update, delete, upsert) and limits.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from emulators.salesforce import soql
from emulators.salesforce.bulk import BulkQueryJobs
from emulators.salesforce.reply import Reply
from emulators.salesforce.schema import ObjectDef
from emulators.salesforce.store import (
    ApiError,
    MultipleMatches,
    OrgStore,
    format_datetime,
    no_such_column,
)

MAX_COLLECTION = 200  # sObject Collections: "The list can contain up to 200 objects."
DEFAULT_BATCH = 2000  # query batch size: default and maximum 2,000, minimum 200
MIN_BATCH = 200
OPEN_CURSORS = 200  # query locators kept for queryMore, oldest dropped first


def error_body(error: ApiError) -> list[dict[str, Any]]:
    body: dict[str, Any] = {"message": error.message, "errorCode": error.code}
    if error.fields:
        body["fields"] = error.fields
    return [body]


def record_error(error: ApiError) -> dict[str, Any]:
    return {"statusCode": error.code, "message": error.message, "fields": error.fields}


def _render_value(value: Any) -> Any:
    return format_datetime(value) if isinstance(value, datetime) else value


class OrgApi:
    """Answers one REST call against an `OrgStore`."""

    def __init__(
        self,
        store: OrgStore,
        api_version: str,
        limits: Callable[[], tuple[int, int]],
        *,
        stuck_paging: Callable[[], bool] = lambda: False,
    ) -> None:
        self.store = store
        self.version = api_version
        self.base = f"/services/data/v{api_version}"
        self._limits = limits
        self.hidden: dict[str, frozenset[str]] = {}  # the integration user's field-level security
        self.bulk = BulkQueryJobs(self.bind, self.rows, api_version)
        self._cursors: OrderedDict[str, tuple[list[dict[str, Any]], int]] = OrderedDict()
        self._lock = threading.Lock()
        # The fault, read from the org's faults on each batch: a batch's next URL is the one
        # that asked for it.
        self._stuck_paging = stuck_paging

    def object(self, name: str) -> ObjectDef:
        """An object as the integration user sees it (tests write through the store, which
        sees every field, the way an administrator does)."""
        obj = self.store.object(name)
        return obj.readable(self.hidden.get(obj.name, frozenset()))

    # -- dispatch -------------------------------------------------------------------

    def handle(
        self,
        method: str,
        parts: list[str],
        params: Mapping[str, str],
        body: Any,
        headers: Mapping[str, str],
    ) -> Reply:
        try:
            return self._route(method, parts, params, body, headers)
        except ApiError as error:
            return Reply(error.status, error_body(error))
        except soql.SoqlError as error:
            return Reply(400, [{"message": error.message, "errorCode": error.code}])

    def _route(
        self,
        method: str,
        parts: list[str],
        params: Mapping[str, str],
        body: Any,
        headers: Mapping[str, str],
    ) -> Reply:
        head, rest = (parts[0] if parts else ""), parts[1:]
        if not parts and method == "GET":
            return Reply(
                200,
                {
                    r: f"{self.base}/{r}"
                    for r in ("sobjects", "query", "queryAll", "limits", "composite", "jobs")
                },
            )
        if head in {"query", "queryAll"} and method == "GET":
            if rest:
                return self._query_more(rest[0], head)
            if "q" not in params:
                raise ApiError(400, "MALFORMED_QUERY", "A query string is required (q=)")
            return self._query(
                params["q"], head, include_deleted=head == "queryAll", batch=_batch_size(headers)
            )
        if head == "limits" and not rest and method == "GET":
            used, cap = self._limits()
            return Reply(200, {"DailyApiRequests": {"Max": cap, "Remaining": max(cap - used, 0)}})
        if head == "sobjects":
            return self._sobjects(method, rest, params, body)
        if head == "composite" and rest[:1] == ["sobjects"]:
            return self._collections(method, rest[1:], params, body)
        if head == "jobs" and rest[:1] == ["query"]:
            return self.bulk.handle(method, rest[1:], params, body)
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    # -- query ----------------------------------------------------------------------

    def bind(self, text: str) -> tuple[ObjectDef, soql.Query]:
        """A SOQL query parsed and bound to its object as the integration user sees it; a
        malformed query or an unknown object or field is refused here, before any row."""
        parsed = soql.parse(text)
        obj = self.object(parsed.object) if parsed.object in self.store.objects else None
        if obj is None:
            raise soql.SoqlError(
                "INVALID_TYPE",
                f"sObject type '{parsed.object}' is not supported. If you are attempting to use "
                "a custom object, be sure to append the '__c' after the entity name.",
            )
        return obj, soql.bind(parsed, obj)

    def rows(
        self, obj: ObjectDef, query: soql.Query, *, include_deleted: bool
    ) -> list[dict[str, Any]]:
        """The rows a bound query matches, in its order and within its LIMIT."""
        rows = self.store.visible_records(obj.name, include_deleted=include_deleted)
        rows = [r for r in rows if soql.matches(query.where, r, obj)]
        rows = soql.order_records(rows, query.order, obj)
        return rows if query.limit is None else rows[: query.limit]

    def _query(self, text: str, resource: str, *, include_deleted: bool, batch: int) -> Reply:
        obj, query = self.bind(text)
        rows = self.rows(obj, query, include_deleted=include_deleted)
        if query.count:
            return Reply(200, {"totalSize": len(rows), "done": True, "records": []})
        rendered = [self._render(obj, r, query.fields) for r in rows]
        locator = "01g" + secrets.token_hex(8)
        with self._lock:
            self._cursors[locator] = (rendered, batch)
            while len(self._cursors) > OPEN_CURSORS:
                self._cursors.popitem(last=False)
        return self._page(locator, resource, 0)

    def _query_more(self, token: str, resource: str) -> Reply:
        locator, _, offset = token.rpartition("-")
        with self._lock:
            known = locator in self._cursors
        if not known or not offset.isdigit():
            raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self._page(locator, resource, int(offset))

    def _page(self, locator: str, resource: str, offset: int) -> Reply:
        """One batch of a query's result set, as it was when the query ran."""
        with self._lock:
            rows, batch = self._cursors[locator]
        end = offset + batch
        body: dict[str, Any] = {
            "totalSize": len(rows),
            "done": end >= len(rows),
            "records": rows[offset:end],
        }
        if end < len(rows):
            after = offset if offset and self._stuck_paging() else end
            body["nextRecordsUrl"] = f"{self.base}/{resource}/{locator}-{after}"
        return Reply(200, body)

    def _render(self, obj: ObjectDef, record: dict[str, Any], fields: tuple[str, ...]) -> dict:
        url = f"{self.base}/sobjects/{obj.name}/{record['Id']}"
        out: dict[str, Any] = {"attributes": {"type": obj.name, "url": url}}
        out.update((name, _render_value(record.get(name))) for name in fields)
        return out

    # -- sObject resources ----------------------------------------------------------

    def _sobjects(
        self, method: str, rest: list[str], params: Mapping[str, str], body: Any
    ) -> Reply:
        if not rest:
            listing = [
                {"name": o.name, "keyPrefix": o.key_prefix, "custom": o.custom, "queryable": True}
                for o in self.store.objects.values()
            ]
            return Reply(
                200, {"encoding": "UTF-8", "maxBatchSize": MAX_COLLECTION, "sobjects": listing}
            )
        obj = self.object(rest[0])
        sub = rest[1:]
        if not sub:
            if method == "POST":
                record_id = self.store.create(obj.name, _fields(obj, body))
                return Reply(201, {"id": record_id, "success": True, "errors": []})
            return Reply(
                200,
                {
                    "objectDescribe": {
                        "name": obj.name,
                        "keyPrefix": obj.key_prefix,
                        "custom": obj.custom,
                    },
                    "recentItems": [],
                },
            )
        if sub == ["describe"] and method == "GET":
            return Reply(200, obj.describe(self.base))
        if sub[0] in {"updated", "deleted"} and len(sub) == 1 and method == "GET":
            return self._changes(obj, sub[0], params)
        if len(sub) == 1:
            return self._row(method, obj, sub[0], params, body)
        if len(sub) == 2:
            return self._row_by_external_id(method, obj, sub[0], sub[1], body)
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    def _row(
        self, method: str, obj: ObjectDef, record_id: str, params: Mapping[str, str], body: Any
    ) -> Reply:
        if method == "GET":
            record = self.store.get(obj.name, record_id)
            names = _field_names(obj, params.get("fields"))
            return Reply(200, self._render(obj, record, names))
        if method == "PATCH":
            self.store.update(obj.name, record_id, _fields(obj, body))
            return Reply(204)
        if method == "DELETE":
            self.store.delete(obj.name, record_id)
            return Reply(204)
        raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.")

    def _row_by_external_id(
        self, method: str, obj: ObjectDef, field_name: str, value: str, body: Any
    ) -> Reply:
        key = self.store.external_field(obj, field_name)
        if method == "PATCH":
            try:
                record_id, created = self.store.upsert(
                    obj.name, key.name, value, _fields(obj, body)
                )
            except MultipleMatches as error:
                return Reply(300, [f"{self.base}/sobjects/{obj.name}/{rid}" for rid in error.ids])
            if created:
                return Reply(201, {"id": record_id, "success": True, "errors": [], "created": True})
            return Reply(204)
        matched = self.store.find(obj.name, key.name, value)
        if not matched:
            raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
        if len(matched) > 1:
            return Reply(300, [f"{self.base}/sobjects/{obj.name}/{rid}" for rid in matched])
        if method == "GET":
            return Reply(
                200, self._render(obj, self.store.get(obj.name, matched[0]), tuple(obj.fields))
            )
        if method == "DELETE":
            self.store.delete(obj.name, matched[0])
            return Reply(204)
        raise ApiError(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.")

    def _changes(self, obj: ObjectDef, kind: str, params: Mapping[str, str]) -> Reply:
        try:
            start = soql.parse_datetime(params["start"])
            end = soql.parse_datetime(params["end"])
        except (KeyError, ValueError) as error:
            raise ApiError(
                400, "INVALID_REPLICATION_DATE", "start and end must be dateTime values"
            ) from error
        if end < start:
            raise ApiError(400, "INVALID_REPLICATION_DATE", "start date must precede end date")
        covered = format_datetime(end)
        if kind == "updated":
            rows = self.store.changed_between(obj.name, start, end, deleted=False)
            return Reply(200, {"ids": [r["Id"] for r in rows], "latestDateCovered": covered})
        deleted = [
            {"id": record_id, "deletedDate": format_datetime(at)}
            for record_id, at in self.store.deleted_between(obj.name, start, end)
        ]
        return Reply(
            200,
            {
                "deletedRecords": deleted,
                "earliestDateAvailable": format_datetime(self.store.earliest_available(obj.name)),
                "latestDateCovered": covered,
            },
        )

    # -- sObject Collections --------------------------------------------------------

    def _collections(
        self, method: str, rest: list[str], params: Mapping[str, str], body: Any
    ) -> Reply:
        if method == "DELETE" and not rest:
            ids = [i for i in params.get("ids", "").split(",") if i]
            _refuse_repeated_ids(ids)
            all_or_none = params.get("allOrNone", "false").lower() == "true"
            return self._apply(ids, all_or_none, lambda rid: self._delete_any(rid))
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise ApiError(400, "JSON_PARSER_ERROR", "The request body must have a records list")
        records, all_or_none = body["records"], bool(body.get("allOrNone", False))
        if len(records) > MAX_COLLECTION:
            raise ApiError(
                400,
                "EXCEEDED_ID_LIMIT",
                "record limit reached. cannot submit more "
                f"than {MAX_COLLECTION} records into this call",
            )
        if not rest and method == "POST":
            return self._apply(records, all_or_none, self._create_one)
        if not rest and method == "PATCH":
            _refuse_repeated_ids(
                [r.get("Id") or r.get("id") for r in records if isinstance(r, dict)]
            )
            return self._apply(records, all_or_none, self._update_one)
        if len(rest) == 2 and method == "PATCH":
            obj = self.object(rest[0])
            if rest[1].lower() == "id":  # "Only external ids are supported. Don't use record ids."
                raise ApiError(
                    400,
                    "INVALID_FIELD",
                    f"Field name provided, Id is not an External ID field for {obj.name}: "
                    "sObject Collections upsert only by an external ID field",
                )
            key = self.store.external_field(obj, rest[1])
            keys = [_key_value(r, key.name) for r in records]
            repeated = {k for k in keys if k and keys.count(k) > 1}
            return self._apply(
                records, all_or_none, lambda r: self._upsert_one(obj, key.name, r, repeated)
            )
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")

    def _apply(
        self, items: list[Any], all_or_none: bool, one: Callable[[Any], dict[str, Any]]
    ) -> Reply:
        """Per-record results in request order; with allOrNone a failure rolls back all."""
        saved = self.store.savepoint() if all_or_none else None
        results: list[dict[str, Any]] = []
        for item in items:
            try:
                results.append({"success": True, "errors": [], **one(item)})
            except ApiError as error:
                results.append({"id": None, "success": False, "errors": [record_error(error)]})
        if saved is not None and not all(r["success"] for r in results):
            self.store.restore(saved)
            rolled_back = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and "
                "the request was using AllOrNone header",
                "fields": [],
            }
            results = [
                r
                if not r["success"]
                else {"id": r.get("id"), "success": False, "errors": [rolled_back]}
                for r in results
            ]
        return Reply(200, results)

    def _typed(self, record: Any) -> tuple[ObjectDef, dict[str, Any]]:
        if not isinstance(record, dict) or not isinstance(record.get("attributes"), dict):
            raise ApiError(400, "INVALID_TYPE", "Must specify a type in the attributes map")
        obj = self.object(str(record["attributes"].get("type")))
        return obj, _fields(obj, record)

    def _create_one(self, record: Any) -> dict[str, Any]:
        obj, values = self._typed(record)
        return {"id": self.store.create(obj.name, values)}

    def _update_one(self, record: Any) -> dict[str, Any]:
        obj, values = self._typed(record)
        record_id = str(values.pop("Id", "") or values.pop("id", ""))
        if not record_id:
            raise ApiError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
        try:
            self.store.update(obj.name, record_id, values)
        except ApiError as error:
            if error.code == "NOT_FOUND":  # Collections report an unknown id this way
                raise ApiError(
                    400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", ["Id"]
                ) from error
            raise
        return {"id": record_id}

    def _upsert_one(
        self, obj: ObjectDef, key: str, record: Any, repeated: set[str]
    ) -> dict[str, Any]:
        """One upsert; a key value the request names twice is refused for each record that
        names it, as Salesforce refuses it ("Duplicate external id specified")."""
        _, values = self._typed(record)
        value = next((v for k, v in values.items() if k.lower() == key.lower()), None)
        if value in (None, ""):
            raise ApiError(
                400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{key}]", [key]
            )
        if _key_value(record, key) in repeated:
            raise ApiError(
                400, "DUPLICATE_VALUE", f"Duplicate external id specified: {value}", [key]
            )
        values = {k: v for k, v in values.items() if k.lower() != key.lower()}
        try:
            record_id, created = self.store.upsert(obj.name, key, value, values)
        except MultipleMatches as error:
            raise ApiError(
                300,
                "DUPLICATE_EXTERNAL_ID",
                f"{key}: more than one record found for "
                f"external id field: [{', '.join(error.ids)}]",
                [key],
            ) from error
        return {"id": record_id, "created": created}

    def _delete_any(self, record_id: str) -> dict[str, Any]:
        obj = next(
            (o for o in self.store.objects.values() if record_id.startswith(o.key_prefix)), None
        )
        if obj is None:
            raise ApiError(400, "MALFORMED_ID", f"malformed id {record_id}")
        self.store.delete(obj.name, record_id)
        return {"id": record_id}


def _key_value(record: Any, key: str) -> str:
    """An upsert record's external id value as Salesforce compares it (case-insensitive)."""
    if not isinstance(record, dict):
        return ""
    value = next((v for k, v in record.items() if k.lower() == key.lower()), None)
    return "" if value is None else str(value).casefold()


def _refuse_repeated_ids(ids: list[Any]) -> None:
    """One list naming a record twice is refused whole, as Salesforce's DML refuses it
    ("Duplicate id in list"): neither write would be the one to keep."""
    seen: set[str] = set()
    for record_id in (str(i) for i in ids if i):
        if record_id[:15] in seen:  # an 18-character id and its 15-character form alike
            raise ApiError(400, "INVALID_FIELD", f"Duplicate id in list: {record_id}")
        seen.add(record_id[:15])


def _field_names(obj: ObjectDef, listed: str | None) -> tuple[str, ...]:
    """The `fields=` parameter of a row GET, in canonical spelling (all fields without it)."""
    if not listed:
        return tuple(obj.fields)
    names = []
    for name in (n.strip() for n in listed.split(",")):
        fdef = obj.lookup(name)
        if fdef is None:
            raise ApiError(
                400,
                "INVALID_FIELD",
                f"No such column '{name}' on sobject of type {obj.name}",
                [name],
            )
        names.append(fdef.name)
    return tuple(names)


def _fields(obj: ObjectDef, body: Any) -> dict[str, Any]:
    """A request body's field values; a field the user cannot see is no such column."""
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
    values = {k: v for k, v in body.items() if k != "attributes"}
    unseen = next((name for name in values if obj.lookup(name) is None), None)
    if unseen is not None:
        raise no_such_column(obj, unseen)
    return values


def _batch_size(headers: Mapping[str, str]) -> int:
    """`Sforce-Query-Options: batchSize=N`, clamped to the documented 200..2,000."""
    option = headers.get("Sforce-Query-Options", "")
    for part in option.split(","):
        name, _, value = part.strip().partition("=")
        if name == "batchSize" and value.isdigit():
            return min(max(int(value), MIN_BATCH), DEFAULT_BATCH)
    return DEFAULT_BATCH
