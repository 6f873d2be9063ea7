"""`/v1/changes`: the desk's resolves as a consumer follows them, page by page."""

from __future__ import annotations

from deskfixtures import Desk, bearer, client_for

from hub.feed.read import changes_after


def _follow(desk: Desk, headers: dict[str, str], **query: object) -> list[dict[str, object]]:
    client = client_for(desk)
    seen: list[dict[str, object]] = []
    cursor = "0"
    while True:
        page = client.get("/v1/changes", params={"after": cursor, **query}, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        seen += body["changes"]
        if not body["changes"]:
            assert body["next_cursor"] == cursor and not body["has_more"]
            return seen
        assert body["next_cursor"] == body["changes"][-1]["cursor"]
        cursor = body["next_cursor"]


def test_a_consumer_pages_through_every_event_once(desk: Desk) -> None:
    reader = bearer(desk.engine, "read", name="changes-follower")
    seen = _follow(desk, reader, limit=2)
    with desk.engine.connect() as connection:
        stored = changes_after(connection, 0, 1000)
    assert [e["cursor"] for e in seen] == [str(n) for n in range(1, len(stored) + 1)]
    assert seen == [change.as_json() for change in stored]
    ana = desk.golden_of("P1")
    assert {
        "event": "golden.merged",
        "golden_id": ana,
        "detail": {"merged_ids": [desk.carmen_id]},
    }.items() <= next(e for e in seen if e["event"] == "golden.merged").items()
    created = [e["golden_id"] for e in seen if e["event"] == "golden.created"]
    assert sorted(created) == sorted(
        {ana, desk.carmen_id, desk.golden_of("P4"), desk.golden_of("O1")}
    )
    merges = _follow(desk, reader, event="golden.merged")
    assert [e["golden_id"] for e in merges] == [ana]


def test_tokens_scopes_and_bad_cursors_are_refused(desk: Desk) -> None:
    client = client_for(desk)
    assert client.get("/v1/changes").status_code == 401
    matcher = bearer(desk.engine, "match", name="changes-matcher")
    assert client.get("/v1/changes", headers=matcher).status_code == 403
    reader = bearer(desk.engine, "read", name="changes-reader")
    for query in ({"after": "-1"}, {"after": "abc"}, {"limit": 0}, {"event": "golden.deleted"}):
        answer = client.get("/v1/changes", params=query, headers=reader)
        assert answer.status_code == 422, query
        assert answer.json()["error"]


def test_the_shape_is_in_the_openapi_schema(desk: Desk) -> None:
    schema = client_for(desk).get("/openapi.json").json()
    operation = schema["paths"]["/v1/changes"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"after", "limit", "event"}
    page = schema["components"]["schemas"]["ChangesPage"]
    assert set(page["properties"]) == {"changes", "next_cursor", "has_more"}
