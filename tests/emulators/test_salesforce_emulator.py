"""The Salesforce emulator checked directly with `requests` against the documented shapes."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from connectors.salesforce_soap import merge_envelope, read_answer
from emulators.salesforce import EmulatorConfig, Faults, SalesforceEmulator
from emulators.salesforce.seed import generate, load_file
from emulators.salesforce.soql import parse_datetime
from emulators.salesforce.store import checksum_id, format_datetime

V = "/services/data/v62.0"


class Api:
    """A bare client: a verified TLS session holding a bearer token."""

    def __init__(self, org: SalesforceEmulator) -> None:
        self.org = org
        self.http = requests.Session()
        self.http.trust_env = False  # REQUESTS_CA_BUNDLE would override `verify`
        self.http.verify = str(org.ca_path)
        self.http.headers["Authorization"] = f"Bearer {self.token()['access_token']}"

    def token(self, **overrides: str) -> dict[str, Any]:
        c = self.org.credentials()
        form = {
            "grant_type": "password",
            "client_id": c["client_id"],
            "client_secret": c["client_secret"],
            "username": c["username"],
            "password": c["password"] + c["security_token"],
            **overrides,
        }
        return self.http.post(f"{self.org.base_url}/services/oauth2/token", data=form).json()

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(method, f"{self.org.base_url}{V}/{path}", **kwargs)

    def query(self, soql: str, *, all_rows: bool = False, batch: int | None = None) -> Any:
        headers = {"Sforce-Query-Options": f"batchSize={batch}"} if batch else {}
        return self.call(
            "GET", "queryAll" if all_rows else "query", params={"q": soql}, headers=headers
        )


@pytest.fixture
def org() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator() as emulator:
        yield emulator


@pytest.fixture
def api(org: SalesforceEmulator) -> Api:
    return Api(org)


def test_password_and_client_credentials_flows_and_refusal(
    api: Api, org: SalesforceEmulator
) -> None:
    token = api.token()
    assert set(token) >= {"access_token", "instance_url", "token_type", "issued_at", "signature"}
    assert token["instance_url"] == org.base_url and token["token_type"] == "Bearer"

    refused = api.http.post(
        f"{org.base_url}/services/oauth2/token", data={**_form(org), "password": "wrong"}
    )
    assert refused.status_code == 400
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "authentication failure",
    }

    basic = base64.b64encode(f"{org.config.client_id}:{org.config.client_secret}".encode()).decode()
    client = api.http.post(
        f"{org.base_url}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert client.status_code == 200 and client.json()["access_token"]


def _form(org: SalesforceEmulator) -> dict[str, str]:
    c = org.credentials()
    return {
        "grant_type": "password",
        "client_id": c["client_id"],
        "client_secret": c["client_secret"],
        "username": c["username"],
        "password": c["password"] + c["security_token"],
    }


def test_expired_or_unknown_session_is_401_invalid_session_id(
    api: Api, org: SalesforceEmulator
) -> None:
    assert api.call("GET", "limits").status_code == 200
    org.expire_tokens()
    answer = api.call("GET", "limits")
    assert answer.status_code == 401
    assert answer.json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_short_token_lifetime_expires_sessions() -> None:
    with SalesforceEmulator(EmulatorConfig(token_lifetime_s=0.2)) as org:
        api = Api(org)
        assert api.call("GET", "limits").status_code == 200
        time.sleep(0.3)
        assert api.call("GET", "limits").status_code == 401


def test_versions_limits_header_and_exhaustion(api: Api, org: SalesforceEmulator) -> None:
    versions = api.http.get(f"{org.base_url}/services/data").json()
    assert {"label": "v62.0", "url": V, "version": "62.0"} in versions
    first = api.call("GET", "limits")
    second = api.call("GET", "limits")
    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/100000"
    assert second.json()["DailyApiRequests"] == {"Max": 100000, "Remaining": 99998}
    org.set_api_limit(3)
    third = api.call("GET", "limits")
    assert third.status_code == 200 and third.headers["Sforce-Limit-Info"] == "api-usage=3/3"
    refused = api.call("GET", "limits")
    assert refused.status_code == 403
    assert refused.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_query_pages_follow_batch_size_and_next_records_url(
    api: Api, org: SalesforceEmulator
) -> None:
    for i in range(450):
        org.store.create("Contact", {"LastName": f"P{i:03d}"})
    first = api.query("SELECT Id, LastName FROM Contact ORDER BY LastName", batch=200).json()
    assert (first["totalSize"], first["done"], len(first["records"])) == (450, False, 200)
    assert first["records"][0]["attributes"]["type"] == "Contact"
    assert first["records"][0]["attributes"]["url"].startswith(f"{V}/sobjects/Contact/003")
    names = [r["LastName"] for r in first["records"]]
    page = first
    while not page["done"]:
        page = api.http.get(org.base_url + page["nextRecordsUrl"]).json()
        names += [r["LastName"] for r in page["records"]]
    assert names == [f"P{i:03d}" for i in range(450)]
    small = api.query("SELECT Id FROM Contact", batch=5).json()
    assert len(small["records"]) == 200  # batchSize is clamped to the documented minimum
    default = api.query("SELECT Id FROM Contact LIMIT 10").json()
    assert (default["totalSize"], default["done"]) == (10, True)


def test_query_filters_on_the_sync_cursor_and_query_all_shows_deletions(
    api: Api, org: SalesforceEmulator
) -> None:
    ids = [org.store.create("Contact", {"LastName": f"C{i}"}) for i in range(4)]
    org.store.delete("Contact", ids[0])
    live = api.query("SELECT Id FROM Contact").json()["records"]
    everything = api.query("SELECT Id, IsDeleted FROM Contact", all_rows=True).json()["records"]
    assert {r["Id"] for r in live} == set(ids[1:])
    assert {r["Id"]: r["IsDeleted"] for r in everything}[ids[0]] is True

    stamp = api.query(f"SELECT SystemModstamp FROM Contact WHERE Id = '{ids[2]}'").json()
    ts = stamp["records"][0]["SystemModstamp"]  # 2024-...T...+0000, usable unquoted
    soql = (
        f"SELECT Id FROM Contact WHERE (SystemModstamp > {ts} OR "
        f"(SystemModstamp = {ts} AND Id > '{ids[2]}')) ORDER BY SystemModstamp, Id"
    )
    after = [r["Id"] for r in api.query(soql, all_rows=True).json()["records"]]
    stamps = api.query("SELECT Id, SystemModstamp FROM Contact", all_rows=True).json()
    cursor = (parse_datetime(ts), ids[2])
    expected = [  # the deletion of ids[0] moved its stamp, maybe past the cursor
        r["Id"]
        for r in sorted(
            stamps["records"], key=lambda r: (parse_datetime(r["SystemModstamp"]), r["Id"])
        )
        if (parse_datetime(r["SystemModstamp"]), r["Id"]) > cursor
    ]
    assert ids[2] not in after and ids[3] in after
    assert after == expected


def test_soql_errors_use_salesforce_codes(api: Api) -> None:
    cases = {
        "SELECT Id FROM Contact WHERE": "MALFORMED_QUERY",
        "SELECT Id Contact": "MALFORMED_QUERY",
        "SELECT Id, Nope__c FROM Contact": "INVALID_FIELD",
        "SELECT Id FROM Contact WHERE SystemModstamp > '2024-01-01T00:00:00Z'": (
            "INVALID_QUERY_FILTER_OPERATOR"
        ),
        "SELECT Id FROM Contact WHERE LastName = 'bad \\q escape'": "MALFORMED_QUERY",
        "SELECT Id FROM Nothing__c": "INVALID_TYPE",
    }
    for soql, code in cases.items():
        answer = api.query(soql)
        assert answer.status_code == 400, soql
        assert answer.json()[0]["errorCode"] == code, soql


def test_string_literals_decode_documented_escapes(api: Api, org: SalesforceEmulator) -> None:
    hostile = 'O\'Brien \\ "quoted"\nnext é'
    wanted = org.store.create("Contact", {"LastName": hostile})
    org.store.create("Contact", {"LastName": "O"})
    literal = "'O\\'Brien \\\\ \\\"quoted\\\"\\nnext \\u00e9'"
    rows = api.query(f"SELECT Id, LastName FROM Contact WHERE LastName = {literal}").json()
    assert [(r["Id"], r["LastName"]) for r in rows["records"]] == [(wanted, hostile)]


def test_overlong_uri_is_414(api: Api) -> None:
    columns = ", ".join(["LastName"] * 2000)
    assert api.query(f"SELECT {columns} FROM Contact").status_code == 414


def test_crud_and_validation_errors(api: Api, org: SalesforceEmulator) -> None:
    created = api.call("POST", "sobjects/Contact", json={"LastName": "Hopper", "Email": "g@h.io"})
    assert created.status_code == 201 and created.json()["success"] is True
    record_id = created.json()["id"]
    assert len(record_id) == 18 and record_id.startswith("003")
    assert api.call("GET", f"sobjects/Contact/{record_id[:15]}").json()["Id"] == record_id
    chosen = api.call("GET", f"sobjects/Contact/{record_id}", params={"fields": "email,LastName"})
    assert set(chosen.json()) == {"attributes", "Email", "LastName"}
    patched = api.call("PATCH", f"sobjects/Contact/{record_id}", json={"Title": "RAdm"})
    assert patched.status_code == 204
    missing = api.call("POST", "sobjects/Contact", json={"FirstName": "No"})
    assert missing.status_code == 400
    assert missing.json() == [
        {
            "message": "Required fields are missing: [LastName]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["LastName"],
        }
    ]
    bad_email = api.call("PATCH", f"sobjects/Contact/{record_id}", json={"Email": "nope"})
    assert bad_email.json()[0]["errorCode"] == "INVALID_EMAIL_ADDRESS"
    unknown = api.call("PATCH", f"sobjects/Contact/{record_id}", json={"Nope__c": 1})
    assert unknown.json()[0]["errorCode"] == "INVALID_FIELD"
    assert api.call("DELETE", f"sobjects/Contact/{record_id}").status_code == 204
    gone = api.call("PATCH", f"sobjects/Contact/{record_id}", json={"Title": "x"})
    assert (gone.status_code, gone.json()[0]["errorCode"]) == (404, "ENTITY_IS_DELETED")
    absent = api.call("GET", "sobjects/Contact/003Rh0000000zzzAAA")
    assert (absent.status_code, absent.json()[0]["errorCode"]) == (404, "NOT_FOUND")


def test_upsert_by_external_id_answers_201_204_300(api: Api, org: SalesforceEmulator) -> None:
    path = "sobjects/Contact/External_Id__c/EXT-1"
    created = api.call("PATCH", path, json={"LastName": "First"})
    assert created.status_code == 201 and created.json()["created"] is True
    assert api.call("PATCH", path, json={"LastName": "Second"}).status_code == 204
    assert org.store.get("Contact", created.json()["id"])["LastName"] == "Second"
    org.store.create("Contact", {"LastName": "Dup", "External_Id__c": "EXT-2"})
    org.store.create("Contact", {"LastName": "Dup", "External_Id__c": "EXT-2"})
    several = api.call("PATCH", "sobjects/Contact/External_Id__c/EXT-2", json={"LastName": "x"})
    assert several.status_code == 300 and len(several.json()) == 2
    not_external = api.call("PATCH", "sobjects/Contact/Email/a@b.io", json={"LastName": "x"})
    assert not_external.status_code == 404


def test_collections_limit_partial_results_and_all_or_none(
    api: Api, org: SalesforceEmulator
) -> None:
    record = {"attributes": {"type": "Contact"}, "LastName": "x"}
    too_many = api.call("POST", "composite/sobjects", json={"records": [record] * 201})
    assert too_many.status_code == 400 and too_many.json()[0]["errorCode"] == "EXCEEDED_ID_LIMIT"

    mixed = [record, {"attributes": {"type": "Contact"}, "FirstName": "no last name"}]
    results = api.call(
        "POST", "composite/sobjects", json={"allOrNone": False, "records": mixed}
    ).json()
    assert results[0]["success"] is True and results[0]["id"].startswith("003")
    assert results[1]["success"] is False
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"

    before = org.store.count("Contact")
    rolled = api.call(
        "POST", "composite/sobjects", json={"allOrNone": True, "records": mixed}
    ).json()
    assert [r["success"] for r in rolled] == [False, False]
    assert rolled[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert org.store.count("Contact") == before

    upserts = [{"attributes": {"type": "Contact"}, "External_Id__c": "U1", "LastName": "a"}]
    path = "composite/sobjects/Contact/External_Id__c"
    [first] = api.call("PATCH", path, json={"records": upserts}).json()
    [second] = api.call("PATCH", path, json={"records": upserts}).json()
    assert (first["created"], second["created"]) == (True, False) and first["id"] == second["id"]
    twice = [*upserts, {**upserts[0], "External_Id__c": "u1"}]  # compared case-insensitively
    refused = api.call("PATCH", path, json={"records": twice}).json()
    assert [r["errors"][0]["statusCode"] for r in refused] == ["DUPLICATE_VALUE"] * 2


def test_updated_and_deleted_windows(api: Api, org: SalesforceEmulator) -> None:
    kept = org.store.create("Contact", {"LastName": "Kept"})
    dropped = org.store.create("Contact", {"LastName": "Dropped"})
    org.store.delete("Contact", dropped)
    window = {"start": "2000-01-01T00:00:00+00:00", "end": "2100-01-01T00:00:00+00:00"}
    updated = api.call("GET", "sobjects/Contact/updated/", params=window).json()
    deleted = api.call("GET", "sobjects/Contact/deleted/", params=window).json()
    assert updated["ids"] == [kept]
    assert [d["id"] for d in deleted["deletedRecords"]] == [dropped]
    assert api.call("GET", "sobjects/Contact/updated/", params={"start": "x"}).status_code == 400


def test_describe_lists_types_and_custom_fields(api: Api, org: SalesforceEmulator) -> None:
    described = api.call("GET", "sobjects/Contact/describe").json()
    by_name = {f["name"]: f for f in described["fields"]}
    assert described["keyPrefix"] == "003"
    assert by_name["Email"]["type"] == "email" and by_name["Email"]["custom"] is False
    assert by_name["Loyalty_Tier__c"]["custom"] is True
    assert [v["value"] for v in by_name["Loyalty_Tier__c"]["picklistValues"]] == [
        "Bronze",
        "Silver",
        "Gold",
    ]
    assert by_name["AccountId"]["referenceTo"] == ["Account"]
    assert by_name["External_Id__c"]["externalId"] is True
    account = api.call("GET", "sobjects/Account/describe").json()
    partner = {f["name"]: f["type"] for f in account["fields"]}
    assert partner["IsPartner"] == "boolean"
    org.add_wide_object(500)
    wide = api.call("GET", "sobjects/Wide_Object__c/describe").json()
    assert sum(f["custom"] for f in wide["fields"]) == 502  # 500 + the two id fields


def test_field_level_security_hides_a_field_from_describe_queries_and_writes(
    api: Api, org: SalesforceEmulator
) -> None:
    record_id = org.store.create("Contact", {"LastName": "Lovelace", "Birthdate": "1815-12-10"})
    org.set_field_security("Contact", {"Birthdate"})

    described = api.call("GET", "sobjects/Contact/describe").json()
    names = {f["name"] for f in described["fields"]}
    assert "Birthdate" not in names and "LastName" in names
    refused = api.query("SELECT Id, Birthdate FROM Contact")
    assert refused.status_code == 400 and refused.json()[0]["errorCode"] == "INVALID_FIELD"
    assert "Birthdate" not in api.call("GET", f"sobjects/Contact/{record_id}").json()
    written = api.call("PATCH", f"sobjects/Contact/{record_id}", json={"Birthdate": "1990-01-01"})
    assert written.status_code == 400 and written.json()[0]["errorCode"] == "INVALID_FIELD"
    assert org.store.get("Contact", record_id)["Birthdate"] == "1815-12-10"  # admins see it

    org.set_field_security("Contact", ())
    assert api.query("SELECT Birthdate FROM Contact").json()["records"][0]["Birthdate"] == (
        "1815-12-10"
    )
    with pytest.raises(ValueError, match="no hideable field"):
        org.set_field_security("Contact", {"Id"})


def test_compound_fields_are_described_selected_and_never_filtered_or_written(
    api: Api, org: SalesforceEmulator
) -> None:
    record_id = org.store.create(
        "Contact", {"FirstName": "Ada", "LastName": "Lovelace", "MailingCity": "London"}
    )
    by_name = {f["name"]: f for f in api.call("GET", "sobjects/Contact/describe").json()["fields"]}
    assert by_name["MailingAddress"]["type"] == "address"
    assert by_name["MailingAddress"]["filterable"] is False
    assert by_name["MailingCity"]["compoundFieldName"] == "MailingAddress"
    assert by_name["FirstName"]["compoundFieldName"] == "Name" and by_name["Name"]["nameField"]

    [row] = api.query("SELECT Name, MailingAddress FROM Contact").json()["records"]
    assert row["Name"] == "Ada Lovelace"
    assert row["MailingAddress"]["city"] == "London" and row["MailingAddress"]["street"] is None
    filtered = api.query("SELECT Id FROM Contact WHERE MailingAddress = 'London'")
    assert filtered.status_code == 400 and "can not be filtered" in filtered.json()[0]["message"]
    written = api.call("PATCH", f"sobjects/Contact/{record_id}", json={"MailingAddress": "x"})
    assert written.json()[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    org.store.update("Contact", record_id, {"MailingCity": None})
    assert org.store.get("Contact", record_id)["MailingAddress"] is None


def test_a_system_change_moves_system_modstamp_but_not_last_modified_date(
    org: SalesforceEmulator,
) -> None:
    created = datetime(2024, 1, 1, tzinfo=UTC)
    record_id = org.store.create("Contact", {"LastName": "Rollup"}, at=created)
    org.store.update(
        "Contact",
        record_id,
        {"Number_Of_Orders__c": 3},
        at=created + timedelta(days=1),
        by_system=True,
    )
    record = org.store.get("Contact", record_id)
    assert record["LastModifiedDate"] == created
    assert record["SystemModstamp"] == created + timedelta(days=1)
    assert record["Number_Of_Orders__c"] == 3


def test_collections_refuse_upsert_by_id_and_a_record_named_twice(
    api: Api, org: SalesforceEmulator
) -> None:
    record_id = org.store.create("Contact", {"LastName": "Once"})
    by_id = [{"attributes": {"type": "Contact"}, "Id": record_id, "LastName": "x"}]
    refused = api.call("PATCH", "composite/sobjects/Contact/Id", json={"records": by_id})
    assert refused.status_code == 400 and refused.json()[0]["errorCode"] == "INVALID_FIELD"

    twice = [
        {"attributes": {"type": "Contact"}, "Id": record_id, "LastName": "First"},
        {"attributes": {"type": "Contact"}, "Id": record_id[:15], "LastName": "Second"},
    ]
    updated = api.call("PATCH", "composite/sobjects", json={"records": twice})
    assert updated.status_code == 400
    assert updated.json()[0]["message"].startswith("Duplicate id in list")
    deleted = api.call("DELETE", "composite/sobjects", params={"ids": f"{record_id},{record_id}"})
    assert deleted.status_code == 400
    assert org.store.get("Contact", record_id)["LastName"] == "Once"  # nothing applied


def test_bulk_query_job_runs_then_pages_csv_by_locator(api: Api, org: SalesforceEmulator) -> None:
    for i in range(5):
        org.store.create("Contact", {"LastName": f"B{i}", "Number_Of_Orders__c": i})
    gone = org.store.create("Contact", {"LastName": "Gone"})
    org.store.delete("Contact", gone)
    assert api.query("SELECT COUNT() FROM Contact", all_rows=True).json()["totalSize"] == 6

    job = {"operation": "queryAll", "query": "SELECT Id, LastName, IsDeleted FROM Contact"}
    created = api.call("POST", "jobs/query", json=job).json()
    assert created["state"] == "UploadComplete" and created["object"] == "Contact"
    states = [api.call("GET", f"jobs/query/{created['id']}").json()["state"] for _ in range(2)]
    assert states == ["InProgress", "JobComplete"]

    rows, locator, pages = [], None, 0
    while locator != "null":
        params = {"maxRecords": "4", **({"locator": locator} if locator else {})}
        answer = api.call("GET", f"jobs/query/{created['id']}/results", params=params)
        assert answer.headers["Content-Type"].startswith("text/csv")
        lines = answer.text.splitlines()
        assert lines[0] == "Id,LastName,IsDeleted"
        assert int(answer.headers["Sforce-NumberOfRecords"]) == len(lines) - 1
        rows += lines[1:]
        locator, pages = answer.headers["Sforce-Locator"], pages + 1
    assert pages == 2 and len(rows) == 6 and f"{gone},Gone,true" in rows


def test_a_bulk_query_job_is_validated_before_its_query_runs(
    api: Api, org: SalesforceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    org.store.create("Contact", {"LastName": "A"})
    scans: list[str] = []
    visible_records = org.store.visible_records

    def counted(name: str, **kwargs: Any) -> list[dict[str, Any]]:
        scans.append(name)
        return visible_records(name, **kwargs)

    monkeypatch.setattr(org.store, "visible_records", counted)
    unsupported = (
        "SELECT COUNT() FROM Contact",  # aggregate functions: documented as unsupported
        "SELECT MailingAddress FROM Contact",  # compound fields: likewise
        "SELECT Nope__c FROM Contact",
    )
    for text in unsupported:
        refused = api.call("POST", "jobs/query", json={"operation": "query", "query": text})
        assert refused.status_code == 400, text
    assert scans == []  # refused before the query ran
    # ORDER BY and LIMIT are accepted (they only turn off PK chunking)
    job = {"operation": "query", "query": "SELECT Id FROM Contact ORDER BY Id LIMIT 1"}
    assert api.call("POST", "jobs/query", json=job).status_code == 200
    assert scans == ["Contact"]


def test_faults_are_deterministic_and_logged() -> None:
    faults = Faults(seed=3, error_rate=0.3, throttle_every=5, throttle_burst=2, retry_after_s=2)

    def statuses() -> list[int]:
        with SalesforceEmulator(EmulatorConfig(faults=faults)) as org:
            api = Api(org)
            answers = [api.call("GET", "limits") for _ in range(20)]
            assert all(a.headers.get("Retry-After") == "2" for a in answers if a.status_code == 403)
            log = org.requests()
            assert [e.status for e in log[1:]] == [a.status_code for a in answers]
            assert log[0].path == "/services/oauth2/token" and log[0].method == "POST"
            return [a.status_code for a in answers]

    first = statuses()
    assert first == statuses()
    # Bursts of two start at requests 5, 10, 15 and 20 (the last one cut short).
    assert first.count(403) == 7 and {500, 503} & set(first) and 200 in first


def test_latency_is_added_to_every_request() -> None:
    with SalesforceEmulator(EmulatorConfig(faults=Faults(latency_s=0.05))) as org:
        api = Api(org)
        started = time.monotonic()
        for _ in range(4):
            api.call("GET", "limits")
        assert time.monotonic() - started >= 0.2
        assert all(e.duration_s >= 0.05 for e in org.requests())


def test_dropped_connection_cuts_the_body() -> None:
    with SalesforceEmulator(EmulatorConfig(faults=Faults(drop_rate=1.0))) as org:
        api = Api(org)
        org.store.create("Contact", {"LastName": "x"})
        with pytest.raises(requests.exceptions.RequestException):
            api.query("SELECT Id, LastName FROM Contact")


def test_visibility_delay_hides_writes_from_queries_only(api: Api, org: SalesforceEmulator) -> None:
    org.set_visibility_delay(0.3)
    record_id = org.store.create("Contact", {"LastName": "Late"})
    assert api.query("SELECT Id FROM Contact").json()["totalSize"] == 0
    assert api.call("GET", f"sobjects/Contact/{record_id}").status_code == 200
    time.sleep(0.35)
    assert api.query("SELECT Id FROM Contact").json()["totalSize"] == 1


def test_seed_from_jsonl_csv_and_generator(tmp_path: Path, org: SalesforceEmulator) -> None:
    jsonl = tmp_path / "org.jsonl"
    jsonl.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {
                    "type": "Contact",
                    "LastName": "Lovelace",
                    "Email": "ada@example.com",
                    "SystemModstamp": "2024-01-02T03:04:05.006Z",
                },
                {"attributes": {"type": "Account"}, "Name": "Acme", "IsPartner": True},
            ]
        )
    )
    csv_file = tmp_path / "org.csv"
    csv_file.write_text("type,LastName,Number_Of_Orders__c\nContact,Turing,3\n")
    assert load_file(org.store, jsonl) == 2 and load_file(org.store, csv_file) == 1
    rows = org.store.visible_records("Contact", include_deleted=False)
    contacts = {r["LastName"]: r for r in rows}
    assert contacts["Lovelace"]["SystemModstamp"].isoformat() == "2024-01-02T03:04:05.006000+00:00"
    assert contacts["Turing"]["Number_Of_Orders__c"] == 3
    assert generate(org.store, accounts=3, contacts=10, leads=5) == {
        "Account": 3,
        "Contact": 10,
        "Lead": 5,
    }
    assert org.store.count("Lead") == 5


def test_checksum_suffix_encodes_upper_case_positions() -> None:
    assert checksum_id("003000000000000") == "003000000000000AAA"
    assert checksum_id("A0000B0000C0000") == "A0000B0000C0000BBB"
    assert checksum_id("0000A0000000000") == "0000A0000000000QAA"


def test_the_recycle_bin_keeps_deletions_15_days_then_they_are_gone(
    api: Api, org: SalesforceEmulator
) -> None:
    now = datetime.now(UTC)
    old, recent, hard, live = (org.store.create("Contact", {"LastName": n}) for n in "ORHL")
    org.store.delete("Contact", old, at=now - timedelta(days=16))
    org.store.delete("Contact", recent, at=now - timedelta(days=14))
    window = {"start": "2000-01-01T00:00:00+00:00", "end": "2100-01-01T00:00:00+00:00"}

    deleted = api.call("GET", "sobjects/Contact/deleted/", params=window).json()
    assert [d["id"] for d in deleted["deletedRecords"]] == [recent]
    earliest = datetime.fromisoformat(deleted["earliestDateAvailable"].replace("+0000", "+00:00"))
    assert abs(earliest - (now - timedelta(days=16))) < timedelta(seconds=1)
    every = {r["Id"] for r in api.query("SELECT Id FROM Contact", all_rows=True).json()["records"]}
    assert every == {recent, hard, live}

    org.store.hard_delete("Contact", hard)  # never in the bin, gone at once
    deleted = api.call("GET", "sobjects/Contact/deleted/", params=window).json()
    assert [d["id"] for d in deleted["deletedRecords"]] == [recent]
    assert deleted["earliestDateAvailable"] >= format_datetime(now)
    org.store.empty_recycle_bin("Contact")
    deleted = api.call("GET", "sobjects/Contact/deleted/", params=window).json()
    assert deleted["deletedRecords"] == []
    every = {r["Id"] for r in api.query("SELECT Id FROM Contact", all_rows=True).json()["records"]}
    assert every == {live}


def test_soap_merge_bins_the_record_with_its_master_and_refuses_bad_sessions(
    api: Api, org: SalesforceEmulator
) -> None:
    master = org.store.create("Contact", {"LastName": "Keep"})
    merged = org.store.create("Contact", {"LastName": "Gone"})
    lead = org.store.create("Lead", {"LastName": "Lead", "Company": "Acme"})
    token = api.http.headers["Authorization"].removeprefix("Bearer ")

    def merge(session: str, into: str, away: str) -> requests.Response:
        envelope = merge_envelope(session, "Contact", into, away)
        return api.http.post(f"{org.base_url}/services/Soap/u/62.0", data=envelope)

    refused = merge("not-a-session", master, merged)
    assert refused.status_code == 500
    assert read_answer(refused.text).fault == "INVALID_SESSION_ID"
    wrong = read_answer(merge(token, master, lead).text)  # a Lead id is no Contact
    assert not wrong.success and wrong.message.startswith("INVALID_CROSS_REFERENCE_KEY")
    answer = merge(token, master, merged)
    assert answer.status_code == 200 and read_answer(answer.text).success
    assert f"<mergedRecordIds>{merged}</mergedRecordIds>" in answer.text
    again = read_answer(merge(token, master, merged).text)
    assert not again.success and again.message.startswith("ENTITY_IS_DELETED")
    rows = api.query(
        "SELECT Id, MasterRecordId FROM Contact WHERE IsDeleted = true", all_rows=True
    ).json()["records"]
    assert [(r["Id"], r["MasterRecordId"]) for r in rows] == [(merged, master)]
