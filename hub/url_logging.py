"""urllib3's log lines without the paths and query strings of the URLs they name.

At DEBUG urllib3 logs every request's target (`"POST /hooks/T0/B0/secret HTTP/1.1"`), and
at WARNING the URL of a request it retries: a webhook URL's path or query can be its
credential (Slack's hooks are), and a SOQL query string carries record values. The scheme
and host stay, which is what a reader needs to tell the systems apart.
"""

from __future__ import annotations

import logging
import re

HIDDEN = "/[hidden]"
# The loggers urllib3 names a request's URL or target in (2.x).
_URLLIB3 = (
    "urllib3.connection",
    "urllib3.connectionpool",
    "urllib3.poolmanager",
    "urllib3.util.retry",
)
_URL = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s'\"]+)/[^\s'\")]*", re.IGNORECASE)
_TARGET = re.compile(r"(^|[\s'\"=(])/[^\s'\")]*")


class _HideTargets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        hidden = _TARGET.sub(rf"\1{HIDDEN}", _URL.sub(rf"\1{HIDDEN}", message))
        if hidden != message:
            record.msg, record.args = hidden, None
        return True


_FILTER = _HideTargets()


def hide_request_targets() -> None:
    """Filter urllib3's loggers, wherever the log goes (the CLI's stderr, an Airflow task
    log); installing it again changes nothing."""
    for name in _URLLIB3:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
