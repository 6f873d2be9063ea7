"""The synthetic people generator: determinism, truth, hard negatives, the sample files."""

from __future__ import annotations

import csv
import itertools
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from emulators.synthetic import layouts
from emulators.synthetic.canonical import iter_person_records
from emulators.synthetic.export import write_sample
from emulators.synthetic.generator import SyntheticPeople, generate
from emulators.synthetic.organizations import domain
from emulators.synthetic.truth import (
    most_people_in_one_cluster,
    score_clusters,
    score_pairs,
    true_pair_count,
    true_pairs,
)
from emulators.synthetic.vocabulary import FREE_MAIL, SHARED_INBOXES
from identity.records import PersonRecord

REPO = Path(__file__).resolve().parents[2]
FREE_DOMAINS = {d for domains in FREE_MAIL.values() for d in domains} | {"googlemail.com"}
INBOXES = {box for boxes in SHARED_INBOXES.values() for box in boxes}


@pytest.fixture(scope="module")
def people() -> SyntheticPeople:
    return generate(20_000, seed=3)


@pytest.fixture(scope="module")
def rows(people: SyntheticPeople) -> list[dict]:
    return list(people.rows())


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-9:]


def _persons_by(rows: list[dict], key) -> dict[str, set[int]]:
    seen: dict[str, set[int]] = defaultdict(set)
    for row in rows:
        value = key(row)
        if value:
            seen[value].add(row["truth_person_id"])
    return seen


def test_same_seed_same_records_whatever_the_chunk_size() -> None:
    whole = next(generate(3_000, seed=11).chunks(3_000))
    pieces = list(generate(3_000, seed=11).chunks(700))
    for name, values in whole.items():
        assert values == list(itertools.chain.from_iterable(p[name] for p in pieces))


def test_another_seed_another_world() -> None:
    first = next(generate(500, seed=1).chunks())
    second = next(generate(500, seed=2).chunks())
    assert first["email"] != second["email"]


def test_truth_labels_match_the_records(people: SyntheticPeople, rows: list[dict]) -> None:
    assert len(rows) == len(people) == 20_000
    assert [r["truth_person_id"] for r in rows] == people.truth_person_ids.tolist()
    assert len({(r["system"], r["record_id"]) for r in rows}) == len(rows)


def test_work_email_domain_is_the_true_employer(people: SyntheticPeople, rows: list[dict]) -> None:
    orgs = people.population.orgs
    work = [r for r in rows if r["email"] and r["email"].split("@")[1].lower() not in FREE_DOMAINS]
    assert len(work) > 5_000
    assert all(r["email"].split("@")[1].lower() == domain(orgs, r["truth_org_id"]) for r in work)


def test_national_id_belongs_to_one_person_and_has_a_valid_letter(rows: list[dict]) -> None:
    owners = _persons_by(rows, lambda r: r["national_id"][:8])
    assert owners and all(len(persons) == 1 for persons in owners.values())
    for row in rows:
        if row["national_id"]:
            number, letter = int(row["national_id"][:8]), row["national_id"][-1].upper()
            assert letter == "TRWAGMYFPDXBNJZSQVHLCKE"[number % 23]


def test_shared_inboxes_and_switchboards_sit_on_many_people(rows: list[dict]) -> None:
    inboxes = _persons_by(
        rows, lambda r: r["email"].lower() if r["email"].split("@")[0].lower() in INBOXES else ""
    )
    assert max(len(p) for p in inboxes.values()) >= 5
    phones = _persons_by(rows, lambda r: _digits(r["phone"]))
    assert sum(len(p) >= 5 for p in phones.values()) >= 10


def test_families_share_a_mailbox_and_an_address(rows: list[dict]) -> None:
    family = re.compile(r"^(familia\.|the)[a-z]+\d+@")
    mailboxes = _persons_by(
        rows, lambda r: next((e for e in (r["email"], r["personal_email"]) if family.match(e)), "")
    )
    assert sum(len(p) >= 2 for p in mailboxes.values()) >= 10
    addresses = _persons_by(
        rows, lambda r: f"{r['street']}|{r['postcode']}" if r["street"] and r["postcode"] else ""
    )
    assert sum(len(p) >= 2 for p in addresses.values()) >= 100


