"""Match on demand: the golden records a record would join, scored as resolve scores,
writing nothing."""

from __future__ import annotations

import csv
import gc
from dataclasses import astuple
from pathlib import Path
from typing import Any

import pytest
from deskfixtures import ANA, PEOPLE, Desk, bearer, build_desk, client_for
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.resolve import resolve
from hub.serve.app import create_app
from hub.serve.fitted import FittedModels
from hub.serve.match import normalized
from hub.serve.neighbours import probe, scoring_neighbours
from hub.serve.schemas import MatchRequest
from hub.serve.tokens import create_token
from hub.store.migrate import open_store
from hub.store.models import Base
from hub.sync import sync_source
from identity import resolve_batch, score_pairs


@pytest.fixture(scope="module")
def matcher(desk: Desk) -> dict[str, str]:
    return bearer(desk.engine, "match", name="match-match")


def _match(desk: Desk, headers: dict[str, str], **body: Any) -> Any:
    return client_for(desk).post("/v1/match", json=body, headers=headers)


def _row_counts(desk: Desk) -> dict[str, int]:
    with desk.engine.connect() as connection:
        return {
            table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def test_a_sign_up_finds_the_golden_record_it_would_join(
    desk: Desk, matcher: dict[str, str]
) -> None:
    before = _row_counts(desk)
    answer = _match(
        desk,
        matcher,
        record={
            "kind": "person",
            "given_name": "Ana",
            "family_name": "Garcia Lopez",
            "emails": ["Ana.Garcia@Example.com"],
            "phones": ["612 34 56 78"],
        },
        phone_region="ES",
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [c["golden"]["golden_id"] for c in body["candidates"]] == [desk.golden_of("P1")]
    ana = body["candidates"][0]
    assert ana["decision"] == "link" and ana["probability"] > 0.5
    assert sorted(p["source"]["id"] for p in ana["pairs"]) == ["P1", "P2", "P3"]
    evidence = {e["comparison"]: e for e in ana["pairs"][0]["evidence"]}
    assert evidence["email"]["weight"] > 0 and evidence["email"]["level"] != "missing"
    assert ana["golden"]["fields"]["birth_date"] == "<sensitive>"
    assert body["compared"] >= 3
    assert _row_counts(desk) == before  # nothing written


def test_a_stranger_matches_nothing(desk: Desk, matcher: dict[str, str]) -> None:
    answer = _match(
        desk,
        matcher,
        record={"kind": "person", "given_name": "Zoe", "emails": ["zoe@nowhere.io"]},
    )
    assert answer.status_code == 200
    assert answer.json()["candidates"] == []


def test_an_organization_by_domain(desk: Desk, matcher: dict[str, str]) -> None:
    answer = _match(
        desk,
        matcher,
        record={"kind": "organization", "name": "ACME Iberica", "domains": ["www.acme.es"]},
    )
    assert answer.status_code == 200, answer.text
    candidates = answer.json()["candidates"]
    assert [c["golden"]["golden_id"] for c in candidates] == [desk.golden_of("O1")]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"record": {"given_name": "Ana"}},
            "body.record: Unable to extract tag using discriminator",
        ),
        ({"record": {"kind": "robot"}}, "body.record: Input tag 'robot' found using 'kind'"),
        (
            {"record": {"kind": "person", "emails": ["nope"]}},
            "record: invalid email 'nope'",
        ),
        ({"record": {"kind": "person", "phones": ["612"]}}, "record: "),
        (
            {"record": {"kind": "person", "shoe_size": 44}},
            "body.record.person.shoe_size: Extra inputs are not permitted",
        ),
        ({"record": {"kind": "person"}, "limit": 0}, "body.limit: Input should be greater than"),
        ({}, "body.record: Field required"),
    ],
)
def test_malformed_records_are_422(
    desk: Desk, matcher: dict[str, str], body: dict[str, Any], message: str
) -> None:
    answer = client_for(desk).post("/v1/match", json=body, headers=matcher)
    assert answer.status_code == 422, answer.text
    assert answer.json()["message"].startswith(message)


def test_match_needs_the_match_scope(desk: Desk) -> None:
    reader = bearer(desk.engine, "read", name="match-reader")
    body = {"record": {"kind": "person", "given_name": "Ana"}}
    assert client_for(desk).post("/v1/match", json=body, headers=reader).status_code == 403


def test_no_fitted_model_is_503(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 'empty.db'}")
    _, text = create_token(engine, "m", ["match"])
    answer = TestClient(create_app(engine)).post(
        "/v1/match",
        json={"record": {"kind": "person", "given_name": "Ana"}},
        headers={"Authorization": f"Bearer {text}"},
    )
    assert answer.status_code == 503
    assert answer.json()["error"] == "no_model"


