"""`relhub webhooks`: add shows a generated secret once, list and dead never show it, and
deliver, replay and remove work from the command line (exit codes included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from webhookfixtures import commit_events, receiving

from hub.store.migrate import open_store

REPO = Path(__file__).resolve().parents[2]


def _relhub(*args: str, url: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ, RELHUB_DATABASE_URL=url, PYTHONPATH=str(REPO), **env)
    environment.pop("RELHUB_CONFIG", None)
    return subprocess.run(
        [sys.executable, "-m", "hub", "webhooks", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
    )


def test_add_list_deliver_replay_remove(sqlite_url: str) -> None:
    engine = open_store(sqlite_url)
    with receiving() as receiver:
        added = _relhub("add", receiver.url, "--events", "created,golden.split", url=sqlite_url)
        assert added.returncode == 0, added.stderr
        receiver.secret = added.stdout.strip().splitlines()[-1]
        assert receiver.secret.startswith("whsec_") and "shown once" in added.stdout
        listed = _relhub("list", "--json", url=sqlite_url)
        assert receiver.secret not in listed.stdout
        [subscription] = json.loads(listed.stdout)
        assert subscription["events"] == ["golden.created", "golden.split"]
        assert (subscription["cursor"], subscription["pending"]) == (0, 0)

        commit_events(engine, 2)
        delivered = _relhub("deliver", url=sqlite_url)
        assert delivered.returncode == 0, delivered.stderr
        assert "2 events delivered in 1 requests" in delivered.stdout
        replayed = _relhub("replay", str(subscription["id"]), "--after", "1", url=sqlite_url)
        assert replayed.returncode == 0, replayed.stderr
        assert _relhub("deliver", url=sqlite_url).returncode == 0
        assert _relhub("remove", str(subscription["id"]), url=sqlite_url).returncode == 0
        commit_events(engine, 1)
        assert "0 events delivered" in _relhub("deliver", url=sqlite_url).stdout
    assert receiver.cursors == [1, 2, 2]
    assert all(request.signed for request in receiver.received)
    assert json.loads(_relhub("list", "--json", url=sqlite_url).stdout) == []


def test_a_secret_from_the_environment_is_used_and_not_shown(sqlite_url: str) -> None:
    secret = "whsec_from-the-environment-0123456789"
    with receiving() as receiver:
        receiver.secret = secret
        added = _relhub(
            "add",
            receiver.url,
            "-e",
            "all",
            "--secret-from-env",
            "HOOK_SECRET",
            url=sqlite_url,
            HOOK_SECRET=secret,
        )
        assert added.returncode == 0, added.stderr
        assert secret not in added.stdout + added.stderr
        commit_events(open_store(sqlite_url), 1)
        assert _relhub("deliver", url=sqlite_url).returncode == 0
    assert receiver.cursors == [1] and receiver.received[0].signed


def test_debug_logs_name_no_webhook_path_or_query(sqlite_url: str) -> None:
    with receiving() as receiver:
        added = _relhub("add", receiver.url, "-e", "all", url=sqlite_url)
        receiver.secret = added.stdout.strip().splitlines()[-1]
        commit_events(open_store(sqlite_url), 1)
        delivered = _relhub("deliver", "-v", "-v", url=sqlite_url)
    assert delivered.returncode == 0, delivered.stderr
    assert receiver.cursors == [1]
    logged = delivered.stderr
    assert "DEBUG urllib3.connectionpool" in logged  # -v -v shows the libraries' debug lines
    assert '"POST /[hidden] HTTP/1.1" 200' in logged
    assert "/hooks/relhub" not in logged and "path-credential" not in logged


def test_dead_letters_make_deliver_exit_1_and_are_listed(sqlite_url: str) -> None:
    with receiving() as receiver:
        added = _relhub("add", receiver.url, "-e", "created", url=sqlite_url)
        receiver.secret = added.stdout.strip().splitlines()[-1]
        receiver.statuses = [500]
        commit_events(open_store(sqlite_url), 1)
        failed = _relhub("deliver", "--max-attempts", "1", url=sqlite_url)
    assert failed.returncode == 1 and "1 events given up on" in failed.stdout
    [letter] = json.loads(_relhub("dead", "--json", url=sqlite_url).stdout)
    assert (letter["position"], letter["event"], letter["attempts"]) == (1, "golden.created", 1)
    assert letter["last_error"].startswith("HTTP 500 from 127.0.0.1:")
    assert receiver.secret not in json.dumps(letter)


def test_mistakes_are_one_line_and_exit_2(sqlite_url: str) -> None:
    unknown = _relhub("add", "https://example.com/h", "-e", "created,deleted", url=sqlite_url)
    assert unknown.returncode == 2 and "unknown event type 'golden.deleted'" in unknown.stderr
    bad_url = _relhub("add", "ftp://example.com/h", "-e", "all", url=sqlite_url)
    assert bad_url.returncode == 2 and "http:// or https://" in bad_url.stderr
    unset = _relhub(
        "add", "https://example.com/h", "-e", "all", "--secret-from-env", "NOPE_X", url=sqlite_url
    )
    assert unset.returncode == 2 and "NOPE_X is not set" in unset.stderr
    short = _relhub(
        "add",
        "https://example.com/h",
        "-e",
        "all",
        "--secret-from-env",
        "S",
        url=sqlite_url,
        S="short",
    )
    assert short.returncode == 2 and "16 to 128 characters (this one has 5)" in short.stderr
    assert "short" not in short.stderr.replace("(this one has 5)", "")
    missing = _relhub("remove", "7", url=sqlite_url)
    assert missing.returncode == 2 and "no webhook subscription 7" in missing.stderr
    assert "Traceback" not in unknown.stderr + bad_url.stderr + missing.stderr
