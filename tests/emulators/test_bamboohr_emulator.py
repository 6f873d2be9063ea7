"""The BambooHR emulator answers in the shapes BambooHR documents, checked over plain HTTP."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from emulators.bamboohr import BambooHREmulator, CompanyStore, load_data_file
from emulators.bamboohr import generate as seed_company

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def hr() -> Iterator[BambooHREmulator]:
    store = CompanyStore()
    for n in range(6):
        store.insert(
            {"firstName": f"Ada{n}", "lastName": "Lovelace", "workEmail": f"ada{n}@acme.example"},
            at=T0 + timedelta(seconds=n),
        )
    with BambooHREmulator(store=store) as emulator:
        yield emulator


def call(hr: BambooHREmulator, method: str, path: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("auth", (hr.api_key, "x"))
    headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
    return requests.request(method, hr.api_root + path, headers=headers, timeout=10, **kwargs)


def assert_error(response: requests.Response, status: int) -> str:
    """BambooHR's errors: the status, an empty body, the reason in a header."""
    assert response.status_code == status
    assert response.content == b""
    message = response.headers["X-BambooHR-Error-Message"]
    assert message
    return message


def test_the_api_key_is_the_basic_user_name_and_the_password_is_ignored(
    hr: BambooHREmulator,
) -> None:
    assert call(hr, "GET", "/meta/fields", auth=(hr.api_key, "anything")).status_code == 200
    assert_error(call(hr, "GET", "/meta/fields", auth=("wrong", "x")), 401)
    no_auth = requests.get(hr.api_root + "/meta/fields", timeout=10)
    assert_error(no_auth, 401)
    assert no_auth.headers["WWW-Authenticate"].startswith("Basic")


