"""The emulator as a real HTTP server on loopback, in-process (tests) or blocking (CLI).

hubspot-api-client talks through urllib3, so tests need a socket, not a mock. The
handler does what HubSpot's edge does before the CRM sees a request: private-app bearer
token check, URL length limit, rate limits and injected faults, rate-limit headers.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from emulators.gate import EmulatorConfig, Gate, LoggedRequest, RequestLog, Verdict
from emulators.hubspot.api import CrmApi, Reply, error_body
from emulators.hubspot.seed import generate, load_data_file
from emulators.hubspot.store import CrmStore
from emulators.hubspot.tiers import tier_config
from emulators.onboarding import print_setup
from emulators.serving import BackgroundServer

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "pat-emulator-token"

_NO_AUTH = "Authentication credentials not found. This API supports OAuth 2.0 authentication."
_POLICY_MESSAGES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "SECONDLY": "You have reached your secondly limit.",
    "DAILY": "You have reached your daily limit.",
}
_POLICIES = {
    Verdict.RATE_LIMITED: "TEN_SECONDLY_ROLLING",
    Verdict.THROTTLE_BURST: "TEN_SECONDLY_ROLLING",
    Verdict.SEARCH_RATE_LIMITED: "SECONDLY",
    Verdict.DAILY_LIMITED: "DAILY",
}


def rate_limited(policy: str) -> Reply:
    """HubSpot's documented 429 body: `errorType` RATE_LIMIT and the `policyName` hit."""
    body = {
        "status": "error",
        "message": _POLICY_MESSAGES[policy],
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": policy,
        "requestId": str(uuid.uuid4()),
    }
    return Reply(429, body)


class HubSpotEmulator(BackgroundServer):
    """A running emulator: `with HubSpotEmulator() as hub:`, then a client on `hub.base_url`."""

    def __init__(
        self,
        *,
        store: CrmStore | None = None,
        config: EmulatorConfig | None = None,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.store = store or CrmStore()
        self.config = config or tier_config("professional")
        self.token = token
        self.log = RequestLog()
        self.gate = Gate(self.config)
        self.api = CrmApi(self.store, lambda: self.base_url)
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def credentials(self) -> dict[str, str]:
        """Connection fields for the connector against this portal."""
        return {"access_token": self.token, "base_url": self.base_url}


def serve(
    port: int,
    data_file: Path | None,
    *,
    host: str = "127.0.0.1",
    token: str = DEFAULT_TOKEN,
    config: EmulatorConfig | None = None,
    contacts: int = 200,
    companies: int = 40,
) -> None:
    """Run until interrupted: seeded from `data_file`, or generated records when it is None."""
    store = CrmStore()
    if data_file is not None:
        load_data_file(store, data_file)
    else:
        generate(store, contacts=contacts, companies=companies)
    emulator = HubSpotEmulator(store=store, config=config, token=token, host=host, port=port)
    log.info("HubSpot emulator on %s", emulator.base_url)
    print_setup("hubspot", emulator.credentials())
    emulator.serve_until_interrupted(f"HubSpot emulator on {emulator.base_url}")


def _handler_for(emulator: HubSpotEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms stalls

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the default stderr access log; the request log is the record."""

        def _serve(self) -> None:
            started = time.monotonic()
            self._remaining = emulator.config.rate_limit
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            body: Any = None
            items: int | None = None
            reply, verdict = self._gatekeep(url.path)
            if reply is None:
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    reply = Reply(400, error_body("VALIDATION_ERROR", "Invalid input JSON"))
                else:
                    if isinstance(body, dict) and isinstance(body.get("inputs"), list):
                        items = len(body["inputs"])
                    if emulator.config.latency_s > 0:
                        time.sleep(emulator.config.latency_s)
                    query = parse_qs(url.query, keep_blank_values=True)
                    query = emulator.gate.paged(query, "after")
                    reply = emulator.api.handle(self.command, url.path, query, body)
            emulator.log.add(  # before answering, so a caller that got its answer sees the entry
                LoggedRequest(
                    self.command,
                    url.path,
                    reply.status,
                    len(raw),
                    started,
                    time.monotonic() - started,
                    items,
                    verdict,
                )
            )
            self._send(reply, verdict)

        def _gatekeep(self, path: str) -> tuple[Reply | None, Verdict]:
            """Auth, URL length, limits and faults; a Reply means the request stops here."""
            if self.headers.get("Authorization", "") != f"Bearer {emulator.token}":
                return Reply(401, error_body("INVALID_AUTHENTICATION", _NO_AUTH)), Verdict.PASS
            if len(self.path) > emulator.config.max_url_length:
                return Reply(414, error_body("VALIDATION_ERROR", "URI Too Long")), Verdict.PASS
            search = self.command == "POST" and path.endswith("/search")
            verdict, self._remaining = emulator.gate.admit(search=search)
            if verdict in _POLICIES:
                return rate_limited(_POLICIES[verdict]), verdict
            if verdict is Verdict.SERVER_ERROR:
                return Reply(500, error_body("INTERNAL_ERROR", "internal error")), verdict
            if verdict is Verdict.UNAVAILABLE:
                return Reply(503, error_body("SERVICE_UNAVAILABLE", "Service Unavailable")), verdict
            return None, verdict

        def _send(self, reply: Reply, verdict: Verdict) -> None:
            payload = b"" if reply.body is None else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            if payload:
                self.send_header("Content-Type", "application/json;charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            config = emulator.config
            if reply.status != 401:
                self.send_header("X-HubSpot-RateLimit-Max", str(config.rate_limit))
                self.send_header("X-HubSpot-RateLimit-Remaining", str(self._remaining))
                self.send_header(
                    "X-HubSpot-RateLimit-Interval-Milliseconds",
                    str(int(config.rate_window_s * 1000)),
                )
            if config.daily_limit is not None and reply.status != 401:
                used = emulator.gate.daily_used
                self.send_header("X-HubSpot-RateLimit-Daily", str(config.daily_limit))
                self.send_header(
                    "X-HubSpot-RateLimit-Daily-Remaining", str(max(0, config.daily_limit - used))
                )
            if (
                reply.status == 429
                and config.retry_after_header
                and verdict is not Verdict.DAILY_LIMITED
            ):
                self.send_header("Retry-After", f"{config.retry_after_s:g}")
            self.end_headers()
            if verdict is Verdict.DROP:
                # Promise the whole body, send half, hang up: the client sees a broken read.
                self.wfile.write(payload[: len(payload) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(payload)

    return Handler
