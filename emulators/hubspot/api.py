"""The CRM v3 endpoints (and the v4 association read) as plain functions of the store.

No sockets here: `CrmApi.handle` takes a method, a path, the query and the decoded JSON
body, and returns a status and a JSON-able body shaped as HubSpot documents them.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from emulators.hubspot.schema import DEFAULT_PROPERTIES, MODIFIED_PROPERTY, OBJECT_TYPES
from emulators.hubspot.search import SearchIndex, SearchRefused
from emulators.hubspot.store import CrmRecord, CrmStore, WriteRefused, format_time, live_records

MAX_BATCH = 100
MAX_LIST_LIMIT = 100
MAX_ASSOCIATION_BATCH = 1_000
Query = Mapping[str, Sequence[str]]
Props = Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    body: Any = None  # None: no content


def error_body(category: str, message: str, **extra: Any) -> dict[str, Any]:
    """HubSpot's error shape: status, message, correlationId, category (+ context)."""
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        "category": category,
        **extra,
    }


def _refuse(status: int, category: str, message: str, **extra: Any) -> Reply:
    return Reply(status, error_body(category, message, **extra))


class CrmApi:
    def __init__(self, store: CrmStore, base_url: Callable[[], str]) -> None:
        self.store = store
        self.index = SearchIndex(store)
        self._base_url = base_url
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Reply]]] = [
            ("GET", re.compile(r"/crm/v3/properties/(\w+)"), self._properties),
            ("GET", re.compile(r"/crm/v3/objects/(\w+)"), self._list),
            ("GET", re.compile(r"/crm/v3/objects/(\w+)/([^/]+)"), self._get),
            ("DELETE", re.compile(r"/crm/v3/objects/(\w+)/([^/]+)"), self._archive_one),
            ("POST", re.compile(r"/crm/v3/objects/(\w+)/search"), self._search),
            ("POST", re.compile(r"/crm/v3/objects/(\w+)/merge"), self._merge),
            ("POST", re.compile(r"/crm/v3/objects/(\w+)/gdpr-delete"), self._gdpr_delete),
            ("POST", re.compile(r"/crm/v3/objects/(\w+)/batch/(\w+)"), self._batch),
            (
                "GET",
                re.compile(r"/crm/v4/objects/contacts/([^/]+)/associations/companies"),
                self._associations,
            ),
            (
                "POST",
                re.compile(r"/crm/v4/associations/contacts/companies/batch/read"),
                self._batch_associations,
            ),
        ]

    def handle(self, method: str, path: str, query: Query, body: Any) -> Reply:
        for verb, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and verb == method:
                groups = match.groups()
                if "/contacts/" not in pattern.pattern and groups[0] not in OBJECT_TYPES:
                    return _refuse(
                        400, "VALIDATION_ERROR", f"Unable to infer object type from: {groups[0]}"
                    )
                try:
                    return handler(*groups, query=query, body=body)
                except _BadQuery as error:
                    return _refuse(400, "VALIDATION_ERROR", str(error))
        return _refuse(404, "OBJECT_NOT_FOUND", f"No route for {method} {path}")

    # --- reads --------------------------------------------------------------------------
    def _properties(self, object_type: str, *, query: Query, body: Any) -> Reply:
        with self.store.lock:
            props = [p.to_api() for p in self.store.schema[object_type].values()]
        return Reply(200, {"results": props})

    def _list(self, object_type: str, *, query: Query, body: Any) -> Reply:
        limit = int(_first(query, "limit") or 10)
        if not 0 < limit <= MAX_LIST_LIMIT:
            return _refuse(400, "VALIDATION_ERROR", f"limit must be between 1 and {MAX_LIST_LIMIT}")
        archived = _flag(query, "archived")
        after = int(_first(query, "after") or 0)
        names = _names(query, object_type)
        records = [
            r for r in live_records(self.store, object_type, archived=archived) if int(r.id) > after
        ]
        page = records[:limit]
        reply: dict[str, Any] = {"results": [self._public(r, r.properties, names) for r in page]}
        if len(records) > limit:
            cursor = page[-1].id
            params = {k: v[0] for k, v in query.items() if k != "after"} | {"after": cursor}
            link = f"{self._base_url()}/crm/v3/objects/{object_type}?{urlencode(params)}"
            reply["paging"] = {"next": {"after": cursor, "link": link}}
        return Reply(200, reply)

    def _get(self, object_type: str, record_id: str, *, query: Query, body: Any) -> Reply:
        id_property = _first(query, "idProperty")
        archived = _flag(query, "archived")
        if id_property:
            found = self.store.find_by(object_type, id_property, record_id)
            record = found[0] if len(found) == 1 else None
        else:
            record = self.store.resolve(object_type, record_id, archived=archived)
        if record is None:
            return _refuse(
                404,
                "OBJECT_NOT_FOUND",
                "Object not found.  objectId are usually numeric.",
                context={"id": [record_id]},
            )
        public = self._public(record, record.properties, _names(query, object_type))
        if object_type == "contacts" and "companies" in (_first(query, "associations") or ""):
            links = self.store.company_links.get(record.id, [])
            public["associations"] = {
                "companies": {
                    "results": [{"id": company, "type": "contact_to_company"} for company in links]
                }
            }
        return Reply(200, public)

    def _associations(self, contact_id: str, *, query: Query, body: Any) -> Reply:
        record = self.store.resolve("contacts", contact_id)
        if record is None:
            return _refuse(404, "OBJECT_NOT_FOUND", f"contact {contact_id} not found")
        return Reply(200, {"results": self._company_links(record.id)})

    def _batch_associations(self, *, query: Query, body: Any) -> Reply:
        """v4 batch read: each contact's companies; a contact without any is an error entry
        (HubSpot's NO_ASSOCIATIONS_FOUND), not an empty result."""
        inputs = list((body or {}).get("inputs") or [])
        if len(inputs) > MAX_ASSOCIATION_BATCH:
            return _refuse(
                400,
                "VALIDATION_ERROR",
                f"Batch input limit exceeded: at most {MAX_ASSOCIATION_BATCH} inputs",
            )
        results, errors = [], []
        for item in inputs:
            contact_id = str(item.get("id"))
            record = self.store.resolve("contacts", contact_id)
            links = self._company_links(record.id) if record else []
            if links:
                results.append({"from": {"id": contact_id}, "to": links})
            else:
                errors.append(
                    {
                        "status": "error",
                        "category": "OBJECT_NOT_FOUND",
                        "subCategory": "crm.associations.NO_ASSOCIATIONS_FOUND",
                        "message": f"No company is associated with contact {contact_id}.",
                        "context": {"fromObjectId": [contact_id]},
                    }
                )
        return self._batch_reply(results, errors)

    def _company_links(self, contact_id: str) -> list[dict[str, Any]]:
        """A contact's companies as v4 lists them: the primary one labelled Primary."""
        return [
            {
                "toObjectId": int(company),
                "associationTypes": [
                    *(
                        [{"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"}]
                        if rank == 0
                        else []
                    ),
                    {"category": "HUBSPOT_DEFINED", "typeId": 279, "label": None},
                ],
            }
            for rank, company in enumerate(self.store.company_links.get(contact_id, []))
        ]

    def _search(self, object_type: str, *, query: Query, body: Any) -> Reply:
        body = body or {}
        try:
            page = self.index.search(object_type, body)
        except SearchRefused as refused:
            return _refuse(400, "VALIDATION_ERROR", str(refused))
        names = list(body.get("properties") or DEFAULT_PROPERTIES[object_type])
        reply: dict[str, Any] = {
            "total": page.total,
            "results": [self._public(record, props, names) for record, props in page.matches],
        }
        if page.next_after is not None:
            reply["paging"] = {"next": {"after": str(page.next_after)}}
        return Reply(200, reply)

    # --- writes -------------------------------------------------------------------------
    def _archive_one(self, object_type: str, record_id: str, *, query: Query, body: Any) -> Reply:
        self.store.archive(object_type, record_id)
        return Reply(204)

    def _gdpr_delete(self, object_type: str, *, query: Query, body: Any) -> Reply:
        """Permanent deletion: the record never enters the archive."""
        record_id = str((body or {}).get("objectId", ""))
        if not self.store.delete_permanently(object_type, record_id):
            return _refuse(
                404, "OBJECT_NOT_FOUND", "Object not found.", context={"id": [record_id]}
            )
        return Reply(204)

    def _merge(self, object_type: str, *, query: Query, body: Any) -> Reply:
        body = body or {}
        try:
            survivor = self.store.merge(
                object_type, str(body.get("primaryObjectId")), str(body.get("objectIdToMerge"))
            )
        except WriteRefused as refused:
            return _refuse(400, refused.category, refused.message)
        return Reply(
            200, self._public(survivor, survivor.properties, DEFAULT_PROPERTIES[object_type])
        )

    def _batch(self, object_type: str, action: str, *, query: Query, body: Any) -> Reply:
        inputs = list((body or {}).get("inputs") or [])
        if len(inputs) > MAX_BATCH:
            return _refuse(
                400,
                "VALIDATION_ERROR",
                f"Batch input limit exceeded: at most {MAX_BATCH} inputs, got {len(inputs)}",
            )
        keys = [str(item.get("id")) for item in inputs if "id" in item]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            return _refuse(
                400, "VALIDATION_ERROR", f"Duplicate IDs found in batch input: {duplicates}"
            )
        handler = {
            "read": self._batch_read,
            "create": self._batch_create,
            "update": self._batch_update,
            "upsert": self._batch_upsert,
            "archive": self._batch_archive,
        }.get(action)
        if handler is None:
            return _refuse(404, "OBJECT_NOT_FOUND", f"No batch action {action}")
        return handler(object_type, inputs, body or {}, query)

    def _batch_read(
        self, object_type: str, inputs: list[dict[str, Any]], body: dict[str, Any], query: Query
    ) -> Reply:
        id_property = body.get("idProperty")
        archived = _flag(query, "archived")
        names = list(body.get("properties") or DEFAULT_PROPERTIES[object_type])
        results, missing = [], []
        for item in inputs:
            key = str(item.get("id"))
            if id_property:
                found = self.store.find_by(object_type, id_property, key)
                record = found[0] if found else None
            else:
                record = self.store.resolve(object_type, key, archived=archived)
            if record is None:
                missing.append(key)
            else:
                results.append(self._public(record, record.properties, names))
        errors = [_not_found(missing)] if missing else []
        return self._batch_reply(results, errors)

    def _batch_create(
        self, object_type: str, inputs: list[dict[str, Any]], body: dict[str, Any], query: Query
    ) -> Reply:
        results, errors = [], []
        for position, item in enumerate(inputs):
            try:
                record = self.store.insert(object_type, item.get("properties") or {}, validate=True)
            except WriteRefused as refused:
                errors.append(_refusal(refused, str(position)))
                continue
            results.append(self._written(record, item))
        return self._batch_reply(results, errors, ok_status=201)

    def _batch_update(
        self, object_type: str, inputs: list[dict[str, Any]], body: dict[str, Any], query: Query
    ) -> Reply:
        results, errors, missing = [], [], []
        for item in inputs:
            key = str(item.get("id"))
            target = key
            if item.get("idProperty"):
                found = self.store.find_by(object_type, item["idProperty"], key)
                target = found[0].id if found else ""
            try:
                record = self.store.update(object_type, target, item.get("properties") or {})
            except WriteRefused as refused:
                if refused.category == "OBJECT_NOT_FOUND":
                    missing.append(key)
                else:
                    errors.append(_refusal(refused, key))
                continue
            results.append(self._written(record, item))
        if missing:
            errors.insert(0, _not_found(missing))
        return self._batch_reply(results, errors)

    def _batch_upsert(
        self, object_type: str, inputs: list[dict[str, Any]], body: dict[str, Any], query: Query
    ) -> Reply:
        unique = self.store.unique_names(object_type)
        for item in inputs:
            if item.get("idProperty") not in unique:
                return _refuse(
                    400,
                    "VALIDATION_ERROR",
                    f"Unable to perform update/upsert by non-unique property "
                    f"{item.get('idProperty')!r}; unique properties: {unique}",
                )
        results, errors = [], []
        for item in inputs:
            key, id_property = str(item.get("id")), item["idProperty"]
            found = self.store.find_by(object_type, id_property, key)
            values = {**(item.get("properties") or {}), id_property: key}
            try:
                if found:
                    record, new = self.store.update(object_type, found[0].id, values), False
                else:
                    record, new = self.store.insert(object_type, values, validate=True), True
            except WriteRefused as refused:
                errors.append(_refusal(refused, key))
                continue
            results.append({**self._written(record, item), "new": new})
        return self._batch_reply(results, errors)

    def _batch_archive(
        self, object_type: str, inputs: list[dict[str, Any]], body: dict[str, Any], query: Query
    ) -> Reply:
        for item in inputs:
            self.store.archive(object_type, str(item.get("id")))
        return Reply(204)

    # --- shapes -------------------------------------------------------------------------
    def _written(self, record: CrmRecord, item: Mapping[str, Any]) -> dict[str, Any]:
        """A write result carries the written properties plus HubSpot's always-returned ones."""
        names = [
            *(item.get("properties") or {}),
            *([item["idProperty"]] if item.get("idProperty") else []),
        ]
        return self._public(record, record.properties, names)

    def _public(self, record: CrmRecord, props: Props, names: Sequence[str]) -> dict[str, Any]:
        always = ("hs_object_id", "createdate", MODIFIED_PROPERTY[record.object_type])
        properties = {name: props.get(name) for name in (*names, *always)}
        public: dict[str, Any] = {
            "id": record.id,
            "properties": properties,
            "createdAt": format_time(record.created_at),
            "updatedAt": format_time(record.updated_at),
            "archived": record.archived,
        }
        if record.archived_at is not None:
            public["archivedAt"] = format_time(record.archived_at)
        return public

    def _batch_reply(
        self, results: list[dict[str, Any]], errors: list[dict[str, Any]], ok_status: int = 200
    ) -> Reply:
        now = format_time(self.store.clock())
        body: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": now,
            "completedAt": now,
        }
        if errors:
            body |= {"numErrors": len(errors), "errors": errors}
        return Reply(207 if errors else ok_status, body)


