"""Search by email, phone, name + postcode and domain, normalized as the mapping would."""

from __future__ import annotations

import pytest
from deskfixtures import Desk, bearer, client_for

from hub.resolve import fitted_models


@pytest.fixture(scope="module")
def reader(desk: Desk) -> dict[str, str]:
    return bearer(desk.engine, "read", name="search-read")


def _found(desk: Desk, reader: dict[str, str], **query: str) -> dict[str, list[str]]:
    answer = client_for(desk).get("/v1/search", params=query, headers=reader)
    assert answer.status_code == 200, answer.text
    return {
        hit["golden"]["golden_id"]: sorted(m["id"] for m in hit["matched"])
        for hit in answer.json()["results"]
    }


def test_by_email_in_any_case(desk: Desk, reader: dict[str, str]) -> None:
    ana = desk.golden_of("P1")
    assert _found(desk, reader, email="  Ana.Garcia@EXAMPLE.com ") == {ana: ["P1", "P2", "P3"]}
    assert _found(desk, reader, email="nobody@example.com") == {}
    # no organization rule blocks on a free-mail domain: the person search still answers
    assert _found(desk, reader, email="nobody@gmail.com") == {}


@pytest.mark.parametrize(
    "query",
    [
        {"phone": "+34 612 34 56 78"},
        {"phone": "0034612345678", "region": "ES"},
        {"phone": "612-345-678", "region": "ES"},
    ],
)
def test_by_phone_in_any_format(desk: Desk, reader: dict[str, str], query: dict[str, str]) -> None:
    assert _found(desk, reader, **query) == {desk.golden_of("P1"): ["P1", "P2", "P3"]}


def test_by_name_and_postcode(desk: Desk, reader: dict[str, str]) -> None:
    bruno = desk.golden_of("P4")
    assert _found(desk, reader, name="bruno ruiz ortega", postcode="08001") == {bruno: ["P4"]}
    assert _found(desk, reader, name="Bruno Ruiz Ortega", postcode="28001") == {}


def test_by_domain(desk: Desk, reader: dict[str, str]) -> None:
    acme = desk.golden_of("O1")
    assert _found(desk, reader, domain="http://www.ACME.es/contact") == {acme: ["O1"]}
    assert _found(desk, reader, email="ana.garcia@example.com", kind="organization") == {}


def test_sensitive_fields_masked_in_results(desk: Desk, reader: dict[str, str]) -> None:
    answer = client_for(desk).get(
        "/v1/search", params={"email": "bruno@example.org"}, headers=reader
    )
    assert answer.json()["results"][0]["golden"]["fields"]["birth_date"] == "<sensitive>"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "give exactly one of email, phone, name (with postcode), domain"),
        ({"email": "a@b.com", "domain": "b.com"}, "give exactly one of"),
        ({"name": "Ana García"}, "name and postcode go together"),
        ({"email": "not an email"}, "email: invalid email"),
        ({"phone": "612345678"}, "phone: "),
        ({"domain": "localhost"}, "domain: no domain in"),
        ({"domain": "(%[a-zA-Z])"}, "domain: no domain in"),  # urlsplit raises on it
        ({"phone": "612345678", "region": "spain"}, "query.region: String should match"),
        ({"email": "a@b.com", "limit": "100000"}, "query.limit: Input should be less than"),
        ({"emial": "a@b.com"}, "unknown query parameter 'emial'"),
    ],
)
def test_malformed_searches_are_422(
    desk: Desk, reader: dict[str, str], query: dict[str, str], message: str
) -> None:
    answer = client_for(desk).get("/v1/search", params=query, headers=reader)
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_request"
    assert answer.json()["message"].startswith(message)


def test_search_needs_the_read_scope(desk: Desk) -> None:
    client = client_for(desk)
    assert client.get("/v1/search", params={"email": "a@b.com"}).status_code == 401
    steward = bearer(desk.engine, "steward", name="search-steward")
    assert client.get("/v1/search", params={"email": "a@b.com"}, headers=steward).status_code == 403


def test_a_store_not_indexed_under_the_current_settings_is_503(
    desk: Desk, reader: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an upgrade that changes the index (or a change of settings), a search would
    read block digests the store does not hold and find nothing: until the next resolve
    writes them, it says so."""
    monkeypatch.setattr(fitted_models, "INDEX_VERSION", "a later index")
    answer = client_for(desk).get(
        "/v1/search", params={"email": "ana.garcia@example.com"}, headers=reader
    )
    assert answer.status_code == 503
    assert answer.json()["error"] == "stale_index"
    assert "relhub resolve" in answer.json()["message"]
