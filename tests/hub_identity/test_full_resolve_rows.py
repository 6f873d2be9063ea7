"""A full resolve writes the same rows however its writers are built.

The fixture (`full_resolve_rows.json.gz`, 1.2 MB of JSON unpacked) holds a fixed data
set (synthetic people over five systems, with their hard negatives), the steward
decisions and second sync applied to it, and every row the two full resolves left:
golden records, members, links, the review queue, golden-id history, the blocking index
and stored features. Any change to
how a resolve persists (forked survivorship, column-wise rows, skipping unchanged golden
rows) must leave these rows as they are, on SQLite and on PostgreSQL alike.

A deliberate change of the output is recorded by writing the fixture again:

    PYTHONPATH=. python tests/hub_identity/test_full_resolve_rows.py
"""

from __future__ import annotations

import gzip
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from hub.config import RelhubConfig
from hub.resolve import index, resolve, writers
from hub.review import decide_pair, override_field
from hub.store import runs
from hub.store.db import JSONText, bulk_insert, utcnow
from hub.store.identity_models import (
    BlockingKeyRow,
    GoldenIdHistoryRow,
    GoldenMemberRow,
    GoldenRecordRow,
    LinkRow,
    RecordFeaturesRow,
    ReviewRow,
)
from hub.store.migrate import open_store
from hub.store.models import SourceRecordRow

FIXTURE = Path(__file__).with_name("full_resolve_rows.json.gz")
RECORDS = 400
SEED = 19
_KEY = tuple[str, str, str]  # system, object, source id


def _sync(engine: Engine, records: list[list[Any]], deleted: list[list[str]]) -> None:
    """One sync run: `records` ([system, object, id, canonical JSON]) stored as their latest
    version (inserted, or replacing the stored one), `deleted` keys flagged deleted."""
    run_id = runs.start_run(engine, "sync", "fixture")
    source = SourceRecordRow.__table__
    now = utcnow()
    gone = {tuple(key) for key in deleted}
    with engine.begin() as connection:
        for system, object_name, source_id, _ in records:
            connection.execute(
                source.delete().where(
                    source.c.system == system,
                    source.c.object == object_name,
                    source.c.source_id == source_id,
                )
            )
        bulk_insert(
            connection,
            source,
            [
                {
                    "system": system,
                    "object": object_name,
                    "source_id": source_id,
                    "entity_kind": "person",
                    "payload": JSONText("{}"),
                    "canonical": JSONText(canonical),
                    "modified_at": now,
                    "deleted": False,
                    "content_hash": hashlib.blake2b(canonical.encode(), digest_size=16).hexdigest(),
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "last_run_id": run_id,
                }
                for system, object_name, source_id, canonical in records
            ],
        )
        for system, object_name, source_id in gone:
            connection.execute(
                source.update()
                .where(
                    source.c.system == system,
                    source.c.object == object_name,
                    source.c.source_id == source_id,
                )
                .values(deleted=True, last_run_id=run_id)
            )
    runs.finish_run(engine, run_id, {"stored": len(records), "deleted": len(gone)})


def _run_scenario(engine: Engine, data: dict[str, Any]) -> None:
    """First sync, full resolve, steward decisions, second sync, full resolve."""
    config = RelhubConfig()
    _sync(engine, data["records"], [])
    resolve(config, engine, full=True)
    for left, right, match in data["pair_decisions"]:
        decide_pair(engine, left, right, match=match)
    with engine.connect() as connection:
        overridden = connection.execute(
            select(GoldenMemberRow.golden_id).where(
                GoldenMemberRow.record_key == data["override"]["record_key"]
            )
        ).scalar_one()
    override_field(engine, overridden, data["override"]["field"], data["override"]["value"])
    _sync(engine, data["changed"], data["deleted"])
    resolve(config, engine, full=True)


def _rows(engine: Engine) -> dict[str, list[Any]]:
    """Every row a resolve writes, as JSON values in a fixed order (history without its
    timestamps, the only values that differ between two identical runs)."""

    def plain(rows: Any) -> list[Any]:
        plain_rows = json.loads(json.dumps([list(row) for row in rows], default=str))
        return sorted(plain_rows, key=lambda row: json.dumps(row, sort_keys=True))

    history = GoldenIdHistoryRow
    with engine.connect() as connection:
        return {
            "golden_records": plain(connection.execute(select(*GoldenRecordRow.__table__.c))),
            "golden_members": plain(connection.execute(select(*GoldenMemberRow.__table__.c))),
            "identity_links": plain(connection.execute(select(*LinkRow.__table__.c))),
            "review_queue": plain(connection.execute(select(*ReviewRow.__table__.c))),
            "golden_id_history": plain(
                connection.execute(
                    select(history.golden_id, history.event, history.other_id, history.run_id)
                )
            ),
            "blocking_keys": plain(connection.execute(select(*BlockingKeyRow.__table__.c))),
            "record_features": plain(connection.execute(select(*RecordFeaturesRow.__table__.c))),
        }


