"""Live Salesforce and HubSpot emulators behind a relhub.yaml with the shipped mappings,
and one sync -> resolve -> push cycle, for the push-back tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from emulators.hubspot import EmulatorConfig as HubSpotConfig
from emulators.hubspot import HubSpotEmulator
from emulators.hubspot import generate as generate_portal
from emulators.salesforce import EmulatorConfig as SalesforceConfig
from emulators.salesforce import SalesforceEmulator
from emulators.salesforce.seed import generate as generate_org
from hub.config import RelhubConfig, load_config
from hub.push.drain import PushReport
from hub.push.outbox import BuildReport
from hub.push.step import push
from hub.resolve import resolve
from hub.store.identity_models import GoldenMemberRow
from hub.sync import sync_source

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"


@dataclass
class Systems:
    org: SalesforceEmulator
    portal: HubSpotEmulator
    config: RelhubConfig
    folder: Path


def relhub_yaml(org: SalesforceEmulator, batch_size: int | None, mappings: Path) -> str:
    push = f"push: {{batch_size: {batch_size}}}\n" if batch_size else ""
    return f"""\
sources:
  - name: salesforce
    type: salesforce
    mapping: {mappings / "salesforce.yaml"}
    connection: sf_emulator
    overlap_seconds: 0
    objects: [Contact, Lead, Account]
    options: {{ca_bundle: "{org.ca_path}", base_delay_s: 0.01, max_attempts: 8,
               rate_limit_calls: 1000}}
  - name: hubspot
    type: hubspot
    mapping: {mappings / "hubspot.yaml"}
    connection: hs_emulator
    overlap_seconds: 0
    objects: [contacts, companies]
    options: {{consistency_lag_s: 0, base_delay_s: 0.01, max_delay_s: 0.2, max_attempts: 8,
               search_requests_per_second: 40}}
{push}"""


@contextmanager
def running_systems(
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    contacts: int = 60,
    batch_size: int | None = None,
    mappings: Path = MAPPINGS,
) -> Iterator[Systems]:
    secret = uuid.uuid4().hex
    sf_config = SalesforceConfig(
        password=f"sf-password-{secret}",
        security_token=f"SFTOKEN{secret}",
        client_secret=f"sf-client-secret-{secret}",
    )
    with (
        SalesforceEmulator(sf_config) as org,
        HubSpotEmulator(
            config=HubSpotConfig(retry_after_s=0.01, search_rate_limit=50),
            token=f"pat-na1-{secret}",
        ) as portal,
    ):
        generate_org(org.store, accounts=10, contacts=contacts, leads=contacts // 2)
        generate_portal(portal.store, contacts=contacts, companies=10)
        for name, value in org.credentials().items():
            monkeypatch.setenv(f"RELHUB_CONN_SF_EMULATOR_{name.upper()}", value)
        monkeypatch.setenv("RELHUB_CONN_HS_EMULATOR_ACCESS_TOKEN", portal.token)
        monkeypatch.setenv("RELHUB_CONN_HS_EMULATOR_BASE_URL", portal.base_url)
        (folder / "relhub.yaml").write_text(relhub_yaml(org, batch_size, mappings))
        yield Systems(org, portal, load_config(folder / "relhub.yaml"), folder)


def sync_and_resolve(systems: Systems, engine: Engine) -> None:
    for source in systems.config.sources:
        sync_source(systems.config, engine, source)
    resolve(systems.config, engine)


def cycle(systems: Systems, engine: Engine) -> tuple[BuildReport, list[PushReport]]:
    """sync -> resolve -> push, as `relhub run` does."""
    sync_and_resolve(systems, engine)
    return push(systems.config, engine)


def members(engine: Engine, system: str) -> dict[tuple[str, str], str]:
    """(object, source id) -> golden id of every stored member of a system."""
    with engine.connect() as connection:
        return {
            (o, s): g
            for o, s, g in connection.execute(
                select(
                    GoldenMemberRow.object, GoldenMemberRow.source_id, GoldenMemberRow.golden_id
                ).where(GoldenMemberRow.system == system)
            )
        }


def hubspot_value(systems: Systems, object_name: str, record_id: str, name: str) -> str | None:
    return systems.portal.store.records[object_name][record_id].properties.get(name)


def salesforce_value(systems: Systems, object_name: str, record_id: str, name: str) -> object:
    return systems.org.store.get(object_name, record_id).get(name)
