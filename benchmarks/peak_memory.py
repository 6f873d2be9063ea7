"""Peak memory of a benchmark run, its forked workers included."""

from __future__ import annotations

import resource


def peak_rss_mb() -> float:
    """Peak resident set of this process plus that of its largest finished worker (Linux
    reports ru_maxrss in KiB). Relhub forks one worker at a time (coding features, then
    comparing): the sum bounds the real peak from above, as pages a worker shares with
    this process count twice."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + workers) / 1024
