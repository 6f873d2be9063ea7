"""The Airflow pools the configuration names: one per rate-limited system, so that
concurrent tasks on one system stay under its API's concurrency and rate limits."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from hub.config import RelhubConfig
from hub.yamlfile import ConfigError

DEFAULT_SLOTS = 1
"""A pool that `airflow.pools` does not size runs one task at a time: the safe choice
for an API whose limits nobody looked up."""


def configured_pools(config: RelhubConfig) -> dict[str, int]:
    """Every pool a source names (with its slots) and every pool `airflow.pools` sizes."""
    named = {s.pool for s in config.sources if s.pool and s.pool != "default_pool"}
    pools = {name: config.airflow.pools.get(name, DEFAULT_SLOTS) for name in sorted(named)}
    return {**pools, **config.airflow.pools}


def pool_import_document(pools: dict[str, int]) -> dict[str, dict[str, object]]:
    """The JSON `airflow pools import` reads."""
    return {
        name: {"slots": slots, "description": "Relhub: bounds concurrent work on this system"}
        for name, slots in pools.items()
    }


def apply_pools(pools: dict[str, int]) -> str:
    """Create or resize the pools through the `airflow` command of this environment."""
    airflow = shutil.which("airflow")
    if airflow is None:
        raise ConfigError("relhub.yaml", None, "airflow.pools", "no `airflow` command on PATH")
    with tempfile.TemporaryDirectory() as folder:
        document = Path(folder) / "pools.json"
        document.write_text(json.dumps(pool_import_document(pools)))
        done = subprocess.run(
            [airflow, "pools", "import", str(document)],
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ConfigError("relhub.yaml", None, "airflow.pools", f"airflow refused: {last[0]}")
    return done.stdout
