"""The fitted models a serving process scores `match` with, kept in memory and reloaded
when a full resolve stores new ones (checked at most every `CHECK_SECONDS`: the check is
one small query, a reload parses every model's term frequencies).

Loaded models are frozen out of the garbage collector's reach (`gc.freeze`): their term
frequencies are hundreds of thousands of objects that live until the next reload, and a
full collection walking them stalled every request of a worker (228 ms at a million
golden records, once every few hundred matches)."""

from __future__ import annotations

import gc
import threading
import time

from sqlalchemy import Engine, select

from hub.resolve.fitted_models import load_models, settings_digest
from hub.store.identity_models import FittedModelRow
from identity import FittedModel, ResolutionSettings

CHECK_SECONDS = 5.0


class FittedModels:
    def __init__(self, settings: ResolutionSettings) -> None:
        self.digest = settings_digest(settings)
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._version: tuple[tuple[str, int], ...] = ()
        self._models: dict[str, FittedModel] | None = None

    def current(self, engine: Engine) -> dict[str, FittedModel] | None:
        """The stored models by entity kind; None when none were fitted under these
        settings (a full resolve has not run since they changed)."""
        with self._lock:
            if time.monotonic() - self._checked < CHECK_SECONDS:
                return self._models
            with engine.connect() as connection:
                version = tuple(
                    (kind, run_id)
                    for kind, run_id in connection.execute(
                        select(FittedModelRow.entity_kind, FittedModelRow.run_id).order_by(
                            FittedModelRow.entity_kind
                        )
                    )
                )
                if version != self._version:
                    models = load_models(connection, self.digest)
                    self._models = models and {
                        kind: model.for_many_batches() for kind, model in models.items()
                    }
                    self._version = version
                    gc.freeze()
            self._checked = time.monotonic()
            return self._models

    def stale(self, engine: Engine) -> bool:
        """Whether the store holds models fitted under other settings: the index beside
        them was written under those too (a store never resolved holds neither)."""
        return self.current(engine) is None and bool(self._version)
