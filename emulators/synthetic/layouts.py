"""Rendered records in the column layout of each demo export file.

Every layout returns a plain dict with every column present (empty string for a missing
value), in the header order of its file, and formats dates the way that system does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

import numpy as np

from emulators.synthetic import vocabulary as vocab
from emulators.synthetic.noise import format_phone
from emulators.synthetic.organizations import Organizations, domain, legal_name, website

CRM_CONTACTS: Final = (
    "contact_id",
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile",
    "company",
    "account_id",
    "job_title",
    "street",
    "city",
    "postcode",
    "country",
    "lead_status",
    "birth_date",
    "updated_at",
    "is_deleted",
)
CRM_ACCOUNTS: Final = (
    "account_id",
    "name",
    "website",
    "phone",
    "tax_id",
    "industry",
    "street",
    "city",
    "postcode",
    "country",
    "type",
    "updated_at",
    "is_deleted",
)
HR_EMPLOYEES: Final = (
    "employee_id",
    "given_name",
    "surnames",
    "national_id",
    "personal_email",
    "work_email",
    "phone",
    "birth_date",
    "job_title",
    "department",
    "status",
    "hire_date",
    "termination_date",
    "city",
    "postcode",
    "last_modified",
)
PARTNER_CONTACTS: Final = (
    "partner_contact_id",
    "partner_company",
    "partner_domain",
    "name",
    "email",
    "phone",
    "country",
    "tier",
    "modified",
    "deleted",
)
TRUTH: Final = ("file", "record_id", "truth_person_id", "truth_org_id")
_LEAD_STATUS: Final = ("New", "Working", "Qualified", "Customer")
_ACCOUNT_TYPE: Final = ("Customer", "Prospect", "Partner")
_TIERS: Final = ("gold", "silver", "bronze")
_DAY: Final = 86_400


def iso_z(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def day_first(iso_date: str) -> str:
    """dd/mm/yyyy, the CRM's European date style."""
    return f"{iso_date[8:]}/{iso_date[5:7]}/{iso_date[:4]}" if iso_date else ""


def account_id(org: int, duplicate: int = 0) -> str:
    return f"001{duplicate}{org:014d}"


def crm_contact(record: dict[str, Any], draw: float, deleted: bool) -> dict[str, str]:
    status = _LEAD_STATUS[int(draw * 4)] if record["object"] == "Lead" else "Customer"
    return {
        "contact_id": record["record_id"],
        "first_name": record["given_name"],
        "last_name": record["family_name"],
        "email": record["email"],
        "phone": record["phone"],
        "mobile": record["mobile"],
        "company": record["company"],
        "account_id": account_id(record["truth_org_id"]),
        "job_title": record["job_title"],
        "street": record["street"],
        "city": record["city"],
        "postcode": record["postcode"],
        "country": record["country"],
        "lead_status": status,
        "birth_date": day_first(record["birth_date"]),
        "updated_at": iso_z(record["modified_at"]),
        "is_deleted": _flag(deleted, "true", "false"),
    }


def hr_employee(record: dict[str, Any], rng: np.random.Generator) -> dict[str, str]:
    """Former staff (records of an earlier job) are terminated, with both dates."""
    hired = record["modified_at"] - int(rng.integers(400, 6000)) * _DAY
    active = record["current_job"]
    left = "" if active else iso_z(record["modified_at"] - int(rng.integers(30, 300)) * _DAY)
    return {
        "employee_id": record["record_id"],
        "given_name": record["given_name"],
        "surnames": record["family_name"],
        "national_id": record["national_id"],
        "personal_email": record["personal_email"],
        "work_email": record["email"],
        "phone": record["phone"],
        "birth_date": record["birth_date"],
        "job_title": record["job_title"],
        "department": vocab.DEPARTMENTS[int(rng.integers(len(vocab.DEPARTMENTS)))],
        "status": "active" if active else "terminated",
        "hire_date": iso_z(hired)[:10],
        "termination_date": left[:10],
        "city": record["city"],
        "postcode": record["postcode"],
        "last_modified": iso_z(record["modified_at"]),
    }


def partner_contact(
    record: dict[str, Any], orgs: Organizations, draw: float, deleted: bool
) -> dict[str, str]:
    org = record["truth_org_id"]
    return {
        "partner_contact_id": record["record_id"],
        "partner_company": record["company"] or legal_name(orgs, org),
        "partner_domain": domain(orgs, org),
        "name": record["full_name"],
        "email": record["email"],
        "phone": record["phone"],
        "country": record["country"],
        "tier": _TIERS[int(draw * 3)],
        "modified": iso_z(record["modified_at"]).replace("T", " ").rstrip("Z"),
        "deleted": _flag(deleted, "Y", "N"),
    }


def crm_account(
    orgs: Organizations, org: int, duplicate: int, draws: np.ndarray, entropy: int, deleted: bool
) -> dict[str, str]:
    """One CRM account; a duplicate spells the name and website differently."""
    locale = vocab.LOCALES[orgs.country[org]]
    city = vocab.CITIES[orgs.city[org]]
    street = vocab.STREETS[locale][org % len(vocab.STREETS[locale])]
    name = legal_name(orgs, org, duplicate)
    return {
        "account_id": account_id(org, duplicate),
        "name": name.upper() if duplicate else name,
        "website": website(orgs, org, float(draws[0])),
        "phone": format_phone(int(orgs.switchboard[org]), int(orgs.country[org]), entropy),
        "tax_id": "" if duplicate and draws[2] < 0.5 else tax_id(orgs, org),
        "industry": vocab.INDUSTRIES[orgs.industry[org]],
        "street": f"{street}, {org % 180 + 1}",
        "city": city[0],
        "postcode": f"{city[1]}{org % 60:02d}",
        "country": locale,
        "type": _ACCOUNT_TYPE[orgs.kind[org]],
        "updated_at": iso_z(1_700_000_000 + int(draws[3] * 70_000_000)),
        "is_deleted": _flag(deleted, "true", "false"),
    }


def tax_id(orgs: Organizations, org: int) -> str:
    """Spanish CIF (A for S.A., B for S.L.), US EIN, UK company number, Mexican RFC."""
    number = int(orgs.tax_number[org])
    country = vocab.LOCALES[orgs.country[org]]
    if country == "ES":
        return f"{'BABA'[orgs.legal_form[org] % 4]}{number:08d}"
    if country == "US":
        return f"{number // 10**7 % 90 + 10}-{number % 10**7:07d}"
    if country == "GB":
        return f"{number:08d}"
    return f"{vocab.BRAND_HEADS[orgs.brand_head[org]][:3].upper()}{number % 10**6:06d}A1B"


def _flag(value: bool, yes: str, no: str) -> str:
    return yes if value else no
