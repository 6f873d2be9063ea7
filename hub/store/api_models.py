"""Tables of the read API: the tokens downstream apps authenticate with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hub.store.db import BigId, JSONType, UTCDateTime
from hub.store.models import Base


class ApiTokenRow(Base):
    """One API token: its name, the SHA-256 of its secret (the secret itself is shown once
    and never stored) and the scopes it grants. A revoked token keeps its row, so `relhub
    tokens list` still says who had access and when it ended."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
