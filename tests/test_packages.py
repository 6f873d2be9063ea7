"""PyPI has unrelated packages named `identity` and `connectors`: make sure ours load."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", ["connectors", "identity", "hub", "emulators", "workers"])
def test_package_is_this_repository(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None
    assert Path(module.__file__).resolve().parent == REPO / name
