"""One generated company across Salesforce, HubSpot, BambooHR and PartnerStack, end to end.

The demo's company (emulators.demo_company) seeds the four emulators from one build of
the synthetic company: the same people as Salesforce contacts and leads, HubSpot
contacts, BambooHR employees (some terminated) and PartnerStack partner contacts, under
different spellings, with personal and work emails and phones in different formats.
`relhub sync`, `relhub resolve` and `relhub golden export` run as a user runs them, over
real HTTP through the real client libraries. The export is then held against the
generator's truth and the systems' own data: every seeded record in exactly one golden
record; pairwise precision and recall of persons and organizations (printed, and above
the floors measured on this company); each golden record's roles the union of what its
members are; a termination's date on the golden former employee; a partner company that
also buys one organization with both roles; relationships on golden ids, the same in
the read API's answers as in the export.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from emulators.bamboohr import BambooHREmulator
from emulators.demo_company import DemoCompany, SourceKey, company_systems
from emulators.synthetic.truth import PairScore, score_clusters
from hub.cli import app
from hub.serve.app import create_app
from hub.serve.tokens import create_token
from hub.store.migrate import open_store

PEOPLE, SEED = 2_000, 1
# Measured on this company (seed 1, 2,000 people): persons precision 0.979, recall 0.805
# on SQLite (0.979 and 0.804 on PostgreSQL: one pair apart); organizations 1.000 and
# 1.000. Recall stops there because the pairs the model is unsure of wait for a steward
# (`relhub review list`) rather than merge. The floors leave room for the fit to move a
# little, not for a regression.
FLOORS = {"person": (0.95, 0.78), "organization": (0.98, 0.98)}
ROLES: dict[tuple[str, str], str] = {  # what each object says a record is (the mappings')
    ("salesforce", "Contact"): "customer",
    ("salesforce", "Lead"): "lead",
    ("salesforce", "Account"): "customer",
    ("hubspot", "contacts"): "customer",
    ("hubspot", "companies"): "customer",
    ("partnerstack", "partner_contacts"): "partner_contact",
    ("partnerstack", "partnerships"): "partner",
    ("partnerstack", "customers"): "customer",
}

runner = CliRunner()


@pytest.fixture
def company(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str
) -> Iterator[DemoCompany]:
    monkeypatch.setenv("RELHUB_DATABASE_URL", store_url)
    monkeypatch.chdir(tmp_path)
    with company_systems(tmp_path / "company", PEOPLE, SEED) as systems:
        yield systems


def relhub(company: DemoCompany, *args: str) -> str:
    result = runner.invoke(app, [*args, "-c", str(company.config_path)])
    assert result.exit_code == 0, result.output
    return result.stdout


def key(member: dict[str, str]) -> SourceKey:
    return member["system"], member["object"], member["id"]


def terminations(company: DemoCompany) -> dict[SourceKey, str | None]:
    """Each BambooHR employee's termination date (None: still employed), as HR holds it."""
    hr = company.systems["bamboohr"]
    assert isinstance(hr, BambooHREmulator)
    return {
        ("bamboohr", "employees", e.id): e.fields.get("terminationDate") for e in hr.store.live()
    }


def pair_scores(golden: list[dict[str, Any]], truth: dict[SourceKey, str]) -> dict[str, PairScore]:
    """Per entity kind: the pairs golden records make against the pairs the truth holds."""
    scores = {}
    for kind in FLOORS:
        rows = [
            (g["golden_id"], truth[key(m)])
            for g in golden
            if g["entity_kind"] == kind
            for m in g["members"]
        ]
        labels, who = (np.array(column) for column in zip(*rows, strict=True))
        scores[kind] = score_clusters(labels, who)
    return scores


def api_answers(store_url: str, paths: list[str]) -> list[dict[str, Any]]:
    """What the read API answers at these paths to a token with the `read` scope."""
    engine = open_store(store_url)
    _, token = create_token(engine, "end-to-end", ["read"])
    api = TestClient(create_app(engine, token_cache_seconds=0))
    answers = [api.get(path, headers={"Authorization": f"Bearer {token}"}) for path in paths]
    engine.dispose()
    assert {answer.status_code for answer in answers} == {200}
    return [answer.json() for answer in answers]


def test_one_company_across_crm_prm_and_erm_resolves_to_golden_records_with_roles(
    company: DemoCompany, store_url: str
) -> None:
    relhub(company, "sync")
    relhub(company, "resolve")
    golden = [
        json.loads(line)
        for line in relhub(company, "golden", "export", "--format", "jsonl").splitlines()
    ]
    by_id = {g["golden_id"]: g for g in golden}

    members = Counter(key(m) for g in golden for m in g["members"])
    assert set(members) == set(company.truth) and set(members.values()) == {1}

    for kind, score in pair_scores(golden, company.truth).items():
        print(
            f"{kind}s: precision {score.precision:.3f}, recall {score.recall:.3f} "
            f"({score.true_positives:,} of {score.predicted:,} pairs made are true; "
            f"{score.actual:,} true pairs)"
        )
        precision, recall = FLOORS[kind]
        assert score.precision >= precision and score.recall >= recall, (kind, score)

    left = terminations(company)
    role_of = {**ROLES, **{k[:2]: "employee" for k in left}}
    for record in golden:
        keys = [key(m) for m in record["members"]]
        said = {"former_employee" if left.get(k) else role_of[k[:2]] for k in keys}
        assert record["roles"] == sorted(said), record
        if "former_employee" in said:
            last_day = max(d for k in keys if (d := left.get(k)))
            assert record["fields"]["former_employee_since"] == last_day, record

    people = [g for g in golden if g["entity_kind"] == "person"]
    everything = [
        g
        for g in people
        if {"customer", "partner_contact"} <= set(g["roles"])
        and {"employee", "former_employee"} & set(g["roles"])
    ]
    assert everything, "no golden person is employee, customer contact and partner contact"
    assert any("former_employee" in g["roles"] for g in people)

    partners_that_buy = [
        g
        for g in golden
        if g["entity_kind"] == "organization" and g["roles"] == ["customer", "partner"]
    ]
    assert partners_that_buy
    for firm in partners_that_buy:
        stated = sorted((r["type"], r.get("to")) for r in firm["relationships"])
        assert stated == [("customer_of", "company"), ("partner_of", "company")], firm

    types: Counter[str] = Counter()
    for record in golden:
        for relationship in record["relationships"]:
            types[relationship["type"]] += 1
            assert "record" not in relationship, (record["golden_id"], relationship)  # unresolved
            if record["entity_kind"] == "person":
                target = by_id[relationship["golden_id"]]
                assert target["entity_kind"] == "organization"
    assert set(types) == {"works_at", "contact_of", "partner_of", "customer_of"}
    print(f"relationships on golden ids: {dict(sorted(types.items()))}")

    shown = [*partners_that_buy, *everything]
    answers = api_answers(
        store_url,
        [f"/v1/golden/{g['golden_id']}" for g in shown]
        + ["/v1/sources/{system}/{object}/{id}".format(**g["members"][-1]) for g in shown],
    )
    by_id_answers, by_member = answers[: len(shown)], answers[len(shown) :]
    for record, answer, lookup in zip(shown, by_id_answers, by_member, strict=True):
        expected = [
            {"golden_id": None, "to": None, "record": None, **r} for r in record["relationships"]
        ]
        assert answer["relationships"] == expected, answer
        assert lookup["golden"]["relationships"] == expected
