"""The HTTPS server: OAuth token endpoint, sessions, API limits, faults and a request log.

simple-salesforce always builds `https://` URLs from an instance_url, so the emulator
speaks TLS with a throw-away CA from `trustme`; clients trust `ca_path`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import ssl
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import trustme

from emulators.salesforce.api import OrgApi
from emulators.salesforce.faults import FaultInjector, Faults
from emulators.salesforce.reply import JSON, Reply
from emulators.salesforce.schema import standard_objects, wide_object
from emulators.salesforce.soap import fault, soap_request
from emulators.salesforce.store import OrgStore
from emulators.serving import BackgroundServer

API_VERSIONS = ("58.0", "59.0", "60.0", "61.0", "62.0")
ORG_ID = "00DRh0000000001AAA"
USER_ID = "005Rh0000000001AAA"


@dataclass(frozen=True)
class EmulatorConfig:
    """Credentials the org accepts, its limits, and the faults it injects."""

    username: str = "relhub@example.com"
    password: str = "emulator-password"
    security_token: str = "EMULATORTOKEN"
    client_id: str = "relhub-emulator-client"
    client_secret: str = "relhub-emulator-secret"
    api_version: str = "62.0"
    token_lifetime_s: float = 7200.0
    daily_api_limit: int = 100_000  # an Enterprise org starts at 100,000 a day
    max_url_length: int = 16_384  # longer request URIs get 414 URI Too Long
    visibility_delay_s: float = 0.0
    faults: Faults = field(default_factory=Faults)


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    method: str
    path: str
    query: dict[str, str]
    status: int
    at: float
    duration_s: float
    dropped: bool = False  # the connection was cut mid-body


class SalesforceEmulator(BackgroundServer):
    """A running emulated org; use as a context manager in tests."""

    def __init__(
        self, config: EmulatorConfig | None = None, *, port: int = 0, host: str = "127.0.0.1"
    ) -> None:
        self.config = config or EmulatorConfig()
        self.store = OrgStore(standard_objects(), visibility_delay_s=self.config.visibility_delay_s)
        self.faults = FaultInjector(self.config.faults)
        self.api = OrgApi(
            self.store,
            self.config.api_version,
            self._usage,
            stuck_paging=lambda: self.faults.faults.stuck_paging,
        )
        self._tokens: dict[str, float] = {}
        self._api_calls = 0
        self._log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._tmp = tempfile.TemporaryDirectory(prefix="sf-emulator-")
        ca = trustme.CA()
        self.ca_path = Path(self._tmp.name) / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_path))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert(host, "localhost").configure_cert(context)
        self._server = _Server((host, port), _Handler, self, context)
        self.host, self.port = host, self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"https://{self.host}:{self.port}"

    # -- lifecycle ------------------------------------------------------------------

    def stop(self) -> None:
        super().stop()
        self._tmp.cleanup()

    # -- controls for tests ---------------------------------------------------------

    def credentials(self) -> dict[str, str]:
        """Connector credentials for the password flow against this org."""
        c = self.config
        return {
            "login_url": self.base_url,
            "username": c.username,
            "password": c.password,
            "security_token": c.security_token,
            "client_id": c.client_id,
            "client_secret": c.client_secret,
        }

    def set_faults(self, faults: Faults) -> None:
        self.faults.reconfigure(faults)

    def set_visibility_delay(self, seconds: float) -> None:
        self.store.visibility_delay_s = seconds

    def set_api_limit(self, daily_limit: int, *, used: int | None = None) -> None:
        with self._lock:
            self.config = replace(self.config, daily_api_limit=daily_limit)
            if used is not None:
                self._api_calls = used

    def set_field_security(self, object_name: str, hidden: Iterable[str]) -> None:
        """The integration user's profile stops granting Read on `hidden` (none: every field
        visible again): describe leaves them out and SOQL and writes know no such column."""
        obj = self.store.object(object_name)
        names = frozenset(hidden)
        unknown = sorted(n for n in names if n not in obj.fields or n == "Id")
        if unknown:
            raise ValueError(f"{obj.name} has no hideable field(s): {', '.join(unknown)}")
        self.api.hidden[obj.name] = names

    def expire_tokens(self) -> None:
        """Every issued access token becomes invalid, as after a session timeout."""
        with self._lock:
            self._tokens = dict.fromkeys(self._tokens, 0.0)

    def add_wide_object(self, custom_fields: int = 500) -> str:
        obj = wide_object(custom_fields)
        self.store.add_object(obj)
        return obj.name

    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    # -- request handling -----------------------------------------------------------

    def _usage(self) -> tuple[int, int]:
        with self._lock:
            return self._api_calls, self.config.daily_api_limit

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    def issue_token(self, form: dict[str, str], authorization: str) -> Reply:
        """OAuth 2.0 username-password and client-credentials flows."""
        c = self.config
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
        if authorization.startswith("Basic "):
            decoded = base64.b64decode(authorization[6:]).decode()
            client_id, _, client_secret = decoded.partition(":")
        grant = form.get("grant_type", "")
        if grant not in {"password", "client_credentials"}:
            return Reply(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "grant type not supported",
                },
            )
        if not (
            hmac.compare_digest(client_id, c.client_id)
            and hmac.compare_digest(client_secret, c.client_secret)
        ):
            return Reply(
                400,
                {"error": "invalid_client_id", "error_description": "client identifier invalid"},
            )
        if grant == "password" and not (
            form.get("username") == c.username
            and hmac.compare_digest(form.get("password", ""), c.password + c.security_token)
        ):
            return Reply(
                400, {"error": "invalid_grant", "error_description": "authentication failure"}
            )
        token = f"{ORG_ID[:15]}!{secrets.token_urlsafe(48)}"
        with self._lock:
            self._tokens[token] = time.monotonic() + c.token_lifetime_s
        identity = f"{self.base_url}/id/{ORG_ID}/{USER_ID}"
        issued_at = str(int(time.time() * 1000))
        signature = hmac.new(
            c.client_secret.encode(), (identity + issued_at).encode(), hashlib.sha256
        ).digest()
        return Reply(
            200,
            {
                "access_token": token,
                "instance_url": self.base_url,
                "id": identity,
                "token_type": "Bearer",
                "issued_at": issued_at,
                "signature": base64.b64encode(signature).decode(),
            },
        )

    def session_valid(self, authorization: str) -> bool:
        token = authorization.removeprefix("Bearer ").removeprefix("OAuth ").strip()
        with self._lock:
            return self._tokens.get(token, 0.0) > time.monotonic()

    def count_call(self) -> tuple[int, int]:
        """Count one API request against the daily allowance; (used, max) after it."""
        with self._lock:
            self._api_calls += 1
            return self._api_calls, self.config.daily_api_limit

    def data_request(
        self, method: str, path: str, params: dict[str, str], body: Any, headers: dict[str, str]
    ) -> Reply:
        """Everything under /services/data: versions, auth, limits, then the resource."""
        parts = [unquote(p) for p in path.strip("/").split("/")[2:]]
        if not parts:
            return Reply(
                200,
                [
                    {"label": f"v{v}", "url": f"/services/data/v{v}", "version": v}
                    for v in API_VERSIONS
                ],
            )
        if parts[0].removeprefix("v") not in API_VERSIONS:
            return Reply(
                404,
                [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
            )
        if not self.session_valid(headers.get("Authorization", "")):
            return Reply(
                401, [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
            )
        used, cap = self.count_call()
        limit_info = {"Sforce-Limit-Info": f"api-usage={min(used, cap)}/{cap}"}
        if used > cap:
            return Reply(
                403,
                [
                    {
                        "message": "TotalRequests Limit exceeded.",
                        "errorCode": "REQUEST_LIMIT_EXCEEDED",
                    }
                ],
                limit_info,
            )
        reply = self.api.handle(method, parts[1:], params, body, headers)
        reply.headers.update(limit_info)
        return reply

    def soap_request(self, path: str, raw: bytes) -> Reply:
        """The SOAP API (/services/Soap/u/{version}): its session rides in the envelope."""
        if path.rstrip("/").split("/")[-1] not in API_VERSIONS:
            return fault("UNSUPPORTED_API_VERSION", "the requested API version is not supported")
        self.count_call()
        return soap_request(raw, lambda sid: self.session_valid(f"Bearer {sid}"), self.store)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        emulator: SalesforceEmulator,
        context: ssl.SSLContext,
    ) -> None:
        super().__init__(address, handler)
        self.emulator = emulator
        self.socket = context.wrap_socket(
            self.socket, server_side=True, do_handshake_on_connect=False
        )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(30)
        try:
            self.connection.do_handshake()  # type: ignore[attr-defined]
        except (ssl.SSLError, OSError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the emulator's own request log is what tests read."""

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_DELETE = do_PUT = do_HEAD = do_GET

    def _serve(self) -> None:
        emulator = self.server.emulator
        started = time.monotonic()
        split = urlsplit(self.path)
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items()}
        fault = emulator.faults.before(split.path)
        if fault is not None:
            reply = fault
        elif len(self.path) > emulator.config.max_url_length:
            reply = Reply(
                414, [{"errorCode": "URI_TOO_LONG", "message": "The request URI is too long"}]
            )
        elif split.path == "/services/oauth2/token" and self.command == "POST":
            form = dict(parse_qsl(raw.decode(), keep_blank_values=True))
            reply = emulator.issue_token(form, headers.get("Authorization", ""))
        elif split.path.startswith("/services/Soap/u/") and self.command == "POST":
            reply = emulator.soap_request(split.path, raw)
        elif split.path.rstrip("/").startswith("/services/data"):
            reply = self._data(emulator, split.path, params, raw, headers)
        else:
            reply = Reply(
                404,
                [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}],
            )
        dropped = emulator.faults.drop_now(split.path)
        # Logged before the answer leaves, so a client that has its answer sees the entry.
        emulator._record(
            LoggedRequest(
                self.command,
                split.path,
                params,
                reply.status,
                time.time(),
                time.monotonic() - started,
                dropped,
            )
        )
        self._send(reply, drop=dropped)

    def _data(
        self,
        emulator: SalesforceEmulator,
        path: str,
        params: dict[str, str],
        raw: bytes,
        headers: dict[str, str],
    ) -> Reply:
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError as error:
            return Reply(400, [{"errorCode": "JSON_PARSER_ERROR", "message": str(error)}])
        return emulator.data_request(self.command, path, params, body, headers)

    def _send(self, reply: Reply, *, drop: bool) -> None:
        if reply.body is None:
            payload = b""
        elif reply.media_type == JSON:
            payload = json.dumps(reply.body).encode()
        else:
            payload = str(reply.body).encode()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", reply.media_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Date", datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT"))
        self.end_headers()
        if drop:
            # A connection cut mid-body: the client has headers and half the payload.
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(payload)
