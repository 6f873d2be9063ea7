"""Fitted-model persistence: a full resolve stores the models it fitted, under a digest of
the settings they were fitted with; an incremental resolve scores with them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from sqlalchemy import Connection, delete, select

from hub.resolve.index import INDEX_VERSION
from hub.store.bulk import insert_rows
from hub.store.identity_models import (
    FittedModelRow,
)
from identity import (
    KINDS,
    STORED_FORM,
    FittedModel,
    ResolutionSettings,
    feature_layout,
)


def settings_digest(settings: ResolutionSettings) -> str:
    """Which resolution settings a model was fitted under: any change (a comparison, a
    threshold, a survivorship rule) can change every golden record, so it calls for a
    full resolve rather than an incremental one on stale parameters. The blocking index's
    digest scheme, the layout of the stored features and the stored form of a model are
    part of it: a store indexed or fitted otherwise is resolved in full once."""
    layouts = json.dumps({kind: feature_layout(kind) for kind in KINDS})
    text = INDEX_VERSION + layouts + STORED_FORM + settings.model_dump_json()
    return hashlib.sha256(text.encode()).hexdigest()


def save_models(
    connection: Connection, models: Mapping[str, FittedModel], digest: str, run_id: int
) -> None:
    """Replace the stored models with the ones a full resolve just fitted."""
    table = FittedModelRow.__table__
    connection.execute(delete(table))
    insert_rows(
        connection,
        table,
        [
            {
                "entity_kind": kind,
                "settings_digest": digest,
                "run_id": run_id,
                "parameters": model.to_dict(),
            }
            for kind, model in models.items()
        ],
    )


def load_models(connection: Connection, digest: str) -> dict[str, FittedModel] | None:
    """The stored models by entity kind; None if there are none or any was fitted under
    other settings (JSON keeps a float64 exactly, so the weights are the full run's)."""
    rows = connection.execute(
        select(
            FittedModelRow.entity_kind, FittedModelRow.settings_digest, FittedModelRow.parameters
        )
    ).all()
    if not rows or any(row.settings_digest != digest for row in rows):
        return None
    return {kind: FittedModel.from_dict(parameters) for kind, _, parameters in rows}
