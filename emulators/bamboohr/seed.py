"""Filling the emulated company: the synthetic company's HR export, or a data file.

`generate` takes the HR rows of `emulators.synthetic.company` (the same people and seed
as the other systems' rows, so one person can be an employee here and a contact in
HubSpot) and turns each into a BambooHR employee: a numeric id, the synthetic employee
id as `employeeNumber` (the truth's key), legal and preferred names, work and home
email, and terminations with their date.

Data files: JSON Lines `{"id": "7", "fields": {"firstName": ...}, "lastChanged": ...,
"deleted": false}`, or CSV with one column per field alias plus optional `id` and
`lastChanged` columns.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from emulators.bamboohr.store import CompanyStore, parse_time
from emulators.serving import data_rows
from emulators.synthetic.company import CompanyExport, build_company


def employee_fields(row: dict[str, str], rng: random.Random) -> dict[str, str]:
    """One synthetic HR row as BambooHR field values (compensation drawn from `rng`)."""
    active = row["status"] == "active"
    return {
        "employeeNumber": row["employee_id"],
        "firstName": row["given_name"],
        "lastName": row["surnames"],
        "preferredName": row["preferred_name"],
        "workEmail": row["work_email"],
        "homeEmail": row["personal_email"],
        "mobilePhone": row["phone"],
        "dateOfBirth": row["birth_date"],
        "nationalId": row["national_id"],
        "jobTitle": row["job_title"],
        "department": row["department"],
        "city": row["city"],
        "zipcode": row["postcode"],
        "country": row["country"],
        "hireDate": row["hire_date"],
        "status": "Active" if active else "Inactive",
        "employmentHistoryStatus": "Full-Time" if active else "Terminated",
        "terminationDate": row["termination_date"],
        "payRate": f"{rng.randrange(40_000, 180_000, 500)}.00 USD",
        "customAnnualBonus": f"{rng.randrange(0, 20_000, 250)}.00 USD",
    }


def generate(store: CompanyStore, *, people: int, seed: int = 1) -> list[str]:
    """Insert the synthetic company's employees; return their BambooHR ids."""
    return add_employees(store, build_company(people, seed), seed)


def add_employees(store: CompanyStore, company: CompanyExport, seed: int) -> list[str]:
    """Insert an already built company's HR rows, so the other systems can be seeded from
    the same build; return the BambooHR ids in the order of the rows."""
    rng = random.Random(seed)
    return [
        store.insert(employee_fields(row, rng), at=parse_time(row["last_modified"])).id
        for row in company.files["hr_employees.csv"]
    ]


def load_data_file(store: CompanyStore, path: Path) -> int:
    """Load employees from a .jsonl or .csv file; return how many rows were read."""
    count = 0
    for row in data_rows(path):
        entry = row if "fields" in row else _from_csv(row)
        stamp = entry.get("lastChanged")
        employee = store.insert(
            entry["fields"],
            employee_id=str(entry["id"]) if entry.get("id") else None,
            at=parse_time(stamp) if stamp else None,
        )
        if entry.get("deleted"):
            store.delete(employee.id, at=employee.last_changed)
        count += 1
    return count


def _from_csv(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row is flat: `id` and `lastChanged` columns, every other column a field."""
    meta = {key: row.pop(key) for key in ("id", "lastChanged") if key in row}
    return {**{k: v for k, v in meta.items() if v}, "fields": row}
