"""A subscriber's endpoint on loopback, a settable clock, and feed events to deliver."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import Engine

from hub.feed.record import ChangeRecorder
from hub.store import runs
from hub.store.db import utcnow, writing

PATH = "/hooks/relhub?key=path-credential"  # a URL whose path is a credential, as Slack's


@dataclass(frozen=True)
class Received:
    timestamp: str
    signature: str
    body: bytes
    signed: bool  # the signature verified, by the README's recipe

    @property
    def cursors(self) -> list[int]:
        return [int(event["cursor"]) for event in json.loads(self.body)["events"]]

    @property
    def events(self) -> list[dict[str, Any]]:
        return list(json.loads(self.body)["events"])


class Receiver:
    """Verifies each POST's signature as the README tells receivers to (HMAC-SHA256 of
    `<timestamp>.<raw body>`, hex, after `v1=`), answers 401 to a bad one, else the next
    scripted status (200 once the script is used up), with `retry_after` on a 429 or 503."""

    def __init__(self) -> None:
        self.secret = ""
        self.statuses: list[int] = []
        self.retry_after: str | None = None  # sent with a scripted 429 or 503
        self.received: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                timestamp = self.headers.get("Relhub-Timestamp", "")
                presented = self.headers.get("Relhub-Signature", "")
                expected = hmac.new(
                    receiver.secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
                ).hexdigest()
                signed = hmac.compare_digest(f"v1={expected}", presented)
                receiver.received.append(Received(timestamp, presented, body, signed))
                status = (receiver.statuses.pop(0) if receiver.statuses else 200) if signed else 401
                self.send_response(status)
                if status in (429, 503) and receiver.retry_after is not None:
                    self.send_header("Retry-After", receiver.retry_after)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{PATH}"

    @property
    def cursors(self) -> list[int]:
        """Every event cursor received, in the order received (acknowledged or not)."""
        return [cursor for request in self.received for cursor in request.cursors]


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


class Clock:
    """The deliverer's time, moved by the test instead of slept through."""

    def __init__(self) -> None:
        self.now: datetime = utcnow().replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def commit_events(engine: Engine, count: int, split_every: int = 0) -> None:
    """One run committing `count` events: golden records created, every `split_every`-th
    split off another instead."""
    run_id = runs.start_run(engine, "feed-test", None)
    rows = [
        {
            "golden_id": f"g{run_id}-{n}",
            "entity_kind": "person",
            "roles": [],
            "lifecycle_stage": None,
        }
        for n in range(count)
    ]
    splits = {
        row["golden_id"]: "g-origin"
        for n, row in enumerate(rows)
        if split_every and n % split_every == split_every - 1
    }
    with writing(engine) as connection:
        recorder = ChangeRecorder(connection, run_id)
        recorder.written({}, rows, splits)
        recorder.commit()
