"""Relhub connectors: one module per external system, on a shared base."""
