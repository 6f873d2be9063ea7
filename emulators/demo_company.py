"""A generated company served by live emulators: what `relhub demo` runs the whole loop on.

The company generator (emulators.synthetic.company) writes the same people and
organizations into several systems with realistic duplicates. One build of it seeds all
four emulators in each API's own shapes: Salesforce (contacts, leads, accounts), HubSpot
(contacts, companies), BambooHR (employees, current and terminated) and PartnerStack
(partnerships with their team members, referred customers). A relhub.yaml for these
sources, with the shipped mapping files, is written into the folder; the credentials are
set in the environment (`RELHUB_CONN_*`) for as long as the systems run, and never
written to disk. The generator's truth comes along, keyed by each system's own record
ids, so a test can score what the hub resolved.

`relhub demo` finds this module through the `relhub.demo` entry point, so the production
`relhub` never imports the emulators.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from emulators.bamboohr import BambooHREmulator, add_employees, default_config
from emulators.hubspot import EmulatorConfig as HubSpotConfig
from emulators.hubspot import HubSpotEmulator
from emulators.onboarding import OBJECTS, connection_id, credential_variables, source_block
from emulators.partnerstack import PartnerStackEmulator, enrol
from emulators.salesforce import EmulatorConfig as SalesforceConfig
from emulators.salesforce import SalesforceEmulator
from emulators.serving import BackgroundServer
from emulators.synthetic.company import CompanyExport, build_company

SALESFORCE_CONTACT: Final = {
    "first_name": "FirstName",
    "last_name": "LastName",
    "email": "Email",
    "phone": "Phone",
    "mobile": "MobilePhone",
    "job_title": "Title",
    "street": "MailingStreet",
    "city": "MailingCity",
    "postcode": "MailingPostalCode",
    "country": "MailingCountry",
}
SALESFORCE_LEAD: Final = {
    "first_name": "FirstName",
    "last_name": "LastName",
    "email": "Email",
    "phone": "Phone",
    "mobile": "MobilePhone",
    "company": "Company",
    "job_title": "Title",
    "street": "Street",
    "city": "City",
    "postcode": "PostalCode",
    "country": "Country",
}
SALESFORCE_ACCOUNT: Final = {
    "name": "Name",
    "website": "Website",
    "phone": "Phone",
    "tax_id": "Tax_Id__c",
    "street": "BillingStreet",
    "city": "BillingCity",
    "postcode": "BillingPostalCode",
    "country": "BillingCountry",
}
# BambooHR publishes no limit and the emulator guesses 100 requests per 10 s; the demo's
# push writes one request per employee, so its HR system allows more than that guess.
DEMO_HR_REQUESTS_PER_10_S: Final = 2_000

SourceKey = tuple[str, str, str]  # system, object, the system's own record id
Truth = dict[SourceKey, str]  # -> the generator's person (P…) or organization (O…) id


@dataclass(frozen=True)
class DemoCompany:
    """Where the demo's configuration lives, the running systems by name, and every
    record each system was seeded with, with the generator's truth of who or what it is."""

    config_path: Path
    systems: dict[str, BackgroundServer]
    truth: Truth

    @property
    def records(self) -> dict[str, int]:
        """Records seeded per system."""
        return dict(Counter(system for system, _, _ in self.truth))


