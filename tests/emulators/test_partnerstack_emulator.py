"""The PartnerStack emulator answers in the shapes PartnerStack documents, over plain HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from emulators.partnerstack import (
    PartnerStackEmulator,
    ProgramStore,
    generate,
    load_data_file,
    partnerstack_limits,
)

T0 = 1_714_557_600_000


@pytest.fixture
def program() -> Iterator[PartnerStackEmulator]:
    store = ProgramStore()
    for n in range(30):
        store.insert("customers", {"name": f"Customer {n}"}, key=f"cus_{n:03d}", at_ms=T0 + n)
    with PartnerStackEmulator(store=store) as emulator:
        yield emulator


def get(program: PartnerStackEmulator, path: str, **params: Any) -> requests.Response:
    auth = (program.public_key, program.secret_key)
    return requests.get(program.base_url + path, params=params, auth=auth, timeout=10)


def keys(response: requests.Response) -> list[str]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == 200 and body["message"]
    return [item["key"] for item in body["data"]["items"]]


def test_lists_page_newest_first_by_default_with_limit_and_has_more(
    program: PartnerStackEmulator,
) -> None:
    first = get(program, "/api/v2/customers")
    assert keys(first) == [f"cus_{n:03d}" for n in range(29, 19, -1)]  # default limit 10
    assert first.json()["data"]["has_more"] is True
    rest = get(program, "/api/v2/customers", limit=250, starting_after="cus_020")
    assert keys(rest) == [f"cus_{n:03d}" for n in range(19, -1, -1)]
    assert rest.json()["data"]["has_more"] is False
    back = get(program, "/api/v2/customers", limit=5, ending_before="cus_019")
    assert keys(back) == [f"cus_{n:03d}" for n in range(24, 19, -1)]


def test_time_filters_are_epoch_milliseconds_and_inclusive(program: PartnerStackEmulator) -> None:
    found = get(program, "/api/v2/customers", min_updated=T0 + 27, order_by="updated_at")
    assert keys(found) == ["cus_027", "cus_028", "cus_029"]
    found = get(program, "/api/v2/customers", min_created=T0 + 3, max_created=T0 + 4)
    assert keys(found) == ["cus_004", "cus_003"]


def test_a_cursor_keeps_its_place_when_its_item_changes(program: PartnerStackEmulator) -> None:
    program.store.update("customers", "cus_020", {"name": "Changed"})
    program.store.archive("customers", "cus_019")
    after = get(program, "/api/v2/customers", limit=2, starting_after="cus_020")
    assert keys(after) == ["cus_018", "cus_017"]  # the archived one is not listed
    archived = get(
        program, "/api/v2/customers", limit=2, starting_after="cus_020", include_archived="true"
    )
    assert keys(archived) == ["cus_019", "cus_018"]


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"limit": 251}, 400, "limit: must be between 1 and 250"),
        ({"limit": 0}, 400, "limit: must be between 1 and 250"),
        ({"limit": "ten"}, 400, "limit: 'ten' is not an integer"),
        ({"starting_after": "cus_001", "ending_before": "cus_002"}, 400, "mutually exclusive"),
        ({"order_by": "name"}, 400, "order_by: must be one of"),
        ({"min_updated": "2024-05-01"}, 400, "min_updated"),
        ({"starting_after": "cus_nope"}, 404, "cus_nope"),
    ],
)
def test_refusals_have_partnerstacks_error_body(
    program: PartnerStackEmulator, params: dict[str, Any], status: int, message: str
) -> None:
    answer = get(program, "/api/v2/customers", **params)
    assert answer.status_code == status
    body = answer.json()
    assert body["status"] == status and message in body["message"] and "data" not in body


def test_basic_auth_with_the_public_and_secret_keys(program: PartnerStackEmulator) -> None:
    url = program.base_url + "/api/v2/groups"
    for auth in [None, (program.public_key, "wrong"), (program.secret_key, program.public_key)]:
        refused = requests.get(url, auth=auth, timeout=10)
        assert refused.status_code == 401
        assert refused.json() == {"message": "Unauthorized", "status": 401}
    assert get(program, "/api/v2/groups").status_code == 200
    assert get(program, "/api/v2/customers/cus_003").json()["data"]["name"] == "Customer 3"
    assert get(program, "/api/v2/customers/cus_999").status_code == 404


def test_over_the_rate_limit_the_answer_is_429_with_retry_after() -> None:
    config = partnerstack_limits(rate_limit=3, rate_window_s=60.0, retry_after_s=7)
    with PartnerStackEmulator(config=config) as program:
        answers = [get(program, "/api/v2/groups") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[-1].headers["Retry-After"] == "7"
    assert answers[-1].json() == {"message": "Too Many Requests", "status": 429}


def test_generated_programs_come_from_the_synthetic_company() -> None:
    store = ProgramStore()
    seeded = generate(store, people=2_000, seed=1)
    assert len(seeded.partnerships) > 5 and len(seeded.members) > 50 and seeded.customers
    truth = set(seeded.truth_person.values())
    assert all(t.startswith("P") for t in truth) and len(truth) <= len(seeded.members)
    partnership = store.get("partnerships", seeded.partnerships[0]).render()
    assert partnership["group"]["slug"] in ("gold", "silver", "bronze")
    assert partnership["team"]["members"][0]["role"] == "owner"
    assert partnership["email"] == partnership["team"]["members"][0]["email"]
    again = generate(ProgramStore(), people=2_000, seed=1)
    assert again.truth_org == seeded.truth_org  # deterministic per seed


def test_a_data_file_seeds_items_and_their_groups(tmp_path: Path) -> None:
    lines = [
        {
            "object": "partnerships",
            "key": "part_1",
            "created_at": T0,
            "updated_at": T0 + 5,
            "email": "ann@partner.example",
            "group": {"key": "grp_gold", "name": "Gold", "slug": "gold"},
        },
        {"object": "customers", "key": "cus_1", "archived": True, "name": "Gone Ltd"},
    ]
    path = tmp_path / "program.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    store = ProgramStore()
    assert load_data_file(store, path) == 2
    partnership = store.get("partnerships", "part_1")
    assert (partnership.created_at, partnership.updated_at) == (T0, T0 + 5)
    assert store.get("groups", "grp_gold").body["slug"] == "gold"
    assert store.get("customers", "cus_1").archived
