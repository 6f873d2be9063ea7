"""Webhook signatures: HMAC-SHA256 of the timestamp and the raw body, under the
subscription's secret (the Stripe scheme).

Signing the timestamp with the body lets a receiver refuse a captured request replayed
later (`TOLERANCE_S`); signing the raw bytes, not a re-serialized document, leaves no
doubt about key order or whitespace. A receiver verifies with `verify` or the same three
lines in its own language (README: Change feed and webhooks).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TIMESTAMP_HEADER = "Relhub-Timestamp"
SIGNATURE_HEADER = "Relhub-Signature"
SCHEME = "v1"
TOLERANCE_S = 300  # a receiver refuses a request signed further than this from its clock
SECRET_PREFIX = "whsec_"
MIN_SECRET_LENGTH = 16


def new_secret() -> str:
    """A signing secret with 256 random bits."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The `Relhub-Signature` value: `v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={digest.hexdigest()}"


def signed_headers(secret: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    timestamp: str,
    body: bytes,
    presented: str,
    now: float,
    tolerance_s: int = TOLERANCE_S,
) -> bool:
    """Whether a request's headers sign its raw body under `secret`, within the tolerance
    of `now` (Unix seconds); compared in constant time."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance_s:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), presented)
