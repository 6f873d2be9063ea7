"""A front desk's people and companies, synced and resolved into a store, and a client
of the read API on it with a token per scope."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from hub.config import RelhubConfig, load_config
from hub.mapping.sensitive import configured_sensitive_fields
from hub.resolve import resolve
from hub.serve.app import create_app
from hub.serve.tokens import create_token
from hub.store.identity_models import GoldenMemberRow
from hub.store.migrate import open_store
from hub.sync import sync_source

MAPPING = """\
system: desk
objects:
  people:
    entity: person
    roles: [customer]
    id_field: id
    modified_at_field: updated
    fields:
      given_name: {from: first, transforms: [trim]}
      family_name: {from: last, transforms: [trim]}
      emails: {from: email, transforms: [email]}
      phones: {from: phone, transforms: [{phone: {region: ES}}], on_invalid: drop}
      birth_date: {from: born, transforms: [{date: {formats: ["%Y-%m-%d"]}}], sensitive: true}
      address.postcode: postcode
  companies:
    entity: organization
    roles: [customer]
    id_field: id
    modified_at_field: updated
    fields:
      name: {from: name, transforms: [trim]}
      domains: {from: website, transforms: [domain]}
"""
PEOPLE = ["id", "first", "last", "email", "phone", "born", "postcode", "updated"]
COMPANIES = ["id", "name", "website", "updated"]

ANA = {"first": "Ana", "last": "García López", "email": "ana.garcia@example.com",
       "phone": "612 345 678", "born": "1980-02-01", "postcode": "28001"}  # fmt: skip
BRUNO = {"first": "Bruno", "last": "Ruiz Ortega", "email": "bruno@example.org",
         "phone": "+34 699 000 111", "born": "1975-06-30", "postcode": "08001"}  # fmt: skip
CARMEN = {"first": "Carmen", "last": "Navarro Vidal", "email": "carmen@example.net",
          "phone": "", "born": "1990-11-11", "postcode": "41001"}  # fmt: skip


def _write(path: Path, columns: list[str], rows: dict[str, dict[str, str]], clock: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for source_id, values in rows.items():
            writer.writerow(
                {"id": source_id, "updated": f"2026-03-01T00:00:{clock:02d}Z", **values}
            )


@dataclass
class Desk:
    """The store after three resolves: Ana (P1, P2), Bruno (P4) and a company (O1); then
    Carmen (P3), whose id was merged into Ana's when P3 turned out to be Ana."""

    config: RelhubConfig
    engine: Engine
    carmen_id: str

    def golden_of(self, source_id: str) -> str:
        with self.engine.connect() as connection:
            return connection.execute(
                select(GoldenMemberRow.golden_id).where(
                    GoldenMemberRow.record_key.like(f"desk/%/{source_id}")
                )
            ).scalar_one()


def build_desk(folder: Path, url: str) -> Desk:
    (folder / "desk.yaml").write_text(MAPPING)
    (folder / "relhub.yaml").write_text(
        "sources:\n  - name: desk\n    type: file\n    mapping: desk.yaml\n"
        "    objects:\n      people: {path: people.csv}\n      companies: {path: companies.csv}\n"
    )
    config = load_config(folder / "relhub.yaml")
    engine = open_store(url)
    people = {"P1": ANA, "P2": dict(ANA, phone="+34612345678"), "P4": BRUNO}
    companies = {"O1": {"name": "Acme Ibérica", "website": "https://www.acme.es/about"}}

    def cycle(clock: int) -> None:
        _write(folder / "people.csv", PEOPLE, people, clock)
        _write(folder / "companies.csv", COMPANIES, companies, clock)
        sync_source(config, engine, config.sources[0])
        resolve(config, engine)

    cycle(1)
    people["P3"] = CARMEN
    cycle(2)
    desk = Desk(config, engine, carmen_id="")
    desk.carmen_id = desk.golden_of("P3")
    people["P3"] = dict(ANA, email="ANA.GARCIA@example.com")
    cycle(3)
    return desk


def client_for(desk: Desk) -> TestClient:
    app = create_app(
        desk.engine,
        sensitive=configured_sensitive_fields(desk.config),
        settings=desk.config.resolution,
        token_cache_seconds=0,
    )
    return TestClient(app, raise_server_exceptions=True)


def bearer(engine: Engine, *scopes: str, name: str | None = None) -> dict[str, Any]:
    """Authorization headers of a new token with these scopes."""
    _, text = create_token(engine, name or "-".join(scopes) or "none", scopes)
    return {"Authorization": f"Bearer {text}"}
