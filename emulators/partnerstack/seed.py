"""Filling the emulated program: from the synthetic company, or from a JSONL data file.

`generate` takes the partner portal's people of `emulators.synthetic.company` (the same
people and organizations the Salesforce, HubSpot and HR exports of that seed hold) and
enrols their companies: one partnership per partner company, its group from the tier,
its people as team members (the first one the owner and primary contact), and
customers referred by the partners: customer organizations of the same world, with the
truth of which organization each partnership and customer is.

JSONL lines look like `{"object": "partnerships", "key": "part_1", "created_at": ms,
"updated_at": ms, "archived": false, ...fields}`; groups are created from the
partnerships' `group` when no line defines them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from emulators.partnerstack.store import ProgramStore
from emulators.serving import data_rows
from emulators.synthetic.company import CompanyExport, build_company
from emulators.synthetic.organizations import domain, legal_name, website

TIERS = ("gold", "silver", "bronze")
CUSTOMERS_PER_PARTNER = 2
_ENVELOPE = ("object", "key", "created_at", "updated_at", "archived")


@dataclass
class SeededProgram:
    """What `generate` enrolled, with the generator's truth."""

    partnerships: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    customers: list[str] = field(default_factory=list)
    truth_org: dict[str, str] = field(default_factory=dict)  # partnership / customer key -> O…
    truth_person: dict[str, str] = field(default_factory=dict)  # member key -> P…


def add_groups(store: ProgramStore) -> dict[str, dict[str, str]]:
    """The tiers as groups; returns the `group` reference each partnership carries."""
    refs = {}
    for rank, tier in enumerate(TIERS):
        key = f"grp_{tier}"
        store.insert(
            "groups",
            {"name": f"{tier.title()} partners", "slug": tier, "default": rank == len(TIERS) - 1},
            key=key,
        )
        refs[tier] = {"key": key, "name": f"{tier.title()} partners", "slug": tier}
    return refs


def generate(store: ProgramStore, *, people: int = 2_000, seed: int = 1) -> SeededProgram:
    """Enrol the partner companies of the synthetic company of `people` people and `seed`."""
    return enrol(store, build_company(people, seed), seed)


def enrol(store: ProgramStore, export: CompanyExport, seed: int) -> SeededProgram:
    """Enrol an already built company's partner companies, so the other systems can be
    seeded from the same build."""
    orgs = export.people.population.orgs
    org_of_domain = {domain(orgs, org): org for org in range(len(orgs))}
    truth = {row["record_id"]: row["truth_person_id"] for row in export.files["truth.csv"]}
    groups = add_groups(store)
    by_company: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in export.files["partner_contacts.csv"]:
        by_company[row["partner_domain"]].append(row)
    seeded = SeededProgram()
    rng = np.random.default_rng([seed, 17])
    for number, (host, rows) in enumerate(sorted(by_company.items())):
        org = org_of_domain[host]
        members = [_member(row) for row in rows]
        owner = members[0]
        owner["role"] = "owner"
        stamp = max(_ms(row["modified"]) for row in rows)
        item = store.insert(
            "partnerships",
            {
                "partner_key": f"partner-{number:05d}",
                "email": owner["email"],
                "first_name": owner["first_name"],
                "last_name": owner["last_name"],
                "group": groups[rows[0]["tier"]],
                "team": {
                    "key": f"team_{number:06d}",
                    "name": rows[0]["partner_company"],
                    "members": members,
                },
                "fields": {
                    "website": website(orgs, org, float(rng.random())),
                    "country": rows[0]["country"],
                },
                "joined_at": stamp,
                "tags": [],
            },
            at_ms=stamp,
        )
        seeded.partnerships.append(item.key)
        seeded.truth_org[item.key] = f"O{org:05d}"
        for member, row in zip(members, rows, strict=True):
            seeded.members.append(member["key"])
            seeded.truth_person[member["key"]] = truth[row["partner_contact_id"]]
    _refer_customers(store, seeded, orgs, rng)
    return seeded


def _refer_customers(
    store: ProgramStore, seeded: SeededProgram, orgs: Any, rng: np.random.Generator
) -> None:
    """Customer organizations of the world, each referred by one partnership."""
    partners = seeded.partnerships
    candidates = [org for org in range(1, len(orgs)) if int(orgs.kind[org]) == 0]
    count = min(len(candidates), CUSTOMERS_PER_PARTNER * len(partners))
    for number, org in enumerate(rng.choice(candidates, size=count, replace=False).tolist()):
        partnership = store.get("partnerships", partners[number % len(partners)])
        item = store.insert(
            "customers",
            {
                "customer_key": f"cust-{org:05d}",
                "name": legal_name(orgs, org),
                "email": f"billing@{domain(orgs, org)}",
                "partnership_key": partnership.key,
                "partner_key": partnership.body["partner_key"],
                "test": False,
            },
        )
        seeded.customers.append(item.key)
        seeded.truth_org[item.key] = f"O{org:05d}"


def _member(row: dict[str, str]) -> dict[str, str]:
    given, _, family = row["name"].strip().partition(" ")
    return {
        "key": f"mem_{row['partner_contact_id']}",
        "email": row["email"],
        "first_name": given,
        "last_name": family,
        "phone": row["phone"],
        "country": row["country"],
        "role": "member",
    }


def _ms(text: str) -> int:
    moment = datetime.fromisoformat(text).replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def load_data_file(store: ProgramStore, path: Path) -> int:
    """Load items from a .jsonl file; return how many were inserted."""
    count = 0
    known_groups: set[str] = set()
    for row in data_rows(path):
        object_name = row.get("object", "partnerships")
        body = {name: value for name, value in row.items() if name not in _ENVELOPE}
        item = store.insert(object_name, body, key=row.get("key"), at_ms=row.get("updated_at"))
        item.created_at = int(row.get("created_at") or item.created_at)
        item.archived = bool(row.get("archived"))
        if object_name == "groups":
            known_groups.add(item.key)
        count += 1
    for partnership in store.snapshot("partnerships"):
        group = partnership.body.get("group") or {}
        if group.get("key") and group["key"] not in known_groups:
            store.insert("groups", {k: v for k, v in group.items() if k != "key"}, key=group["key"])
            known_groups.add(group["key"])
    return count
