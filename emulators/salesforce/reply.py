"""One answer of the emulated API, before HTTP: status, body, headers and media type."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = "application/json;charset=UTF-8"


@dataclass(slots=True)
class Reply:
    status: int
    body: Any = None  # JSON-encoded, or sent as is when text (a Bulk API CSV page)
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = JSON
