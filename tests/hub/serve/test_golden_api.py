"""Golden records by id and by source key, with tokens and scopes checked on each."""

from __future__ import annotations

import pytest
from deskfixtures import Desk, bearer, client_for

from hub.mapping.engine import MASKED


@pytest.fixture(scope="module")
def tokens(desk: Desk) -> dict[str, dict[str, str]]:
    return {
        "read": bearer(desk.engine, "read", name="golden-read"),
        "sensitive": bearer(desk.engine, "read", "read:sensitive", name="golden-sensitive"),
        "match": bearer(desk.engine, "match", name="golden-match"),
    }


def test_a_golden_record_by_id(desk: Desk, tokens: dict[str, dict[str, str]]) -> None:
    ana = desk.golden_of("P1")
    answer = client_for(desk).get(f"/v1/golden/{ana}", headers=tokens["read"])
    assert answer.status_code == 200
    body = answer.json()
    assert body["golden_id"] == ana and body["requested_id"] == ana and not body["merged"]
    assert body["entity_kind"] == "person" and body["status"] == "active"
    assert body["member_count"] == 3 and body["roles"] == ["customer"]
    assert body["fields"]["given_name"]["value"] == "Ana"
    assert body["fields"]["emails"][0]["provenance"]["system"] == "desk"
    assert "Content-Location" not in answer.headers


def test_a_merged_away_id_answers_with_its_successor(
    desk: Desk, tokens: dict[str, dict[str, str]]
) -> None:
    ana = desk.golden_of("P1")
    assert desk.carmen_id != ana
    answer = client_for(desk).get(f"/v1/golden/{desk.carmen_id}", headers=tokens["read"])
    assert answer.status_code == 200
    body = answer.json()
    assert body["golden_id"] == ana and body["requested_id"] == desk.carmen_id
    assert body["merged"] is True
    assert answer.headers["Content-Location"] == f"/v1/golden/{ana}"


def test_sensitive_fields_are_masked_without_the_scope(
    desk: Desk, tokens: dict[str, dict[str, str]]
) -> None:
    client, ana = client_for(desk), desk.golden_of("P1")
    masked = client.get(f"/v1/golden/{ana}", headers=tokens["read"]).json()["fields"]
    shown = client.get(f"/v1/golden/{ana}", headers=tokens["sensitive"]).json()["fields"]
    assert masked["birth_date"] == MASKED
    assert shown["birth_date"]["value"] == "1980-02-01"
    assert masked["given_name"] == shown["given_name"]


def test_lookup_by_source_key(desk: Desk, tokens: dict[str, dict[str, str]]) -> None:
    answer = client_for(desk).get("/v1/sources/desk/companies/O1", headers=tokens["read"])
    assert answer.status_code == 200
    body = answer.json()
    assert body["source"] == {"system": "desk", "object": "companies", "id": "O1"}
    assert body["golden"]["golden_id"] == desk.golden_of("O1")
    assert body["golden"]["fields"]["domains"][0]["value"] == "acme.es"


def test_unknown_ids_are_404_with_a_clear_body(
    desk: Desk, tokens: dict[str, dict[str, str]]
) -> None:
    client = client_for(desk)
    missing = client.get("/v1/golden/G_nope", headers=tokens["read"])
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "message": "no golden record has id 'G_nope'"}
    unknown = client.get("/v1/sources/desk/people/P999", headers=tokens["read"])
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"


@pytest.mark.parametrize(
    ("headers", "status", "error"),
    [
        ({}, 401, "unauthorized"),
        ({"Authorization": "Bearer rh_1_notthesecretnotthesecret"}, 401, "unauthorized"),
        ({"Authorization": "Bearer garbage"}, 401, "unauthorized"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, 401, "unauthorized"),
    ],
)
def test_missing_or_wrong_tokens_are_401(
    desk: Desk, headers: dict[str, str], status: int, error: str
) -> None:
    answer = client_for(desk).get(f"/v1/golden/{desk.golden_of('P1')}", headers=headers)
    assert answer.status_code == status
    assert answer.json()["error"] == error and answer.json()["message"]
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_a_token_without_the_scope_is_403(desk: Desk, tokens: dict[str, dict[str, str]]) -> None:
    answer = client_for(desk).get(f"/v1/golden/{desk.golden_of('P1')}", headers=tokens["match"])
    assert answer.status_code == 403
    assert answer.json() == {
        "error": "forbidden",
        "message": "token 'golden-match' lacks the scope 'read'",
    }


def test_members_with_provenance(desk: Desk, tokens: dict[str, dict[str, str]]) -> None:
    ana = desk.golden_of("P1")
    answer = client_for(desk).get(f"/v1/golden/{desk.carmen_id}/members", headers=tokens["read"])
    assert answer.status_code == 200
    body = answer.json()
    assert body["golden_id"] == ana
    members = {m["source"]["id"]: m for m in body["members"]}
    assert set(members) == {"P1", "P2", "P3"}
    assert all(m["source"]["system"] == "desk" and not m["deleted"] for m in members.values())
    assert members["P3"]["modified_at"] == "2026-03-01T00:00:03+00:00"
    supplied = [name for m in members.values() for name in m["supplies"]]
    assert "given_name" in supplied and "emails" in supplied


def test_history_tells_the_merge(desk: Desk, tokens: dict[str, dict[str, str]]) -> None:
    ana = desk.golden_of("P1")
    answer = client_for(desk).get(f"/v1/golden/{ana}/history", headers=tokens["read"])
    assert answer.status_code == 200
    body = answer.json()
    events = [(e["golden_id"], e["event"], e["other_id"]) for e in body["events"]]
    assert events == [
        (ana, "minted", None),
        (desk.carmen_id, "minted", None),
        (desk.carmen_id, "merged_into", ana),
    ]
    assert body["created_run_id"] < body["updated_run_id"]
