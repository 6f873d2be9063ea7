"""The push step as the CLI and the DAGs call it: build the outbox, then drain targets."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine

from hub.config import RelhubConfig, SourceConfig
from hub.push.drain import Progress, PushReport, push_source
from hub.push.outbox import BuildReport, build_outbox
from hub.push.targets import source_targets


def push_sources(config: RelhubConfig, names: Sequence[str] = ()) -> list[SourceConfig]:
    """The named sources (all by default) that have a push section; an unknown name fails."""
    chosen = [config.source(n) for n in names] if names else config.sources
    return [s for s in chosen if source_targets(config, s)]


def push(
    config: RelhubConfig,
    engine: Engine,
    names: Sequence[str] = (),
    *,
    limit: int | None = None,
    progress: Progress | None = None,
) -> tuple[BuildReport, list[PushReport]]:
    """Queue what the resolves since the last push changed, then send it, target by target."""
    built = build_outbox(config, engine, progress=progress)
    reports = [
        push_source(config, engine, source, limit=limit, progress=progress)
        for source in push_sources(config, names)
    ]
    return built, reports
