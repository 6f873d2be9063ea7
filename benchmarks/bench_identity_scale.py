"""Identity resolution at scale on hard synthetic data: Relhub against splink 5.

    python benchmarks/bench_identity_scale.py --n 100000

Generates ``n`` person records over several systems, with the hard negatives of real CRM
data (shared inboxes and switchboards, families, twins, fathers and sons, namesakes),
then runs each tool in its own subprocess so wall time and peak memory are measured
independently. Scores are pairwise against the ground truth: Relhub on the pairs its
golden records imply, plus the blocking recall of its candidate pairs; splink on its
predicted pairs and on its connected-component clusters. Peak memory is the whole worker
process's (the generated data included), with Relhub's forked workers: the peak of their
summed proportional set size, sampled every 100 ms (`peak_memory.py`). Relhub reads
canonical records as a stream and its time includes mapping the generated rows onto them
(rendering the rows is not timed);
splink's input is a pandas frame of the same rows, and its time includes building it. Both
report the input share apart ("of which input"). The incremental figure is
``bench_incremental.py`` at the same ``n``, in a process of its own: a store of ``n``
records resolved in full, then 1,000 of them changed and `relhub resolve` timed (it takes
as long as a full hub resolve of ``n`` records; ``--tools relhub splink`` leaves it out).
The hub figures are ``bench_hub_resolve.py`` on the same data: `relhub resolve --full`
run as the command line into a fresh store of the ``n`` synced records, on SQLite
(``hub``) and on PostgreSQL (``hub_postgres``, the server of RELHUB_BENCH_POSTGRES_URL),
timed and measured on the command's own process tree, filling the store not counted.
Prints a table and ends with one JSON line (``"bench": "identity_scale"``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from bench_hub_resolve import hub_resolve, postgres_store, sqlite_store
from peak_memory import PeakMemory

from emulators.synthetic.canonical import person_records
from emulators.synthetic.generator import SyntheticPeople, generate
from emulators.synthetic.truth import (
    PairScore,
    most_people_in_one_cluster,
    score_clusters,
    score_pairs,
)
from hub.cli.termination import stop_on_sigterm
from identity.records import PersonRecord

MATCH_PROBABILITY = 0.9
U_MAX_PAIRS = 1e8  # splink's docs: 1e8 or more for a final model
SPLINK_COLUMNS = ("given_name", "family_name", "birth_date", "email", "phone", "postcode", "city")


def _score_fields(prefix: str, score: PairScore) -> dict[str, float]:
    return {
        f"{prefix}precision": score.precision,
        f"{prefix}recall": score.recall,
        f"{prefix}f1": score.f1,
    }


def run_relhub(people: SyntheticPeople, memory: PeakMemory) -> dict[str, Any]:
    """Full batch resolve, fed as a stream of canonical records (as a store is paged, never
    all in memory at once); mapping rows onto records is timed, as the resolve step pays it.
    Scored on golden-record pairs, with the blocking recall of the candidate pairs."""
    from identity.engine import resolve_batch

    generating, mapping = [0.0], [0.0]

    def records() -> Iterator[PersonRecord]:
        """The generated rows as canonical records; rendering the rows is not timed, mapping
        them is timed apart."""
        rows = people.chunks()
        while True:
            started = time.perf_counter()
            columns = next(rows, None)
            generating[0] += time.perf_counter() - started
            if columns is None:
                return
            started = time.perf_counter()
            chunk = person_records(columns)
            mapping[0] += time.perf_counter() - started
            yield from chunk

    input_rss = memory.peak_mb
    started = time.perf_counter()
    result = resolve_batch(records())
    seconds = time.perf_counter() - started - generating[0]
    truth = people.truth_person_ids
    blocking = score_pairs(result.candidate_pairs, truth)
    return {
        "seconds": seconds,
        "input_seconds": mapping[0],
        "input_rss_mb": input_rss,
        **_score_fields("", score_clusters(result.labels, truth)),
        "most_people_in_a_cluster": most_people_in_one_cluster(result.labels, truth),
        "blocking_recall": blocking.recall,
        "candidate_pairs": blocking.predicted,
    }


def splink_frame(people: SyntheticPeople) -> Any:
    """The cleaning a splink user does first: folded lower-case names, digits-only phones.

    pandas is imported here, not at the top, so it does not count in Relhub's memory.
    """
    import pandas as pd

    frame = pd.concat([pd.DataFrame(chunk) for chunk in people.chunks()], ignore_index=True)
    frame["email"] = frame["email"].where(frame["email"] != "", frame["personal_email"])
    frame["phone"] = frame["phone"].where(frame["phone"] != "", frame["mobile"])
    for name in ("given_name", "family_name", "city"):
        frame[name] = (
            frame[name]
            .str.normalize("NFKD")
            .str.encode("ascii", "ignore")
            .str.decode("ascii")
            .str.lower()
            .str.strip()
        )
    frame["email"] = frame["email"].str.lower().str.strip()
    frame["phone"] = frame["phone"].str.replace(r"\D", "", regex=True).str[-9:]
    frame = frame[list(SPLINK_COLUMNS)].replace("", None)
    frame.insert(0, "unique_id", np.arange(len(frame)))
    return frame


def run_splink(people: SyntheticPeople, memory: PeakMemory) -> dict[str, Any]:
    """splink 5 on DuckDB: 3 blocking rules, u by random sampling, m by EM, clustering."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    started = time.perf_counter()
    frame = splink_frame(people)
    input_seconds = time.perf_counter() - started
    input_rss = memory.peak_mb
    started = time.perf_counter()
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("family_name", "birth_date"),
        ],
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("family_name"),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("postcode"),
            cl.ExactMatch("city"),
        ],
    )
    linker = Linker(DuckDBAPI().register(frame), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email", "given_name"), block_on("phone", "family_name")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=U_MAX_PAIRS, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("family_name", "birth_date")
    )
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("email"))
    predictions = linker.inference.predict(threshold_match_probability=MATCH_PROBABILITY)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=MATCH_PROBABILITY
    )
    pairs = predictions.as_pandas_dataframe()[["unique_id_l", "unique_id_r"]].to_numpy()
    clustered = clusters.as_pandas_dataframe()[["unique_id", "cluster_id"]]
    seconds = time.perf_counter() - started + input_seconds
    labels = np.empty(len(frame), dtype=object)
    labels[clustered["unique_id"].to_numpy()] = clustered["cluster_id"].to_numpy()
    truth = people.truth_person_ids
    return {
        "seconds": seconds,
        "input_seconds": input_seconds,
        "input_rss_mb": input_rss,
        **_score_fields("", score_pairs(pairs, truth)),
        **_score_fields("cluster_", score_clusters(labels.astype(str), truth)),
        "most_people_in_a_cluster": most_people_in_one_cluster(labels.astype(str), truth),
    }


