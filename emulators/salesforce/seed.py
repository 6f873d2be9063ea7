"""Filling the emulated org: from a JSONL or CSV data file, or a small deterministic generator.

A data row names its object in `type` (or `attributes.type`, as REST returns it) and may
carry `SystemModstamp` to place the record in time; every other key is a field.
The generator makes overlapping people on purpose (a lead and a contact with one email,
a spelling variant) so identity resolution has something to resolve.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from emulators.salesforce.schema import ObjectDef
from emulators.salesforce.soql import parse_datetime
from emulators.salesforce.store import OrgStore
from emulators.serving import data_rows


def load_file(store: OrgStore, path: Path) -> int:
    """Insert every row of a .jsonl / .json-lines or .csv file; returns the count."""
    rows = data_rows(path)
    count = 0
    for row in rows:
        attributes = row.pop("attributes", None) or {}
        obj = store.object(str(row.pop("type", None) or attributes.get("type")))
        stamp = row.pop("SystemModstamp", None)
        derived = ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate", *obj.compounds({}))
        for system_field in derived:  # an export's system and compound columns
            row.pop(system_field, None)
        fields = {k: _typed(obj, k, v) for k, v in row.items()}
        store.create(obj.name, fields, at=parse_datetime(stamp) if stamp else None)
        count += 1
    return count


def _typed(obj: ObjectDef, name: str, value: Any) -> Any:
    """CSV cells are text; turn them into the JSON types the field expects."""
    if not isinstance(value, str):
        return value
    fdef = obj.lookup(name)
    if value == "":
        return False if fdef is not None and fdef.type == "boolean" else None
    if fdef is None:
        return value
    if fdef.type == "boolean":
        return value.strip().lower() in {"true", "1", "yes"}
    if fdef.type == "int":
        return int(value)
    if fdef.type == "double":
        return float(value)
    return value


_FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Dennis",
    "Barbara",
    "Ken",
    "Frances",
    "John",
    "Radia",
    "Tim",
    "Hedy",
    "Edsger",
    "Sophie",
]
_LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Ritchie",
    "Liskov",
    "Thompson",
    "Allen",
    "McCarthy",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Dijkstra",
    "Wilson",
]
_COMPANIES = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Hooli",
    "Stark",
    "Wayne",
    "Tyrell",
    "Cyberdyne",
    "Soylent",
    "Wonka",
    "Gringotts",
]


def generate(
    store: OrgStore, *, accounts: int = 20, contacts: int = 100, leads: int = 50, seed: int = 7
) -> dict[str, int]:
    """Deterministic demo data; a fifth of the leads reuse a contact's email."""
    rng = random.Random(seed)
    account_ids = []
    for i in range(accounts):
        company = f"{_COMPANIES[i % len(_COMPANIES)]} {['Inc', 'GmbH', 'Ltd', 'LLC'][i % 4]}"
        domain = company.split()[0].lower() + (f"{i}" if i >= len(_COMPANIES) else "")
        account_ids.append(
            store.create(
                "Account",
                {
                    "Name": company,
                    "Website": f"https://www.{domain}.example",
                    "IsPartner": i % 5 == 0,
                    "Industry": rng.choice(["Banking", "Retail", "Technology", "Manufacturing"]),
                    "Phone": f"+1 415 555 {1000 + i:04d}",
                    "BillingCity": rng.choice(["Boston", "Austin"]),
                    "BillingCountry": "US",
                    "Tax_Id__c": f"US{rng.randrange(10**8, 10**9)}",
                },
            )
        )
    people = []
    for i in range(contacts):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        email = f"{first}.{last}{i}@example.com".lower()
        people.append((first, last, email))
        store.create(
            "Contact",
            {
                "FirstName": first,
                "LastName": last,
                "Email": email,
                "Phone": f"(617) 555-{rng.randrange(10**4):04d}",
                "AccountId": account_ids[i % len(account_ids)] if account_ids else None,
                "MailingCity": rng.choice(["Boston", "Cambridge", "Austin"]),
                "MailingCountry": "US",
                "Loyalty_Tier__c": rng.choice(["Bronze", "Silver", "Gold"]),
                "Birthdate": (
                    f"19{rng.randrange(50, 99)}-0{rng.randrange(1, 9)}-1{rng.randrange(9)}"
                ),
            },
        )
    for i in range(leads):
        if people and i % 5 == 0:
            first, last, email = people[i % len(people)]
            email = email.upper() if i % 10 == 0 else email
        else:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            email = f"{first[0]}{last}.lead{i}@example.org".lower()
        store.create(
            "Lead",
            {
                "FirstName": first,
                "LastName": last,
                "Email": email,
                "Company": rng.choice(_COMPANIES),
                "Status": "Open - Not Contacted",
                "Lead_Score__c": float(rng.randrange(100)),
            },
        )
    return {"Account": accounts, "Contact": contacts, "Lead": leads}
