"""Filling the emulated portal: a deterministic generator, or a JSONL / CSV data file.

JSONL lines look like `{"object": "contacts", "id": "1001", "properties": {...},
"archived": false, "companies": ["2001"]}`; CSV files have one column per property plus
optional `object` (default contacts) and `id` columns. Properties the portal does not
have yet are created as custom string properties, as an import into HubSpot would.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from emulators.hubspot.schema import INDUSTRIES, MODIFIED_PROPERTY, custom_property
from emulators.hubspot.store import CrmStore, parse_time
from emulators.serving import data_rows

_FIRST = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim")
_LAST = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Perlman",
    "Berners-Lee",
)
_TITLES = ("Engineer", "Buyer", "CTO", "Analyst", "Founder")
_STAGES = ("lead", "marketingqualifiedlead", "opportunity", "customer")
_COUNTRIES = ("US", "GB", "DE", "FR", "NL")


def generate(
    store: CrmStore,
    *,
    contacts: int,
    companies: int = 0,
    seed: int = 7,
    modified_at: Callable[[int], datetime] | None = None,
) -> list[str]:
    """Insert `companies` then `contacts` (linked round-robin); return the contact ids.

    `modified_at(i)` stamps contact i (default: now), so a test can put thousands of
    records inside one window or onto one timestamp without an HTTP call per record.
    """
    rng = random.Random(seed)
    company_ids = [
        store.insert(
            "companies",
            {
                "name": f"Company {n}",
                "domain": f"company{n}.example.com",
                "industry": rng.choice(INDUSTRIES),
                "country": rng.choice(_COUNTRIES),
            },
        ).id
        for n in range(companies)
    ]
    contact_ids = []
    for n in range(contacts):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        company = company_ids[n % len(company_ids)] if company_ids else None
        record = store.insert(
            "contacts",
            {
                "firstname": first,
                "lastname": last,
                "email": f"{first}.{last}.{n}@example.com".lower(),
                "phone": f"+1 415 555 {n % 10000:04d}",
                "jobtitle": rng.choice(_TITLES),
                "lifecyclestage": rng.choice(_STAGES),
                "country": rng.choice(_COUNTRIES),
                "associatedcompanyid": company,
            },
            modified_at=modified_at(n) if modified_at else None,
        )
        contact_ids.append(record.id)
        if company is not None:
            store.associate(record.id, company)  # primary already set: the record is not touched
    return contact_ids


def load_data_file(store: CrmStore, path: Path) -> int:
    """Load records from a .jsonl or .csv file; return how many were inserted."""
    rows = [_from_csv(row) if path.suffix.lower() == ".csv" else row for row in data_rows(path)]
    links: list[tuple[str, str]] = []
    for row in rows:
        object_type = row.get("object", "contacts")
        properties = dict(row.get("properties") or {})
        for name in properties:
            if name not in store.schema[object_type]:
                store.add_property(object_type, custom_property(name))
        stamp = properties.get(MODIFIED_PROPERTY[object_type])
        record = store.insert(
            object_type,
            properties,
            record_id=_text(row.get("id")),
            modified_at=parse_time(stamp) if stamp else None,
        )
        if row.get("archived"):
            store.archive(object_type, record.id)
        links += [(record.id, str(company)) for company in row.get("companies") or []]
    for contact_id, company_id in links:
        store.associate(contact_id, company_id)
    return len(rows)


def _from_csv(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row is flat: `object` and `id` columns, every other column a property."""
    meta = {key: row.pop(key) for key in ("object", "id") if key in row}
    return {**{k: v for k, v in meta.items() if v}, "properties": row}


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)
