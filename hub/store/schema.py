"""Imports every table module so `Base.metadata` knows the whole schema."""

from hub.store import (  # noqa: F401
    api_models,
    feed_models,
    identity_models,
    models,
    partition_models,
    push_models,
)
