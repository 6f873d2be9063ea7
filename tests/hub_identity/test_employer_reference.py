"""A CRM contact that carries its company's id and no company name works where that company
record says: it meets an HR employee of the same employer, and when the company record
changes, an incremental resolve reads the new employer as a full one does."""

from __future__ import annotations

import copy
import csv
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

import pytest
import yaml
from identityfixtures import store_state
from sqlalchemy import Engine, select

from hub.config import RelhubConfig, load_config
from hub.resolve import ResolveReport, resolve
from hub.store.identity_models import GoldenMemberRow
from hub.store.migrate import open_store
from hub.sync import sync_source
from identity.settings import BlockingRule, ResolutionSettings

PERSON = {
    "given_name": "first",
    "family_name": "last",
    "emails": {"from": "email", "transforms": ["email"]},
    "birth_date": {"from": "born", "transforms": [{"date": {"formats": ["%Y-%m-%d"]}}]},
}
SYSTEMS = {
    "crm": {
        "companies": {"entity": "organization", "fields": {"name": "name"}},
        "contacts": {"entity": "person", "fields": {**PERSON, "organization_ref": "company_id"}},
    },
    "hr": {"employees": {"entity": "person", "fields": {**PERSON, "organization_name": "company"}}},
}
ANA = {
    "first": "Ana",
    "last": "García López",
    "email": "ana.garcia.lopez@gmail.com",
    "born": "1980-02-01",
}
ROWS = {
    ("crm", "companies"): {"A1": {"name": "Acme Wave S.L."}, "A2": {"name": "Borealis"}},
    ("crm", "contacts"): {"C1": {**ANA, "company_id": "A1"}},
    ("hr", "employees"): {"E1": {**ANA, "company": "Acme Wave"}},
}


def _one_rule() -> ResolutionSettings:
    """Persons blocked on their employer and surname only, any pair scored linked: a
    contact and an employee with one name and email are one person exactly when their
    employers agree."""
    person = ResolutionSettings().person.model_copy(
        update={
            "blocking_rules": [BlockingRule(name="employer", keys=["employer", "family_first"])]
        }
    )
    return ResolutionSettings(person=person, match_probability=1e-9, review_probability=1e-9)


class Company:
    """Files of two systems, synced and resolved into one store."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder = folder
        self.rows = copy.deepcopy(ROWS)
        self.clock = 0
        sources = []
        for system, objects in SYSTEMS.items():
            mapping = {
                name: {**spec, "id_field": "id", "modified_at_field": "updated"}
                for name, spec in objects.items()
            }
            (folder / f"{system}.yaml").write_text(
                yaml.safe_dump({"system": system, "objects": mapping})
            )
            files = {
                name: {"path": f"{system}_{name}.csv", "deletion": "absence"} for name in objects
            }
            sources.append(
                {
                    "name": system,
                    "type": "file",
                    "mapping": f"{system}.yaml",
                    "objects": files,
                    "max_deletion_share": 1.0,
                }
            )
        (folder / "relhub.yaml").write_text(yaml.safe_dump({"sources": sources}))
        config = load_config(folder / "relhub.yaml")
        self.config: RelhubConfig = config.model_copy(update={"resolution": _one_rule()})
        self.engine: Engine = open_store(url)

    def cycle(self, *, full: bool = False, refit: bool = True) -> ResolveReport:
        self.clock += 1
        for (system, name), rows in self.rows.items():
            with (self.folder / f"{system}_{name}.csv").open("w", newline="") as handle:
                columns = sorted({"id", "updated", *(c for row in rows.values() for c in row)})
                writer = csv.DictWriter(handle, fieldnames=columns)
                writer.writeheader()
                for source_id, values in rows.items():
                    writer.writerow(
                        {"id": source_id, "updated": f"2026-03-01T00:00:{self.clock:02d}Z"} | values
                    )
        for source in self.config.sources:
            sync_source(self.config, self.engine, source)
        return resolve(self.config, self.engine, full=full, refit=refit)

    def together(self) -> bool:
        """Whether the contact and the employee are one golden record."""
        with self.engine.connect() as connection:
            golden = dict(
                connection.execute(
                    select(GoldenMemberRow.record_key, GoldenMemberRow.golden_id)
                ).all()
            )
        return golden["crm/contacts/C1"] == golden["hr/employees/E1"]


@contextmanager
def _company(store_maker: Callable[[], AbstractContextManager[str]]) -> Iterator[Company]:
    with TemporaryDirectory() as folder, store_maker() as url:
        company = Company(Path(folder), url)
        yield company
        company.engine.dispose()


def test_a_contact_works_where_its_company_record_says(
    store_maker: Callable[[], AbstractContextManager[str]],
) -> None:
    with _company(store_maker) as company:
        company.cycle()
        assert company.together()
        del company.rows["crm", "contacts"]["C1"]["company_id"]
        company.rows["crm", "contacts"]["C2"] = {**ANA, "first": "Bruno", "company_id": "A1"}
        company.cycle(full=True)
        assert not company.together()  # no reference: no employer to meet on


@pytest.mark.parametrize(
    "change",
    ["company renamed", "contact moved", "company deleted", "company renamed back"],
)
def test_a_changed_company_moves_its_contacts_as_a_full_resolve_does(
    store_maker: Callable[[], AbstractContextManager[str]], change: str
) -> None:
    """Only the company record changes (or the contact's reference): the contact's employer
    changes with it, and the incremental resolve leaves what a full one leaves."""
    with _company(store_maker) as company:
        companies = company.rows["crm", "companies"]
        if change == "company renamed back":
            companies["A1"] = {"name": "Zenith Labs"}
        company.cycle()
        assert company.together() is (change != "company renamed back")
        if change == "company renamed":
            companies["A1"] = {"name": "Zenith Labs"}
        elif change == "contact moved":
            company.rows["crm", "contacts"]["C1"]["company_id"] = "A2"
        elif change == "company deleted":
            del companies["A1"]
        else:
            companies["A1"] = {"name": "ACME WAVE"}
        company.cycle()
        assert company.together() is (change == "company renamed back")
        incremental = store_state(company.engine)
        assert company.cycle(full=True, refit=False).full
        assert store_state(company.engine) == incremental
