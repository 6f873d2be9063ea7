"""Push-back: write throughput against each API's limit, and the outbox build's cost.

    python benchmarks/bench_push.py --hubspot 30000 --salesforce 20000 --n 100000

1. HubSpot and Salesforce emulators seeded with contacts, synced and resolved through
   the shipped mappings; then `relhub push` writes each record's golden id back. HubSpot
   allows 190 requests per 10 s: the figure is the push's requests per second over its
   span (the batch updates, and the batch reads of modification dates before each, which
   count against the same limit), as a fraction of 19 per second, and every 429 the
   emulators answered is counted (the push starts after a full rate window, so the
   sync's requests do not count against it). Salesforce is measured in records written per second.
2. A store of n synthetic people (as bench_incremental fills it), resolved in full and
   timed; then the outbox is built for all n changed golden records with a push section
   of golden id (always), email and phone (only_if_empty) on every system, and timed.

Ends with one JSON line (``"bench": "push"``).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench_incremental import fill_store

from emulators.hubspot import EmulatorConfig as HubSpotConfig
from emulators.hubspot import HubSpotEmulator
from emulators.hubspot import generate as generate_portal
from emulators.salesforce import EmulatorConfig as SalesforceConfig
from emulators.salesforce import SalesforceEmulator
from emulators.salesforce.seed import generate as generate_org
from hub.cli.termination import stop_on_sigterm
from hub.config import RelhubConfig, SourceConfig, load_config
from hub.push.drain import push_source
from hub.push.outbox import build_outbox
from hub.resolve import resolve
from hub.store.migrate import open_store
from hub.sync import sync_source

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
HUBSPOT_LIMIT_PER_S = 190 / 10


def _relhub_yaml(org: SalesforceEmulator) -> str:
    return f"""\
sources:
  - name: salesforce
    type: salesforce
    mapping: {MAPPINGS / "salesforce.yaml"}
    connection: sf_bench
    objects: [Contact]
    options: {{ca_bundle: "{org.ca_path}"}}
  - name: hubspot
    type: hubspot
    mapping: {MAPPINGS / "hubspot.yaml"}
    connection: hs_bench
    objects: [contacts]
    options: {{consistency_lag_s: 0}}
