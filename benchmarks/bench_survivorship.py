"""Survivorship as a full resolve's workers run it, per golden record.

    python benchmarks/bench_survivorship.py --n 200000

Generates n synthetic people's records (`emulators.synthetic`) and groups them by the
person each belongs to: the golden records a perfect resolve would make. Each member is
stored as its canonical JSON text and parsed back as the workers read it, then every
group is survived (`survive`) and rendered as its stored row (`golden_row_values`), each
stage timed over all groups, best of `--rounds`, with the cyclic collector off as in a
resolve. Prints microseconds per golden record (and per member for parsing) and ends
with one JSON line (``"bench": "survivorship"``), with a digest of the rows so that two
versions of the code can be shown to write the same ones. No peer: splink and
recordlinkage build no golden records.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter

from emulators.synthetic.canonical import iter_person_records
from emulators.synthetic.generator import generate
from hub.golden import golden_row_values
from identity import CanonicalRecord, Record, survive
from identity.survivorship import SurvivorshipSettings

SEED = 7


def _groups(n: int, seed: int) -> list[list[str]]:
    """Each true person's records as their stored JSON texts, people in first-seen order."""
    people = generate(n, seed)
    truth = people.truth_person_ids.tolist()
    records = (r for chunk in iter_person_records(people) for r in chunk)
    groups: dict[int, list[str]] = {}
    for person, record in zip(truth, records, strict=True):
        groups.setdefault(person, []).append(record.model_dump_json(exclude_none=True))
    return list(groups.values())


def _best(rounds: int, stage: Callable[[], Any]) -> tuple[float, Any]:
    """The fastest of `rounds` runs of a stage, and what it returned."""
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = stage()
        best = min(best, time.perf_counter() - started)
    return best, result


def run(n: int, seed: int, rounds: int) -> dict[str, Any]:
    texts = _groups(n, seed)
    members = sum(map(len, texts))
    parse = TypeAdapter(CanonicalRecord).validate_json
    settings = SurvivorshipSettings()
    gc.disable()
    parsed_s, groups = _best(rounds, lambda: [[parse(t) for t in g] for g in texts])
    typed: list[list[Record]] = groups
    survive_s, survived = _best(rounds, lambda: [survive(g, settings) for g in typed])
    rows_s, rows = _best(rounds, lambda: [golden_row_values(v) for v in survived])
    gc.enable()
    digest = hashlib.blake2b(digest_size=8)
    for row in rows:
        digest.update(json.dumps(row, sort_keys=True).encode())
    golden = len(texts)
    return {
        "bench": "survivorship",
        "n": n,
        "golden_records": golden,
        "members": members,
        "parse_us_per_member": round(parsed_s / members * 1e6, 2),
        "survive_us_per_golden": round(survive_s / golden * 1e6, 2),
        "row_text_us_per_golden": round(rows_s / golden * 1e6, 2),
        "rows_digest": digest.hexdigest(),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200_000, help="synthetic records")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--rounds", type=int, default=5, help="runs of each stage; the best")
    args = parser.parse_args(argv)
    figures = run(args.n, args.seed, args.rounds)
    print(f"survivorship of {figures['golden_records']:,} golden records")
    print(f"  from {figures['members']:,} members (true people of {args.n:,} records)")
    print(f"parse         {figures['parse_us_per_member']:8.2f} µs a member")
    print(f"survive       {figures['survive_us_per_golden']:8.2f} µs a golden record")
    print(f"row text      {figures['row_text_us_per_golden']:8.2f} µs a golden record")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
