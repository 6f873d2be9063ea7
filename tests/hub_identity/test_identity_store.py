"""The identity tables by migration on both databases, and the index of records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from alembic import command
from identityfixtures import Shop, person
from sqlalchemy import Engine, func, inspect, select

from hub.resolve import resolve
from hub.resolve.index import index_entries
from hub.store.db import make_engine
from hub.store.identity_models import BlockingKeyRow
from hub.store.migrate import alembic_config, current_revision, head_revision, upgrade
from identity.blocking import rule_rows
from identity.features import build_features
from identity.records import OrganizationRecord, PersonRecord, Provenance
from identity.settings import ResolutionSettings

IDENTITY_TABLES = {
    "golden_records",
    "golden_members",
    "identity_links",
    "review_queue",
    "steward_decisions",
    "golden_id_history",
    "blocking_keys",
    "identity_models",
    "record_features",
}


def test_upgrade_from_foundation_adds_identity_tables(store_url: str) -> None:
    engine = make_engine(store_url)
    upgrade(engine, "0001")
    assert not IDENTITY_TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) >= IDENTITY_TABLES


def test_a_store_indexed_before_record_features_is_resolved_in_full_once(
    tmp_path: Path, store_url: str
) -> None:
    """Revision 0005 rebuilds the index tables empty and drops the fitted models: the next
    resolve is full and fills them, and later incremental ones agree with a full resolve."""
    shop = Shop(tmp_path, store_url, {i: person(i, who=i % 3) for i in range(6)})
    assert shop.cycle().full
    with shop.engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0004")
    upgrade(shop.engine)
    with shop.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(BlockingKeyRow)).scalar() == 0
    assert shop.cycle().full
    shop.put(0, person(0, who=1))
    assert not shop.cycle().full
    incremental = shop.state()
    assert shop.cycle(full=True, refit=False).full and shop.state() == incremental


def _index_tables(engine: Engine) -> tuple[Any, int]:
    """The secondary indexes of the tables a first full resolve fills from empty (without
    them on SQLite, `filled_from_empty`) or refills (the blocking index), and the
    blocking-key rows."""
    inspector = inspect(engine)
    indexes = {
        table: sorted((i["name"], tuple(i["column_names"])) for i in inspector.get_indexes(table))
        for table in (
            "blocking_keys",
            "record_features",
            "golden_members",
            "identity_links",
            "review_queue",
        )
    }
    with engine.connect() as connection:
        rows = connection.execute(select(func.count()).select_from(BlockingKeyRow)).scalar()
    return indexes, rows


def test_a_full_resolve_rebuilds_the_block_index_it_leaves_out_while_refilling(
    tmp_path: Path, store_url: str
) -> None:
    """A full resolve fills the blocking-key table without its index on `block` and builds
    the index after (as the first one does the golden members' and the pairs'): the store
    ends with the indexes its migrations made, and a resolve that fails on the way leaves
    the index and the rows it had."""
    shop = Shop(tmp_path, store_url, {i: person(i, who=i % 3) for i in range(6)})
    made, _ = _index_tables(shop.engine)
    assert ("ix_blocking_keys_block", ("block",)) in made["blocking_keys"]
    assert shop.cycle().full
    indexed = _index_tables(shop.engine)
    assert indexed[0] == made and indexed[1] > 0

    def fail(label: str, _done: int) -> None:
        if label == "records indexed":
            raise RuntimeError("the resolve fails while it indexes")

    with pytest.raises(RuntimeError, match="while it indexes"):
        resolve(shop.config, shop.engine, full=True, progress=fail)
    assert _index_tables(shop.engine) == indexed


def _people() -> list[PersonRecord | OrganizationRecord]:
    names = [
        ("Ana", "García López"),
        ("Ana", "Garcia"),
        ("Alba", "García Ruiz"),
        ("López", "Ana"),
        ("Bruno", "Gómez"),
        ("Bruno", "Gomes"),
        (None, "Gómez"),
    ]
    people: list[PersonRecord | OrganizationRecord] = [
        PersonRecord(
            given_name=g,
            family_name=f,
            emails=[f"p{i % 3}@x.es", f"q{i}@y.es"],
            birth_date="1980-01-0" + str(1 + i % 2),
            provenance=Provenance(system="s", object="o", record_id=str(i)),
        )
        for i, (g, f) in enumerate(names)
    ]
    people += [
        OrganizationRecord(
            name=n, domains=["acme.es"], provenance=Provenance(system="s", object="a", record_id=n)
        )
        for n in ("Acme Ibérica S.A.", "ACME Iberica")
    ]
    return people


def test_block_digests_group_records_as_the_engine_does() -> None:
    """Two records share a stored digest exactly when some blocking rule of the engine
    puts them in one block; a person and an organization never share one."""
    records, settings = _people(), ResolutionSettings()
    digests = [entry.blocks for entry in index_entries(records, settings)]
    engine_pairs = set()
    for kind in ("person", "organization"):
        indices = np.array([i for i, r in enumerate(records) if r.kind == kind])
        table = build_features([records[i] for i in indices], kind, settings)
        for rule in settings.for_kind(kind).blocking_rules:
            rows, groups = rule_rows(table, rule)
            engine_pairs |= {
                (int(indices[a]), int(indices[b]))
                for g in np.unique(groups)
                for a in rows[groups == g]
                for b in rows[groups == g]
                if a < b
            }
    ours = {
        (a, b)
        for a in range(len(records))
        for b in range(a + 1, len(records))
        if digests[a].keys() & digests[b].keys()
    }
    assert ours == engine_pairs and (0, 3) in ours