def _first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


class _BadQuery(ValueError):
    """A query parameter HubSpot's published spec does not allow."""


def _flag(query: Query, name: str) -> bool:
    """A boolean query parameter: the spec's `true` or `false` (not Python's `True`)."""
    value = _first(query, name)
    if value not in (None, "true", "false"):
        raise _BadQuery(f"Invalid value for {name}: {value!r} (expected true or false)")
    return value == "true"


def _names(query: Query, object_type: str) -> list[str]:
    """`properties` may repeat or be comma-separated; HubSpot accepts both."""
    names = [n for value in query.get("properties", []) for n in value.split(",") if n]
    return names or list(DEFAULT_PROPERTIES[object_type])


def _not_found(ids: list[str]) -> dict[str, Any]:
    return {
        "status": "error",
        "category": "OBJECT_NOT_FOUND",
        "message": f"Could not get some {len(ids)} objects, they may be deleted or not exist.",
        "context": {"ids": ids},
    }


def _refusal(refused: WriteRefused, key: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "status": "error",
        "category": refused.category,
        "message": refused.message,
        "context": {"ids": [key]},
    }
    if refused.errors:
        entry["errors"] = [
            {"message": e.message, "code": e.code, "context": {"propertyName": [e.name]}}
            for e in refused.errors
        ]
    return entry
