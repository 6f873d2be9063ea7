"""A request without an HTTP answer names the host: an untrusted certificate is a
permanent `TLSFailure` saying to set `ca_bundle`, raised at once; a host that does not
answer is a `TransientError`, retried."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from connectors.base import TLSFailure, TransientError
from connectors.salesforce import SalesforceConnector
from emulators.salesforce import SalesforceEmulator


@pytest.fixture
def org() -> Iterator[SalesforceEmulator]:
    with SalesforceEmulator() as emulator:
        yield emulator


def test_an_untrusted_certificate_is_permanent_and_names_the_host(
    org: SalesforceEmulator,
) -> None:
    settings = {"base_delay_s": 0.01, "max_attempts": 5}  # no ca_bundle: the system's
    sf = SalesforceConnector.from_config("salesforce", settings, org.credentials())
    host = urlsplit(org.credentials()["login_url"]).netloc
    with pytest.raises(TLSFailure) as raised:
        sf.discover("Contact")
    message = str(raised.value)
    assert f"token request: TLS with {host} failed (" in message
    assert "CERTIFICATE_VERIFY_FAILED" in message and "options.ca_bundle" in message
    assert not isinstance(raised.value, TransientError)
    assert org.requests() == []  # no handshake got through, and it was not retried
    sf.close()


def test_a_host_that_does_not_answer_is_transient_and_named() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    credentials = {
        "login_url": f"https://127.0.0.1:{port}",
        "client_id": "id",
        "client_secret": "secret",
    }
    settings = {"base_delay_s": 0.01, "max_attempts": 2}
    sf = SalesforceConnector.from_config("salesforce", settings, credentials)
    with pytest.raises(TransientError, match=rf"no answer from 127\.0\.0\.1:{port} \("):
        sf.discover("Contact")
    sf.close()
