"""Connector throughput against the emulators, with a realistic 50 ms per request.

Extraction: records/s through each connector's `read_changes`, beside the bound the API
sets (page size x request rate, the rate being the lower of the connector's limiter and
one request per round trip) and our CPU time per record, measured on the reading thread
alone (the emulators serve from other threads). Write-back: HubSpot's sustained rate as a
fraction of its limit (190 requests / 10 s x 100 records = 1,900 records/s), counted over
whole ten-second windows of the emulator's request log, with the requests it refused for
exceeding the limit; Salesforce records/s in 200-record collections.

Every connector runs with its production defaults, each phase on a fresh emulator so no
phase inherits another's rate-limit window. Prints a table and ends with one JSON line:
  {"bench": "connectors", "hubspot_write_fraction_of_limit": ..., "salesforce_write_records_per_s":
   ..., "hubspot_extract_records_per_s": ..., "salesforce_extract_records_per_s": ...,
   "refused_for_rate_limit": ...}
Usage: python benchmarks/bench_connectors.py [--records 20000] [--hubspot-writes 72000]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from connectors.base import Connector, ReadSpec, WriteRequest, WriteStatus
from connectors.hubspot import LIST_PAGE, SEARCH_PAGE, HubSpotConnector
from connectors.salesforce import SalesforceConnector
from emulators.gate import Verdict
from emulators.hubspot import EmulatorConfig, HubSpotEmulator, generate
from emulators.salesforce import EmulatorConfig as SalesforceConfig
from emulators.salesforce import Faults, SalesforceEmulator

LATENCY_S = 0.05
HUBSPOT_REQUESTS, HUBSPOT_WINDOW_S = 190, 10.0  # the emulator's (and HubSpot's) default limit
HUBSPOT_LIMIT_RECORDS_PER_S = HUBSPOT_REQUESTS / HUBSPOT_WINDOW_S * LIST_PAGE
T0 = datetime(2024, 1, 1, tzinfo=UTC)
SF_CONTACTS = ReadSpec("Contact", "Id", "SystemModstamp", "IsDeleted")
HS_CONTACTS = ReadSpec("contacts", "hs_object_id", "lastmodifieddate")
REFUSED = (Verdict.RATE_LIMITED, Verdict.SEARCH_RATE_LIMITED)
# The HubSpot connector's defaults, spelled out because the extraction bounds use them.
HUBSPOT_OPTIONS = {"requests_per_window": 180, "window_s": 10.0, "search_requests_per_second": 4}


@dataclass
class Extract:
    label: str
    records: int
    requests: int
    seconds: float
    cpu_s: float
    page_size: int
    requests_per_s: float  # the most the connector may send, under limiter and latency
    api_s_per_request: float  # the emulator's time per answer: latency plus serving

    @property
    def rate(self) -> float:
        return self.records / self.seconds

    @property
    def bound(self) -> float:
        return self.page_size * self.requests_per_s

    @property
    def cpu_us_per_record(self) -> float:
        return self.cpu_s / self.records * 1e6


@dataclass
class Outcome:
    extracts: list[Extract]
    hubspot_write_per_s: float
    hubspot_write_seconds: float
    salesforce_write_per_s: float
    refused: int


def timed_read(connector: Connector, spec: ReadSpec, *, full: bool) -> tuple[int, float, float]:
    """(records, wall seconds, CPU seconds of this thread) for one read to the end."""
    started, cpu = time.perf_counter(), time.thread_time()
    count = sum(len(page.records) for page in connector.read_changes(spec, None, full=full))
    return count, time.perf_counter() - started, time.thread_time() - cpu


@contextmanager
def salesforce_org(contacts: int) -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator(SalesforceConfig(faults=Faults(latency_s=LATENCY_S))) as org:
        for n in range(contacts):
            org.store.create(
                "Contact", {"FirstName": "Ada", "LastName": f"L{n}", "Email": f"a{n}@example.com"}
            )
        yield org


def salesforce_connector(org: SalesforceEmulator) -> SalesforceConnector:
    return SalesforceConnector.from_config(
        "salesforce", {"ca_bundle": str(org.ca_path)}, org.credentials()
    )


@contextmanager
def hubspot_portal(contacts: int) -> Iterator[tuple[HubSpotEmulator, HubSpotConnector]]:
    with HubSpotEmulator(config=EmulatorConfig(latency_s=LATENCY_S)) as hub:
        generate(hub.store, contacts=contacts, modified_at=lambda n: T0 + timedelta(milliseconds=n))
        credentials = {"access_token": hub.token, "base_url": hub.base_url}
        connector = HubSpotConnector.from_config("hubspot", HUBSPOT_OPTIONS, credentials)
        try:
            yield hub, connector
        finally:
            connector.close()


def round_trip_rate(limit_per_s: float) -> float:
    return min(limit_per_s, 1 / LATENCY_S)


def salesforce_extract(records: int) -> tuple[Extract, int]:
    with salesforce_org(records) as org:
        connector = salesforce_connector(org)
        try:
            count, seconds, cpu = timed_read(connector, SF_CONTACTS, full=False)
            options = connector.options
        finally:
            connector.close()
        log = org.requests()
    limit = options.rate_limit_calls / options.rate_limit_period_s
    extract = Extract(
        "salesforce query",
        count,
        len(log),
        seconds,
        cpu,
        options.page_size,
        round_trip_rate(limit),
        sum(e.duration_s for e in log) / len(log),
    )
    return extract, sum(e.status in (403, 429) for e in log)


def hubspot_extract(records: int, *, full: bool) -> tuple[Extract, int]:
    """Incremental reads search (200 a page, 4/s); a full read walks the list (100, 18/s)."""
    with hubspot_portal(records) as (hub, connector):
        count, seconds, cpu = timed_read(connector, HS_CONTACTS, full=full)
        log = hub.log.snapshot()
    label = "hubspot list (full)" if full else "hubspot search (incremental)"
    page = LIST_PAGE if full else SEARCH_PAGE
    limit = HUBSPOT_OPTIONS["requests_per_window"] / HUBSPOT_OPTIONS["window_s"]
    rate = round_trip_rate(limit if full else HUBSPOT_OPTIONS["search_requests_per_second"])
    serving = sum(e.duration_s for e in log) / len(log)
    extract = Extract(label, count, len(log), seconds, cpu, page, rate, serving)
    return extract, sum(e.verdict in REFUSED for e in log)


def hubspot_write(records: int) -> tuple[float, float, int]:
    """(sustained records/s, seconds of writes, refusals): batch updates by id.

    The connector's limiter lets a window's requests go out in a burst and then waits for
    the window to slide, so the sustained rate is counted over whole windows. They start
    one window after the first request: the opening burst opens fresh connections, whose
    first requests reach the emulator later than the warm ones a window on, which would
    shift a count anchored on them.
    """
    with hubspot_portal(records) as (hub, connector):
        ids = list(hub.store.records["contacts"])
        writes = [WriteRequest({"relhub_golden_id": f"G{i}"}, record_id=i) for i in ids]
        started = time.perf_counter()
        results = connector.write_batch("contacts", writes)
        seconds = time.perf_counter() - started
        log = [e for e in hub.log.snapshot() if e.path.endswith("/batch/update")]
    if any(r.status is not WriteStatus.WRITTEN for r in results):
        raise SystemExit("HubSpot write-back lost records")
    anchor = min(e.started for e in log) + HUBSPOT_WINDOW_S
    windows = int((max(e.started for e in log) - anchor) // HUBSPOT_WINDOW_S)
    if windows < 1:
        raise SystemExit(
            "HubSpot writes spanned under two rate-limit windows: raise --hubspot-writes"
        )
    horizon = anchor + windows * HUBSPOT_WINDOW_S
    written = sum(
        e.items or 0 for e in log if anchor <= e.started < horizon and e.status in (200, 207)
    )
    refused = sum(e.verdict in REFUSED for e in log)
    return written / (windows * HUBSPOT_WINDOW_S), seconds, refused


def salesforce_write(records: int) -> tuple[float, int]:
    with salesforce_org(records) as org:
        ids = [row["Id"] for row in org.store.visible_records("Contact", include_deleted=False)]
        connector = salesforce_connector(org)
        try:
            connector.discover("Contact")  # sign in before the clock starts
            writes = [WriteRequest({"Relhub_Golden_Id__c": f"G{i}"}, record_id=i) for i in ids]
            started = time.perf_counter()
            results = connector.write_batch("Contact", writes)
            seconds = time.perf_counter() - started
        finally:
            connector.close()
        log = org.requests()
    if any(r.status is not WriteStatus.WRITTEN for r in results):
        raise SystemExit("Salesforce write-back lost records")
    return len(ids) / seconds, sum(e.status in (403, 429) for e in log)


def run(records: int, hubspot_writes: int) -> Outcome:
    refused = 0
    extracts = []
    for measure in (
        lambda: salesforce_extract(records),
        lambda: hubspot_extract(records, full=False),
        lambda: hubspot_extract(records, full=True),
    ):
        extract, refusals = measure()
        extracts.append(extract)
        refused += refusals
    hubspot_rate, hubspot_seconds, refusals = hubspot_write(hubspot_writes)
    refused += refusals
    salesforce_rate, refusals = salesforce_write(records)
    return Outcome(extracts, hubspot_rate, hubspot_seconds, salesforce_rate, refused + refusals)


def report(outcome: Outcome) -> dict[str, object]:
    print(f"Extraction, {LATENCY_S * 1000:.0f} ms per request, production connector settings")
    print(
        f"{'read':<30}{'records':>8}{'requests':>9}{'rec/s':>8}{'bound':>8}{'of bound':>9}"
        f"{'API ms/req':>11}{'CPU µs/rec':>11}{'CPU busy':>9}"
    )
    for e in outcome.extracts:
        print(
            f"{e.label:<30}{e.records:>8}{e.requests:>9}{e.rate:>8.0f}{e.bound:>8.0f}"
            f"{e.rate / e.bound:>9.0%}{e.api_s_per_request * 1000:>11.0f}"
            f"{e.cpu_us_per_record:>11.1f}{e.cpu_s / e.seconds:>9.0%}"
        )
    print("bound = page size x request rate (lower of the connector's limiter and 1 / latency)")
    print("API ms/req = the emulator's time per answer (the 50 ms latency plus serving)")
    print("CPU busy = the reading thread's CPU time / wall time: the rest is waiting on the API")
    fraction = outcome.hubspot_write_per_s / HUBSPOT_LIMIT_RECORDS_PER_S
    print(
        f"\nWrite-back: HubSpot {outcome.hubspot_write_per_s:.0f} records/s sustained over "
        f"{outcome.hubspot_write_seconds:.0f} s = {fraction:.1%} of its limit "
        f"({HUBSPOT_LIMIT_RECORDS_PER_S:.0f} records/s); Salesforce "
        f"{outcome.salesforce_write_per_s:.0f} records/s; refused for the rate limit: "
        f"{outcome.refused}"
    )
    by_label = {e.label: e.rate for e in outcome.extracts}
    return {
        "bench": "connectors",
        "hubspot_write_fraction_of_limit": round(fraction, 3),
        "salesforce_write_records_per_s": round(outcome.salesforce_write_per_s),
        "hubspot_extract_records_per_s": round(by_label["hubspot search (incremental)"]),
        "salesforce_extract_records_per_s": round(by_label["salesforce query"]),
        "refused_for_rate_limit": outcome.refused,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=20_000, help="records per extraction")
    parser.add_argument(
        "--hubspot-writes",
        type=int,
        default=72_000,
        help="HubSpot write-back records (72,000 take four windows: a bit over 30 s)",
    )
    args = parser.parse_args()
    print(json.dumps(report(run(args.records, args.hubspot_writes))))


if __name__ == "__main__":
    main()
