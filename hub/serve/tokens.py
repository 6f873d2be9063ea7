"""API tokens: minted once, stored as a SHA-256 of their secret, checked in constant time.

A token reads `rh_<id>_<secret>`: the id finds its row without comparing secrets in SQL
(an index lookup would leak timing), and `hmac.compare_digest` compares the hashes.
A serving process caches each verdict for a few seconds (`TokenCache`): a lookup per
request would cost a store round trip on every read; a revocation takes effect within
`CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, Row, insert, select, update

from hub.store.api_models import ApiTokenRow
from hub.store.db import utcnow, writing

PREFIX = "rh"
CACHE_SECONDS = 5.0
_CACHE_ENTRIES = 10_000
_SHAPE = re.compile(rf"^{PREFIX}_(\d{{1,18}})_([A-Za-z0-9_-]{{20,128}})$")


class Scope(StrEnum):
    """What a token may do. `admin` implies every other scope."""

    READ = "read"
    READ_SENSITIVE = "read:sensitive"
    MATCH = "match"
    STEWARD = "steward"
    ADMIN = "admin"


class TokenError(ValueError):
    """A token name or scope the store cannot accept."""


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None

    def grants(self, scope: Scope) -> bool:
        return scope in self.scopes or Scope.ADMIN in self.scopes


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _info(row: Row[Any]) -> TokenInfo:
    return TokenInfo(row.id, row.name, frozenset(row.scopes), row.created_at, row.revoked_at)


def parse_scopes(names: Iterable[str]) -> list[Scope]:
    known = {scope.value: scope for scope in Scope}
    wanted = [name.strip() for name in names if name.strip()]
    unknown = [name for name in wanted if name not in known]
    if unknown or not wanted:
        raise TokenError(
            f"unknown scope {', '.join(map(repr, unknown))}" if unknown else "no scope given"
        )
    return sorted({known[name] for name in wanted})


def create_token(engine: Engine, name: str, scopes: Iterable[str]) -> tuple[TokenInfo, str]:
    """A new token and its secret text, which is never shown again."""
    granted = parse_scopes(scopes)
    secret = secrets.token_urlsafe(32)
    with writing(engine) as connection:
        taken = connection.execute(select(ApiTokenRow.id).where(ApiTokenRow.name == name)).first()
        if taken is not None:
            raise TokenError(f"a token named {name!r} exists already")
        token_id = connection.execute(
            insert(ApiTokenRow)
            .values(
                name=name,
                secret_sha256=_digest(secret),
                scopes=[s.value for s in granted],
                created_at=utcnow(),
            )
            .returning(ApiTokenRow.id)
        ).scalar_one()
        row = connection.execute(select(ApiTokenRow).where(ApiTokenRow.id == token_id)).one()
    return _info(row), f"{PREFIX}_{token_id}_{secret}"


def list_tokens(engine: Engine) -> list[TokenInfo]:
    with engine.connect() as connection:
        rows = connection.execute(select(ApiTokenRow).order_by(ApiTokenRow.id))
        return [_info(row) for row in rows]


def revoke_token(engine: Engine, name: str) -> TokenInfo:
    with writing(engine) as connection:
        connection.execute(
            update(ApiTokenRow)
            .where(ApiTokenRow.name == name, ApiTokenRow.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
        row = connection.execute(select(ApiTokenRow).where(ApiTokenRow.name == name)).first()
    if row is None:
        raise TokenError(f"no token named {name!r}")
    return _info(row)


def verify(engine: Engine, presented: str) -> TokenInfo | None:
    """The live token this text is, or None (malformed, unknown, wrong secret, revoked)."""
    shape = _SHAPE.match(presented)
    if shape is None:
        return None
    with engine.connect() as connection:
        row = connection.execute(select(ApiTokenRow).where(ApiTokenRow.id == int(shape[1]))).first()
    if row is None or not hmac.compare_digest(row.secret_sha256, _digest(shape[2])):
        return None
    return None if row.revoked_at is not None else _info(row)


class TokenCache:
    """Recent verdicts by the digest of the presented text (the text itself is not kept)."""

    def __init__(self, seconds: float = CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._verdicts: dict[str, tuple[float, TokenInfo | None]] = {}

    def remembered(self, presented: str) -> tuple[bool, TokenInfo | None]:
        """(True, verdict) while a verdict on this text is fresh, else (False, None): the
        answer most requests get without touching the store."""
        cached = self._verdicts.get(_digest(presented))
        if cached is not None and time.monotonic() - cached[0] < self.seconds:
            return True, cached[1]
        return False, None

    def verify(self, engine: Engine, presented: str) -> TokenInfo | None:
        known, verdict = self.remembered(presented)
        if known:
            return verdict
        if len(self._verdicts) >= _CACHE_ENTRIES:
            self._verdicts.clear()
        verdict = verify(engine, presented)
        self._verdicts[_digest(presented)] = (time.monotonic(), verdict)
        return verdict
