"""A stateful Salesforce REST API stand-in over HTTPS (and the SOAP API's merge call), for
tests, benchmarks and the demo.

    with SalesforceEmulator(EmulatorConfig(faults=Faults(error_rate=0.1))) as org:
        org.store.create("Contact", {"LastName": "Lovelace"})
        ... connect with org.credentials() and trust org.ca_path ...

`serve()` runs one until interrupted (`relhub emulate salesforce --port N --data FILE`).
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from pathlib import Path

from emulators.onboarding import print_setup
from emulators.salesforce.faults import Faults
from emulators.salesforce.seed import generate, load_file
from emulators.salesforce.server import EmulatorConfig, LoggedRequest, SalesforceEmulator

__all__ = [
    "EmulatorConfig",
    "Faults",
    "LoggedRequest",
    "SalesforceEmulator",
    "serve",
]


def serve(
    port: int,
    data_file: Path | None = None,
    *,
    config: EmulatorConfig | None = None,
    host: str = "127.0.0.1",
    ca_out: Path | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Run an emulated org on `port` until interrupted (or `stop` is set).

    Seeds it from `data_file` (JSONL or CSV) or, without one, from the built-in generator,
    and prints where it listens, the CA file to trust (copied to `ca_out` when given, so a
    configuration can name a stable path) and the credentials it accepts.
    """
    emulator = SalesforceEmulator(config, port=port, host=host)
    if data_file is not None:
        loaded = {"records": load_file(emulator.store, data_file)}
    else:
        loaded = generate(emulator.store)
    with emulator:
        if ca_out is not None:
            shutil.copyfile(emulator.ca_path, ca_out)
        creds = emulator.credentials()
        print(f"Salesforce emulator on {emulator.base_url} (API v{emulator.config.api_version})")
        print(f"  trust this CA: {ca_out or emulator.ca_path}")
        print(f"  seeded: {loaded}")
        print_setup("salesforce", creds, ca_out or emulator.ca_path)
        with contextlib.suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()
