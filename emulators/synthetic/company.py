"""A company's exports from five systems, with truth: the data a RevOps user really has.

    python -m emulators.synthetic.company out/ --people 20000 --seed 1

Salesforce contacts, leads and accounts; HubSpot contacts and companies; the HR export;
the partner portal's contacts. On top of the generator's noise (job changes, nicknames,
swapped and cut names, phones without a country code, gmail dots and ``+tags``, family
mailboxes, switchboards, shared inboxes, duplicates within a system: converted leads,
rehires with a second HR id; twins and same-name fathers and sons at one address) the
systems here differ the way real ones do: HR keeps the legal given name with the
preferred one beside it while the other systems hear the preferred one, and a married
person's older records still carry the surname given up at marriage.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Final

import numpy as np

from emulators.synthetic import layouts, noise
from emulators.synthetic import vocabulary as vocab
from emulators.synthetic.generator import SyntheticPeople, generate
from emulators.synthetic.organizations import brand_name, website
from emulators.synthetic.population import GIVEN_NAMES, SURNAMES, PopulationShape

COMPANY_SHAPE: Final = PopulationShape(
    employee_share=0.05, former_employee_share=0.03, job_change_share=0.25
)
COMPANY_MIX: Final = {"salesforce": 0.45, "hubspot": 0.35, "partner_portal": 0.1, "hr": 0.1}
RECORDS_PER_PERSON: Final = 1.3  # 26k records for 20k people, as the company
PREFERRED_SHARE: Final = 0.4  # of people whose legal given name has a usual short form
PREFERRED_OUTSIDE_HR: Final = 0.7  # chance a non-HR system holds the preferred name
MAIDEN_SHARE: Final = 0.35  # of a married person's current records still on the old name
HUBSPOT_COMPANY_OFFSET: Final = 5_000_001
HUBSPOT_CONTACTS: Final = (
    "hs_object_id",
    "firstname",
    "lastname",
    "email",
    "phone",
    "mobilephone",
    "company",
    "associatedcompanyid",
    "jobtitle",
    "city",
    "zip",
    "country",
    "lastmodifieddate",
)
HUBSPOT_COMPANIES: Final = ("hs_object_id", "name", "domain", "phone", "city", "country")
HR_EMPLOYEES: Final = (*layouts.HR_EMPLOYEES, "preferred_name", "country")
FILES: Final = {
    "salesforce_contacts.csv": layouts.CRM_CONTACTS,
    "salesforce_leads.csv": layouts.CRM_CONTACTS,
    "salesforce_accounts.csv": layouts.CRM_ACCOUNTS,
    "hubspot_contacts.csv": HUBSPOT_CONTACTS,
    "hubspot_companies.csv": HUBSPOT_COMPANIES,
    "hr_employees.csv": HR_EMPLOYEES,
    "partner_contacts.csv": layouts.PARTNER_CONTACTS,
    "truth.csv": layouts.TRUTH,
}


@dataclass
class CompanyExport:
    """Rows per file and the truth; ``relatives`` are the true person pairs that must
    stay apart although they share a name and an address (fathers and sons, twins)."""

    people: SyntheticPeople
    files: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @cached_property
    def truth(self) -> dict[tuple[str, str], str]:
        """(file, record id) -> the truth's person or organization id, built once for every
        system seeded from the export."""
        return {
            (row["file"], row["record_id"]): row["truth_person_id"] or row["truth_org_id"]
            for row in self.files["truth.csv"]
        }

    def relatives(self) -> list[tuple[int, int, str]]:
        people = self.people.population.people
        present = set(np.unique(self.people.truth_person_ids).tolist())
        pairs = [(int(j) - 2, int(j), "father_son") for j in np.flatnonzero(people.junior)]
        pairs += [
            (int(a), int(b), "twins")
            for a, b in enumerate(people.twin_of.tolist())
            if 0 <= a < b  # each twin pair once
        ]
        return [p for p in pairs if p[0] in present and p[1] in present]


def build_company(n_people: int, seed: int) -> CompanyExport:
    """Every file's rows (file name -> rows, truth under ``truth.csv``)."""
    people = generate(round(n_people * RECORDS_PER_PERSON), seed, COMPANY_SHAPE, COMPANY_MIX)
    export = CompanyExport(people, {name: [] for name in FILES})
    rng = np.random.default_rng([seed, 5])
    orgs_seen: dict[str, set[int]] = {"salesforce": set(), "hubspot": set()}
    for record in people.rows():
        _adjust_names(export, record, rng.random(2))
        file, row = _layout(export, record, rng)
        export.files[file].append(row)
        export.files["truth.csv"].append(_truth(file, record["record_id"], record, person=True))
        if record["system"] in orgs_seen and file != "salesforce_leads.csv":
            orgs_seen[record["system"]].add(record["truth_org_id"])
    for row in _accounts(people, sorted(orgs_seen["salesforce"]), rng):
        export.files["salesforce_accounts.csv"].append(row)
        truth = {"truth_org_id": int(row["account_id"][4:])}
        export.files["truth.csv"].append(
            _truth("salesforce_accounts.csv", row["account_id"], truth, person=False)
        )
    for org in sorted(orgs_seen["hubspot"]):
        row = _hubspot_company(people, org, rng)
        export.files["hubspot_companies.csv"].append(row)
        export.files["truth.csv"].append(
            _truth("hubspot_companies.csv", row["hs_object_id"], {"truth_org_id": org}, False)
        )
    return export


