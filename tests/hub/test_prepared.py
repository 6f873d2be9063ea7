"""A prepared statement answers exactly as the statement itself (rows typed and named as
its columns, constants of its own kept), and PostgreSQL plans it once per connection."""

from __future__ import annotations

from sqlalchemy import bindparam, select, text

from hub.store.migrate import open_store
from hub.store.models import Run
from hub.store.prepared import Prepared, one_of
from hub.store.runs import start_run

RUNS = select(Run.id, Run.step, Run.started_at, Run.counts, Run.id.label("again")).where(
    Run.step == bindparam("step"), Run.status == "running"
)


def test_a_prepared_statement_answers_as_the_statement(store_url: str) -> None:
    engine = open_store(store_url)
    for step in ("sync", "resolve", "sync"):
        start_run(engine, step, step)
    prepared = Prepared("relhub_test_runs", RUNS)
    with engine.connect() as connection:
        for step in ("sync", "resolve", "push", "sync"):
            wanted = connection.execute(RUNS, {"step": step}).all()
            got = prepared.execute(connection, {"step": step}).all()
            assert got == wanted
            assert [row._mapping for row in got] == [row._mapping for row in wanted]
        assert got and got[0].started_at.tzinfo is not None and got[0].counts == {}
        if engine.dialect.name == "postgresql":
            names = connection.execute(text("SELECT name FROM pg_prepared_statements")).all()
            assert names == [("relhub_test_runs",)]  # prepared once on this connection
    engine.dispose()


def test_a_list_parameter_is_one_array_on_postgresql_and_expanded_elsewhere(
    store_url: str,
) -> None:
    engine = open_store(store_url)
    ids = {step: start_run(engine, step, step) for step in ("sync", "resolve", "push")}
    prepared = Prepared(
        "relhub_test_steps",
        *(select(Run.id).where(one_of(Run.step, "steps", array=pg)) for pg in (True, False)),
    )
    with engine.connect() as connection:
        for steps in ([], ["push"], ["sync", "resolve"], ["sync", "resolve", "push", "none"]):
            got = prepared.execute(connection, {"steps": steps}).scalars().all()
            assert sorted(got) == sorted(ids[step] for step in steps if step in ids)
    engine.dispose()
