"""Tokens: shown once, stored hashed, refused once revoked; `relhub tokens` around them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hub.serve.app import create_app
from hub.serve.tokens import Scope, TokenError, create_token, revoke_token, verify
from hub.store.api_models import ApiTokenRow
from hub.store.migrate import open_store

REPO = Path(__file__).resolve().parents[3]


def test_a_token_is_stored_as_a_hash_and_verified(store_url: str) -> None:
    engine = open_store(store_url)
    info, text = create_token(engine, "billing", ["read", "match"])
    assert info.scopes == {"read", "match"}
    secret = text.split("_", 2)[2]
    with engine.connect() as connection:
        stored = connection.execute(select(ApiTokenRow.secret_sha256)).scalar_one()
    assert stored == hashlib.sha256(secret.encode()).hexdigest() and secret not in stored
    found = verify(engine, text)
    assert found is not None and found.grants(Scope.MATCH) and not found.grants(Scope.STEWARD)
    assert verify(engine, text[:-1] + ("A" if text[-1] != "A" else "B")) is None
    revoke_token(engine, "billing")
    assert verify(engine, text) is None


def test_admin_grants_every_scope(store_url: str) -> None:
    engine = open_store(store_url)
    _, text = create_token(engine, "ops", ["admin"])
    found = verify(engine, text)
    assert found is not None and all(found.grants(scope) for scope in Scope)


@pytest.mark.parametrize("scopes", [["reader"], [], ["read", "root"]])
def test_unknown_or_no_scopes_are_refused(sqlite_url: str, scopes: list[str]) -> None:
    with pytest.raises(TokenError):
        create_token(open_store(sqlite_url), "x", scopes)


def test_a_revoked_token_is_refused_by_a_running_app(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    _, text = create_token(engine, "app", ["read"])
    client = TestClient(create_app(engine, token_cache_seconds=0))
    headers = {"Authorization": f"Bearer {text}"}
    assert client.get("/v1/golden/G1", headers=headers).status_code == 404
    revoke_token(engine, "app")
    assert client.get("/v1/golden/G1", headers=headers).status_code == 401


def _relhub(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, RELHUB_DATABASE_URL=url, PYTHONPATH=str(REPO))
    env.pop("RELHUB_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "hub", *args], capture_output=True, text=True, env=env, cwd=REPO
    )


def test_the_tokens_command(sqlite_url: str) -> None:
    created = _relhub("tokens", "create", "crm-sync", "-s", "read", "-s", "match", url=sqlite_url)
    assert created.returncode == 0, created.stderr
    text = created.stdout.strip().splitlines()[-1]
    assert verify(open_store(sqlite_url), text) is not None
    again = _relhub("tokens", "create", "crm-sync", "-s", "read", url=sqlite_url)
    assert again.returncode == 2 and "exists already" in again.stderr
    wrong = _relhub("tokens", "create", "x", "-s", "everything", url=sqlite_url)
    assert wrong.returncode == 2 and "unknown scope 'everything'" in wrong.stderr
    assert _relhub("tokens", "revoke", "crm-sync", url=sqlite_url).returncode == 0
    listed = json.loads(_relhub("tokens", "list", "--json", url=sqlite_url).stdout)
    assert [(t["name"], t["scopes"], t["revoked_at"] is not None) for t in listed] == [
        ("crm-sync", ["match", "read"], True)
    ]
    assert text not in json.dumps(listed)
    missing = _relhub("tokens", "revoke", "nobody", url=sqlite_url)
    assert missing.returncode == 2 and "no token named 'nobody'" in missing.stderr
