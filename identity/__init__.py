"""Relhub identity resolution: canonical records in, golden records out."""
