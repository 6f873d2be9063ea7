"""One resolved desk store per module and database, shared by its read-only tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from deskfixtures import Desk, build_desk

__all__ = ["desk"]


@pytest.fixture(scope="module")
def desk(module_store_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    built = build_desk(tmp_path_factory.mktemp("desk"), module_store_url)
    yield built
    built.engine.dispose()
