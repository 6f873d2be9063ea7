"""The company export: five systems' files with truth, and the phenomena they must hold."""

from __future__ import annotations

from collections import defaultdict

import pytest

from emulators.synthetic.company import FILES, CompanyExport, build_company
from emulators.synthetic.population import SURNAMES


@pytest.fixture(scope="module")
def company() -> CompanyExport:
    return build_company(3_000, seed=4)


def _person_rows(company: CompanyExport) -> dict[str, list[tuple[str, dict[str, str]]]]:
    """truth person id -> (file, row) of every person record."""
    ids = {"hr_employees.csv": "employee_id", "hubspot_contacts.csv": "hs_object_id"}
    rows = {
        (
            file,
            row[
                ids.get(
                    file, "contact_id" if file.startswith("salesforce") else "partner_contact_id"
                )
            ],
        ): row
        for file in FILES
        if file != "truth.csv" and "accounts" not in file and "companies" not in file
        for row in company.files[file]
    }
    by_person: dict[str, list[tuple[str, dict[str, str]]]] = defaultdict(list)
    for truth in company.files["truth.csv"]:
        if truth["truth_person_id"]:
            by_person[truth["truth_person_id"]].append(
                (truth["file"], rows[truth["file"], truth["record_id"]])
            )
    return by_person


def test_every_row_has_truth_and_every_header_is_filled(company: CompanyExport) -> None:
    rows = sum(len(company.files[f]) for f in FILES if f != "truth.csv")
    assert rows == len(company.files["truth.csv"])
    for name, header in FILES.items():
        assert company.files[name], name
        assert all(tuple(row) == header for row in company.files[name]), name


def test_hr_keeps_the_legal_name_and_others_hear_the_preferred_one(
    company: CompanyExport,
) -> None:
    both = 0
    for records in _person_rows(company).values():
        preferred = {r["preferred_name"] for f, r in records if f == "hr_employees.csv"} - {""}
        outside = {r.get("first_name") or r.get("firstname") for f, r in records}
        both += bool(preferred & outside)
    assert both >= 1


def test_married_people_keep_their_maiden_name_in_some_systems(company: CompanyExport) -> None:
    maiden = {SURNAMES[m] for m in company.people.population.people.maiden if m >= 0}
    surnames_by_person = [
        {r.get("last_name") or r.get("lastname") for _, r in records}
        for records in _person_rows(company).values()
    ]
    assert sum(len(s) > 1 and bool(s & maiden) for s in surnames_by_person) >= 5


def test_relatives_are_fathers_and_sons_and_twins_who_appear_in_records(
    company: CompanyExport,
) -> None:
    relatives = company.relatives()
    kinds = {kind for _, _, kind in relatives}
    assert kinds == {"father_son", "twins"}
    people = company.people.population.people
    for a, b, kind in relatives:
        assert people.household[a] == people.household[b]
        if kind == "twins":
            assert people.birth_days[a] == people.birth_days[b]
        else:
            assert people.given[a] == people.given[b]
