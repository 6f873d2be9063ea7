"""Store errors told apart: a value the database refuses is the record's fault; a lock,
a deadlock, a full disk or a lost connection is the store's, and fails the run.

A sync quarantines only the first kind. Taking the second for it would quarantine every
good record of the page and keep going, where the run should stop, say why, and be
retried (by Airflow, or by the operator) from its last committed page.
"""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

_UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
_MAX_REASON = 300


def is_record_fault(error: BaseException) -> bool:
    """Whether the database refused a value of the row it was given, so that the same row
    would be refused on any store in any state.

    A unique-key violation is not: a page holds each id once, so a duplicate key means
    another writer stored the same record meanwhile. A statement the driver never got
    (a value its column's type cannot bind) is."""
    if isinstance(error, IntegrityError):
        return not _unique_violation(error)
    if isinstance(error, DataError):
        return True
    return isinstance(error, StatementError) and not isinstance(error, DBAPIError)


def _unique_violation(error: DBAPIError) -> bool:
    if getattr(error.orig, "pgcode", None) == _UNIQUE_VIOLATION:
        return True
    return "UNIQUE constraint failed" in str(error.orig)


def error_line(error: BaseException) -> str:
    """One line for a run row or a terminal: the error's type and the database's own first
    line, never the SQL statement and its parameters (raw names, emails and phones)."""
    cause = error.orig if isinstance(error, StatementError) and error.orig is not None else error
    lines = str(cause).strip().splitlines()
    text = f"{type(cause).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= _MAX_REASON else text[: _MAX_REASON - 1] + "…"
