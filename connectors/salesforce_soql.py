"""SOQL literals and names, and Salesforce's dateTime text, for the connector's queries."""

from __future__ import annotations

import math
import re
from datetime import UTC, date, datetime
from typing import Any

from connectors.base import ConnectorError, parse_timestamp

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}


def soql_quote(value: Any) -> str:
    """A SOQL literal for `value`: strings quoted with the documented backslash escapes,
    dateTimes as unquoted UTC with milliseconds (SystemModstamp's precision)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"SOQL has no literal for {value}")
        return repr(value)
    if isinstance(value, datetime):
        stamp = value.replace(tzinfo=value.tzinfo or UTC).astimezone(UTC)
        return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
    if isinstance(value, date):
        return value.isoformat()
    if not isinstance(value, str):
        raise TypeError(f"no SOQL literal for {type(value).__name__}")
    escaped = "".join(
        _ESCAPES.get(c, f"\\u{ord(c):04x}" if ord(c) < 0x20 or ord(c) == 0x7F else c) for c in value
    )
    return f"'{escaped}'"


def soql_name(name: str) -> str:
    """An object or field name, refused unless it is a plain API name."""
    if not _NAME.match(name):
        raise ConnectorError(f"not a Salesforce API name: {name!r}")
    return name


def parse_sf_datetime(value: Any) -> datetime | None:
    """`2024-01-31T12:00:00.000+0000` (REST's shape) to an aware UTC datetime; None for a
    value that is not set or not a dateTime."""
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def rest_datetime(value: datetime) -> str:
    """The shape REST answers dateTimes in: `2024-01-31T12:00:00.000+0000`."""
    return soql_quote(value).removesuffix("Z") + "+0000"
