"""A small shop whose customer file a test edits, synced and resolved like production."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from syncfixtures import COLUMNS, MAPPING, make_source, row, write_rows

from hub.config import RelhubConfig
from hub.resolve import ResolveReport, resolve
from hub.store.identity_models import (
    BlockingKeyRow,
    GoldenMemberRow,
    GoldenRecordRow,
    LinkRow,
    RecordFeaturesRow,
    ReviewRow,
)
from hub.store.migrate import open_store
from hub.sync import sync_source

GIVEN = [
    "Ana",
    "Bruno",
    "Carmen",
    "Diego",
    "Elena",
    "Fausto",
    "Gloria",
    "Hugo",
    "Irene",
    "Jorge",
    "Lucía",
    "Marcos",
]
FAMILY = [
    "García López",
    "Ruiz Ortega",
    "Navarro Vidal",
    "Serrano Blanco",
    "Molina Castro",
    "Iglesias Rubio",
    "Cano Prieto",
    "Vega Soler",
    "Pascual Crespo",
    "Lorenzo Marín",
    "Herrero Gallego",
    "Santana Mora",
]


def person(index: int, who: int | None = None, **changes: Any) -> dict[str, Any]:
    """Row `index` describing person `who` (default: a person of its own); rows with one
    `who` are one human, with the same name, email and birth date."""
    who = index if who is None else who
    return row(
        index,
        first=GIVEN[who % 12],
        last=FAMILY[(who * 5) % 12],
        email=f"{GIVEN[who % 12].lower()}.{who}@example.com",
        born=f"{1950 + who}-0{1 + who % 9}-1{who % 10}",
        **changes,
    )


PHONE_COLUMNS = [*COLUMNS, "phone", "mobile"]
PHONE_MAPPING = MAPPING.replace(
    "    attributes:",
    "      phones: {from: [phone, mobile], transforms: [phone], on_invalid: drop}\n    attributes:",
)


class Shop:
    """The customer file of one source and the store it is resolved into; with `phones`,
    its rows may carry a `phone` and a `mobile` column too (both phones of the record)."""

    def __init__(
        self, folder: Path, url: str, rows: dict[int, dict[str, Any]], phones: bool = False
    ) -> None:
        self.rows = dict(rows)
        self.columns = PHONE_COLUMNS if phones else COLUMNS
        self.config: RelhubConfig = make_source(
            folder,
            list(self.rows.values()),
            mapping=PHONE_MAPPING if phones else MAPPING,
            columns=self.columns,
        )
        self.folder = folder
        self.engine: Engine = open_store(url)
        self.clock = 0

    def key(self, index: int) -> str:
        return f"shop/customers/C{index:06d}"

    def put(self, index: int, values: dict[str, Any]) -> None:
        self.clock += 1
        self.rows[index] = dict(values, updated=f"2026-02-01T00:00:{self.clock:02d}Z")

    def delete(self, index: int) -> None:
        self.clock += 1
        self.rows[index] = dict(
            self.rows[index], deleted="true", updated=f"2026-02-01T00:00:{self.clock:02d}Z"
        )

    def sync(self) -> None:
        write_rows(self.folder / "customers.csv", list(self.rows.values()), self.columns)
        sync_source(self.config, self.engine, self.config.sources[0])

    def cycle(self, *, full: bool = False, refit: bool = True) -> ResolveReport:
        self.sync()
        return resolve(self.config, self.engine, full=full, refit=refit)

    def golden_of(self, index: int) -> str:
        with self.engine.connect() as connection:
            return connection.execute(
                select(GoldenMemberRow.golden_id).where(
                    GoldenMemberRow.record_key == self.key(index)
                )
            ).scalar_one()

    def state(self) -> dict[str, Any]:
        return store_state(self.engine)  # what an incremental resolve must leave as a full one


def store_state(engine: Engine) -> dict[str, Any]:
    """What resolution leaves in the store, without run ids: the blocking-key index with
    each record's normalized values, and pair evidence with every comparison's level and
    weight (term-frequency weights included: the stored model carries the frequencies a
    full fit counted, so they match a full run's to the bit). JSON documents are text with
    their keys sorted, as PostgreSQL's JSONB orders keys its own way."""

    def evidence(pair: Any) -> tuple[Any, ...]:
        return (
            pair.left_key,
            pair.right_key,
            pair.rule,
            pair.match_weight,
            tuple((f["comparison"], f["level"], f["weight"]) for f in pair.evidence),
        )

    with engine.connect() as connection:
        members = sorted(
            connection.execute(select(GoldenMemberRow.record_key, GoldenMemberRow.golden_id)).all()
        )
        golden = sorted(
            (
                g.golden_id,
                g.status,
                g.member_count,
                json.dumps(g.fields, sort_keys=True),
                tuple(g.roles),
                g.lifecycle_stage,
                json.dumps(g.lifecycle, sort_keys=True),
            )
            for g in connection.execute(select(GoldenRecordRow))
        )
        pairs = {
            name: sorted(evidence(p) for p in connection.execute(select(model)))
            for name, model in (("links", LinkRow), ("review", ReviewRow))
        }
        blocks = sorted(
            connection.execute(select(BlockingKeyRow.record_key, BlockingKeyRow.block)).all()
        )
        features = sorted(
            connection.execute(select(RecordFeaturesRow.record_key, RecordFeaturesRow.features))
        )
    return {"members": members, "golden": golden, "blocks": blocks, "features": features, **pairs}
