"""A push killed with SIGKILL at a random point and rerun applies every intended write
exactly once: counted on the emulators' request log (HubSpot batch inputs) and on the
records each emulator's store updated."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pushfixtures import Systems, running_systems, sync_and_resolve
from sqlalchemy import select

from hub.push.step import push
from hub.store.migrate import open_store
from hub.store.push_models import PENDING, SENDING, WRITTEN, OutboxRow

BATCH = 7  # small batches: many points to be killed between
SEEDS = range(6)


def count_updates(systems: Systems, monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    """(system, record id) -> updates the emulators' stores applied."""
    applied: Counter[tuple[str, str]] = Counter()
    portal_update, org_update = systems.portal.store.update, systems.org.store.update

    def on_portal(object_type: str, record_id: str, *args: Any, **kwargs: Any) -> Any:
        record = portal_update(object_type, record_id, *args, **kwargs)
        applied["hubspot", record_id] += 1
        return record

    def on_org(object_name: str, record_id: str, *args: Any, **kwargs: Any) -> None:
        org_update(object_name, record_id, *args, **kwargs)
        applied["salesforce", record_id] += 1

    monkeypatch.setattr(systems.portal.store, "update", on_portal)
    monkeypatch.setattr(systems.org.store, "update", on_org)
    return applied


def writes_seen(systems: Systems) -> int:
    hubspot = sum(1 for e in systems.portal.log.snapshot() if e.path.endswith("/batch/update"))
    salesforce = sum(1 for e in systems.org.requests() if "composite/sobjects" in e.path)
    return hubspot + salesforce


def kill_push_midway(systems: Systems, store_url: str, rng: random.Random) -> None:
    """Run `relhub push` in a child and SIGKILL it after a random number of write batches
    have reached the emulators, a random few milliseconds later."""
    after = rng.randrange(0, 14)
    env = {**os.environ, "RELHUB_DATABASE_URL": store_url}
    config = str(systems.folder / "relhub.yaml")
    child = subprocess.Popen(
        [sys.executable, "-m", "hub", "push", "-c", config],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while writes_seen(systems) < after and child.poll() is None:
            assert time.monotonic() < deadline, "the push never reached its kill point"
            time.sleep(0.001)
        time.sleep(rng.uniform(0, 0.03))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


@pytest.mark.parametrize("seed", SEEDS)
def test_a_killed_push_rerun_writes_each_intended_write_once(
    seed: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    engine = open_store(sqlite_url)
    with running_systems(tmp_path, monkeypatch, contacts=30, batch_size=BATCH) as systems:
        sync_and_resolve(systems, engine)
        systems.portal.log.clear()
        systems.org.clear_log()
        applied = count_updates(systems, monkeypatch)
        kill_push_midway(systems, sqlite_url, random.Random(seed))
        push(systems.config, engine)

        with engine.connect() as connection:
            rows = connection.execute(select(OutboxRow)).all()
        assert rows and not [r for r in rows if r.status in (PENDING, SENDING)]
        intended = Counter((r.system, r.source_id) for r in rows if r.status == WRITTEN)
        assert set(intended.values()) == {1}
        assert applied == intended
        hubspot_inputs = sum(
            e.items or 0
            for e in systems.portal.log.snapshot()
            if e.path.endswith("/batch/update") and e.status < 300
        )
        assert hubspot_inputs == sum(
            n for (system, _), n in intended.items() if system == "hubspot"
        )
        for r in rows:
            if r.system == "hubspot":
                properties = systems.portal.store.records[r.object][r.source_id].properties
                assert {k: properties.get(k) for k in r.fields} == r.fields