def test_twins_and_namesake_fathers_and_sons(people: SyntheticPeople, rows: list[dict]) -> None:
    p = people.population.people
    twins = defaultdict(set)
    for person in range(len(p)):
        twins[(p.household[person], p.birth_days[person])].add(p.given[person])
    assert sum(len(names) >= 2 for names in twins.values()) >= 50
    juniors = np.flatnonzero(p.junior)
    assert len(juniors) >= 100
    assert (p.given[juniors] == p.given[juniors - 2]).all()
    assert (p.birth_days[juniors] - p.birth_days[juniors - 2] >= 20 * 365).all()
    assert any(r["family_name"].endswith("Jr.") for r in rows)


def test_many_different_maria_garcia_lopez_in_madrid(rows: list[dict]) -> None:
    marias = {
        r["truth_person_id"]
        for r in rows
        if r["full_name"] in ("María García López", "Maria Garcia Lopez") and r["city"] == "Madrid"
    }
    assert len(marias) >= 5


def test_names_emails_and_phones_are_noisy(rows: list[dict]) -> None:
    given = {r["given_name"] for r in rows}
    assert {"Maria", "María", "Pepe", "Paco", "Bob"} <= given
    assert any(" " in r["family_name"] and r["country"] == "ES" for r in rows)
    emails = [r["email"] for r in rows]
    assert any("+" in e for e in emails) and any(e != e.lower() for e in emails)
    assert any(e.endswith("@googlemail.com") for e in emails)
    phones = [r["phone"] for r in rows if r["phone"]]
    for pattern in (
        r"^\+34 \d{3} \d\d \d\d \d\d$",
        r"^0034\d{9}$",
        r"^\(\d{3}\) \d{3}-\d{4}$",
        r"^\d{3}\.\d{3}\.\d{4}$",
        r"^[67]\d{8}$",
    ):
        assert any(re.match(pattern, phone) for phone in phones), pattern


def test_people_who_changed_jobs_show_two_employers(rows: list[dict]) -> None:
    employers = defaultdict(set)
    for row in rows:
        employers[row["truth_person_id"]].add(row["truth_org_id"])
    assert sum(len(orgs) >= 2 for orgs in employers.values()) >= 200


def test_canonical_records_stream_in_record_order(
    people: SyntheticPeople, rows: list[dict]
) -> None:
    small = generate(1_200, seed=3)
    chunks = list(iter_person_records(small, chunk_size=500))
    assert [len(c) for c in chunks] == [500, 500, 200]
    records = [r for chunk in chunks for r in chunk]
    assert all(isinstance(r, PersonRecord) for r in records)
    expected = list(small.rows())
    assert [(r.provenance.system, r.provenance.record_id) for r in records] == [
        (row["system"], row["record_id"]) for row in expected
    ]
    assert all(r.emails or r.phones or r.birth_date or r.national_id for r in records)


def test_pair_scores_match_brute_force() -> None:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 40, 150)
    labels = rng.integers(0, 30, 150)
    brute_true = {(i, j) for i, j in itertools.combinations(range(150), 2) if truth[i] == truth[j]}
    brute_pred = {
        (i, j) for i, j in itertools.combinations(range(150), 2) if labels[i] == labels[j]
    }
    assert {tuple(p) for p in true_pairs(truth).tolist()} == brute_true
    assert true_pair_count(truth) == len(brute_true)
    score = score_clusters(labels, truth)
    assert (score.true_positives, score.predicted) == (
        len(brute_true & brute_pred),
        len(brute_pred),
    )
    pairs = np.array(sorted(brute_pred))
    doubled = np.vstack([pairs, pairs[:, ::-1]])
    assert score_pairs(doubled, truth) == score


def test_most_people_in_one_cluster_matches_brute_force() -> None:
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 40, 150)
    labels = rng.integers(0, 30, 150).astype(str)
    brute = max(len({truth[i] for i in range(150) if labels[i] == label}) for label in set(labels))
    assert most_people_in_one_cluster(labels, truth) == brute
    assert most_people_in_one_cluster(truth, truth) == 1


