"""`relhub.yaml`: which sources to sync, where the store lives, how to resolve.

Validated with pydantic on load; a mistake is reported as `file:line: field: why`.
Relative paths in the file are relative to the file's own folder, so a configuration
works from any working directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub.deletion_guard import DEFAULT_MAX_DELETION_SHARE
from hub.yamlfile import ConfigError, field_path, line_of, load_yaml, validate_document
from identity.settings import ResolutionSettings

DEFAULT_CONFIG_FILE = "relhub.yaml"
DEFAULT_DATABASE_URL = "sqlite:///relhub.db"
CONNECTOR_TYPES = ("file", "salesforce", "hubspot", "sql", "partnerstack", "bamboohr")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreConfig(_Strict):
    url: str | None = Field(default=None, description="SQLAlchemy URL; RELHUB_DATABASE_URL wins.")


class SourceConfig(_Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: str
    mapping: Path
    connection: str | None = Field(
        default=None, description="Airflow connection id (or RELHUB_CONN_<ID>_* variables)."
    )
    objects: dict[str, dict[str, Any]] = Field(default_factory=dict)
    pool: str | None = Field(
        default=None, description="Airflow pool bounding concurrent work on this system."
    )
    overlap_seconds: float = Field(default=300.0, ge=0)
    page_size: int | None = Field(
        default=None,
        ge=1,
        le=50_000,
        description="Records per page; default: the connector's own.",
    )
    mapping_workers: int = Field(
        default=min(2, os.cpu_count() or 1),
        ge=1,
        le=64,
        description="Processes mapping pages in parallel; 1 maps in the syncing process.",
    )
    max_deletion_share: float = Field(
        default=DEFAULT_MAX_DELETION_SHARE,
        ge=0,
        le=1,
        description="Largest share of an object's live records one sync may delete.",
    )
    options: dict[str, Any] = Field(default_factory=dict)
    schedule: str | None = Field(
        default=None,
        description="This source's own sync schedule (cron or preset; null: manual); "
        "unset: airflow.sync_schedule.",
    )

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in CONNECTOR_TYPES:
            raise ValueError(
                f"unknown connector type {value!r}; known: {', '.join(CONNECTOR_TYPES)}"
            )
        return value

    @field_validator("objects", mode="before")
    @classmethod
    def _objects_as_mapping(cls, value: Any) -> Any:
        """`objects: [Contact, Lead]` is shorthand for objects without options."""
        if isinstance(value, list):
            return {name: {} for name in value}
        return (
            {name: options or {} for name, options in value.items()}
            if isinstance(value, dict)
            else value
        )


class AirflowConfig(_Strict):
    sync_schedule: str | None = Field(
        default="@hourly", description="Cron or preset; null: manual."
    )
    pools: dict[str, int] = Field(
        default_factory=dict,
        description="Slots of each pool that sources name; a pool not listed gets 1 slot.",
    )

    @field_validator("pools")
    @classmethod
    def _positive_slots(cls, value: dict[str, int]) -> dict[str, int]:
        for name, slots in value.items():
            if slots < 1:
                raise ValueError(f"pool {name!r}: slots must be at least 1")
        return value


class ResolveConfig(_Strict):
    partitions: int = Field(
        default=1,
        ge=1,
        description="Above 1: the resolve DAG runs a partitioned full resolve, pair scoring "
        "spread over this many mapped tasks.",
    )


class RelhubConfig(_Strict):
    store: StoreConfig = Field(default_factory=StoreConfig)
    airflow: AirflowConfig = Field(default_factory=AirflowConfig)
    resolve: ResolveConfig = Field(default_factory=ResolveConfig)
    sources: list[SourceConfig] = Field(default_factory=list)
    resolution: ResolutionSettings = Field(default_factory=ResolutionSettings)
    push: dict[str, Any] = Field(default_factory=dict)
    api: dict[str, Any] = Field(default_factory=dict)

    path: Path = Field(default=Path(DEFAULT_CONFIG_FILE), exclude=True)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(self.path, None, "sources", f"no source named {name!r} (known: {known})")

    def sync_schedule(self, source: SourceConfig) -> str | None:
        """A source's own `schedule` when it sets one (null included), else the default."""
        if "schedule" in source.model_fields_set:
            return source.schedule
        return self.airflow.sync_schedule

    def resolve_path(self, path: Path | str) -> Path:
        path = Path(path)
        return path if path.is_absolute() else self.folder / path

    def database_url(self) -> str:
        return os.environ.get("RELHUB_DATABASE_URL") or self.store.url or DEFAULT_DATABASE_URL


def config_path(path: Path | str | None = None) -> Path:
    return Path(path or os.environ.get("RELHUB_CONFIG") or DEFAULT_CONFIG_FILE)


def load_config(path: Path | str | None = None) -> RelhubConfig:
    """Load and validate relhub.yaml (argument, else RELHUB_CONFIG, else ./relhub.yaml)."""
    file = config_path(path)
    if path is None and "RELHUB_CONFIG" not in os.environ and not file.exists():
        if "RELHUB_DATABASE_URL" in os.environ:  # a store named: its commands need no sources
            return RelhubConfig(path=file.resolve())
        raise ConfigError(
            file.resolve(),
            None,
            "",
            "no configuration here; run in the folder of your relhub.yaml, or name it with "
            "--config / RELHUB_CONFIG (a store alone: --database / RELHUB_DATABASE_URL)",
        )
    document = load_yaml(file)
    if document is None:
        document = {}
    if not isinstance(document, dict):
        raise ConfigError(file, 1, "", "expected a mapping at the top level")
    config = validate_document(RelhubConfig, document, file)
    names = [s.name for s in config.sources]
    for index, name in enumerate(names):
        if names.index(name) != index:
            location = ["sources", index, "name"]
            raise ConfigError(
                file,
                line_of(document, location),
                field_path(location),
                f"duplicate source {name!r}",
            )
    return config.model_copy(update={"path": file.resolve()})
