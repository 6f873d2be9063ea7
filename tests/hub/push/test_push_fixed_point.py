"""Two systems that both take a field `always`, holding different values for one person,
and edited again between cycles: sync -> resolve -> push settles instead of flipping."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from pushfixtures import MAPPINGS, cycle, running_systems

from hub.store.migrate import open_store

EMAIL = "ada.lovelace@example.org"


def mappings_pushing_job_title(folder: Path) -> Path:
    """The shipped mappings, with job_title pushed `always` into both systems."""
    shutil.copytree(MAPPINGS, folder / "mappings")
    for name, line, extra in (
        (
            "salesforce.yaml",
            "      - {field: golden_id, to: Relhub_Golden_Id__c, mode: always}\n",
            "      - {field: job_title, to: Title, mode: always}\n",
        ),
        (
            "hubspot.yaml",
            "      - {field: golden_id, to: relhub_golden_id, mode: always}\n",
            "      - {field: job_title, to: jobtitle, mode: always}\n",
        ),
    ):
        path = folder / "mappings" / name
        text = path.read_text()
        assert line in text
        path.write_text(text.replace(line, line + extra, 1))  # the first object: contacts
    return folder / "mappings"


def test_conflicting_sources_reach_a_fixed_point_in_three_cycles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    engine = open_store(sqlite_url)
    mappings = mappings_pushing_job_title(tmp_path)
    with running_systems(tmp_path, monkeypatch, contacts=10, mappings=mappings) as systems:
        org, portal = systems.org.store, systems.portal.store
        person = {"FirstName": "Ada", "LastName": "Lovelace", "Email": EMAIL}
        contact = org.create("Contact", {**person, "Title": "Analyst"})
        record = portal.insert(
            "contacts",
            {"firstname": "Ada", "lastname": "Lovelace", "email": EMAIL, "jobtitle": "Engineer"},
        )
        titles = []
        written = []
        for round_ in range(3):
            if round_ == 1:  # each system's users prefer their own value: both edit again
                time.sleep(0.005)
                org.update("Contact", contact, {"Title": "Lead Analyst"})
                time.sleep(0.005)
                portal.update("contacts", record.id, {"jobtitle": "Staff Engineer"})
            time.sleep(0.005)
            _, reports = cycle(systems, engine)
            written.append(sum(r.written for r in reports))
            titles.append(
                (
                    org.get("Contact", contact)["Title"],
                    portal.records["contacts"][record.id].properties["jobtitle"],
                )
            )
        assert titles[0][0] == titles[0][1] and titles[1][0] == titles[1][1]
        assert titles[1] == ("Staff Engineer", "Staff Engineer")  # the most recent edit wins
        assert titles[2] == titles[1] and written[2] == 0
