"""A full resolve run partitioned (prepare, one scoring step per range of blocks, finish)
leaves what the plain full resolve leaves: the same golden records and ids, members,
links and review pairs with their evidence, and the same blocking index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from identityfixtures import Shop, person
from sqlalchemy import func, select
from typer.testing import CliRunner

from hub.cli import app
from hub.resolve import resolve
from hub.resolve.partitioned import (
    PartitionedResolveError,
    finish,
    prepare,
    resolve_partitioned,
    score_partition,
)
from hub.resolve.step import full_resolve_due
from hub.steps import INCREMENTAL_TASK, PREPARE_TASK, resolve_route
from hub.store.partition_models import ResolvePlanRow, ScoredPairRow


def rows() -> dict[int, dict[str, Any]]:
    """Sixty rows of 23 people, most of them twice or three times; some rows with another
    name, birth date or surname spelling, so there are links and review pairs."""
    found = {i: person(i, who=i % 23) for i in range(60)}
    for index, who, changes in (
        (30, 7, {"first": "Hugh"}),
        (41, 18, {"born": "1990-01-01"}),
        (52, 6, {"last": "Cano Prieta"}),
    ):
        found[index] = {**person(index, who=who), **changes}
    return found


@pytest.fixture
def plain(tmp_path: Path) -> dict[str, Any]:
    """The plain full resolve's store, on SQLite: what every partitioned run must leave."""
    (tmp_path / "plain").mkdir()
    shop = Shop(tmp_path / "plain", f"sqlite:///{tmp_path / 'plain.db'}", rows())
    shop.cycle(full=True)
    return shop.state()


@pytest.fixture
def shop(tmp_path: Path, store_url: str) -> Shop:
    (tmp_path / "partitioned").mkdir()
    synced = Shop(tmp_path / "partitioned", store_url, rows())
    synced.sync()
    return synced


def scored_pairs(shop: Shop) -> list[tuple[Any, ...]]:
    with shop.engine.connect() as connection:
        return sorted(connection.execute(select(ScoredPairRow)).tuples())


@pytest.mark.parametrize("partitions", [1, 2, 3])
def test_a_partitioned_full_resolve_equals_the_plain_one(
    shop: Shop, plain: dict[str, Any], partitions: int
) -> None:
    report = resolve_partitioned(shop.config, shop.engine, partitions)
    state = shop.state()
    assert report.full and report.golden_records == len({g for _, g in state["members"]})
    assert state == plain
    assert plain["links"] and plain["review"] and len(plain["golden"]) < 60
    assert scored_pairs(shop) == []  # the run's hand-over rows go with it
    again = resolve_partitioned(shop.config, shop.engine, partitions, refit=False)
    assert shop.state() == plain and again.minted == 0
    incremental = resolve(shop.config, shop.engine)  # the stored model and marks carry on
    assert not incremental.full and incremental.changed == 0 and shop.state() == plain


def test_a_retried_partition_keeps_what_its_first_attempt_kept(
    shop: Shop, plain: dict[str, Any]
) -> None:
    planned = prepare(shop.config, shop.engine, 2, refit=True)
    assert [p["partition"] for p in planned] == [0, 1]
    first = [score_partition(shop.config, shop.engine, **p) for p in planned]
    kept = scored_pairs(shop)
    assert kept and sum(f["kept"] for f in first) == len(kept)
    assert score_partition(shop.config, shop.engine, **planned[1]) == first[1]
    assert scored_pairs(shop) == kept
    finish(shop.config, shop.engine, planned[0]["run_id"])
    assert shop.state() == plain


def test_finish_refuses_unscored_partitions_and_an_interrupted_run(shop: Shop) -> None:
    planned = prepare(shop.config, shop.engine, 2, refit=True)
    run_id = planned[0]["run_id"]
    score_partition(shop.config, shop.engine, **planned[0])
    with pytest.raises(PartitionedResolveError, match="partitions 1 not scored"):
        finish(shop.config, shop.engine, run_id)
    with pytest.raises(PartitionedResolveError, match="not 7"):
        score_partition(shop.config, shop.engine, run_id, 7)
    report = resolve(shop.config, shop.engine)  # another resolve meanwhile
    assert report.full  # the stored model went with the unfinished plan
    with pytest.raises(PartitionedResolveError, match=f"resolve run {run_id} is interrupted"):
        score_partition(shop.config, shop.engine, **planned[1])
    with pytest.raises(PartitionedResolveError, match="is interrupted"):
        finish(shop.config, shop.engine, run_id)
    prepare(shop.config, shop.engine, 1)
    with shop.engine.connect() as connection:
        plans = connection.execute(select(func.count()).select_from(ResolvePlanRow)).scalar()
    assert plans == 1  # the unfinished run's plan is gone


def test_relhub_resolve_full_with_partitions(
    shop: Shop, plain: dict[str, Any], store_url: str
) -> None:
    args = ["--database", store_url, "resolve", "--config", str(shop.config.path)]
    refused = CliRunner().invoke(app, [*args, "--partitions", "2"])
    assert refused.exit_code == 2 and "needs" in refused.output
    done = CliRunner().invoke(app, [*args, "--full", "--partitions", "3", "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["full"] and shop.state() == plain


def test_the_resolve_dag_partitions_only_the_resolves_that_must_take_everything(
    shop: Shop, store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DAG's branch: a first resolve (and one under new settings) is the partitioned
    full one; after it, runs stay incremental."""
    monkeypatch.setenv("RELHUB_DATABASE_URL", store_url)
    config_file = str(shop.config.path)
    assert full_resolve_due(shop.config, shop.engine)
    assert resolve_route(config_file=config_file) == PREPARE_TASK
    resolve_partitioned(shop.config, shop.engine, 2)
    assert not full_resolve_due(shop.config, shop.engine)
    assert resolve_route(config_file=config_file) == INCREMENTAL_TASK
    changed = shop.config.resolution.model_copy(update={"review_probability": 0.6})
    new_settings = shop.config.model_copy(update={"resolution": changed})
    assert full_resolve_due(new_settings, shop.engine)