def run_incremental(n: int) -> dict[str, Any]:
    """The hub's incremental resolve of 1,000 changes against a store of n records."""
    from bench_incremental import incremental_1k_seconds

    return {"incremental_1k_seconds": incremental_1k_seconds(n)}


WORKERS: dict[str, Callable[[SyntheticPeople, PeakMemory], dict[str, Any]]] = {
    "relhub": run_relhub,
    "splink": run_splink,
}
HUB_STORES = {"hub": sqlite_store, "hub_postgres": postgres_store}
TOOLS = (*WORKERS, "incremental", *HUB_STORES)


def work(tool: str, n: int, seed: int) -> None:
    """Subprocess entry: run one tool (on generated data), print its figures as JSON."""
    if tool in HUB_STORES:  # measured on the command's process tree, not this one
        with HUB_STORES[tool]() as url:
            print(json.dumps(hub_resolve(n, seed, url)))
        return
    with PeakMemory() as memory:
        figures = (
            run_incremental(n)
            if tool == "incremental"
            else WORKERS[tool](generate(n, seed), memory)
        )
    print(json.dumps({**figures, "peak_rss_mb": memory.peak_mb}))


def measure(tool: str, n: int, seed: int) -> dict[str, Any]:
    """Run one tool in a fresh interpreter; on failure, report why instead of figures."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        tool,
        "--n",
        str(n),
        "--seed",
        str(seed),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last_line = (done.stderr.strip().splitlines() or ["no output"])[-1]
        reason = f"exit status {done.returncode}: {last_line}"
        print(f"{tool} failed: {reason}", file=sys.stderr)
        return {"error": reason}
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4f}" if value < 10 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_table(n: int, results: dict[str, dict[str, Any]]) -> None:
    rows = (
        ("seconds", "seconds"),
        ("of which input", "input_seconds"),
        ("peak memory MiB", "peak_rss_mb"),
        ("memory after input MiB", "input_rss_mb"),
        ("pair precision", "precision"),
        ("pair recall", "recall"),
        ("pair F1", "f1"),
        ("cluster precision", "cluster_precision"),
        ("cluster recall", "cluster_recall"),
        ("cluster F1", "cluster_f1"),
        ("most people, 1 cluster", "most_people_in_a_cluster"),
        ("blocking recall", "blocking_recall"),
        ("candidate pairs", "candidate_pairs"),
    )
    print(f"identity scale benchmark, n = {n:,} (relhub pairs = golden-record pairs)")
    print(f"{'':24}{'relhub':>14}{'splink':>14}")
    for label, key in rows:
        cells = [_cell(results[tool].get(key)) for tool in ("relhub", "splink")]
        print(f"{label:24}{cells[0]:>14}{cells[1]:>14}")
    seconds = _cell(results["incremental"].get("incremental_1k_seconds"))
    print(f"{'incremental, 1k changes':24}{seconds:>14}{'-':>14}")
    for tool, label in (("hub", "SQLite"), ("hub_postgres", "PostgreSQL")):
        figures = results[tool]
        cells = f"{_cell(figures.get('seconds')):>14}{_cell(figures.get('peak_rss_mb')):>14}"
        print(f"{'resolve --full, ' + label:24}{cells}  (seconds, peak memory MiB)")


def summary(n: int, results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    relhub, splink = results["relhub"], results["splink"]
    return {
        "bench": "identity_scale",
        "n": n,
        "relhub_seconds": relhub.get("seconds"),
        "splink_seconds": splink.get("seconds"),
        "relhub_peak_rss_mb": relhub.get("peak_rss_mb"),
        "splink_peak_rss_mb": splink.get("peak_rss_mb"),
        "relhub_f1": relhub.get("f1"),
        "relhub_precision": relhub.get("precision"),
        "splink_f1": splink.get("f1"),
        "relhub_blocking_recall": relhub.get("blocking_recall"),
        "incremental_1k_seconds": results["incremental"].get("incremental_1k_seconds"),
        "relhub_hub_seconds": results["hub"].get("seconds"),
        "relhub_hub_peak_rss_mb": results["hub"].get("peak_rss_mb"),
        "relhub_hub_steps": results["hub"].get("steps"),
        "relhub_hub_seconds_postgres": results["hub_postgres"].get("seconds"),
        "relhub_hub_peak_rss_mb_postgres": results["hub_postgres"].get("peak_rss_mb"),
        "relhub_hub_steps_postgres": results["hub_postgres"].get("steps"),
    }


def main(argv: list[str] | None = None) -> None:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="person records to generate")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--tools", nargs="+", choices=TOOLS, default=list(TOOLS))
    parser.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        work(args.worker, args.n, args.seed)
        return
    results = {
        tool: measure(tool, args.n, args.seed) if tool in args.tools else {} for tool in TOOLS
    }
    print_table(args.n, results)
    print(json.dumps(summary(args.n, results)))


if __name__ == "__main__":
    main()
