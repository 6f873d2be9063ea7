"""Successful answers as JSON bytes, straight from the rows' values.

Validating a whole answer through its pydantic model costs as much CPU as reading it from
the store; the models stay the OpenAPI schema (each route's `response_model`), and the
schemathesis test checks every answer against them instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import Response


def answer(content: Any, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), media_type="application/json", headers=headers)
