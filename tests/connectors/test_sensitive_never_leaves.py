"""Sensitive HR fields never leave: one company's BambooHR employees and HubSpot contacts
through sync, resolve and push, then every way out is searched for their values.

The BambooHR mapping marks birth date, national id, pay rate and the bonus custom field
sensitive. The same people are employees and HubSpot contacts, so golden records hold
both and the push writes into both systems. None of those values may appear in a write
either emulator received, in an export or an API answer without the scope that allows
them, or in the logs and the command output — while an explicit `--include-sensitive`
export shows them, so the search itself is shown to find them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from emulators.bamboohr import BambooHREmulator, CompanyStore, default_config
from emulators.bamboohr import generate as generate_employees
from emulators.demo_company import seed_hubspot
from emulators.hubspot import EmulatorConfig as HubSpotConfig
from emulators.hubspot import HubSpotEmulator
from emulators.synthetic.company import build_company
from hub.cli import app
from hub.config import load_config
from hub.mapping.sensitive import configured_sensitive_fields
from hub.serve.app import create_app
from hub.serve.tokens import create_token
from hub.store.migrate import open_store

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
PEOPLE, SEED = 2_000, 3
SENSITIVE = ("dateOfBirth", "nationalId", "payRate", "customAnnualBonus")

runner = CliRunner()


@dataclass
class Company:
    hr: BambooHREmulator
    portal: HubSpotEmulator
    secrets: set[str]  # every sensitive value the HR system holds, as held and as mapped
    national_ids: set[str]  # as the mapping stores them (upper case)


def relhub_yaml(folder: Path) -> Path:
    path = folder / "relhub.yaml"
    path.write_text(
        f"""\
sources:
  - name: bamboohr
    type: bamboohr
    mapping: {MAPPINGS / "bamboohr.yaml"}
    connection: hr
    objects: [employees]
    options: {{base_delay_s: 0.01, max_attempts: 8}}
  - name: hubspot
    type: hubspot
    mapping: {MAPPINGS / "hubspot.yaml"}
    connection: crm
    objects: [contacts, companies]
    options: {{consistency_lag_s: 0, base_delay_s: 0.01, max_attempts: 8,
               search_requests_per_second: 40}}
"""
    )
    return path


@pytest.fixture
def company(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, store_url: str) -> Iterator[Company]:
    store = CompanyStore()
    generate_employees(store, people=PEOPLE, seed=SEED)
    employees = store.live()
    national_ids = {e.fields["nationalId"].upper() for e in employees if e.fields["nationalId"]}
    secrets = national_ids | {
        value for e in employees for name in SENSITIVE if (value := e.fields.get(name))
    }
    with (
        BambooHREmulator(store=store, config=default_config()) as hr,
        HubSpotEmulator(config=HubSpotConfig(search_rate_limit=50)) as portal,
    ):
        seed_hubspot(portal, build_company(PEOPLE, SEED))
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("RELHUB_CONFIG", str(relhub_yaml(tmp_path)))
        monkeypatch.setenv("RELHUB_DATABASE_URL", store_url)
        monkeypatch.setenv("RELHUB_CONN_HR_COMPANY", store.company)
        monkeypatch.setenv("RELHUB_CONN_HR_API_KEY", hr.api_key)
        monkeypatch.setenv("RELHUB_CONN_HR_BASE_URL", hr.base_url)
        monkeypatch.setenv("RELHUB_CONN_CRM_ACCESS_TOKEN", portal.token)
        monkeypatch.setenv("RELHUB_CONN_CRM_BASE_URL", portal.base_url)
        yield Company(hr, portal, secrets, national_ids)


def leaked(secrets: set[str], text: str) -> list[str]:
    return sorted(value for value in secrets if value in text)


def command(*args: str) -> str:
    result = runner.invoke(app, ["--verbose", *args])
    assert result.exit_code == 0, result.output
    return result.output


def api_answers(store_url: str, golden_ids: list[str], *scopes: str) -> str:
    """What the read API answers for these golden records to a token with `scopes`."""
    engine = open_store(store_url)
    sensitive = configured_sensitive_fields(load_config())
    api = TestClient(create_app(engine, sensitive=sensitive, token_cache_seconds=0))
    _, token = create_token(engine, "-".join(scopes), scopes)
    headers = {"Authorization": f"Bearer {token}"}
    answers = [api.get(f"/v1/golden/{golden_id}", headers=headers) for golden_id in golden_ids]
    engine.dispose()
    assert {answer.status_code for answer in answers} == {200}
    return "".join(answer.text for answer in answers)


def test_sensitive_fields_stay_out_of_pushes_exports_the_api_and_logs(
    company: Company, caplog: pytest.LogCaptureFixture, store_url: str
) -> None:
    caplog.set_level(logging.DEBUG)
    output = "".join(command(*step) for step in (["sync"], ["resolve"], ["push"]))
    exported = command("golden", "export", "--format", "jsonl")
    csv_export = command("golden", "export", "--format", "csv")
    everything = command("golden", "export", "--format", "jsonl", "--include-sensitive")

    hr_writes = [json.loads(body) for _, body in company.hr.api.updates]
    assert hr_writes and all(set(w) == {"customRelhubGoldenId"} for w in hr_writes)
    hubspot_writes = [
        e for e in company.portal.log.snapshot() if e.method == "POST" and "/batch/" in e.path
    ]
    assert hubspot_writes, "no golden record reached HubSpot: nothing was tested there"
    pushed = json.dumps([r.properties for r in company.portal.store.records["contacts"].values()])
    assert leaked(company.secrets, pushed) == []
    assert leaked(company.secrets, json.dumps(hr_writes)) == []
    assert leaked(company.secrets, exported) == []
    assert leaked(company.secrets, csv_export) == []
    assert leaked(company.secrets, output) == []
    assert leaked(company.secrets, caplog.text) == []
    assert set(leaked(company.national_ids, everything)) == company.national_ids

    employees = [
        record["golden_id"]
        for record in map(json.loads, exported.splitlines())
        if any(m["system"] == "bamboohr" for m in record["members"])
    ]
    assert leaked(company.secrets, api_answers(store_url, employees, "read")) == []
    allowed = api_answers(store_url, employees, "read", "read:sensitive")
    assert set(leaked(company.national_ids, allowed)) == company.national_ids
