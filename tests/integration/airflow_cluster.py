"""An Airflow deployment on one machine, as production runs it on several: scheduler, DAG
processor, API server and Celery workers as separate processes sharing a PostgreSQL
metadata database and a Redis broker, each component's output kept in a log file."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import requests
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("RELHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(
    what: str, check: Callable[[], T | None], timeout: float, logs: Callable[[], str]
) -> T:
    """Poll `check` until it returns a value; past `timeout`, fail with the components' logs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value is not None:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{logs()}")


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A PostgreSQL database of its own (Airflow's metadata wants one), dropped afterwards."""
    name = f"airflow_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Cluster:
    """The running deployment: its environment, API address and component logs."""

    env: dict[str, str]
    api: str
    queue: str
    logs: dict[str, Path]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str, **extra_env: str) -> None:
        with self.logs[name].open("wb") as log:
            self.processes[name] = subprocess.Popen(
                [str(BIN / "airflow"), *args],
                env={**self.env, **extra_env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop(self) -> None:
        """SIGTERM each component's process group, then SIGKILL what is left after 30 s."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def log_tails(self, lines: int = 40) -> str:
        parts = []
        for name, path in self.logs.items():
            tail = path.read_text(errors="replace").splitlines()[-lines:] if path.exists() else []
            parts.append(f"--- {name} ({path}) ---\n" + "\n".join(tail))
        return "\n".join(parts)

    def died(self) -> str | None:
        dead = [name for name, p in self.processes.items() if p.poll() is not None]
        return f"components exited: {', '.join(dead)}" if dead else None

    def get(self, path: str) -> Any:
        answer = requests.get(f"{self.api}/api/v2{path}", timeout=30)
        answer.raise_for_status()
        return answer.json()

    def trigger(self, dag_id: str) -> str:
        answer = requests.post(
            f"{self.api}/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None}, timeout=30
        )
        assert answer.status_code == 200, f"trigger {dag_id}: {answer.status_code} {answer.text}"
        return str(answer.json()["dag_run_id"])

    def wait(self, what: str, check: Callable[[], T | None], timeout: float) -> T:
        def checked() -> T | None:
            problem = self.died()
            if problem:
                raise AssertionError(f"{problem}\n{self.log_tails()}")
            return check()

        return wait_for(what, checked, timeout, self.log_tails)

    def healthy(self) -> bool | None:
        try:
            health = self.get("/monitor/health")
        except requests.RequestException:
            return None
        parts = ("metadatabase", "scheduler", "dag_processor")
        return True if all(health[p]["status"] == "healthy" for p in parts) else None

    def workers_ready(self) -> bool | None:
        ready = [
            n for n in self.logs if n.startswith("worker") and b" ready." in read(self.logs[n])
        ]
        return True if len(ready) == len(self.workers) else None

    @property
    def workers(self) -> list[str]:
        return [name for name in self.processes if name.startswith("worker")]

    def celery_task_ids(self, worker: str) -> set[str]:
        """The Celery task ids a worker's log says it received."""
        log = read(self.logs[worker]).decode(errors="replace")
        return set(re.findall(r"\[([0-9a-f-]{36})\] received", log))

    def finished_run(self, dag_id: str, run_id: str) -> dict[str, Any] | None:
        run = self.get(f"/dags/{dag_id}/dagRuns/{run_id}")
        return run if run["state"] in ("success", "failed") else None

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
        """The DAG run once it has succeeded or failed."""
        return self.wait(
            f"{dag_id} {run_id} to finish", partial(self.finished_run, dag_id, run_id), timeout
        )


def read(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


def airflow_env(home: Path, metadata_url: str, api_port: int, queue: str) -> dict[str, str]:
    """Every component's configuration: the deployment settings README's Deployment names."""
    secret = uuid.uuid4().hex
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API_AUTH__JWT_SECRET": secret,
        "AIRFLOW__API__SECRET_KEY": secret,
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
        "AIRFLOW__CELERY__BROKER_URL": REDIS_URL,
        "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata_url}",
        "AIRFLOW__CELERY_BROKER_TRANSPORT_OPTIONS__VISIBILITY_TIMEOUT": "21600",
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }


@contextmanager
def celery_cluster(
    tmp: Path, postgres_server: str, extra_env: dict[str, str], workers: int = 2
) -> Iterator[Cluster]:
    """Migrate a fresh metadata database, start every component and wait until the API
    reports them healthy and each worker is ready; stop them all on exit, even on failure."""
    with ExitStack() as stack:
        metadata_url = stack.enter_context(fresh_database(postgres_server))
        api_port = free_port()
        queue = f"relhub-test-{uuid.uuid4().hex[:8]}"
        names = ["api-server", "scheduler", "dag-processor"] + [
            f"worker{i}" for i in range(1, workers + 1)
        ]
        cluster = Cluster(
            env={**airflow_env(tmp / "home", metadata_url, api_port, queue), **extra_env},
            api=f"http://127.0.0.1:{api_port}",
            queue=queue,
            logs={name: tmp / f"{name}.log" for name in ["migrate", *names]},
        )
        with cluster.logs["migrate"].open("wb") as log:
            subprocess.run(
                [str(BIN / "airflow"), "db", "migrate"],
                env=cluster.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                check=True,
                timeout=300,
            )
        stack.callback(cluster.stop)
        cluster.start("api-server", "api-server", "--port", str(api_port), "--workers", "1")
        cluster.start("scheduler", "scheduler")
        cluster.start("dag-processor", "dag-processor")
        for i in range(1, workers + 1):
            cluster.start(
                f"worker{i}",
                "celery",
                "worker",
                "--celery-hostname",
                f"worker{i}@%h",
                "--queues",
                queue,
                "--concurrency",
                "2",
                AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT=str(free_port()),
            )
        cluster.wait("the API to report every component healthy", cluster.healthy, 150)
        cluster.wait("both Celery workers to be ready", cluster.workers_ready, 90)
        yield cluster
