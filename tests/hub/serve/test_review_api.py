"""The review queue and steward decisions over HTTP, stored as `relhub review` stores them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from deskfixtures import Desk, bearer, client_for
from sqlalchemy import insert, select

from hub.store.identity_models import ReviewRow, StewardDecisionRow
from hub.store.models import Run

ANA, BRUNO = "desk/people/P1", "desk/people/P4"
EVIDENCE = [{"comparison": "given_name", "level": "different", "weight": -3.1}]


@pytest.fixture(scope="module")
def steward(desk: Desk) -> dict[str, str]:
    """A steward token, and one pair waiting in the review queue."""
    with desk.engine.begin() as connection:
        run_id = connection.execute(select(Run.id).limit(1)).scalar_one()
        connection.execute(
            insert(ReviewRow).values(
                left_key=ANA,
                right_key=BRUNO,
                entity_kind="person",
                probability=0.6,
                match_weight=0.58,
                rule=None,
                evidence=EVIDENCE,
                run_id=run_id,
            )
        )
    return bearer(desk.engine, "steward", name="review-steward")


def _decisions(desk: Desk) -> list[tuple[str, str | None, str | None, object]]:
    with desk.engine.connect() as connection:
        rows = connection.execute(
            select(
                StewardDecisionRow.kind,
                StewardDecisionRow.left_key,
                StewardDecisionRow.golden_id,
                StewardDecisionRow.value,
            ).order_by(StewardDecisionRow.id)
        )
        return [tuple(row) for row in rows]


def test_queue_then_a_decision_takes_the_pair_off(desk: Desk, steward: dict[str, str]) -> None:
    client = client_for(desk)
    queue = client.get("/v1/review", headers=steward).json()
    assert queue["total"] == 1
    assert queue["pairs"][0] == {
        "left": ANA,
        "right": BRUNO,
        "entity_kind": "person",
        "probability": 0.6,
        "match_weight": 0.58,
        "evidence": EVIDENCE,
    }
    decided = client.post(
        "/v1/review/decisions",
        json={"left": BRUNO, "right": ANA, "verdict": "no_match", "note": "different people"},
        headers=steward,
    )
    assert decided.status_code == 201
    assert decided.json() == {"left": ANA, "right": BRUNO, "decision": "cannot_link"}
    assert client.get("/v1/review", headers=steward).json() == {"total": 0, "pairs": []}
    assert ("cannot_link", ANA, None, None) in _decisions(desk)


def test_an_override_lands_on_the_current_id(desk: Desk, steward: dict[str, str]) -> None:
    answer = client_for(desk).post(
        f"/v1/golden/{desk.carmen_id}/overrides",
        json={"field": "job_title", "value": "Directora"},
        headers=steward,
    )
    assert answer.status_code == 201
    ana = desk.golden_of("P1")
    assert answer.json() == {"golden_id": ana, "field": "job_title"}
    assert ("field_override", None, ana, "Directora") in _decisions(desk)


@pytest.mark.parametrize(
    ("path", "body", "status", "message"),
    [
        (
            "/v1/review/decisions",
            {"left": ANA, "right": ANA, "verdict": "match"},
            422,
            "a decision needs two different records",
        ),
        (
            "/v1/review/decisions",
            {"left": ANA, "right": "desk/people/P99", "verdict": "match"},
            422,
            "no source record 'desk/people/P99' in the store",
        ),
        (
            "/v1/review/decisions",
            {"left": ANA, "right": BRUNO, "verdict": "maybe"},
            422,
            "body.verdict: Input should be 'match' or 'no_match'",
        ),
        (
            "/v1/review/decisions",
            {"left": ANA, "right": BRUNO, "verdict": "match", "admin": True},
            422,
            "body.admin: Extra inputs are not permitted",
        ),
        ("/v1/review/decisions", "not json", 422, "body.0: JSON decode error"),
        ("/v1/golden/G_x/overrides", {"field": "job_title", "value": 1}, 404, "no golden record"),
    ],
)
def test_bad_decisions_are_refused_clearly(
    desk: Desk, steward: dict[str, str], path: str, body: object, status: int, message: str
) -> None:
    client = client_for(desk)
    if isinstance(body, str):
        answer = client.post(
            path, content=body, headers={**steward, "Content-Type": "application/json"}
        )
    else:
        answer = client.post(path, json=body, headers=steward)
    assert answer.status_code == status, answer.text
    assert answer.json()["message"].startswith(message)


def test_an_override_of_an_unknown_field_is_422(desk: Desk, steward: dict[str, str]) -> None:
    answer = client_for(desk).post(
        f"/v1/golden/{desk.golden_of('P4')}/overrides",
        json={"field": "shoe_size", "value": 44},
        headers=steward,
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_decision"
    assert answer.json()["message"].startswith("person records have no field 'shoe_size'")


def test_an_oversize_body_is_413(desk: Desk, steward: dict[str, str]) -> None:
    note = "x" * (70 * 1024)
    answer = client_for(desk).post(
        "/v1/review/decisions",
        json={"left": ANA, "right": BRUNO, "verdict": "match", "note": note},
        headers=steward,
    )
    assert answer.status_code == 413
    assert answer.json() == {
        "error": "body_too_large",
        "message": "the request body exceeds 65536 bytes",
    }


def test_an_oversize_chunked_body_is_413(desk: Desk, steward: dict[str, str]) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit counts bytes as they arrive
        for _ in range(80):
            yield b"x" * 1024

    answer = client_for(desk).post(
        "/v1/review/decisions",
        content=chunks(),
        headers={**steward, "Content-Type": "application/json"},
    )
    assert answer.status_code == 413


def test_review_needs_the_steward_scope(desk: Desk) -> None:
    reader = bearer(desk.engine, "read", "match", name="review-reader")
    client = client_for(desk)
    assert client.get("/v1/review", headers=reader).status_code == 403
    body = {"left": ANA, "right": BRUNO, "verdict": "match"}
    assert client.post("/v1/review/decisions", json=body, headers=reader).status_code == 403
    assert client.post("/v1/review/decisions", json=body).status_code == 401
    admin = bearer(desk.engine, "admin", name="review-admin")
    assert client.get("/v1/review", headers=admin).status_code == 200
