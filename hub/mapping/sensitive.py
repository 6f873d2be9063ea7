"""Sensitive fields: kept in the store for matching, masked wherever a value leaves it.

A mapping marks a field `sensitive`; a canonical field or attribute is sensitive
everywhere once any source marks it, so a value cannot leak through a second system
that forgot to say so. Exports, previews and API answers pass records through `mask`
unless the caller explicitly asks for sensitive values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from hub.config import RelhubConfig
from hub.mapping.engine import MASKED, ObjectMapper
from hub.mapping.spec import load_mapping
from hub.mapping.validate import compile_mapping

ATTRIBUTE_PREFIX = "attributes."


def sensitive_fields(mappers: Iterable[ObjectMapper]) -> frozenset[str]:
    """Canonical names (`birth_date`) and attributes (`attributes.salary`) to mask."""
    return frozenset(name for mapper in mappers for name in mapper.sensitive)


def configured_sensitive_fields(config: RelhubConfig) -> frozenset[str]:
    """What every source's mapping file marks sensitive."""
    return sensitive_fields(
        mapper
        for source in config.sources
        for mapper in compile_mapping(load_mapping(config.resolve_path(source.mapping))).values()
    )


def mask(fields: Mapping[str, Any], sensitive: frozenset[str]) -> dict[str, Any]:
    """A copy of a record's fields with every sensitive value (also under `attributes`)
    replaced by a marker; unset values stay unset so a reader still sees none was known."""
    masked = {
        name: MASKED if name in sensitive and value is not None else value
        for name, value in fields.items()
    }
    attributes = fields.get("attributes")
    if isinstance(attributes, Mapping):
        masked["attributes"] = {
            name: MASKED if f"{ATTRIBUTE_PREFIX}{name}" in sensitive else value
            for name, value in attributes.items()
        }
    return masked
