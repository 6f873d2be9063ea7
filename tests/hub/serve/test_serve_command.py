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
from sqlalchemy import QueuePool

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
    pool = app.state.context.engine.pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow) == (THREADS, 0)
    with TestClient(app) as client:
        limiter = client.portal.call(anyio.to_thread.current_default_thread_limiter)
        assert limiter.total_tokens == THREADS
