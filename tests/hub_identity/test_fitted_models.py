"""The model a full resolve fits is stored, scores every incremental resolve, and is
dropped (with a full resolve) when the resolution settings or the index's scheme change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from identityfixtures import Shop, person
from sqlalchemy import select

from hub.resolve import fitted_models
from hub.resolve.fitted_models import load_models, settings_digest
from hub.resolve.index import DIGEST_BYTES
from hub.store.identity_models import BlockingKeyRow, LinkRow


def _birth_date_weights(shop: Shop) -> dict[tuple[str, str], float]:
    """Each link's birth-date weight: log2(m / u) of the model, no term frequency."""
    with shop.engine.connect() as connection:
        return {
            (link.left_key, link.right_key): next(
                f["weight"] for f in link.evidence if f["comparison"] == "birth_date"
            )
            for link in connection.execute(select(LinkRow))
        }


def test_incremental_scores_with_the_stored_model(tmp_path: Path, store_url: str) -> None:
    shop = Shop(tmp_path, store_url, {i: person(i, who=i % 3) for i in range(6)})
    shop.cycle()
    with shop.engine.connect() as connection:
        stored = load_models(connection, settings_digest(shop.config.resolution))
    assert stored is not None and set(stored) == {"person"}
    assert 0 < stored["person"].prior < 1 and np.all(stored["person"].u["email"] > 0)
    before = _birth_date_weights(shop)
    shop.put(3, person(3, who=0, visits="5"))  # Ana's pair is re-scored, on 2 records
    report = shop.cycle()
    assert not report.full and report.resolved == 2
    after = _birth_date_weights(shop)
    assert after == before and after[(shop.key(0), shop.key(3))] > 1


def test_changed_settings_mean_a_full_resolve(tmp_path: Path, sqlite_url: str) -> None:
    shop = Shop(tmp_path, sqlite_url, {i: person(i, who=i % 3) for i in range(6)})
    shop.cycle()
    shop.config = shop.config.model_copy(
        update={"resolution": shop.config.resolution.model_copy(update={"match_probability": 0.98})}
    )
    shop.put(0, person(0, who=0, visits="2"))
    assert shop.cycle().full
    with shop.engine.connect() as connection:
        assert load_models(connection, settings_digest(shop.config.resolution)) is not None


def test_a_store_indexed_under_an_older_scheme_is_resolved_in_full_once(
    tmp_path: Path, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store whose models were fitted under another `INDEX_VERSION` (its block digests
    written another way) is resolved in full by its next resolve, which rewrites every
    digest; the one after is incremental again."""
    shop = Shop(tmp_path, sqlite_url, {i: person(i, who=i % 3) for i in range(6)})
    with monkeypatch.context() as older:
        older.setattr(fitted_models, "INDEX_VERSION", "block-texts-4")
        shop.cycle()
    with shop.engine.begin() as connection:  # the digests as the older scheme wrote them
        blocks = BlockingKeyRow.__table__
        connection.execute(blocks.update().values(block=blocks.c.block + blocks.c.block))
    shop.put(0, person(0, who=0, visits="2"))
    assert shop.cycle().full
    with shop.engine.connect() as connection:
        blocks = set(connection.execute(select(BlockingKeyRow.block)).scalars())
    assert blocks and {len(block) for block in blocks} == {2 * DIGEST_BYTES}
    shop.put(1, person(1, who=1, visits="3"))
    assert not shop.cycle().full