@contextmanager
def company_systems(folder: Path, people: int, seed: int) -> Iterator[DemoCompany]:
    """Run the company's systems until the `with` block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    company = build_company(people, seed)
    secret = uuid.uuid4().hex
    salesforce = SalesforceEmulator(
        SalesforceConfig(
            password=f"demo-{secret}",
            security_token=f"T{secret}",
            client_secret=f"cs-{secret}",
        )
    )
    hubspot = HubSpotEmulator(config=HubSpotConfig(), token=f"pat-na1-{secret}")
    bamboohr = BambooHREmulator(
        config=dataclasses.replace(default_config(), rate_limit=DEMO_HR_REQUESTS_PER_10_S),
        api_key=f"hr-{secret}",
    )
    partnerstack = PartnerStackEmulator(public_key=f"pk-{secret}", secret_key=f"sk-{secret}")
    with salesforce as org, hubspot as portal, bamboohr as hr, partnerstack as program:
        truth = {
            **_seed_salesforce(org, company),
            **seed_hubspot(portal, company),
            **_seed_bamboohr(hr, company, seed),
            **_seed_partnerstack(program, company, seed),
        }
        systems = {"salesforce": org, "hubspot": portal, "bamboohr": hr, "partnerstack": program}
        credentials = {
            name: value
            for system, emulator in systems.items()
            for name, value in credential_variables(
                _connection(system), emulator.credentials()
            ).items()
        }
        config_path = folder / "relhub.yaml"
        config_path.write_text(_relhub_yaml(folder, org.ca_path))
        saved = {name: os.environ.get(name) for name in credentials}
        os.environ.update(credentials)
        try:
            yield DemoCompany(config_path, systems, truth)
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _renamed(row: Mapping[str, str], columns: Mapping[str, str]) -> dict[str, Any]:
    return {field: row[column] for column, field in columns.items() if row.get(column)}


def _stamp(row: Mapping[str, str], column: str) -> datetime | None:
    value = row.get(column)
    return datetime.fromisoformat(value) if value else None


def _seed_salesforce(org: SalesforceEmulator, company: CompanyExport) -> Truth:
    files, truth = company.files, company.truth
    seeded: Truth = {}
    account_ids = {}
    for row in files["salesforce_accounts.csv"]:
        fields = _renamed(row, SALESFORCE_ACCOUNT)
        account_ids[row["account_id"]] = org.store.create(
            "Account", fields, at=_stamp(row, "updated_at")
        )
        key = ("salesforce_accounts.csv", row["account_id"])
        seeded["salesforce", "Account", account_ids[row["account_id"]]] = truth[key]
    for row in files["salesforce_contacts.csv"]:
        fields = _renamed(row, SALESFORCE_CONTACT)
        fields.setdefault("LastName", "[not provided]")  # required by Salesforce
        if row.get("account_id") in account_ids:
            fields["AccountId"] = account_ids[row["account_id"]]
        created = org.store.create("Contact", fields, at=_stamp(row, "updated_at"))
        seeded["salesforce", "Contact", created] = truth[
            "salesforce_contacts.csv", row["contact_id"]
        ]
    for row in files["salesforce_leads.csv"]:
        fields = _renamed(row, SALESFORCE_LEAD)
        fields.setdefault("LastName", "[not provided]")
        fields.setdefault("Company", "[not provided]")
        created = org.store.create("Lead", fields, at=_stamp(row, "updated_at"))
        seeded["salesforce", "Lead", created] = truth["salesforce_leads.csv", row["contact_id"]]
    return seeded


def seed_hubspot(portal: HubSpotEmulator, company: CompanyExport) -> Truth:
    """The company's HubSpot companies and contacts, under their generated ids."""
    files, truth = company.files, company.truth
    seeded: Truth = {}
    for row in files["hubspot_companies.csv"]:
        properties = {k: v for k, v in row.items() if v and k != "hs_object_id"}
        portal.store.insert("companies", properties, record_id=row["hs_object_id"])
        seeded["hubspot", "companies", row["hs_object_id"]] = truth[
            "hubspot_companies.csv", row["hs_object_id"]
        ]
    for row in files["hubspot_contacts.csv"]:
        skipped = ("hs_object_id", "associatedcompanyid", "lastmodifieddate")
        properties = {k: v for k, v in row.items() if v and k not in skipped}
        record = portal.store.insert(
            "contacts",
            properties,
            record_id=row["hs_object_id"],
            modified_at=_stamp(row, "lastmodifieddate"),
        )
        if row.get("associatedcompanyid"):
            portal.store.associate(record.id, row["associatedcompanyid"])
        seeded["hubspot", "contacts", record.id] = truth["hubspot_contacts.csv", record.id]
    return seeded


def _seed_bamboohr(hr: BambooHREmulator, company: CompanyExport, seed: int) -> Truth:
    truth = company.truth
    rows = company.files["hr_employees.csv"]
    ids = add_employees(hr.store, company, seed)
    return {
        ("bamboohr", "employees", employee): truth["hr_employees.csv", row["employee_id"]]
        for employee, row in zip(ids, rows, strict=True)
    }


def _seed_partnerstack(program: PartnerStackEmulator, company: CompanyExport, seed: int) -> Truth:
    seeded = enrol(program.store, company, seed)
    objects = (
        ("partnerships", seeded.partnerships, seeded.truth_org),
        ("partner_contacts", seeded.members, seeded.truth_person),
        ("customers", seeded.customers, seeded.truth_org),
    )
    return {
        ("partnerstack", object_name, key): truth[key]
        for object_name, keys, truth in objects
        for key in keys
    }


def _connection(system: str) -> str:
    return connection_id(system, prefix="demo")


def _relhub_yaml(folder: Path, ca_path: Path) -> str:
    options: dict[str, dict[str, object]] = {
        "salesforce": {"ca_bundle": str(ca_path)},
        "bamboohr": {"requests_per_window": DEMO_HR_REQUESTS_PER_10_S * 9 // 10},
    }
    blocks = "".join(
        source_block(system, _connection(system), options.get(system)) for system in OBJECTS
    )
    return f"""\
# Written by `relhub demo`: a generated company in four live emulators (credentials come
# from RELHUB_CONN_DEMO_* variables while the demo runs).
store:
  url: sqlite:///{folder / "relhub.db"}
sources:
{blocks}"""