def test_the_company_domain_is_in_the_path_and_json_must_be_asked_for(
    hr: BambooHREmulator,
) -> None:
    other = requests.get(
        f"{hr.base_url}/globex/v1/meta/fields",
        auth=(hr.api_key, "x"),
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert "globex" in assert_error(other, 404)
    assert_error(call(hr, "GET", "/meta/fields", headers={"Accept": "text/xml"}), 406)


def test_meta_fields_lists_aliases_types_and_custom_fields(hr: BambooHREmulator) -> None:
    fields = {f["alias"]: f for f in call(hr, "GET", "/meta/fields").json()}
    assert fields["firstName"]["type"] == "text"
    assert fields["terminationDate"]["type"] == "date"
    assert fields["customAnnualBonus"]["type"] == "currency"
    assert all(isinstance(f["id"], int) and f["name"] for f in fields.values())


def test_one_employee_by_fields_with_bamboohrs_empty_date(hr: BambooHREmulator) -> None:
    body = call(hr, "GET", "/employees/2", params={"fields": "firstName,terminationDate,4"}).json()
    assert body == {"id": "2", "firstName": "Ada1", "terminationDate": "0000-00-00", "4": "Ada1"}
    assert "bogus" in assert_error(call(hr, "GET", "/employees/2", params={"fields": "bogus"}), 400)
    assert_error(call(hr, "GET", "/employees/99", params={"fields": "firstName"}), 404)


def test_the_employment_status_table_holds_the_hire_and_the_termination(
    hr: BambooHREmulator,
) -> None:
    hr.store.update("2", {"hireDate": "2020-02-03"})
    hr.store.terminate("2", "2024-06-30")
    rows = call(hr, "GET", "/employees/2/tables/employmentStatus").json()
    assert [(r["employeeId"], r["date"], r["employmentStatus"]) for r in rows] == [
        ("2", "2020-02-03", "Full-Time"),
        ("2", "2024-06-30", "Terminated"),
    ]
    assert_error(call(hr, "GET", "/employees/99/tables/employmentStatus"), 404)


def test_the_directory_shows_active_employees_only(hr: BambooHREmulator) -> None:
    hr.store.terminate("3", "2024-06-30")
    body = call(hr, "GET", "/employees/directory").json()
    assert {f["id"] for f in body["fields"]} >= {"displayName", "workEmail"}
    assert [e["id"] for e in body["employees"]] == ["1", "2", "4", "5", "6"]
    assert body["employees"][0]["displayName"] == "Ada0 Lovelace"
    hr.api.directory_shared = False
    assert_error(call(hr, "GET", "/employees/directory"), 403)


def test_changed_since_reports_inserts_updates_and_deletions_with_times(
    hr: BambooHREmulator,
) -> None:
    since = T0 + timedelta(seconds=3)
    hr.store.update("1", {"jobTitle": "Engineer"}, at=T0 + timedelta(minutes=1))
    hr.store.delete("2", at=T0 + timedelta(minutes=2))
    body = call(hr, "GET", "/employees/changed", params={"since": since.isoformat()}).json()
    changes = {k: (v["action"], v["lastChanged"]) for k, v in body["employees"].items()}
    assert changes == {
        "1": ("Updated", "2024-05-01T12:01:00+00:00"),
        "2": ("Deleted", "2024-05-01T12:02:00+00:00"),
        "4": ("Inserted", "2024-05-01T12:00:03+00:00"),
        "5": ("Inserted", "2024-05-01T12:00:04+00:00"),
        "6": ("Inserted", "2024-05-01T12:00:05+00:00"),
    }
    assert body["latest"] == "2024-05-01T12:02:00+00:00"
    deleted = call(
        hr, "GET", "/employees/changed", params={"since": "2024-05-01", "type": "deleted"}
    )
    assert list(deleted.json()["employees"]) == ["2"]
    assert_error(call(hr, "GET", "/employees/changed"), 400)
    assert_error(call(hr, "GET", "/employees/changed", params={"since": "yesterday"}), 400)


def test_a_custom_report_returns_every_employee_or_those_changed_since(
    hr: BambooHREmulator,
) -> None:
    hr.store.terminate("4", "2024-06-30", at=T0 + timedelta(hours=1))
    request = {"title": "sync", "fields": ["firstName", "status", "terminationDate", "lastChanged"]}
    report = call(hr, "POST", "/reports/custom", params={"format": "JSON"}, json=request).json()
    assert report["title"] == "sync"
    assert [f["id"] for f in report["fields"]] == request["fields"]
    assert len(report["employees"]) == 6  # inactive ones too, unlike the UI
    changed = {"lastChanged": {"includeNull": "no", "value": "2024-05-01T12:30:00Z"}}
    later = call(
        hr,
        "POST",
        "/reports/custom",
        params={"format": "JSON"},
        json={**request, "filters": changed},
    ).json()
    assert later["employees"] == [
        {
            "id": "4",
            "firstName": "Ada3",
            "status": "Inactive",
            "terminationDate": "2024-06-30",
            "lastChanged": "2024-05-01T13:00:00+00:00",
        }
    ]
    assert_error(call(hr, "POST", "/reports/custom", params={"format": "PDF"}, json=request), 400)


def test_an_update_writes_fields_and_moves_last_changed(hr: BambooHREmulator) -> None:
    before = hr.store.get("1")
    assert before is not None and before.last_changed == T0
    assert call(hr, "POST", "/employees/1", json={"jobTitle": "CTO"}).status_code == 200
    after = hr.store.get("1")
    assert after is not None and after.fields["jobTitle"] == "CTO" and after.last_changed > T0
    assert hr.api.updates == [("1", b'{"jobTitle": "CTO"}')]
    assert "nope" in assert_error(call(hr, "POST", "/employees/1", json={"nope": 1}), 400)
    assert_error(call(hr, "POST", "/employees/1", json={"hireDate": "01/02/2024"}), 400)
    assert_error(call(hr, "POST", "/employees/77", json={"jobTitle": "CTO"}), 404)


def test_throttling_is_503_with_retry_after_and_faults_are_500_or_502(hr: BambooHREmulator) -> None:
    hr.config.rate_limit = 3
    statuses = [call(hr, "GET", "/meta/fields") for _ in range(5)]
    assert [r.status_code for r in statuses] == [200, 200, 200, 503, 503]
    assert statuses[-1].headers["Retry-After"] == "1"
    assert_error(statuses[-1], 503)
    hr.config.rate_limit = 10_000
    hr.config.error_rate = 0.5
    hr.gate.reseed()
    answered = Counter(call(hr, "GET", "/meta/fields").status_code for _ in range(40))
    assert answered[500] and answered[502] and answered[200], answered


def test_throttle_bursts_and_dropped_bodies_are_injected(hr: BambooHREmulator) -> None:
    hr.config.throttle_every, hr.config.throttle_burst = 4, 2
    answered = [call(hr, "GET", "/meta/fields").status_code for _ in range(8)]
    assert answered == [200, 200, 200, 503, 503, 200, 200, 200]
    hr.config.throttle_every, hr.config.drop_rate = 0, 1.0
    with pytest.raises(requests.exceptions.RequestException):
        call(hr, "GET", "/meta/fields").json()


def test_seeded_from_the_synthetic_company_with_terminations() -> None:
    store = CompanyStore()
    ids = seed_company(store, people=2_000)
    employees = [store.get(i) for i in ids]
    assert len(ids) > 20 and all(e is not None for e in employees)
    terminated = [e for e in employees if e and e.fields["status"] == "Inactive"]
    assert terminated and all(e.fields["terminationDate"] for e in terminated)
    assert all(e and e.fields["employeeNumber"] for e in employees)


def test_a_data_file_seeds_employees_and_deletions(tmp_path: Path) -> None:
    path = tmp_path / "employees.jsonl"
    rows = [
        {"id": "10", "fields": {"firstName": "Grace"}, "lastChanged": "2024-01-02T03:04:05Z"},
        {"id": "11", "fields": {"firstName": "Alan"}, "deleted": True},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows))
    store = CompanyStore()
    assert load_data_file(store, path) == 2
    grace = store.get("10")
    assert grace is not None and grace.last_changed == datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert store.get("11") is None and "11" in store.deleted
    csv_path = tmp_path / "employees.csv"
    csv_path.write_text("id,firstName,lastName\n20,Edsger,Dijkstra\n")
    assert load_data_file(store, csv_path) == 1
    edsger = store.get("20")
    assert edsger is not None and edsger.fields["lastName"] == "Dijkstra"
