"""The emulator as a real HTTP server on loopback, in-process (tests) or blocking (CLI).

The handler does what PartnerStack's edge does before the API sees a request: Basic
authentication with the vendor's public key as user name and secret key as password,
the rate limit (4,000 requests a minute, answered 429 with `Retry-After`) and the
injected faults. Limits, faults and the request log are the HubSpot emulator's gate,
configured with PartnerStack's numbers.
"""

from __future__ import annotations

import base64
import json
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from emulators.gate import EmulatorConfig, Gate, LoggedRequest, RequestLog, Verdict
from emulators.partnerstack.api import Reply, VendorApi, error
from emulators.partnerstack.store import ProgramStore
from emulators.serving import BackgroundServer

PUBLIC_KEY = "pk_emulator"
SECRET_KEY = "sk_emulator_secret"

_FAULTS = {
    Verdict.RATE_LIMITED: (429, "Too Many Requests"),
    Verdict.THROTTLE_BURST: (429, "Too Many Requests"),
    Verdict.SERVER_ERROR: (500, "Internal Server Error"),
    Verdict.UNAVAILABLE: (503, "Service Unavailable"),
}


def partnerstack_limits(**changes: Any) -> EmulatorConfig:
    """PartnerStack's published limit: 4,000 requests a minute."""
    return EmulatorConfig(**{"rate_limit": 4_000, "rate_window_s": 60.0, **changes})


class PartnerStackEmulator(BackgroundServer):
    """A running program: `with PartnerStackEmulator() as ps:`, then a client on `ps.base_url`."""

    _server: ThreadingHTTPServer

    def __init__(
        self,
        *,
        store: ProgramStore | None = None,
        config: EmulatorConfig | None = None,
        public_key: str = PUBLIC_KEY,
        secret_key: str = SECRET_KEY,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.store = store or ProgramStore()
        self.config = config or partnerstack_limits()
        self.public_key, self.secret_key = public_key, secret_key
        self.log = RequestLog()
        self.gate = Gate(self.config)
        self.api = VendorApi(self.store)
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self.host = host

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self._server.server_port}"

    def credentials(self) -> dict[str, str]:
        """Connection fields for the connector against this program."""
        return {
            "public_key": self.public_key,
            "secret_key": self.secret_key,
            "base_url": self.base_url,
        }

    def authorized(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.public_key}:{self.secret_key}".encode()).decode()
        return header == f"Basic {expected}"


def _handler_for(emulator: PartnerStackEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PATCH(self) -> None:
            self._serve()

        def do_DELETE(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the default stderr access log; the request log is the record."""

        def _serve(self) -> None:
            started = time.monotonic()
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            url = urlsplit(self.path)
            verdict = Verdict.PASS
            if not emulator.authorized(self.headers.get("Authorization", "")):
                reply = error(401, "Unauthorized")
            else:
                verdict, _ = emulator.gate.admit(search=False)
                if verdict in _FAULTS:
                    reply = error(*_FAULTS[verdict])
                else:
                    if emulator.config.latency_s > 0:
                        time.sleep(emulator.config.latency_s)
                    query = parse_qs(url.query, keep_blank_values=True)
                    query = emulator.gate.paged(query, "starting_after")
                    reply = emulator.api.handle(self.command, url.path, query)
            emulator.log.add(  # before answering, so a caller that got its answer sees it
                LoggedRequest(
                    self.command,
                    self.path,  # with its query: tests read the paging parameters from it
                    reply.status,
                    length,
                    started,
                    time.monotonic() - started,
                    None,
                    verdict,
                )
            )
            self._send(reply, verdict)

        def _send(self, reply: Reply, verdict: Verdict) -> None:
            payload = json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            if reply.status == 429 and emulator.config.retry_after_header:
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