@pytest.mark.parametrize(
    ("golden_page", "index_page"),
    [(2000, 5000), (30, 70)],
    ids=["one page", "pages in workers"],
)
def test_a_full_resolve_writes_the_rows_it_always_wrote(
    store_url: str, golden_page: int, index_page: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of 30 golden records are survived, and the index rows of pages of 70
    records worked out, by forked workers; one page of each by the resolving process
    itself."""
    monkeypatch.setattr(writers, "GOLDEN_PAGE", golden_page)
    monkeypatch.setattr(index, "PAGE", index_page)
    fixture = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    engine = open_store(store_url)
    _run_scenario(engine, fixture["input"])
    rows = _rows(engine)
    for table, expected in fixture["rows"].items():
        assert len(rows[table]) == len(expected), table
        differing = [
            (a, b)
            for a, b in zip(rows[table], expected, strict=True)
            if _to_last_bits(a) != _to_last_bits(b)
        ]
        assert not differing, f"{table}: {len(differing)} rows differ, first: {differing[0]}"


def _to_last_bits(value: Any) -> Any:
    """A row with its floats rounded to 12 significant digits: a probability summed on
    another CPU may differ in its last bit, which is not a change of output."""
    if isinstance(value, float):
        return float(f"{value:.12g}")
    if isinstance(value, list):
        return [_to_last_bits(item) for item in value]
    if isinstance(value, dict):
        return {key: _to_last_bits(item) for key, item in value.items()}
    return value


def _fixture_input() -> dict[str, Any]:
    """The data set: synthetic people, a few of them edited or deleted by a second sync,
    and steward decisions on pairs the engine links or holds for review."""
    from emulators.synthetic.canonical import iter_person_records
    from emulators.synthetic.generator import generate

    records = [
        [
            r.provenance.system,
            r.provenance.object,
            r.provenance.record_id,
            r.model_dump_json(exclude_none=True),
        ]
        for chunk in iter_person_records(generate(RECORDS, SEED))
        for r in chunk
    ]
    changed = []
    for i, (system, object_name, source_id, canonical) in enumerate(records[::23]):
        document = json.loads(canonical)
        document["emails"] = [f"changed.{i}@example.org", *document.get("emails", [])]
        document["job_title"] = "Head of Changes"
        changed.append([system, object_name, source_id, json.dumps(document)])
    deleted = [record[:3] for record in records[5::31]]
    with tempfile.TemporaryDirectory() as folder:
        engine = open_store(f"sqlite:///{folder}/relhub.db")
        _sync(engine, records, [])
        resolve(RelhubConfig(), engine, full=True)
        with engine.connect() as connection:
            links = connection.execute(
                select(LinkRow.left_key, LinkRow.right_key).order_by(LinkRow.left_key)
            ).all()
            review = connection.execute(
                select(ReviewRow.left_key, ReviewRow.right_key).order_by(ReviewRow.left_key)
            ).all()
    decisions = [[*links[0], False], [*links[1], False]]
    decisions += [[*pair, True] for pair in review[:2]]
    return {
        "records": records,
        "changed": changed,
        "deleted": deleted,
        "pair_decisions": decisions,
        "override": {"record_key": links[2][0], "field": "job_title", "value": "Steward's pick"},
    }


def write_fixture() -> None:
    data = _fixture_input()
    with tempfile.TemporaryDirectory() as folder:
        engine = open_store(f"sqlite:///{folder}/relhub.db")
        _run_scenario(engine, data)
        rows = _rows(engine)
    text = json.dumps({"input": data, "rows": rows}, ensure_ascii=False, indent=0)
    FIXTURE.write_bytes(gzip.compress(text.encode(), mtime=0))
    sizes = ", ".join(f"{table} {len(found)}" for table, found in rows.items())
    print(f"{FIXTURE}: {sizes}", file=sys.stderr)


if __name__ == "__main__":
    write_fixture()
