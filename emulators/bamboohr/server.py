"""The emulator as a real HTTP server on loopback, in-process (tests) or blocking (CLI).

What BambooHR's edge does before the company's data is touched: the company domain in
the path (`/api/gateway.php/{company}/v1/...`), HTTP Basic with the API key as the user
name (any password), JSON only when asked for with `Accept: application/json`, and
throttling. BambooHR publishes no request limit; it answers an overloaded client with
503 and a `Retry-After` header. Limits and injected faults come from the same `Gate`
the HubSpot emulator uses: over the window or in a burst, 503 + Retry-After; injected
errors are 500 (internal) or 502 (gateway error), both documented statuses.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from emulators.bamboohr.api import CompanyApi, Reply, refuse
from emulators.bamboohr.seed import generate, load_data_file
from emulators.bamboohr.store import CompanyStore
from emulators.gate import EmulatorConfig, Gate, LoggedRequest, RequestLog, Verdict
from emulators.onboarding import print_setup
from emulators.serving import BackgroundServer

log = logging.getLogger(__name__)

DEFAULT_API_KEY = "bamboohr-emulator-key"
PREFIX = "/api/gateway.php/"


def default_config() -> EmulatorConfig:
    """BambooHR's limits are unpublished: 100 requests in any 10 s is this emulator's guess."""
    return EmulatorConfig(rate_limit=100, rate_window_s=10.0, retry_after_s=1.0)


class BambooHREmulator(BackgroundServer):
    """A running emulator: `with BambooHREmulator() as hr:`, then a client on `hr.api_root`."""

    def __init__(
        self,
        *,
        store: CompanyStore | None = None,
        config: EmulatorConfig | None = None,
        api_key: str = DEFAULT_API_KEY,
        directory_shared: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.store = store or CompanyStore()
        self.config = config or default_config()
        self.api_key = api_key
        self.log = RequestLog()
        self.gate = Gate(self.config)
        self.api = CompanyApi(self.store, directory_shared=directory_shared)
        server = ThreadingHTTPServer((host, port), _handler_for(self))
        server.daemon_threads = True
        self._host, self._port = host, server.server_port
        self._server = server

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}{PREFIX.rstrip('/')}"

    def credentials(self) -> dict[str, str]:
        """Connection fields for the connector against this company."""
        return {"company": self.store.company, "api_key": self.api_key, "base_url": self.base_url}

    @property
    def api_root(self) -> str:
        """Where the company's v1 endpoints live."""
        return f"{self.base_url}/{self.store.company}/v1"


def serve(
    port: int,
    data_file: Path | None,
    *,
    host: str = "127.0.0.1",
    api_key: str = DEFAULT_API_KEY,
    config: EmulatorConfig | None = None,
    people: int = 2_000,
) -> None:
    """Run until interrupted: seeded from `data_file`, or from the synthetic company."""
    store = CompanyStore()
    loaded = load_data_file(store, data_file) if data_file else len(generate(store, people=people))
    emulator = BambooHREmulator(store=store, config=config, api_key=api_key, host=host, port=port)
    log.info("BambooHR emulator on %s (%d employees)", emulator.api_root, loaded)
    print_setup("bamboohr", emulator.credentials())
    emulator.serve_until_interrupted(
        f"BambooHR emulator on {emulator.base_url}: company {store.company!r}, {loaded} employees"
    )


def _authorized(header: str, api_key: str) -> bool:
    """HTTP Basic with the API key as the user name; BambooHR ignores the password."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, _, _ = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return user == api_key


def _handler_for(emulator: BambooHREmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the default stderr access log; the request log is the record."""

        def _serve(self) -> None:
            started = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            reply, verdict = self._gatekeep(url.path)
            if reply is None:
                if emulator.config.latency_s > 0:
                    time.sleep(emulator.config.latency_s)
                route = unquote(url.path)[len(PREFIX) :].split("/", 2)[2]
                query = parse_qs(url.query, keep_blank_values=True)
                reply = emulator.api.handle(self.command, route, query, raw)
            emulator.log.add(
                LoggedRequest(
                    self.command,
                    url.path,
                    reply.status,
                    len(raw),
                    started,
                    time.monotonic() - started,
                    None,
                    verdict,
                )
            )
            self._send(reply, verdict)

        def _gatekeep(self, path: str) -> tuple[Reply | None, Verdict]:
            """Auth, company, format, limits and faults; a Reply means the request stops here."""
            if not _authorized(self.headers.get("Authorization", ""), emulator.api_key):
                return refuse(401, "The API key supplied in the request is invalid."), Verdict.PASS
            parts = unquote(path)[len(PREFIX) :].split("/", 2) if path.startswith(PREFIX) else []
            if len(parts) < 3 or parts[1] != "v1":
                return refuse(404, "Unknown API path."), Verdict.PASS
            if parts[0] != emulator.store.company:
                return refuse(404, f"Unknown company domain {parts[0]!r}."), Verdict.PASS
            if "application/json" not in self.headers.get("Accept", ""):
                return refuse(406, "This emulator answers Accept: application/json only."), (
                    Verdict.PASS
                )
            verdict, _ = emulator.gate.admit(search=False)
            if verdict in (Verdict.RATE_LIMITED, Verdict.THROTTLE_BURST):
                return refuse(503, "Service Unavailable: too many requests."), verdict
            if verdict is Verdict.SERVER_ERROR:
                return refuse(500, "Internal Server Error"), verdict
            if verdict is Verdict.UNAVAILABLE:
                return refuse(502, "Gateway Error"), verdict
            return None, verdict

        def _send(self, reply: Reply, verdict: Verdict) -> None:
            payload = b"" if reply.body is None else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            if payload:
                self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            if reply.error:
                self.send_header("X-BambooHR-Error-Message", reply.error)
            if reply.status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="BambooHR API"')
            if reply.status == 503 and emulator.config.retry_after_header:
                self.send_header("Retry-After", f"{emulator.config.retry_after_s:g}")
            self.end_headers()
            if verdict is Verdict.DROP:
                # Promise the whole body, send half, hang up: the client sees a broken read.
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(payload)

    return Handler
