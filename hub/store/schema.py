"""Imports every table module so `Base.metadata` knows the whole schema."""

from hub.store import api_models, feed_models, identity_models, models, push_models  # noqa: F401
