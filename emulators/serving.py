"""What every emulator shares: serving in a background thread, and reading seed files."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from socketserver import BaseServer
from typing import Any, Self


class BackgroundServer:
    """Start/stop (and `with`) for an emulator whose HTTP server is `self._server`."""

    _server: BaseServer
    _thread: threading.Thread | None = None

    def start(self) -> Self:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"{type(self).__name__}-{self._server.server_address[1]}",
        )
        self._thread.start()
        return self

    def serve_until_interrupted(self, banner: str) -> None:
        """Serve in this thread until Ctrl-C (`relhub emulate`), after printing `banner`."""
        print(banner, flush=True)
        try:
            self._server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def data_rows(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a seed file: JSON Lines (`.jsonl`) or CSV with a header (anything else)."""
    with path.open(encoding="utf-8", newline="") as handle:
        if path.suffix.lower() in {".jsonl", ".ndjson"}:
            for line in handle:
                if line.strip():
                    yield json.loads(line)
        else:
            yield from csv.DictReader(handle)
