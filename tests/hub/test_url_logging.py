"""urllib3's log lines keep the scheme and host of a URL and hide its path and query."""

from __future__ import annotations

import logging

import pytest

from hub.url_logging import hide_request_targets


def test_urllib3_lines_name_hosts_but_no_paths_or_queries(
    caplog: pytest.LogCaptureFixture,
) -> None:
    for name in ("urllib3.connectionpool", "urllib3.poolmanager", "urllib3.util.retry"):
        caplog.set_level(logging.DEBUG, logger=name)  # whatever level an import gave them
    hide_request_targets()
    hide_request_targets()  # installing twice filters once
    pool = logging.getLogger("urllib3.connectionpool")
    pool.debug(
        '%s://%s:%s "%s %s %s" %s %s',
        "https",
        "h.example",
        443,
        "POST",
        "/T0/s3cret?k=v",
        "HTTP/1.1",
        200,
        2,
    )
    pool.warning(
        "Retrying (%r) after connection broken by '%r': %s", "Retry(total=0)", "err", "/T0/s3cret"
    )
    logging.getLogger("urllib3.poolmanager").info(
        "Redirecting %s -> %s", "https://a.example/x?t=s3cret", "http://b.example:8080/y"
    )
    logging.getLogger("urllib3.util.retry").debug(
        "Incremented Retry for (url='%s'): %r", "/T0/s3cret", "Retry(total=0)"
    )
    assert [r.getMessage() for r in caplog.records] == [
        'https://h.example:443 "POST /[hidden] HTTP/1.1" 200 2',
        "Retrying ('Retry(total=0)') after connection broken by ''err'': /[hidden]",
        "Redirecting https://a.example/[hidden] -> http://b.example:8080/[hidden]",
        "Incremented Retry for (url='/[hidden]'): 'Retry(total=0)'",
    ]
    assert len(pool.filters) == 1
