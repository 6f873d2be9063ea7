"""Peak memory of a benchmark run, its forked workers included.

A forked worker shares its parent's pages until either writes them, so adding the peak
RSS of parent and worker counts those pages twice. The proportional set size (PSS)
splits each shared page between the processes that map it: summed over the process and
its children, it is the memory the run occupies. Linux keeps no peak of it, so a thread
samples it from /proc, every 100 ms: each reading walks the page tables, so sampling
much more often would slow the run it measures.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from types import TracebackType


def _pss_kib(pid: int | str) -> int:
    """A process's PSS (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        pass
    return 0


def _descendants(pid: int | str) -> list[str]:
    """The process's children, theirs, and so on (a command's forked workers)."""
    pids: list[str] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except FileNotFoundError:
        return pids
    for task in tasks:
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        for child in children:
            pids += [child, *_descendants(child)]
    return pids


class PeakMemory:
    """Peak summed PSS of a process (default: this one) and its descendants (MiB),
    sampled every `interval` seconds while the `with` block runs."""

    def __init__(self, interval: float = 0.1, pid: int | None = None) -> None:
        self.interval = interval
        self.pid = os.getpid() if pid is None else pid
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="peak-memory", daemon=True)

    def _sample(self) -> None:
        while True:
            total = _pss_kib(self.pid) + sum(_pss_kib(pid) for pid in _descendants(self.pid))
            self.peak_kib = max(self.peak_kib, total)
            if self._stop.wait(self.interval):
                return

    @property
    def peak_mb(self) -> float:
        return self.peak_kib / 1024

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
