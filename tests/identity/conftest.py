"""The identity tests' shared population, built once a session."""

from __future__ import annotations

import pytest
from personfixtures import background

from identity.records import PersonRecord


@pytest.fixture(scope="session")
def population() -> list[PersonRecord]:
    return background(300)
