"""Checks and samples of mapping files, before a sync: what `relhub mappings validate`
and `preview` report (kept out of the command so other callers get the same answers)."""

from __future__ import annotations

from itertools import islice
from typing import Any

from connectors.base import ConnectorError
from hub.config import RelhubConfig
from hub.connections import open_connector
from hub.mapping.engine import MappingError
from hub.mapping.sensitive import mask
from hub.mapping.spec import load_mapping
from hub.mapping.validate import check_against_schema, compile_mapping
from hub.sync import read_spec, stamp_problems
from hub.yamlfile import ConfigError


def mapping_problems(config: RelhubConfig, *, offline: bool) -> list[str]:
    """Every problem of every source's mapping: compile errors, then schema mismatches."""
    problems: list[str] = []
    for source in config.sources:
        try:
            mapping = load_mapping(config.resolve_path(source.mapping))
            compile_mapping(mapping)
        except ConfigError as error:
            problems.append(str(error))
            continue
        if mapping.system != source.name:
            problems.append(
                f"{mapping.path}: system: {mapping.system!r} does not match source {source.name!r}"
            )
        objects = list(source.objects) or list(mapping.objects)
        missing = [name for name in objects if name not in mapping.objects]
        problems.extend(f"{mapping.path}: objects: no mapping for object {n!r}" for n in missing)
        if offline:
            continue
        try:
            connector = open_connector(config, source)
            try:
                present = [n for n in objects if n not in missing]
                problems.extend(str(p) for p in stamp_problems(connector, mapping, present))
                for name in present:
                    schema = connector.discover(name)
                    problems.extend(str(p) for p in check_against_schema(mapping, name, schema))
            finally:
                connector.close()
        except (ConnectorError, ConfigError) as error:
            problems.append(f"{source.name}: cannot discover the schema: {error}")
    return problems


def preview_samples(
    config: RelhubConfig, source_name: str, object_name: str | None, limit: int
) -> tuple[str, list[dict[str, Any]]]:
    """The object previewed (default: the source's first) and up to `limit` of its records:
    the source fields the mapping reads and their canonical form, or the quarantine reason
    (sensitive values masked)."""
    source = config.source(source_name)
    mappers = compile_mapping(load_mapping(config.resolve_path(source.mapping)))
    name = object_name or next(iter(source.objects or mappers))
    if name not in mappers:
        raise ConfigError(source.mapping, None, "objects", f"no mapping for object {name!r}")
    mapper = mappers[name]
    connector = open_connector(config, source)
    samples: list[dict[str, Any]] = []
    try:
        pages = connector.read_changes(read_spec(mapper), None, full=True)
        for record in islice((r for page in pages for r in page.records), limit):
            used = mask(
                {f: record.fields.get(f) for f in mapper.mapping.source_fields()},
                mapper.sensitive_sources,
            )
            try:
                mapped = mask(
                    mapper.map(record).model_dump(mode="json", exclude_none=True),
                    mapper.sensitive,
                )
                samples.append({"id": record.id, "source": used, "canonical": mapped})
            except MappingError as error:
                samples.append({"id": record.id, "source": used, "quarantine": str(error)})
    finally:
        connector.close()
    return name, samples
