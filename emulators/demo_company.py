"""A generated company served by live emulators: what `relhub demo` runs the whole loop on.

The company generator (emulators.synthetic.company) writes the same people and
organizations into several systems with realistic duplicates. Here its Salesforce rows
(contacts, leads, accounts) and HubSpot rows (contacts, companies) seed the emulators in
each API's own field names, and the HR export and the partner portal's contacts stay files,
as offline channels deliver them. A relhub.yaml for these sources, with the shipped
mapping files, is written beside the files; the credentials are set in the environment
(`RELHUB_CONN_*`) for as long as the systems run, and never written to disk.

`relhub demo` finds this module through the `relhub.demo` entry point, so the production
`relhub` never imports the emulators.
"""

from __future__ import annotations

import csv
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from emulators.hubspot import EmulatorConfig as HubSpotConfig
from emulators.hubspot import HubSpotEmulator
from emulators.salesforce import EmulatorConfig as SalesforceConfig
from emulators.salesforce import SalesforceEmulator
from emulators.synthetic.company import FILES, CompanyExport, build_company

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
FILE_SOURCES: Final = {"hr": "hr_employees.csv", "partners": "partner_contacts.csv"}
MAPPINGS: Final = Path(__file__).resolve().parents[1] / "mappings"


@dataclass(frozen=True)
class DemoCompany:
    """Where the demo's configuration lives, and what each system was seeded with."""

    config_path: Path
    records: dict[str, int]  # per system


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
    with salesforce as org, hubspot as portal:
        records = {
            "salesforce": _seed_salesforce(org, company),
            "hubspot": seed_hubspot(portal, company),
        }
        for source, file in FILE_SOURCES.items():
            records[source] = _write_rows(folder / file, company, file)
        credentials = {
            **{f"RELHUB_CONN_DEMO_SALESFORCE_{k.upper()}": v for k, v in org.credentials().items()},
            "RELHUB_CONN_DEMO_HUBSPOT_ACCESS_TOKEN": portal.token,
            "RELHUB_CONN_DEMO_HUBSPOT_BASE_URL": portal.base_url,
        }
        config_path = folder / "relhub.yaml"
        config_path.write_text(_relhub_yaml(folder, org.ca_path))
        saved = {name: os.environ.get(name) for name in credentials}
        os.environ.update(credentials)
        try:
            yield DemoCompany(config_path, records)
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


def _seed_salesforce(org: SalesforceEmulator, company: CompanyExport) -> int:
    files = company.files
    account_ids = {
        row["account_id"]: org.store.create(
            "Account", _renamed(row, SALESFORCE_ACCOUNT), at=_stamp(row, "updated_at")
        )
        for row in files["salesforce_accounts.csv"]
    }
    for row in files["salesforce_contacts.csv"]:
        fields = _renamed(row, SALESFORCE_CONTACT)
        fields.setdefault("LastName", "[not provided]")  # required by Salesforce
        if row.get("account_id") in account_ids:
            fields["AccountId"] = account_ids[row["account_id"]]
        org.store.create("Contact", fields, at=_stamp(row, "updated_at"))
    for row in files["salesforce_leads.csv"]:
        fields = _renamed(row, SALESFORCE_LEAD)
        fields.setdefault("LastName", "[not provided]")
        fields.setdefault("Company", "[not provided]")
        org.store.create("Lead", fields, at=_stamp(row, "updated_at"))
    return sum(
        len(files[name])
        for name in ("salesforce_accounts.csv", "salesforce_contacts.csv", "salesforce_leads.csv")
    )


def seed_hubspot(portal: HubSpotEmulator, company: CompanyExport) -> int:
    """The company's HubSpot companies and contacts, under their generated ids."""
    files = company.files
    for row in files["hubspot_companies.csv"]:
        properties = {k: v for k, v in row.items() if v and k != "hs_object_id"}
        portal.store.insert("companies", properties, record_id=row["hs_object_id"])
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
    return len(files["hubspot_companies.csv"]) + len(files["hubspot_contacts.csv"])


def _write_rows(path: Path, company: CompanyExport, file: str) -> int:
    rows = company.files[file]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FILES[file], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def _relhub_yaml(folder: Path, ca_path: Path) -> str:
    return f"""\
# Written by `relhub demo`: a generated company in live emulators (credentials come from
# RELHUB_CONN_DEMO_* variables while the demo runs) and two file exports.
store:
  url: sqlite:///{folder / "relhub.db"}
sources:
  - name: salesforce
    type: salesforce
    connection: demo_salesforce
    mapping: {MAPPINGS / "salesforce.yaml"}
    objects: [Account, Contact, Lead]
    options: {{ca_bundle: "{ca_path}"}}
  - name: hubspot
    type: hubspot
    connection: demo_hubspot
    mapping: {MAPPINGS / "hubspot.yaml"}
    objects: [companies, contacts]
  - name: hr
    type: file
    mapping: {MAPPINGS / "hr.yaml"}
    objects:
      employees: {{path: {FILE_SOURCES["hr"]}}}
  - name: partners
    type: file
    mapping: {MAPPINGS / "partners.yaml"}
    objects:
      partner_contacts: {{path: {FILE_SOURCES["partners"]}}}
"""
