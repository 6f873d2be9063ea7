"""Write the demo's sample CSV exports and their ground truth.

    python -m emulators.synthetic.export data/sample --seed 7

writes ``crm_contacts.csv``, ``crm_accounts.csv``, ``hr_employees.csv``,
``partner_contacts.csv`` and ``truth.csv`` (file, record_id, truth_person_id,
truth_org_id). People overlap across the files and repeat within them; a handful of
rows are deleted, and three CRM rows are malformed on purpose (an invalid email, an
impossible birth date, a blank id) so the demo shows quarantine.
"""

from __future__ import annotations

import argparse
import csv
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from emulators.synthetic import layouts
from emulators.synthetic.generator import SyntheticPeople, generate
from emulators.synthetic.organizations import OWN_COMPANY
from emulators.synthetic.population import PopulationShape

SAMPLE_RECORDS = 2_400
SAMPLE_SHAPE = PopulationShape(
    employee_share=0.15,
    former_employee_share=0.1,
    job_change_share=0.25,
    people_per_org=14,
    partner_org_share=0.45,
)
SAMPLE_MIX = {"salesforce": 0.55, "partner_portal": 0.3, "hr": 0.15}
SAMPLE_DUPLICATE_SHARE = 0.05
DELETED_SHARE = 0.01
DUPLICATE_ACCOUNT_SHARE = 0.05
MALFORMED = ({"email": "not-an-email"}, {"birth_date": "31/02/19x8"}, {"contact_id": ""})
_FILE_OF_SYSTEM = {
    "salesforce": "crm_contacts.csv",
    "hr": "hr_employees.csv",
    "partner_portal": "partner_contacts.csv",
}


def person_id(person: int) -> str:
    return f"P{person:06d}"


def org_id(org: int) -> str:
    return f"O{org:05d}"


def build_sample(seed: int, n_records: int = SAMPLE_RECORDS) -> dict[str, list[dict[str, str]]]:
    """Rows of every sample file (file name -> rows); truth rows under ``truth.csv``."""
    people = generate(n_records, seed, SAMPLE_SHAPE, SAMPLE_MIX, SAMPLE_DUPLICATE_SHARE)
    rng = np.random.default_rng([seed, 3])
    files: dict[str, list[dict[str, str]]] = {
        name: [] for name in (*_FILE_OF_SYSTEM.values(), "crm_accounts.csv")
    }
    truth: list[dict[str, str]] = []
    for record in people.rows():
        file = _FILE_OF_SYSTEM[record["system"]]
        deleted = bool(rng.random() < DELETED_SHARE)
        if file == "crm_contacts.csv":
            row = layouts.crm_contact(record, float(rng.random()), deleted)
        elif file == "hr_employees.csv":
            row = layouts.hr_employee(record, rng)
        else:
            row = layouts.partner_contact(
                record, people.population.orgs, float(rng.random()), deleted
            )
        files[file].append(row)
        truth.append(
            {
                "file": file,
                "record_id": record["record_id"],
                "truth_person_id": person_id(record["truth_person_id"]),
                "truth_org_id": "",
            }
        )
    for row in _accounts(people, rng):
        files["crm_accounts.csv"].append(row)
        truth.append(
            {
                "file": "crm_accounts.csv",
                "record_id": row["account_id"],
                "truth_person_id": "",
                "truth_org_id": org_id(int(row["account_id"][4:])),
            }
        )
    blanked = _break_rows(files["crm_contacts.csv"], rng)
    files["truth.csv"] = [row for row in truth if row["record_id"] not in blanked]
    return files


def _accounts(people: SyntheticPeople, rng: np.random.Generator) -> Iterable[dict[str, str]]:
    """An account per organization (some without contacts yet); a few organizations twice."""
    orgs = people.population.orgs
    for org in range(len(orgs)):
        if org == OWN_COMPANY:
            continue
        copies = 2 if rng.random() < DUPLICATE_ACCOUNT_SHARE else 1
        for duplicate in range(copies):
            yield layouts.crm_account(
                orgs,
                org,
                duplicate,
                rng.random(4),
                int(rng.integers(2**62)),
                bool(rng.random() < DELETED_SHARE),
            )


def _break_rows(rows: list[dict[str, str]], rng: np.random.Generator) -> set[str]:
    """Corrupt three distinct live rows in place; returns the ids that were blanked."""
    live = [i for i, row in enumerate(rows) if row["is_deleted"] == "false"]
    blanked = set()
    for index, change in zip(
        rng.choice(live, size=len(MALFORMED), replace=False), MALFORMED, strict=True
    ):
        if "contact_id" in change:
            blanked.add(rows[index]["contact_id"])
        rows[index].update(change)
    return blanked


def write_sample(directory: Path, seed: int) -> dict[str, int]:
    """Write every file with its exact header; returns the row count per file."""
    directory.mkdir(parents=True, exist_ok=True)
    headers = {
        "crm_contacts.csv": layouts.CRM_CONTACTS,
        "crm_accounts.csv": layouts.CRM_ACCOUNTS,
        "hr_employees.csv": layouts.HR_EMPLOYEES,
        "partner_contacts.csv": layouts.PARTNER_CONTACTS,
        "truth.csv": layouts.TRUTH,
    }
    counts = {}
    for name, rows in build_sample(seed).items():
        with (directory / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=headers[name], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        counts[name] = len(rows)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    for name, count in write_sample(args.directory, args.seed).items():
        print(f"{name}: {count} rows")


if __name__ == "__main__":
    main()
