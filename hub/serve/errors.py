"""Every error the API answers with has one JSON shape: `{"error": code, "message": text}`
(422s add `problems`, one per bad field), so clients branch on `error`, people read
`message`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from hub.golden import UnknownGoldenId
from hub.review import DecisionError


class ErrorBody(BaseModel):
    error: str
    message: str


class Problem(BaseModel):
    where: str
    message: str


class ValidationErrorBody(ErrorBody):
    problems: list[Problem] = Field(
        default_factory=list, description="Per bad field; absent when no one field is at fault"
    )


class ApiError(Exception):
    """An answer other than success, with its status, code and message."""

    def __init__(
        self, status: int, error: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers


def error_response(
    status: int,
    error: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    return JSONResponse({"error": error, "message": message, **extra}, status, headers)


def _where(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


async def _invalid(_: Request, error: Exception) -> JSONResponse:
    """Where each problem is and what is wrong, never the offending value (it may be
    personal data)."""
    assert isinstance(error, RequestValidationError)
    problems = [{"where": _where(e["loc"]), "message": e["msg"]} for e in error.errors()]
    summary = "; ".join(f"{p['where']}: {p['message']}" for p in problems[:5])
    return error_response(422, "invalid_request", summary, problems=problems)


async def _api_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ApiError)
    return error_response(error.status, error.error, error.message, error.headers)


async def _http_error(_: Request, error: Exception) -> JSONResponse:
    """Starlette's own answers (no such path, wrong method) in the same shape."""
    assert isinstance(error, HTTPException)
    code = {400: "unreadable_body", 404: "not_found", 405: "method_not_allowed"}.get(
        error.status_code, "http_error"
    )
    return error_response(error.status_code, code, str(error.detail), error.headers)


async def _store_lost(_: Request, error: Exception) -> JSONResponse:
    """A connection the store dropped (a restart, a terminated backend): the read API's
    connections are not pinged before use, so the request that finds one answers 503, and
    SQLAlchemy renews the pool for the next. Any other database error is a server error."""
    assert isinstance(error, DBAPIError)
    if not error.connection_invalidated:
        raise error
    message = "the connection to the store was lost; retry"
    return error_response(503, "store_unavailable", message, {"Retry-After": "1"})


async def _unknown_golden(_: Request, error: Exception) -> JSONResponse:
    return error_response(404, "not_found", str(error))


async def _bad_decision(_: Request, error: Exception) -> JSONResponse:
    return error_response(422, "invalid_decision", str(error))


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DBAPIError, _store_lost)
    app.add_exception_handler(UnknownGoldenId, _unknown_golden)
    app.add_exception_handler(DecisionError, _bad_decision)


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorBody, "description": "A body that cannot be read (not UTF-8 JSON)"},
    401: {"model": ErrorBody, "description": "No token, or not a valid one"},
    403: {"model": ErrorBody, "description": "The token lacks the scope"},
    413: {"model": ErrorBody, "description": "Request body too large"},
    422: {"model": ValidationErrorBody, "description": "Malformed request"},
}
"""What every route may answer besides success, for the OpenAPI schema."""
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No golden record (or source record) by that id"}
}
