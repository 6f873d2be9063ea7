"""The HubSpot emulator answers in the shapes HubSpot documents, checked over plain HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from emulators.hubspot import (
    CrmStore,
    EmulatorConfig,
    HubSpotEmulator,
    generate,
    load_data_file,
    tier_config,
)
from emulators.hubspot.schema import custom_property
from emulators.hubspot.store import format_time

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def hub() -> Iterator[HubSpotEmulator]:
    store = CrmStore()
    generate(store, contacts=30, companies=3, modified_at=lambda n: T0 + timedelta(seconds=n))
    with HubSpotEmulator(store=store) as emulator:
        yield emulator


def call(hub: HubSpotEmulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    headers = {"Authorization": f"Bearer {hub.token}"}
    return requests.request(method, hub.base_url + path, headers=headers, timeout=10, **kwargs)


def search(hub: HubSpotEmulator, body: dict[str, Any], obj: str = "contacts") -> requests.Response:
    return call(hub, "POST", f"/crm/v3/objects/{obj}/search", json=body)


def assert_error(response: requests.Response, status: int, category: str) -> dict[str, Any]:
    assert response.status_code == status
    body = response.json()
    assert body["status"] == "error" and body["category"] == category
    assert body["message"] and body["correlationId"]
    return body


def test_bearer_token_is_required(hub: HubSpotEmulator) -> None:
    missing = requests.get(hub.base_url + "/crm/v3/objects/contacts", timeout=10)
    wrong = requests.get(
        hub.base_url + "/crm/v3/objects/contacts",
        timeout=10,
        headers={"Authorization": "Bearer nope"},
    )
    assert_error(missing, 401, "INVALID_AUTHENTICATION")
    assert_error(wrong, 401, "INVALID_AUTHENTICATION")


def test_list_pages_by_after_with_a_link_and_selected_properties(hub: HubSpotEmulator) -> None:
    first = call(
        hub, "GET", "/crm/v3/objects/contacts", params={"limit": 20, "properties": "email,jobtitle"}
    )
    body = first.json()
    assert first.status_code == 200 and len(body["results"]) == 20
    record = body["results"][0]
    assert set(record) >= {"id", "properties", "createdAt", "updatedAt", "archived"}
    assert {"email", "jobtitle", "hs_object_id", "lastmodifieddate"} <= set(record["properties"])
    following = requests.get(
        body["paging"]["next"]["link"], timeout=10, headers={"Authorization": f"Bearer {hub.token}"}
    ).json()
    assert len(following["results"]) == 10 and "paging" not in following
    ids = [r["id"] for r in body["results"] + following["results"]]
    assert len(set(ids)) == 30
    assert_error(
        call(hub, "GET", "/crm/v3/objects/contacts", params={"limit": 101}), 400, "VALIDATION_ERROR"
    )


def test_archived_listing_and_get_by_id(hub: HubSpotEmulator) -> None:
    contact = next(iter(hub.store.records["contacts"]))
    assert call(hub, "DELETE", f"/crm/v3/objects/contacts/{contact}").status_code == 204
    assert call(hub, "GET", f"/crm/v3/objects/contacts/{contact}").status_code == 404
    archived = call(hub, "GET", "/crm/v3/objects/contacts", params={"archived": "true"}).json()
    assert [r["id"] for r in archived["results"]] == [contact]
    assert archived["results"][0]["archived"] is True and archived["results"][0]["archivedAt"]


def test_archived_records_go_after_90_days_and_permanent_deletions_at_once(
    hub: HubSpotEmulator,
) -> None:
    old, recent, erased = list(hub.store.records["contacts"])[:3]
    now = datetime.now(UTC)
    hub.store.archive("contacts", old, at=now - timedelta(days=91))
    hub.store.archive("contacts", recent, at=now - timedelta(days=89))
    erasure = call(hub, "POST", "/crm/v3/objects/contacts/gdpr-delete", json={"objectId": erased})
    assert erasure.status_code == 204
    archived = call(hub, "GET", "/crm/v3/objects/contacts", params={"archived": "true"}).json()
    assert [r["id"] for r in archived["results"]] == [recent]
    for gone in (old, erased):
        assert call(hub, "GET", f"/crm/v3/objects/contacts/{gone}").status_code == 404
    again = call(hub, "POST", "/crm/v3/objects/contacts/gdpr-delete", json={"objectId": erased})
    assert_error(again, 404, "OBJECT_NOT_FOUND")


def test_contact_company_associations(hub: HubSpotEmulator) -> None:
    contact = next(iter(hub.store.records["contacts"].values()))
    company = contact.properties["associatedcompanyid"]
    got = call(
        hub,
        "GET",
        f"/crm/v3/objects/contacts/{contact.id}",
        params={"associations": "companies", "properties": "associatedcompanyid"},
    ).json()
    assert got["associations"]["companies"]["results"] == [
        {"id": company, "type": "contact_to_company"}
    ]
    assert got["properties"]["associatedcompanyid"] == company
    v4 = call(hub, "GET", f"/crm/v4/objects/contacts/{contact.id}/associations/companies").json()
    assert v4["results"][0]["toObjectId"] == int(company)
    assert {"category": "HUBSPOT_DEFINED", "typeId": 1, "label": "Primary"} in v4["results"][0][
        "associationTypes"
    ]


def test_v4_batch_read_lists_each_contacts_companies(hub: HubSpotEmulator) -> None:
    both, alone = list(hub.store.records["contacts"])[:2]
    primary = hub.store.company_links[both][0]
    other = next(c for c in hub.store.records["companies"] if c != primary)
    hub.store.associate(both, other)
    hub.store.company_links.pop(alone)
    reply = call(
        hub,
        "POST",
        "/crm/v4/associations/contacts/companies/batch/read",
        json={"inputs": [{"id": both}, {"id": alone}]},
    )
    assert reply.status_code == 207
    body = reply.json()
    (result,) = body["results"]
    assert result["from"] == {"id": both}
    assert [t["toObjectId"] for t in result["to"]] == [int(primary), int(other)]
    assert result["to"][0]["associationTypes"][0]["label"] == "Primary"
    (error,) = body["errors"]
    assert error["subCategory"] == "crm.associations.NO_ASSOCIATIONS_FOUND"
    assert error["context"] == {"fromObjectId": [alone]}


def test_properties_describe_types(hub: HubSpotEmulator) -> None:
    props = {
        p["name"]: p for p in call(hub, "GET", "/crm/v3/properties/contacts").json()["results"]
    }
    assert props["lastmodifieddate"]["type"] == "datetime"
    assert props["lifecyclestage"]["fieldType"] == "radio"
    assert "customer" in [o["value"] for o in props["lifecyclestage"]["options"]]
    assert (
        props["email"]["hubspotDefined"] is True
        and "hubspotDefined" not in props["relhub_golden_id"]
    )
    companies = call(hub, "GET", "/crm/v3/properties/companies").json()["results"]
    assert "hs_lastmodifieddate" in {p["name"] for p in companies}
    assert_error(call(hub, "GET", "/crm/v3/properties/widgets"), 400, "VALIDATION_ERROR")


def test_search_filters_sorts_and_totals(hub: HubSpotEmulator) -> None:
    since = int((T0 + timedelta(seconds=10)).timestamp() * 1000)
    body = search(
        hub,
        {
            "filterGroups": [
                {
                    "filters": [
                        {
                            "propertyName": "lastmodifieddate",
                            "operator": "GTE",
                            "value": str(since),
                        },
                        {"propertyName": "email", "operator": "HAS_PROPERTY"},
                    ]
                }
            ],
            "sorts": [{"propertyName": "lastmodifieddate", "direction": "DESCENDING"}],
            "properties": ["email"],
            "limit": 5,
        },
    ).json()
    assert (
        body["total"] == 20 and len(body["results"]) == 5 and body["paging"]["next"]["after"] == "5"
    )
    stamps = [r["properties"]["lastmodifieddate"] for r in body["results"]]
    assert stamps == sorted(stamps, reverse=True) and stamps[0] == format_time(
        T0 + timedelta(seconds=29)
    )
    ids = [r["id"] for r in body["results"][:2]]
    chosen = search(
        hub,
        {
            "filterGroups": [
                {"filters": [{"propertyName": "hs_object_id", "operator": "IN", "values": ids}]}
            ]
        },
    ).json()
    assert sorted(r["id"] for r in chosen["results"]) == sorted(ids)
    either = search(
        hub,
        {
            "filterGroups": [
                {"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": ids[0]}]},
                {"filters": [{"propertyName": "hs_object_id", "operator": "EQ", "value": ids[1]}]},
            ]
        },
    ).json()
    assert either["total"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"limit": 201},
        {"filterGroups": [{"filters": []}] * 6},
        {
            "filterGroups": [
                {"filters": [{"propertyName": "email", "operator": "HAS_PROPERTY"}] * 11}
            ]
        },
        {"sorts": [{"propertyName": "email"}, {"propertyName": "lastname"}]},
        {"filterGroups": [{"filters": [{"propertyName": "nope", "operator": "EQ", "value": "1"}]}]},
        {"after": "10000"},
    ],
)
def test_search_refuses_what_hubspot_refuses(hub: HubSpotEmulator, body: dict[str, Any]) -> None:
    assert_error(search(hub, body), 400, "VALIDATION_ERROR")


def test_search_stops_paging_at_ten_thousand() -> None:
    store = CrmStore()
    generate(store, contacts=10_050, modified_at=lambda n: T0)
    with HubSpotEmulator(store=store, config=EmulatorConfig(search_rate_limit=100)) as hub:
        last = search(hub, {"limit": 200, "after": "9800"}).json()
        assert last["total"] == 10_050 and last["paging"]["next"]["after"] == "10000"
        assert_error(search(hub, {"limit": 200, "after": "10000"}), 400, "VALIDATION_ERROR")


def test_batch_writes_report_per_record_errors(hub: HubSpotEmulator) -> None:
    ids = list(hub.store.records["contacts"])
    taken = hub.store.records["contacts"][ids[2]].properties["email"]
    reply = call(
        hub,
        "POST",
        "/crm/v3/objects/contacts/batch/update",
        json={
            "inputs": [
                {"id": ids[0], "properties": {"firstname": "Ok"}},
                {"id": "424242", "properties": {"firstname": "Ghost"}},
                {"id": ids[1], "properties": {"email": "not-an-email"}},
                {"id": ids[3], "properties": {"email": taken}},
            ]
        },
    )
    assert reply.status_code == 207
    body = reply.json()
    assert [r["id"] for r in body["results"]] == [ids[0]] and body["numErrors"] == 3
    by_category = {e["category"]: e for e in body["errors"]}
    assert by_category["OBJECT_NOT_FOUND"]["context"]["ids"] == ["424242"]
    assert by_category["VALIDATION_ERROR"]["errors"][0]["code"] == "INVALID_EMAIL"
    assert by_category["CONFLICT"]["context"]["ids"] == [ids[3]]
    assert hub.store.records["contacts"][ids[0]].properties["firstname"] == "Ok"


def test_dates_datetimes_and_lifecycle_stages_follow_hubspots_rules(hub: HubSpotEmulator) -> None:
    hub.store.add_property("contacts", custom_property("last_seen_at", "datetime"))
    ids = list(hub.store.records["contacts"])
    for record_id in ids[:2]:
        hub.store.update("contacts", record_id, {"lifecyclestage": "customer"}, validate=False)
    writes = [
        ("date_of_birth", "1990-02-28", None),
        ("date_of_birth", "636076800000", None),  # 1990-02-28 at midnight UTC
        ("date_of_birth", "636080400000", "636080400000 is at 1:00:00.000 UTC, not midnight!"),
        ("date_of_birth", "1990-02-28 00:00:00", "was not a valid date"),
        ("last_seen_at", "2024-05-01T12:00:00.000Z", None),
        ("last_seen_at", "1714564800000", None),
        ("last_seen_at", "2024-05-01 12:00:00+00:00", "was not a valid datetime"),  # str()
        ("lifecyclestage", "evangelist", None),  # forward
        ("lifecyclestage", "lead", "cannot move backwards from customer to lead"),
    ]
    targets = [*ids[2:9], ids[0], ids[1]]  # the last two are the customers
    inputs = [
        {"id": record_id, "properties": {name: value}}
        for record_id, (name, value, _) in zip(targets, writes, strict=True)
    ]
    reply = call(hub, "POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": inputs})
    body = reply.json()
    refused = {e["context"]["ids"][0]: e["errors"][0] for e in body["errors"]}
    for item, (name, _, problem) in zip(inputs, writes, strict=True):
        error = refused.get(item["id"])
        if problem is None:
            assert error is None, (name, error)
        else:
            assert error is not None and problem in error["message"], name
            assert error["context"] == {"propertyName": [name]}
    assert refused[ids[1]]["code"] == "INVALID_LIFECYCLE_STAGE"
    cleared = [{"id": ids[1], "properties": {"lifecyclestage": ""}}]
    for step in (cleared, [{"id": ids[1], "properties": {"lifecyclestage": "lead"}}]):
        reply = call(hub, "POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": step})
        assert reply.status_code == 200
    assert hub.store.records["contacts"][ids[1]].properties["lifecyclestage"] == "lead"


def test_batch_upsert_read_archive_and_limits(hub: HubSpotEmulator) -> None:
    existing = next(iter(hub.store.records["contacts"].values()))
    upsert = call(
        hub,
        "POST",
        "/crm/v3/objects/contacts/batch/upsert",
        json={
            "inputs": [
                {
                    "id": existing.properties["email"],
                    "idProperty": "email",
                    "properties": {"jobtitle": "CEO"},
                },
                {
                    "id": "fresh@example.com",
                    "idProperty": "email",
                    "properties": {"firstname": "New"},
                },
            ]
        },
    ).json()
    assert sorted(r["new"] for r in upsert["results"]) == [False, True]
    new_id = next(r["id"] for r in upsert["results"] if r["new"])
    read = call(
        hub,
        "POST",
        "/crm/v3/objects/contacts/batch/read",
        json={"inputs": [{"id": new_id}, {"id": "999"}], "properties": ["firstname"]},
    )
    assert read.status_code == 207 and read.json()["results"][0]["properties"]["firstname"] == "New"
    assert (
        call(
            hub, "POST", "/crm/v3/objects/contacts/batch/archive", json={"inputs": [{"id": new_id}]}
        ).status_code
        == 204
    )
    too_many = {"inputs": [{"id": str(n), "properties": {}} for n in range(101)]}
    assert_error(
        call(hub, "POST", "/crm/v3/objects/contacts/batch/update", json=too_many),
        400,
        "VALIDATION_ERROR",
    )
    not_unique = {"inputs": [{"id": "x", "idProperty": "firstname", "properties": {}}]}
    assert_error(
        call(hub, "POST", "/crm/v3/objects/contacts/batch/upsert", json=not_unique),
        400,
        "VALIDATION_ERROR",
    )


def test_a_merge_makes_a_new_record_both_old_ids_answer_with(hub: HubSpotEmulator) -> None:
    keep, gone = list(hub.store.records["contacts"])[:2]
    hub.store.update("contacts", keep, {"jobtitle": None, "phone": "+1 555 0100"})
    hub.store.update("contacts", gone, {"jobtitle": "CTO", "phone": "+1 555 0199"})
    merged = call(
        hub,
        "POST",
        "/crm/v3/objects/contacts/merge",
        json={"primaryObjectId": keep, "objectIdToMerge": gone},
    )
    assert merged.status_code == 200
    new_id = merged.json()["id"]
    assert new_id not in (keep, gone)
    names = {"properties": "hs_merged_object_ids,phone,jobtitle"}
    for old in (keep, gone):
        via_old = call(hub, "GET", f"/crm/v3/objects/contacts/{old}", params=names).json()
        props = via_old["properties"]
        assert via_old["id"] == new_id and props["hs_merged_object_ids"] == f"{keep};{gone}"
        # the primary's value wins, the other's fills a gap
        assert (props["phone"], props["jobtitle"]) == ("+1 555 0100", "CTO")
    update = call(
        hub,
        "POST",
        "/crm/v3/objects/contacts/batch/update",
        json={"inputs": [{"id": gone, "properties": {"lastname": "Merged"}}]},
    )
    assert update.status_code == 200 and update.json()["results"][0]["id"] == new_id
    assert hub.store.records["contacts"][new_id].properties["lastname"] == "Merged"
    listed = call(hub, "GET", "/crm/v3/objects/contacts", params={"limit": 100}).json()
    assert {keep, gone} & {r["id"] for r in listed["results"]} == set()


def test_rate_limit_answers_429_with_hubspot_body_and_headers() -> None:
    config = EmulatorConfig(rate_limit=3, rate_window_s=10, retry_after_header=False)
    with HubSpotEmulator(config=config) as hub:
        replies = [call(hub, "GET", "/crm/v3/objects/contacts") for _ in range(4)]
        assert [r.status_code for r in replies] == [200, 200, 200, 429]
        assert replies[1].headers["X-HubSpot-RateLimit-Max"] == "3"
        assert replies[1].headers["X-HubSpot-RateLimit-Remaining"] == "1"
        assert replies[1].headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
        refused = replies[3].json()
        assert (
            refused["errorType"] == "RATE_LIMIT" and refused["policyName"] == "TEN_SECONDLY_ROLLING"
        )
        assert "Retry-After" not in replies[3].headers


@pytest.mark.parametrize(
    ("tier", "per_window", "daily"),
    [("starter", "100", "250000"), ("enterprise", "190", "1000000"), ("oauth", "100", None)],
)
def test_tiers_send_their_published_limits(tier: str, per_window: str, daily: str | None) -> None:
    with HubSpotEmulator(config=tier_config(tier)) as hub:
        headers = call(hub, "GET", "/crm/v3/objects/contacts").headers
    assert headers["X-HubSpot-RateLimit-Max"] == per_window
    assert headers["X-HubSpot-RateLimit-Remaining"] == str(int(per_window) - 1)
    assert headers.get("X-HubSpot-RateLimit-Daily") == daily  # OAuth apps have no daily limit
    if daily is not None:
        assert headers["X-HubSpot-RateLimit-Daily-Remaining"] == str(int(daily) - 1)
    with pytest.raises(ValueError, match="unknown HubSpot tier"):
        tier_config("gold")


def test_daily_and_secondly_429s_carry_their_policy_name() -> None:
    config = tier_config("starter", daily_limit=2, search_rate_limit=1)
    with HubSpotEmulator(config=config) as hub:
        assert search(hub, {}).status_code == 200
        secondly = search(hub, {})
        assert call(hub, "GET", "/crm/v3/objects/contacts").status_code == 429
        daily = call(hub, "GET", "/crm/v3/objects/contacts")
    for reply, policy in ((secondly, "SECONDLY"), (daily, "DAILY")):
        body = reply.json()
        assert reply.status_code == 429 and body["policyName"] == policy
        assert body["errorType"] == "RATE_LIMIT" and body["requestId"] and body["correlationId"]
    assert "Retry-After" not in daily.headers and secondly.headers["Retry-After"] == "1"
    assert daily.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"


def test_search_has_its_own_per_second_limit() -> None:
    with HubSpotEmulator(config=EmulatorConfig(search_rate_limit=2)) as hub:
        statuses = [search(hub, {}).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        time.sleep(1.05)
        assert search(hub, {}).status_code == 200


def test_injected_faults_are_deterministic() -> None:
    config = EmulatorConfig(error_rate=0.3, throttle_every=7, throttle_burst=2, seed=3)
    with HubSpotEmulator(config=config) as hub:
        first = [call(hub, "GET", "/crm/v3/objects/contacts").status_code for _ in range(30)]
        hub.gate.reseed()
        second = [call(hub, "GET", "/crm/v3/objects/contacts").status_code for _ in range(30)]
    assert first == second
    assert {500, 503, 429, 200} <= set(first)
    assert first[6:8] == [429, 429]


def test_dropped_connection_cuts_the_body(hub: HubSpotEmulator) -> None:
    hub.config.drop_rate = 1.0
    with pytest.raises(requests.exceptions.RequestException):
        call(hub, "GET", "/crm/v3/objects/contacts", params={"limit": 50}).json()


def test_search_sees_a_write_late_but_with_its_write_time(hub: HubSpotEmulator) -> None:
    hub.store.index_delay_s = 0.3
    target = next(iter(hub.store.records["contacts"]))
    written_at = format_time(hub.store.update("contacts", target, {"jobtitle": "Pilot"}).updated_at)
    query = {
        "filterGroups": [
            {"filters": [{"propertyName": "jobtitle", "operator": "EQ", "value": "Pilot"}]}
        ],
        "properties": ["jobtitle"],
    }
    assert search(hub, query).json()["total"] == 0
    time.sleep(0.35)
    found = search(hub, query).json()["results"]
    assert [r["id"] for r in found] == [target]
    assert found[0]["properties"]["lastmodifieddate"] == written_at


def test_request_log_and_url_length_limit(hub: HubSpotEmulator) -> None:
    call(hub, "POST", "/crm/v3/objects/contacts/batch/read", json={"inputs": [{"id": "1"}]})
    long_names = ",".join(f"prop_{n:04d}" for n in range(1000))
    assert (
        call(hub, "GET", "/crm/v3/objects/contacts", params={"properties": long_names}).status_code
        == 414
    )
    logged = hub.log.snapshot()
    assert (logged[0].method, logged[0].path, logged[0].items) == (
        "POST",
        "/crm/v3/objects/contacts/batch/read",
        1,
    )
    assert logged[0].body_bytes > 0 and logged[1].status == 414


def test_seeding_from_jsonl_and_csv_and_a_wide_object(tmp_path: Path) -> None:
    jsonl = tmp_path / "seed.jsonl"
    jsonl.write_text(
        "\n".join(
            json.dumps(row)
            for row in [
                {
                    "object": "companies",
                    "id": "7",
                    "properties": {"name": "Acme", "domain": "acme.test"},
                },
                {
                    "object": "contacts",
                    "id": "8",
                    "properties": {"email": "a@acme.test", "tier": "gold"},
                    "companies": ["7"],
                },
                {
                    "object": "contacts",
                    "id": "9",
                    "properties": {"email": "b@acme.test"},
                    "archived": True,
                },
            ]
        )
    )
    csv_file = tmp_path / "seed.csv"
    csv_file.write_text("email,firstname\nc@x.test,Cy\n")
    store = CrmStore()
    assert load_data_file(store, jsonl) == 3 and load_data_file(store, csv_file) == 1
    assert store.records["contacts"]["8"].properties["associatedcompanyid"] == "7"
    assert store.records["contacts"]["9"].archived and "tier" in store.schema["contacts"]
    assert store.find_by("contacts", "email", "c@x.test")[0].properties["firstname"] == "Cy"
    names = store.add_custom_properties("contacts", 500)
    assert len(names) == 500 and all(n in store.schema["contacts"] for n in names)


def test_boolean_query_parameters_follow_the_spec(hub: HubSpotEmulator) -> None:
    ok = call(hub, "GET", "/crm/v3/objects/contacts", params={"archived": "false"})
    assert ok.status_code == 200
    python = call(hub, "GET", "/crm/v3/objects/contacts", params={"archived": "False"})
    assert "archived" in assert_error(python, 400, "VALIDATION_ERROR")["message"]
