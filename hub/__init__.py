"""Relhub hub: configuration, mapping engine, store, pipeline steps, CLI."""
