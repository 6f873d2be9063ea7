"""Roles and relationships across systems: a partner company that also buys, and the
person who is its partner contact in PartnerStack and a customer contact in HubSpot,
resolve into one golden organization and one golden person with the union of roles
and relationships on golden ids (store on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulators.hubspot import EmulatorConfig, HubSpotEmulator
from emulators.partnerstack import PartnerStackEmulator, partnerstack_limits
from hub.config import load_config
from hub.golden import export
from hub.resolve import resolve
from hub.store.migrate import open_store
from hub.sync import sync_source

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
OTHERS = [("Bruno", "Keller", "Keller Maschinenbau", "keller-mb.de")] + [
    (f"Given{n}", f"Family{n}", f"Company {n} Holdings", f"company{n}.example") for n in range(12)
]


@pytest.fixture
def systems() -> Iterator[tuple[PartnerStackEmulator, HubSpotEmulator]]:
    hub_config = EmulatorConfig(retry_after_s=0.01, search_rate_limit=50)
    with (
        PartnerStackEmulator(config=partnerstack_limits(retry_after_s=0.01)) as program,
        HubSpotEmulator(config=hub_config) as hub,
    ):
        yield program, hub


def enrol(program: PartnerStackEmulator, given: str, family: str, company: str, host: str) -> str:
    member = {"key": f"mem_{host}", "email": f"{given}.{family}@{host}".lower()}
    member |= {"first_name": given, "last_name": family, "phone": "", "country": "DE"}
    body: dict[str, Any] = {"partner_key": host, "email": member["email"], "first_name": given}
    body |= {"last_name": family, "group": {"key": "grp_gold", "name": "Gold", "slug": "gold"}}
    body |= {"team": {"key": f"team_{host}", "name": company, "members": [member]}}
    body |= {"fields": {"website": f"https://www.{host}", "country": "DE"}}
    return program.store.insert("partnerships", body).key


def buy(hub: HubSpotEmulator, given: str, family: str, company: str, host: str) -> None:
    firm = hub.store.insert("companies", {"name": company, "domain": host, "country": "DE"}).id
    person = hub.store.insert(
        "contacts",
        {
            "firstname": given,
            "lastname": family,
            "email": f"{given}.{family}@{host}".lower(),
            "company": company,
            "associatedcompanyid": firm,
        },
    ).id
    hub.store.associate(person, firm)


def test_a_partner_that_buys_is_one_organization_with_both_roles_and_relationships(
    systems: tuple[PartnerStackEmulator, HubSpotEmulator],
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    program, hub = systems
    for given, family, company, host in OTHERS:
        enrol(program, given, family, company, host)
        buy(hub, given, family, f"{company} GmbH", host)
    for name, value in program.credentials().items():
        monkeypatch.setenv(f"RELHUB_CONN_PS_{name.upper()}", value)
    monkeypatch.setenv("RELHUB_CONN_HS_ACCESS_TOKEN", hub.token)
    monkeypatch.setenv("RELHUB_CONN_HS_BASE_URL", hub.base_url)
    (tmp_path / "relhub.yaml").write_text(
        f"""\
sources:
  - name: partnerstack
    type: partnerstack
    mapping: {MAPPINGS / "partnerstack.yaml"}
    connection: ps
    objects: [partnerships, partner_contacts]
  - name: hubspot
    type: hubspot
    mapping: {MAPPINGS / "hubspot.yaml"}
    connection: hs
    objects: [contacts, companies]
    options: {{consistency_lag_s: 0, search_requests_per_second: 40}}
"""
    )
    config = load_config(tmp_path / "relhub.yaml")
    engine = open_store(store_url)
    for source in config.sources:
        sync_source(config, engine, source)
    resolve(config, engine, full=True)
    records = list(export(engine))

    keller = [g for g in records if "Keller" in str(g["fields"].get("name", ""))]
    assert len(keller) == 1, [g["fields"].get("name") for g in keller]
    firm = keller[0]
    assert firm["roles"] == ["customer", "partner"]
    assert {(m["system"], m["object"]) for m in firm["members"]} == {
        ("partnerstack", "partnerships"),
        ("hubspot", "companies"),
    }
    assert sorted(r["type"] for r in firm["relationships"]) == ["customer_of", "partner_of"]

    bruno = [g for g in records if g["fields"].get("family_name") == "Keller"]
    assert len(bruno) == 1
    person = bruno[0]
    assert person["roles"] == ["customer", "partner_contact"]
    assert sorted((r["type"], r["golden_id"]) for r in person["relationships"]) == [
        ("contact_of", firm["golden_id"]),
        ("works_at", firm["golden_id"]),
    ]