def test_a_worker_loads_the_models_before_it_serves(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    loads: list[Any] = []
    monkeypatch.setattr(FittedModels, "current", lambda self, engine: loads.append(engine))
    with TestClient(create_app(desk.engine)):
        assert loads == [desk.engine]


def test_loaded_models_are_out_of_the_collectors_reach(desk: Desk) -> None:
    """A full collection walks every object it tracks; the models' term frequencies would
    make each one stall the worker for hundreds of ms at a million records."""
    gc.unfreeze()
    try:
        models = FittedModels(desk.config.resolution).current(desk.engine)
        assert models is not None
        frequencies = next(iter(models.values())).frequencies
        assert frequencies is not None
        tracked = {id(o) for o in gc.get_objects()}
        assert not tracked & {id(frequencies), *map(id, frequencies.values())}
    finally:
        gc.unfreeze()


@pytest.mark.parametrize(
    "record",
    [
        {"kind": "person", "given_name": "Ana", "family_name": "Garcia Lopez",
         "emails": ["ana.garcia@example.com"], "phones": ["+34612345678"]},
        {"kind": "person", "given_name": "Bruno", "family_name": "Ruiz",
         "emails": ["bruno@example.org"]},
        {"kind": "person", "given_name": "Bruno", "family_name": "Ruiz Ortega",
         "phones": ["+34699000111"]},
        {"kind": "organization", "name": "ACME Iberica", "domains": ["acme.es"]},
    ],
)  # fmt: skip
def test_match_scores_its_neighbours_as_a_batch_resolve_would(
    desk: Desk, record: dict[str, Any]
) -> None:
    """The pairs match answers with are those `resolve_batch` links or reviews when it
    resolves the probe with its neighbours under the stored model (match's former path)."""
    settings = desk.config.resolution
    request = MatchRequest.model_validate({"record": record})
    models = FittedModels(settings).current(desk.engine)
    assert models is not None
    asked = probe(normalized(request), settings)
    with desk.engine.connect() as connection:
        neighbours = [met.record for met in scoring_neighbours(connection, asked)]
    assert neighbours
    batch = [asked.normalized, *neighbours]
    expected = resolve_batch(batch, settings, model=models, focus=[0])
    links, review = score_pairs(
        batch, [(0, i) for i in range(1, len(batch))], settings, models[record["kind"]]
    )
    for got, wanted in ((links, expected.links), (review, expected.review)):
        assert sorted(map(astuple, got)) == sorted(map(astuple, wanted))
    assert len(links) + len(review) > 0


@pytest.mark.parametrize(
    ("row", "record"),
    [
        (
            dict(ANA, email="ana.g@example.com", phone="+34 600 111 222"),
            {"kind": "person", "given_name": "Ana", "family_name": "García López",
             "emails": ["ana.g@example.com"], "phones": ["+34600111222"],
             "birth_date": "1980-02-01", "addresses": [{"postcode": "28001"}]},
        ),
        (
            {"first": "Zoe", "last": "Martin", "email": "zoe@nowhere.io", "phone": "",
             "born": "2001-01-01", "postcode": "50001"},
            {"kind": "person", "given_name": "Zoe", "family_name": "Martin",
             "emails": ["zoe@nowhere.io"], "birth_date": "2001-01-01",
             "addresses": [{"postcode": "50001"}]},
        ),
    ],
)  # fmt: skip
def test_match_answers_the_golden_record_a_resolve_then_joins(
    store_url: str, tmp_path: Path, row: dict[str, str], record: dict[str, Any]
) -> None:
    """Match a record, then sync it and resolve: it joins the golden record match said it
    would link to, or, matching none, a golden record of its own."""
    desk = build_desk(tmp_path, store_url)
    headers = bearer(desk.engine, "match")
    answer = _match(desk, headers, record=record)
    assert answer.status_code == 200, answer.text
    linked = [
        c["golden"]["golden_id"] for c in answer.json()["candidates"] if c["decision"] == "link"
    ]
    before = {desk.golden_of(source_id) for source_id in ("P1", "P4")}
    with (tmp_path / "people.csv").open("a", newline="", encoding="utf-8") as handle:
        csv.DictWriter(handle, fieldnames=PEOPLE).writerow(
            {"id": "P9", "updated": "2026-03-01T00:00:09Z", **row}
        )
    sync_source(desk.config, desk.engine, desk.config.sources[0])
    resolve(desk.config, desk.engine)
    joined = desk.golden_of("P9")
    assert linked == ([joined] if joined in before else [])
    desk.engine.dispose()