SAMPLE_HEADERS = {
    "crm_contacts.csv": layouts.CRM_CONTACTS,
    "crm_accounts.csv": layouts.CRM_ACCOUNTS,
    "hr_employees.csv": layouts.HR_EMPLOYEES,
    "partner_contacts.csv": layouts.PARTNER_CONTACTS,
    "truth.csv": ("file", "record_id", "truth_person_id", "truth_org_id"),
}


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sample")
    write_sample(directory, seed=7)
    return directory


def _read(directory: Path, name: str) -> list[dict[str, str]]:
    with (directory / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_sample_files_have_exactly_the_agreed_headers(sample: Path) -> None:
    assert sorted(p.name for p in sample.iterdir()) == sorted(SAMPLE_HEADERS)
    assert sum(p.stat().st_size for p in sample.iterdir()) < 2_000_000
    for name, header in SAMPLE_HEADERS.items():
        with (sample / name).open(encoding="utf-8") as handle:
            assert next(csv.reader(handle)) == list(header)


def test_committed_sample_is_the_seed_7_export(sample: Path) -> None:
    committed = REPO / "data" / "sample"
    for name in SAMPLE_HEADERS:
        assert (committed / name).read_bytes() == (sample / name).read_bytes(), name


def test_sample_values_follow_each_system_format(sample: Path) -> None:
    contacts = _read(sample, "crm_contacts.csv")
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", r["updated_at"]) for r in contacts)
    assert sum(bool(re.match(r"^\d\d/\d\d/\d{4}$", r["birth_date"])) for r in contacts) > 50
    assert {r["is_deleted"] for r in contacts} == {"true", "false"}
    assert {r["lead_status"] for r in contacts} == {"New", "Working", "Qualified", "Customer"}
    accounts = _read(sample, "crm_accounts.csv")
    assert any(r["name"].endswith(" S.L.") for r in accounts)
    assert any(r["name"].endswith(" Inc.") for r in accounts)
    assert {r["type"] for r in accounts} == {"Customer", "Prospect", "Partner"}
    employees = _read(sample, "hr_employees.csv")
    assert {r["status"] for r in employees} == {"active", "terminated"}
    assert all(r["termination_date"] for r in employees if r["status"] == "terminated")
    assert any(re.match(r"^\d{8}[A-Z]$", r["national_id"]) for r in employees)
    partners = _read(sample, "partner_contacts.csv")
    assert all(re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", r["modified"]) for r in partners)
    assert {r["deleted"] for r in partners} <= {"Y", "N"}
    assert {r["country"] for r in partners} <= {"ES", "US", "GB", "MX"}


def test_sample_has_overlap_duplicates_and_malformed_rows(sample: Path) -> None:
    contacts = _read(sample, "crm_contacts.csv")
    assert sum(r["email"] == "not-an-email" for r in contacts) == 1
    assert sum(r["birth_date"] == "31/02/19x8" for r in contacts) == 1
    assert sum(r["contact_id"] == "" for r in contacts) == 1
    truth = _read(sample, "truth.csv")
    ids = {(r["file"], r["record_id"]) for r in truth}
    for name, id_column in (
        ("crm_contacts.csv", "contact_id"),
        ("crm_accounts.csv", "account_id"),
        ("hr_employees.csv", "employee_id"),
        ("partner_contacts.csv", "partner_contact_id"),
    ):
        listed = {(name, r[id_column]) for r in _read(sample, name) if r[id_column]}
        assert listed == {i for i in ids if i[0] == name}
    files_of = defaultdict(set)
    records_of = defaultdict(int)
    for row in truth:
        if row["truth_person_id"]:
            files_of[row["truth_person_id"]].add(row["file"])
            records_of[(row["file"], row["truth_person_id"])] += 1
    assert sum(len(files) >= 2 for files in files_of.values()) >= 200
    duplicates = sum(count - 1 for count in records_of.values())
    assert 0.02 < duplicates / sum(records_of.values()) < 0.1