"""


def emulated_push(hubspot: int, salesforce: int, folder: Path) -> dict[str, Any]:
    secret = uuid.uuid4().hex
    sf_config = SalesforceConfig(
        password=f"pw-{secret}", security_token=f"T{secret}", client_secret=f"cs-{secret}"
    )
    portal_config = HubSpotConfig()
    with (
        SalesforceEmulator(sf_config) as org,
        HubSpotEmulator(config=portal_config, token=f"pat-na1-{secret}") as portal,
    ):
        generate_org(org.store, accounts=0, contacts=salesforce, leads=0)
        generate_portal(portal.store, contacts=hubspot)
        for name, value in org.credentials().items():
            os.environ[f"RELHUB_CONN_SF_BENCH_{name.upper()}"] = value
        os.environ["RELHUB_CONN_HS_BENCH_ACCESS_TOKEN"] = portal.token
        os.environ["RELHUB_CONN_HS_BENCH_BASE_URL"] = portal.base_url
        (folder / "relhub.yaml").write_text(_relhub_yaml(org))
        config = load_config(folder / "relhub.yaml")
        engine = open_store(f"sqlite:///{folder}/emulated.db")
        for source in config.sources:
            sync_source(config, engine, source)
        resolve(config, engine)
        build_outbox(config, engine)
        figures: dict[str, Any] = {}
        started = time.perf_counter()
        sf = push_source(config, engine, config.source("salesforce"))
        figures["salesforce_written"] = sf.written
        figures["salesforce_push_records_per_s"] = round(
            sf.written / (time.perf_counter() - started), 1
        )
        time.sleep(portal_config.rate_window_s)  # the sync's requests leave the window
        portal.log.clear()
        hs = push_source(config, engine, config.source("hubspot"))
        sent = portal.log.snapshot()  # the batch updates and the stamp reads before them
        writes = [e for e in sent if e.path.endswith("/batch/update")]
        span = max(e.started + e.duration_s for e in sent) - min(e.started for e in sent)
        figures["hubspot_written"] = hs.written
        figures["hubspot_requests"] = len(sent)
        figures["hubspot_write_requests"] = len(writes)
        figures["hubspot_push_seconds"] = round(span, 2)
        figures["hubspot_push_fraction_of_limit"] = round(len(sent) / span / HUBSPOT_LIMIT_PER_S, 3)
        refused = [e for e in portal.log.snapshot() if e.status == 429]
        refused += [e for e in org.requests() if e.status in (403, 429)]
        figures["refused_for_rate_limit"] = len(refused)
    return figures


def _bench_mapping(folder: Path, system: str, object_name: str) -> Path:
    path = folder / f"{system}.yaml"
    path.write_text(
        f"system: {system}\nobjects:\n  {object_name}:\n    entity: person\n    id_field: id\n"
        "    push:\n"
        "      - {field: golden_id, to: relhub_id, mode: always}\n"
        "      - {field: emails, to: email, mode: only_if_empty}\n"
        "      - {field: phones, to: phone, mode: only_if_empty}\n"
    )
    return path


def outbox_against_resolve(n: int, folder: Path) -> dict[str, Any]:
    engine = open_store(f"sqlite:///{folder}/synthetic.db")
    fill_store(engine, n)
    with engine.connect() as connection:
        pairs = connection.exec_driver_sql(
            "SELECT DISTINCT system, object FROM source_records"
        ).all()
    config = RelhubConfig(
        path=folder / "relhub.yaml",
        sources=[
            SourceConfig(
                name=system,
                type="file",
                mapping=_bench_mapping(folder, system, obj),
                objects={obj: {}},
            )
            for system, obj in pairs
        ],
    )
    full = resolve(config, engine, full=True)
    built = build_outbox(config, engine)
    return {
        "full_resolve_seconds_100k": full.seconds,
        "outbox_build_seconds_100k": built.seconds,
        "golden_records": full.golden_records,
        "outbox_rows": built.queued,
    }


def main(argv: list[str] | None = None) -> None:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hubspot", type=int, default=30_000, help="HubSpot contacts pushed")
    parser.add_argument("--salesforce", type=int, default=20_000, help="Salesforce contacts")
    parser.add_argument("--n", type=int, default=100_000, help="records for the outbox build")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        figures = emulated_push(args.hubspot, args.salesforce, Path(folder))
        figures.update(outbox_against_resolve(args.n, Path(folder)))
    print(
        f"HubSpot: {figures['hubspot_written']:,} written in {figures['hubspot_write_requests']} "
        f"batches ({figures['hubspot_requests']} requests with the stamp reads) over "
        f"{figures['hubspot_push_seconds']} s: "
        f"{figures['hubspot_push_fraction_of_limit']:.3f} of 190 requests / 10 s"
    )
    print(
        f"Salesforce: {figures['salesforce_written']:,} written, "
        f"{figures['salesforce_push_records_per_s']:,} records/s"
    )
    print(f"refused for the rate limit: {figures['refused_for_rate_limit']}")
    print(
        f"{args.n:,} records: full resolve {figures['full_resolve_seconds_100k']} s "
        f"({figures['golden_records']:,} golden records); outbox of "
        f"{figures['outbox_rows']:,} writes built in {figures['outbox_build_seconds_100k']} s"
    )
    keys = (
        "hubspot_push_fraction_of_limit",
        "salesforce_push_records_per_s",
        "refused_for_rate_limit",
        "outbox_build_seconds_100k",
        "full_resolve_seconds_100k",
    )
    print(json.dumps({"bench": "push", "n": args.n, **{k: figures[k] for k in keys}}))


if __name__ == "__main__":
    main()
