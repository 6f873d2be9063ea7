"""Golden ids for a resolve's clusters, by the engine's rules (`identity.assign_golden_ids`:
ids follow their members, a merge keeps the id created first), with ids minted against
every id the store ever issued, so a minted id never names a golden record merged away."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import Connection

from hub.resolve.identity_tables import creation_runs, golden_id_taken
from identity import GoldenIdAssignment, assign_golden_ids, mint_golden_id


def golden_ids(
    connection: Connection,
    keys: Sequence[str],
    labels: np.ndarray,
    old_ids: dict[str, str],
    *,
    preload: bool,
) -> tuple[dict[str, str], GoldenIdAssignment, dict[str, int]]:
    """Each record's golden id (records under `keys`, clustered by the engine's `labels`,
    `old_ids` what they held), the assignment's merges, splits and mints, and the runs
    that created the ids kept. `preload`: read every issued id at once (a full resolve
    mints for most clusters)."""
    clusters = {key: int(label) for key, label in zip(keys, labels, strict=True)}
    ages = creation_runs(connection, set(old_ids.values()))
    taken = golden_id_taken(connection, preload=preload)

    def mint(members: list[str], known: set[str]) -> str:
        while (candidate := mint_golden_id(members, known)) and taken(candidate):
            known.add(candidate)
        return candidate

    assignment = assign_golden_ids(clusters, old_ids, age=ages, mint=mint)
    ids = {key: assignment.ids[label] for key, label in clusters.items()}
    return ids, assignment, ages
