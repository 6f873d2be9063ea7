"""`relhub serve` itself: uvicorn with two workers on loopback, real HTTP, and an access
log that names routes but carries no token, no email and no query string."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio.to_thread
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import QueuePool, create_engine, text

from hub.serve.app import app_from_environment
from hub.serve.context import THREADS
from hub.serve.tokens import create_token
from hub.store.migrate import open_store

REPO = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_serve_answers_over_http_and_logs_no_personal_data(sqlite_url: str) -> None:
    _, token = create_token(open_store(sqlite_url), "ops", ["read"])
    port = _free_port()
    env = dict(os.environ, RELHUB_DATABASE_URL=sqlite_url, PYTHONPATH=str(REPO))
    env.pop("RELHUB_CONFIG", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                schema = httpx.get(f"{base}/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.3)
        assert schema.status_code == 200
        assert all(path.startswith("/v1/") for path in schema.json()["paths"])
        headers = {"Authorization": f"Bearer {token}"}
        missing = httpx.get(f"{base}/v1/golden/G404", headers=headers)
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
        searched = httpx.get(
            f"{base}/v1/search", params={"email": "secret.person@example.com"}, headers=headers
        )
        assert searched.status_code == 200 and searched.json()["results"] == []
        assert httpx.get(f"{base}/v1/search", params={"email": "x@y.com"}).status_code == 401
    finally:
        server.terminate()
        _, log = server.communicate(timeout=30)
    assert "GET /v1/golden/{golden_id} 404" in log
    assert "GET /v1/search 200" in log and "GET /v1/search 401" in log
    assert "secret.person" not in log and "G404" not in log and token not in log


def test_a_worker_has_a_connection_for_each_of_its_threads(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default pool (5 kept, 10 more closed as they come back) under anyio's 40
    threads had busy workers queueing for connections and connecting again and again."""
    monkeypatch.setenv("RELHUB_DATABASE_URL", sqlite_url)
    monkeypatch.delenv("RELHUB_CONFIG", raising=False)
    app = app_from_environment()
    pool = app.state.context.reader.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow) == (THREADS, 0)
    with TestClient(app) as client:
        limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
        assert limiter.total_tokens == THREADS


def test_reads_autocommit_unpinged_and_a_lost_connection_is_one_503(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reader's connections skip BEGIN, ROLLBACK and the ping; a connection the server
    dropped fails the request that finds it (503, retry), and the next one reads again."""
    monkeypatch.setenv("RELHUB_DATABASE_URL", postgres_url)
    monkeypatch.delenv("RELHUB_CONFIG", raising=False)
    app = app_from_environment()
    reader = app.state.context.reader
    assert not reader.pool._pre_ping
    _, token = create_token(open_store(postgres_url), "reader", ["read"])
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        assert client.get("/v1/golden/G1", headers=headers).status_code == 404  # pooled now
        with reader.connect() as connection:
            assert connection.connection.dbapi_connection.autocommit  # type: ignore[union-attr]
        with create_engine(postgres_url).connect() as connection:  # the pooled ones are killed
            killed = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE application_name = current_setting('application_name')"
                    " AND pid <> pg_backend_pid()"
                )
            ).scalar()
        assert killed and killed >= 1
        lost = client.get("/v1/golden/G1", headers=headers)
        assert lost.status_code == 503 and lost.headers["Retry-After"] == "1"
        assert lost.json()["error"] == "store_unavailable"
        assert client.get("/v1/golden/G1", headers=headers).status_code == 404
