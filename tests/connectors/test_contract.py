"""The connector contract: one suite, run against every connector over its emulator.

Each system's `contract_harness()` (`*_harness.py` beside this module, of the shape
harness.py declares) hands over a connector wired to a running stand-in and a back door
into the stand-in's state. What differs between systems — a writable text field, an id
that names no record, how to read the answers the stand-in gave — is declared once per
subject below; every test is the same for all.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import bamboohr_harness
import files_harness
import hubspot_harness
import partnerstack_harness
import pytest
import salesforce_harness
from harness import ContractHarness

from connectors.base import (
    FieldType,
    Page,
    SourceRecord,
    Stamp,
    Watermark,
    WriteRequest,
    WriteStatus,
)


@dataclass(frozen=True)
class Subject:
    """One connector and its emulator, as the suite sees them."""

    name: str
    harness: Callable[[], AbstractContextManager[Any]]
    text_field: str  # a writable text field of the person-like object
    missing_id: str  # well-formed, but naming no record
    writable: bool = True
    checkpoints_mid_read: bool = True  # False: an unsorted export promises only at its end
    statuses: Callable[[Any], list[int]] | None = None  # the emulator's answers; None: no transport
    no_faults_reason: str = ""
    throttled: tuple[int, ...] = (429,)  # how the system says "slow down"
    failed: tuple[int, ...] = (500, 503)  # how its injected errors answer


SUBJECTS = [
    Subject(
        "file",
        files_harness.contract_harness,
        "name",
        "P9999999",
        writable=False,
        checkpoints_mid_read=False,
        no_faults_reason=files_harness.FAULTS_UNSUPPORTED,
    ),
    Subject(
        "salesforce",
        salesforce_harness.contract_harness,
        "LastName",
        "003Rh0000000ZZZAAA",
        statuses=lambda h: [entry.status for entry in h.emulator.requests()],
        throttled=(429, 403),  # Salesforce throttles with 403 REQUEST_LIMIT_EXCEEDED too
    ),
    Subject(
        "hubspot",
        hubspot_harness.contract_harness,
        "firstname",
        "999999999",
        statuses=lambda h: h.emulator.log.statuses(),
    ),
    Subject(
        "partnerstack",
        partnerstack_harness.contract_harness,
        "first_name",
        "part_999999999999",
        writable=False,
        checkpoints_mid_read=False,  # listed by creation time: the read promises at its end
        statuses=lambda h: h.emulator.log.statuses(),
    ),
    Subject(
        "bamboohr",
        bamboohr_harness.contract_harness,
        "firstName",
        "999999",
        statuses=lambda h: h.emulator.log.statuses(),
        throttled=(503,),  # BambooHR throttles with 503 + Retry-After
        failed=(500, 502),
    ),
]
# Salesforce pages hold 2,000 records: more than that makes every read span pages.
SEEDED = 2_100


@pytest.fixture(params=SUBJECTS, ids=[s.name for s in SUBJECTS])
def subject(request: pytest.FixtureRequest) -> Subject:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def harness(subject: Subject) -> Iterator[ContractHarness]:
    with subject.harness() as live:
        yield live


def seed(harness: ContractHarness, subject: Subject, count: int) -> list[str]:
    return [harness.create({subject.text_field: f"Person {n}"}) for n in range(count)]


def read(
    harness: ContractHarness, since: Watermark | None, *, full: bool = False
) -> tuple[list[SourceRecord], list[Page]]:
    pages = list(harness.connector.read_changes(harness.spec, since, full=full))
    return [record for page in pages for record in page.records], pages


def last_checkpoint(pages: list[Page]) -> Watermark | None:
    return [p.checkpoint for p in pages if p.checkpoint is not None][-1]


def deleted_ids(pages: list[Page], known: list[str]) -> set[str]:
    """What a read reports deleted: records flagged so, and the known ids a complete
    snapshot (an id reconciliation) no longer vouches for."""
    flagged = {r.id for p in pages for r in p.records if r.deleted}
    if not any(p.snapshot_complete for p in pages):
        return flagged
    present = {i for p in pages if p.snapshot for i in [*p.present_ids, *(r.id for r in p.records)]}
    return flagged | (set(known) - present)


def assert_once(records: list[SourceRecord]) -> Counter[str]:
    counts = Counter(record.id for record in records)
    repeated = [record_id for record_id, n in counts.items() if n > 1]
    assert not repeated, f"read twice in one read: {repeated[:5]}"
    return counts


def test_discover_names_the_id_and_modified_fields(
    harness: ContractHarness, subject: Subject
) -> None:
    seed(harness, subject, 1)  # a file export's types are inferred from its rows
    spec = harness.spec
    schema = harness.connector.discover(spec.object)
    assert schema.object == spec.object and schema.system == harness.connector.system
    assert spec.id_field in schema.fields
    assert spec.modified_at_field is not None
    assert schema.fields[spec.modified_at_field].type is FieldType.DATETIME


def test_a_full_read_returns_every_record_once(harness: ContractHarness, subject: Subject) -> None:
    ids = seed(harness, subject, SEEDED)
    records, pages = read(harness, None, full=True)
    assert set(assert_once(records)) == set(ids)
    assert len(pages) > 1
    assert pages[-1].checkpoint is not None
    assert not any(record.deleted for record in records)


def test_an_incremental_read_surfaces_creates_updates_and_deletes(
    harness: ContractHarness, subject: Subject
) -> None:
    ids = seed(harness, subject, 20)
    first, pages = read(harness, None)
    assert set(assert_once(first)) == set(ids)
    checkpoint = last_checkpoint(pages)
    # Changes land after the checkpoint's millisecond; a change committed inside it is
    # what the sync's overlap window re-reads, not the connector's promise.
    time.sleep(0.005)
    created = harness.create({subject.text_field: "Newcomer"})
    harness.update(ids[3], {subject.text_field: "Renamed"})
    harness.delete(ids[5])
    assert harness.get(ids[5]) is None

    second, pages = read(harness, checkpoint)
    changed = {record.id: record for record in second}
    assert set(assert_once(second)) - {ids[5]} == {created, ids[3]}
    assert deleted_ids(pages, [*ids, created]) == {ids[5]}
    assert not changed[created].deleted and not changed[ids[3]].deleted
    assert changed[created].fields[subject.text_field] == "Newcomer"
    assert changed[ids[3]].fields[subject.text_field] == "Renamed"
    third, _ = read(harness, last_checkpoint(pages))
    assert third == []


def test_resuming_from_a_mid_read_checkpoint_neither_skips_nor_repeats(
    harness: ContractHarness, subject: Subject
) -> None:
    ids = seed(harness, subject, SEEDED)
    records, pages = read(harness, None)
    assert set(assert_once(records)) == set(ids)
    marked = [i for i, page in enumerate(pages) if page.checkpoint is not None]
    if subject.checkpoints_mid_read:
        assert marked[0] < len(pages) - 1, "no checkpoint before the last page"
    else:
        assert marked == [len(pages) - 1]
    stop = marked[0]
    checkpoint = pages[stop].checkpoint
    assert checkpoint is not None
    before = [record for page in pages[: stop + 1] for record in page.records]

    resumed, _ = read(harness, checkpoint)
    assert_once(resumed)
    # Nothing at or before the checkpoint comes back; everything after it does.
    assert all(record.cursor is not None and record.cursor > checkpoint for record in resumed)
    after = {r.id for r in records if r.cursor is not None and r.cursor > checkpoint}
    assert {r.id for r in resumed} == after
    assert {r.id for r in before} | {r.id for r in resumed} == set(ids)


def test_a_write_returns_one_result_per_input_and_reports_failures_per_record(
    harness: ContractHarness, subject: Subject
) -> None:
    good = seed(harness, subject, 3)
    requests = [
        WriteRequest({subject.text_field: "Written 0"}, record_id=good[0]),
        WriteRequest({subject.text_field: "Written X"}, record_id=subject.missing_id),
        WriteRequest({subject.text_field: "Written 2"}, record_id=good[2]),
    ]
    results = harness.connector.write_batch(harness.spec.object, requests)
    assert [r.record_id for r in results] == [r.record_id for r in requests]
    untouched = harness.get(good[1])
    assert untouched is not None and untouched[subject.text_field] == "Person 1"
    if not subject.writable:
        assert all(r.status is WriteStatus.REJECTED and r.message for r in results)
        assert harness.get(good[0])[subject.text_field] == "Person 0"  # type: ignore[index]
        return
    assert [r.status for r in results] == [
        WriteStatus.WRITTEN,
        WriteStatus.NOT_FOUND,
        WriteStatus.WRITTEN,
    ]
    assert results[1].message
    assert harness.get(good[0])[subject.text_field] == "Written 0"  # type: ignore[index]
    assert harness.get(good[2])[subject.text_field] == "Written 2"  # type: ignore[index]


def test_a_write_whose_record_changed_since_it_was_read_is_not_sent(
    harness: ContractHarness, subject: Subject
) -> None:
    if not subject.writable:
        pytest.skip("the system takes no writes here")
    ids = seed(harness, subject, 2)
    records, _ = read(harness, None, full=True)
    stamps = {r.id: r.modified_at for r in records if r.modified_at is not None}
    field = harness.spec.modified_at_field
    earlier = stamps[ids[0]] - timedelta(seconds=1)  # read before the record's last change
    requests = [
        WriteRequest({subject.text_field: "Overwrite"}, ids[0], expected=Stamp(field, earlier)),
        WriteRequest(
            {subject.text_field: "Written 1"}, ids[1], expected=Stamp(field, stamps[ids[1]])
        ),
        WriteRequest({subject.text_field: "X"}, subject.missing_id, expected=Stamp(field, earlier)),
    ]
    results = harness.connector.write_batch(harness.spec.object, requests)
    assert [r.status for r in results] == [
        WriteStatus.CHANGED,
        WriteStatus.WRITTEN,
        WriteStatus.NOT_FOUND,
    ]
    assert [r.record_id for r in results] == [r.record_id for r in requests]
    assert harness.get(ids[0])[subject.text_field] == "Person 0"  # type: ignore[index]
    assert harness.get(ids[1])[subject.text_field] == "Written 1"  # type: ignore[index]


def test_reads_and_writes_survive_errors_and_throttling_with_every_record_once(
    harness: ContractHarness, subject: Subject
) -> None:
    if subject.statuses is None:
        pytest.skip(subject.no_faults_reason)
    ids = seed(harness, subject, SEEDED)
    harness.set_faults(error_rate=0.1, throttle_every=10)
    incremental, _ = read(harness, None)
    full, _ = read(harness, None, full=True)
    assert set(assert_once(incremental)) == set(ids)
    assert set(assert_once(full)) == set(ids)
    if subject.writable:
        writes = [WriteRequest({subject.text_field: f"Faulted {i}"}, record_id=i) for i in ids]
        results = harness.connector.write_batch(harness.spec.object, writes)
        assert [(r.status, r.record_id) for r in results] == [(WriteStatus.WRITTEN, i) for i in ids]
        assert harness.get(ids[-1])[subject.text_field] == f"Faulted {ids[-1]}"  # type: ignore[index]
    answered = Counter(subject.statuses(harness))
    throttled = sum(answered[status] for status in subject.throttled)
    assert throttled >= 3 and sum(answered[status] for status in subject.failed) >= 1, answered
