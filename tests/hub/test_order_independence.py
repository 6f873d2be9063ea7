"""The golden records are a function of the records, not of their history: the same rows
in three systems, synced in any order and in any increments with incremental resolves in
between, end as one full resolve of everything leaves them.

Compared by what the records are, not by golden id: an id follows its cluster's history
(a merge keeps the oldest id, a new cluster's id is minted from its smallest member key
at the time), so one cluster may legitimately carry another id after another history.
What must not differ is which records are one golden record, what each golden record
says, and the pairs linked or sent to review, with their evidence.

The model is the one thing a resolve learns from what it has seen: each history scores
with the model fitted on all the rows (as incremental resolves score with the last full
fit), and a final full refit must then find the full resolve's model and result too.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from identityfixtures import person
from sqlalchemy import Engine, select
from syncfixtures import MAPPING, write_rows

from hub.config import RelhubConfig, SourceConfig, load_config
from hub.resolve import resolve
from hub.resolve.fitted_models import load_models, save_models, settings_digest
from hub.store import runs
from hub.store.db import writing
from hub.store.identity_models import GoldenMemberRow, GoldenRecordRow, LinkRow, ReviewRow
from hub.store.migrate import open_store
from hub.sync import sync_source
from identity import FittedModel

SYSTEMS = ("crm", "hr", "web")
StoreMaker = Callable[[], AbstractContextManager[str]]


def variant(index: int, who: int, kind: int) -> dict[str, Any]:
    """Row `index` of person `who`, as a system might hold it: complete, with another
    mailbox, without an email, or with a typo in the family name."""
    values = person(index, who=who)
    if kind == 1:
        values["email"] = f"other.{who}@example.org"
    elif kind == 2:
        values["email"] = ""
    elif kind == 3:
        values["last"] = values["last"][:-1] + "x"
    return values


def write_company(folder: Path, rows: dict[str, list[dict[str, Any]]]) -> RelhubConfig:
    """One file source per system, each file holding the given rows (a prefix of its
    export), changed one second after another in file order."""
    sources = []
    for system in SYSTEMS:
        (folder / f"{system}.yaml").write_text(MAPPING.replace("system: shop", f"system: {system}"))
        stamped = [
            dict(values, updated=f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}Z")
            for n, values in enumerate(rows[system])
        ]
        write_rows(folder / f"{system}.csv", stamped)
        sources.append(
            f"  - name: {system}\n    type: file\n    mapping: {system}.yaml\n"
            f"    objects:\n      customers: {{path: {system}.csv}}\n"
        )
    (folder / "relhub.yaml").write_text("sources:\n" + "".join(sources))
    return load_config(folder / "relhub.yaml")


def source(config: RelhubConfig, system: str) -> SourceConfig:
    return next(s for s in config.sources if s.name == system)


def outcome(engine: Engine) -> dict[str, Any]:
    """Golden records by their member sets (fields, roles, lifecycle), and the linked and
    review pairs with their rule, weight and evidence."""
    with engine.connect() as connection:
        members: dict[str, set[str]] = {}
        for key, golden_id in connection.execute(
            select(GoldenMemberRow.record_key, GoldenMemberRow.golden_id)
        ):
            members.setdefault(golden_id, set()).add(key)
        golden = {
            frozenset(members[g.golden_id]): (
                g.entity_kind,
                g.member_count,
                g.fields,
                sorted(g.roles),
                g.lifecycle_stage,
                g.lifecycle,
            )
            for g in connection.execute(
                select(GoldenRecordRow).where(GoldenRecordRow.status == "active")
            )
        }
        pairs = {
            name: sorted(
                (
                    p.left_key,
                    p.right_key,
                    p.rule,
                    p.match_weight,
                    [(e["comparison"], e["level"], e["weight"]) for e in p.evidence],
                )
                for p in connection.execute(select(model))
            )
            for name, model in (("links", LinkRow), ("review", ReviewRow))
        }
    assert sum(len(m) for m in golden) == sum(len(m) for m in members.values())
    return {"golden": golden, **pairs}


def fitted_models(engine: Engine, config: RelhubConfig) -> dict[str, Any]:
    with engine.connect() as connection:
        models = load_models(connection, settings_digest(config.resolution)) or {}
    return {kind: model.to_dict() for kind, model in models.items()}


def install_models(engine: Engine, config: RelhubConfig, models: dict[str, Any]) -> None:
    """What a full resolve fitted elsewhere, stored as if fitted here."""
    run_id = runs.start_run(engine, "fit", None)
    with writing(engine) as connection:
        save_models(
            connection,
            {kind: FittedModel.from_dict(parameters) for kind, parameters in models.items()},
            settings_digest(config.resolution),
            run_id,
        )
    runs.finish_run(engine, run_id, {})


rows_strategy = st.lists(
    st.tuples(st.sampled_from(SYSTEMS), st.integers(0, 6), st.integers(0, 3)),
    min_size=2,
    max_size=16,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=rows_strategy, data=st.data())
def test_any_order_and_split_gives_the_full_resolve(
    store_maker: StoreMaker, rows: list[tuple[str, int, int]], data: st.DataObject
) -> None:
    """Each system's export grows in increments (a prefix of its rows each time); the
    increments of all systems come in a random interleaving, with or without a resolve
    after each."""
    exports: dict[str, list[dict[str, Any]]] = {system: [] for system in SYSTEMS}
    for index, (system, who, kind) in enumerate(rows):
        exports[system].append(variant(index, who, kind))
    cuts = {
        system: sorted(
            set(data.draw(st.lists(st.integers(1, len(export)), max_size=2), label=system))
            | {len(export)}
        )
        for system, export in exports.items()
        if export
    }
    order = data.draw(
        st.permutations([s for s, ends in cuts.items() for _ in ends]), label="sync order"
    )
    resolves = data.draw(st.lists(st.booleans(), min_size=len(order), max_size=len(order)))
    with TemporaryDirectory() as folder, store_maker() as whole, store_maker() as history:
        config = write_company(Path(folder), exports)
        reference = open_store(whole)
        for system in SYSTEMS:
            sync_source(config, reference, source(config, system))
        resolve(config, reference)
        expected, model = outcome(reference), fitted_models(reference, config)

        engine = open_store(history)
        install_models(engine, config, model)
        shown = {system: 0 for system in SYSTEMS}
        for system, resolve_after in zip(order, resolves, strict=True):
            end = cuts[system][shown[system]]
            shown[system] += 1
            write_company(Path(folder), {**exports, system: exports[system][:end]})
            sync_source(config, engine, source(config, system))
            if resolve_after:
                resolve(config, engine, refit=False)
        write_company(Path(folder), exports)
        resolve(config, engine, refit=False)
        assert outcome(engine) == expected

        resolve(config, engine, full=True)
        assert fitted_models(engine, config) == model
        assert outcome(engine) == expected
        for store in (reference, engine):
            store.dispose()
