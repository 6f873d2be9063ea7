"""Survivorship's reads of a full resolve: records by row id, as they are read by key."""

from __future__ import annotations

from pathlib import Path

from identityfixtures import Shop, person
from sqlalchemy import select

from hub.resolve.source_records import RowReader, live_records, load_keys
from hub.store.models import SourceRecordRow


def test_records_read_by_row_id_are_the_records_read_by_key(tmp_path: Path, store_url: str) -> None:
    shop = Shop(tmp_path, store_url, {i: person(i, who=i % 3) for i in range(8)})
    shop.delete(5)
    shop.sync()
    with shop.engine.connect() as connection:
        ids, keys, _ = live_records(connection)
        wanted = [shop.key(i) for i in (6, 0, 3)]
        read = RowReader(dict(zip(keys, ids, strict=True)))
        assert read(connection, wanted) == load_keys(connection, wanted).records
        assert shop.key(5) not in keys
        deleted_row = connection.execute(
            select(SourceRecordRow.id).where(SourceRecordRow.source_id == "C000005")
        ).scalar_one()
        gone = RowReader({shop.key(5): deleted_row})
        assert gone(connection, [shop.key(5)]) == {}  # the resolve then fails on the key