def _truth(file: str, record_id: str, record: dict[str, Any], person: bool) -> dict[str, str]:
    return {
        "file": file,
        "record_id": record_id,
        "truth_person_id": f"P{record['truth_person_id']:06d}" if person else "",
        "truth_org_id": "" if person else f"O{record['truth_org_id']:05d}",
    }


def _adjust_names(export: CompanyExport, record: dict[str, Any], draws: np.ndarray) -> None:
    """HR: the legal given name with the preferred one beside it; elsewhere mostly the
    preferred one. Married people's records now and then carry the surname given up."""
    people = export.people.population.people
    person = record["truth_person_id"]
    legal = GIVEN_NAMES[people.given[person]]
    preferred = preferred_name(person, legal)
    record["preferred_name"] = ""
    typed = noise.slug(record["given_name"])
    if record["system"] == "hr":
        record["preferred_name"] = preferred or ""
        if record["given_name"] and typed != noise.slug(legal):
            _rename(record, "given_name", legal)
    elif preferred and typed == noise.slug(legal) and draws[0] < PREFERRED_OUTSIDE_HR:
        _rename(record, "given_name", preferred)
    maiden = int(people.maiden[person])
    on_old_name = not record["current_job"] or draws[1] < MAIDEN_SHARE
    if maiden >= 0 and record["system"] != "hr" and record["family_name"] and on_old_name:
        _rename(record, "family_name", SURNAMES[maiden])


def preferred_name(person: int, legal: str) -> str | None:
    """The short form a person goes by, for PREFERRED_SHARE of those whose name has one."""
    forms = vocab.NICKNAMES.get(legal)
    if not forms or (person * 2_654_435_761) % 1000 >= PREFERRED_SHARE * 1000:
        return None
    return forms[person % len(forms)]


def _rename(record: dict[str, Any], name: str, value: str) -> None:
    old = record[name]
    record[name] = value
    record["full_name"] = record["full_name"].replace(old, value, 1) if old else value


def _layout(
    export: CompanyExport, record: dict[str, Any], rng: np.random.Generator
) -> tuple[str, dict[str, str]]:
    system, orgs = record["system"], export.people.population.orgs
    if system == "salesforce":
        row = layouts.crm_contact(record, float(rng.random()), deleted=False)
        if record["object"] == "Lead":
            row["account_id"] = ""
            return "salesforce_leads.csv", row
        return "salesforce_contacts.csv", row
    if system == "hubspot":
        return "hubspot_contacts.csv", _hubspot_contact(record)
    if system == "hr":
        row = layouts.hr_employee(record, rng)
        row.update(preferred_name=record["preferred_name"], country=record["country"])
        return "hr_employees.csv", row
    return "partner_contacts.csv", layouts.partner_contact(
        record, orgs, float(rng.random()), deleted=False
    )


def _hubspot_contact(record: dict[str, Any]) -> dict[str, str]:
    return {
        "hs_object_id": record["record_id"],
        "firstname": record["given_name"],
        "lastname": record["family_name"],
        "email": record["email"],
        "phone": record["phone"],
        "mobilephone": record["mobile"],
        "company": record["company"],
        "associatedcompanyid": str(HUBSPOT_COMPANY_OFFSET + record["truth_org_id"]),
        "jobtitle": record["job_title"],
        "city": record["city"],
        "zip": record["postcode"],
        "country": record["country"],
        "lastmodifieddate": layouts.iso_z(record["modified_at"]),
    }


def _hubspot_company(people: SyntheticPeople, org: int, rng: np.random.Generator) -> dict[str, str]:
    orgs = people.population.orgs
    city = vocab.CITIES[orgs.city[org]]
    return {
        "hs_object_id": str(HUBSPOT_COMPANY_OFFSET + org),
        "name": brand_name(orgs, org),
        "domain": website(orgs, org, float(rng.random())),
        "phone": noise.format_phone(
            int(orgs.switchboard[org]), int(orgs.country[org]), int(rng.integers(2**62))
        ),
        "city": city[0],
        "country": vocab.LOCALES[orgs.country[org]],
    }


def _accounts(
    people: SyntheticPeople, orgs_used: list[int], rng: np.random.Generator
) -> Iterator[dict[str, str]]:
    """An account per organization the contacts point at; a few held twice."""
    orgs = people.population.orgs
    for org in orgs_used:
        copies = 2 if rng.random() < 0.05 else 1
        for duplicate in range(copies):
            yield layouts.crm_account(
                orgs, org, duplicate, rng.random(4), int(rng.integers(2**62)), deleted=False
            )


def write_company(directory: Path, n_people: int, seed: int) -> CompanyExport:
    """Write every file with its header; returns the export (truth and relatives)."""
    export = build_company(n_people, seed)
    directory.mkdir(parents=True, exist_ok=True)
    for name, header in FILES.items():
        with (directory / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
            writer.writeheader()
            writer.writerows(export.files[name])
    return export


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    export = write_company(args.directory, args.people, args.seed)
    for name in FILES:
        print(f"{name}: {len(export.files[name])} rows")


if __name__ == "__main__":
    main()
