"""Imports every table module so `Base.metadata` knows the whole schema."""

from hub.store import models  # noqa: F401
