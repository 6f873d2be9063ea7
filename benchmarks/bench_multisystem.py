"""Identity across a company's five systems, run as a RevOps user runs it, against splink.

The company generator (emulators.synthetic.company) writes Salesforce contacts, leads and
accounts, HubSpot contacts and companies, the HR export and the partner portal's
contacts, with truth. Relhub syncs the files through the mappings below (written from
the files' columns and mappings/README.md, default settings), resolves with `--full`
and exports its golden records: the hub functions `relhub sync`, `relhub resolve --full`
and `relhub golden export` call. Then several change sets (HubSpot contacts with a new
email; with a new phone that is another record's switchboard) are synced and resolved
incrementally, and each result is compared with a full `--keep-model` resolve of a copy
of the same store. Splink 5 dedupes the same person records in the same run.

Run: python benchmarks/bench_multisystem.py --people 20000 --seeds 1 2 3
(ends with one JSON line: the mean over the seeds, and the figures per seed)
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from emulators.synthetic.company import FILES, CompanyExport, write_company
from emulators.synthetic.truth import most_people_in_one_cluster, score_clusters
from hub.cli.termination import stop_on_sigterm
from hub.config import load_config
from hub.golden import export
from hub.resolve import resolve
from hub.review import review_queue
from hub.store.migrate import open_store
from hub.sync import sync_source

PHONE = {"phone": {"region": "ES", "region_from": "country"}}
PERSON_FIELDS = {
    "given_name": {"from": "first_name", "transforms": ["trim"]},
    "family_name": {"from": "last_name", "transforms": ["trim"]},
    "emails": {"from": "email", "transforms": ["email"], "on_invalid": "drop"},
    "phones": {
        "from": ["phone", "mobile"],
        "transforms": [PHONE],
        "on_invalid": "drop",
    },
    "organization_name": {"from": "company", "transforms": ["trim"]},
    "job_title": {"from": "job_title", "transforms": ["trim"]},
    "address.street": {"from": "street", "transforms": ["trim"]},
    "address.city": {"from": "city", "transforms": ["trim"]},
    "address.postcode": {"from": "postcode", "transforms": ["trim"]},
    "address.country": {"from": "country", "transforms": ["trim", "upper"]},
    "birth_date": {
        "from": "birth_date",
        "transforms": [{"date": {"formats": ["%d/%m/%Y"]}}],
        "on_invalid": "drop",
    },
}
ORG_FIELDS = {
    "name": {"from": "name", "transforms": ["trim"]},
    "domains": {"from": "website", "transforms": ["domain"], "on_invalid": "drop"},
    "phones": {"from": "phone", "transforms": [PHONE], "on_invalid": "drop"},
    "tax_id": {"from": "tax_id", "transforms": ["trim", "upper"]},
    "address.city": "city",
    "address.country": {"from": "country", "transforms": ["upper"]},
}


def _renamed(fields: dict[str, Any], columns: dict[str, str]) -> dict[str, Any]:
    """The same canonical fields read from another system's column names."""
    out = {}
    for canonical, spec in fields.items():
        source = spec["from"] if isinstance(spec, dict) else spec
        if isinstance(source, list):
            source = [columns.get(s, s) for s in source if columns.get(s, s)]
        else:
            source = columns.get(source, source)
        if source:
            out[canonical] = {**spec, "from": source} if isinstance(spec, dict) else source
    return out


MAPPINGS: dict[str, dict[str, Any]] = {
    "salesforce": {
        "contacts": {
            "entity": "person",
            "roles": ["customer"],
            "id_field": "contact_id",
            "modified_at_field": "updated_at",
            "fields": {**PERSON_FIELDS, "organization_ref": "account_id"},
        },
        "leads": {
            "entity": "person",
            "roles": ["lead"],
            "id_field": "contact_id",
            "modified_at_field": "updated_at",
            "fields": PERSON_FIELDS,
        },
        "accounts": {
            "entity": "organization",
            "id_field": "account_id",
            "modified_at_field": "updated_at",
            "fields": ORG_FIELDS,
        },
    },
    "hubspot": {
        "contacts": {
            "entity": "person",
            "roles": ["customer"],
            "id_field": "hs_object_id",
            "modified_at_field": "lastmodifieddate",
            "fields": {
                **_renamed(
                    PERSON_FIELDS,
                    {
                        "first_name": "firstname",
                        "last_name": "lastname",
                        "mobile": "mobilephone",
                        "job_title": "jobtitle",
                        "postcode": "zip",
                        "street": "",
                        "birth_date": "",
                    },
                ),
                "organization_ref": "associatedcompanyid",
            },
        },
        "companies": {
            "entity": "organization",
            "id_field": "hs_object_id",
            "fields": _renamed(ORG_FIELDS, {"website": "domain", "tax_id": ""}),
        },
    },
    "hr": {
        "employees": {
            "entity": "person",
            "id_field": "employee_id",
            "modified_at_field": "last_modified",
            "fields": {
                **_renamed(
                    PERSON_FIELDS,
                    {
                        "first_name": "given_name",
                        "last_name": "surnames",
                        "email": "work_email",
                        "mobile": "",
                        "company": "",
                        "street": "",
                    },
                ),
                "emails": {
                    "from": ["personal_email", "work_email"],
                    "transforms": ["email"],
                    "on_invalid": "drop",
                },
                "preferred_name": {"from": "preferred_name", "transforms": ["trim"]},
                "national_id": {"from": "national_id", "transforms": ["trim", "upper"]},
                "birth_date": {
                    "from": "birth_date",
                    "transforms": [{"date": {"formats": ["%Y-%m-%d"]}}],
                    "on_invalid": "drop",
                },
                "roles": {
                    "from": "status",
                    "transforms": [
                        {"map": {"values": {"active": "employee", "terminated": "former_employee"}}}
                    ],
                },
            },
        },
    },
    "partners": {
        "partner_contacts": {
            "entity": "person",
            "roles": ["partner_contact"],
            "id_field": "partner_contact_id",
            "modified_at_field": "modified",
            "fields": {
                "full_name": {"from": "name", "transforms": ["trim"]},
                "given_name": {
                    "from": "name",
                    "transforms": [{"split_full_name": {"part": "given"}}],
                },
                "middle_name": {
                    "from": "name",
                    "transforms": [{"split_full_name": {"part": "middle"}}],
                },
                "family_name": {
                    "from": "name",
                    "transforms": [{"split_full_name": {"part": "family"}}],
                },
                "emails": {"from": "email", "transforms": ["email"], "on_invalid": "drop"},
                "phones": {
                    "from": "phone",
                    "transforms": [PHONE],
                    "on_invalid": "drop",
                },
                "organization_name": "partner_company",
                "address.country": "country",
            },
        },
    },
}
FILE_OF_OBJECT = {
    ("salesforce", "contacts"): "salesforce_contacts.csv",
    ("salesforce", "leads"): "salesforce_leads.csv",
    ("salesforce", "accounts"): "salesforce_accounts.csv",
    ("hubspot", "contacts"): "hubspot_contacts.csv",
    ("hubspot", "companies"): "hubspot_companies.csv",
    ("hr", "employees"): "hr_employees.csv",
    ("partners", "partner_contacts"): "partner_contacts.csv",
}
SYSTEM_OF_FILE = {file: system for (system, _), file in FILE_OF_OBJECT.items()}


def write_project(folder: Path) -> Path:
    """relhub.yaml and one mapping per system, as a user writes them beside the files."""
    sources = []
    for system, objects in MAPPINGS.items():
        mapping = folder / f"{system}.yaml"
        mapping.write_text(yaml.safe_dump({"system": system, "objects": objects}))
        files = {name: {"path": str(folder / FILE_OF_OBJECT[system, name])} for name in objects}
        sources.append({"name": system, "type": "file", "mapping": str(mapping), "objects": files})
    config = folder / "relhub.yaml"
    store = {"url": f"sqlite:///{folder / 'relhub.db'}"}
    config.write_text(yaml.safe_dump({"store": store, "sources": sources}))
    return config


def golden_labels(engine: Any) -> dict[tuple[str, str], str]:
    """(system, record id) -> golden id, from the golden export."""
    return {(m["system"], m["id"]): g["golden_id"] for g in export(engine) for m in g["members"]}


def _partition(labels: dict[tuple[str, str], str]) -> set[frozenset[tuple[str, str]]]:
    groups: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for key, golden in labels.items():
        groups[golden].add(key)
    return {frozenset(g) for g in groups.values()}


def score(company: CompanyExport, labels: dict[tuple[str, str], str], engine: Any) -> dict:
    """Pair scores for persons and organizations, chaining, relatives merged, review."""
    truth_rows = company.files["truth.csv"]
    out: dict[str, Any] = {}
    person_of: dict[tuple[str, str], str] = {}
    for kind, column in (("person", "truth_person_id"), ("org", "truth_org_id")):
        rows = [r for r in truth_rows if r[column]]
        keys = [(SYSTEM_OF_FILE[r["file"]], r["record_id"]) for r in rows]
        truth = np.array([r[column] for r in rows])
        predicted = np.array([labels.get(k, f"missing:{k}") for k in keys])
        pairs = score_clusters(predicted, truth)
        out |= {f"{kind}_precision": pairs.precision, f"{kind}_recall": pairs.recall}
        out[f"{kind}_f1"] = pairs.f1
        if kind == "person":
            out["max_true_persons_per_golden"] = most_people_in_one_cluster(predicted, truth)
            person_of = dict(zip(keys, truth.tolist(), strict=True))
    goldens_of: dict[str, set[str]] = defaultdict(set)
    for key, person in person_of.items():
        goldens_of[person].add(labels.get(key, ""))
    relatives = company.relatives()
    merged = [
        (a, b, k) for a, b, k in relatives if goldens_of[f"P{a:06d}"] & goldens_of[f"P{b:06d}"]
    ]
    out["relatives"] = len(relatives)
    out["relatives_merged"] = len(merged)
    out["relatives_merged_share"] = len(merged) / len(relatives) if relatives else 0.0
    items, total = review_queue(engine)
    persons = [i for i in items if i.entity_kind == "person"]
    same = np.array(
        [person_of.get(_key(i.left)) == person_of.get(_key(i.right)) is not None for i in persons]
    )
    out["review_pairs"] = total
    out["review_true_share"] = int(same.sum()) / total if total else 0.0
    out |= review_decidability(persons, same)
    out["persons"] = len(goldens_of)
    return out


def review_decidability(items: list[Any], same: np.ndarray, folds: int = 5) -> dict[str, Any]:
    """How many review pairs a model fitted on decided review pairs would decide either
    way at >= 0.99 confidence: gradient boosting over each pair's evidence (every
    comparison's level, one-hot, and the match weight), each pair predicted by the model
    of the folds it is not in. Those the model decides are pairs the engine's own evidence
    could settle; the rest need a steward (or evidence the engine does not have)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    if len(items) < folds * 2 or same.all() or not same.any():
        return {"review_decidable_at_099": 0, "review_decidable_share": 0.0}
    columns: dict[str, int] = {}
    rows = [
        [columns.setdefault(f"{f['comparison']}={f['level']}", len(columns)) for f in i.evidence]
        for i in items
    ]
    features = np.zeros((len(items), len(columns) + 1))
    for row, (hot, item) in enumerate(zip(rows, items, strict=True)):
        features[row, hot] = 1.0
        features[row, -1] = item.match_weight
    model = HistGradientBoostingClassifier(random_state=0)
    splits = StratifiedKFold(folds, shuffle=True, random_state=0)
    probability = cross_val_predict(model, features, same, cv=splits, method="predict_proba")[:, 1]
    decided = (probability >= 0.99) | (probability <= 0.01)
    right = (probability >= 0.5) == same
    return {
        "review_decidable_at_099": int(decided.sum()),
        "review_decidable_share": float(decided.mean()),
        "review_decided_accuracy": float(right[decided].mean()) if decided.any() else None,
    }


def _key(record_key: str) -> tuple[str, str]:
    system, _, source_id = record_key.split("/", 2)
    return system, source_id


def change_hubspot(folder: Path, company: CompanyExport, seed: int, kind: str, n: int) -> None:
    """Rewrite ``n`` HubSpot contacts with a new email, or a new phone that is the
    switchboard number another contact already carries; later modification time."""
    rng = np.random.default_rng([seed, 9, len(kind)])
    rows = company.files["hubspot_contacts.csv"]
    chosen = rng.choice(len(rows), size=min(n, len(rows)), replace=False)
    switchboards = [r["phone"] for r in company.files["hubspot_companies.csv"] if r["phone"]]
    for i in chosen.tolist():
        row = rows[i]
        if kind == "email":
            row["email"] = f"{row['firstname'][:1]}{row['lastname']}.{i}@example.org".lower()
        else:
            row["phone"] = switchboards[int(rng.integers(len(switchboards)))]
        row["lastmodifieddate"] = "2026-06-01T00:00:00Z"
    with (folder / "hubspot_contacts.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(
            handle, fieldnames=FILES["hubspot_contacts.csv"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)


def run_relhub(folder: Path, company: CompanyExport, seed: int, changes: int) -> dict:
    config = load_config(write_project(folder))
    engine = open_store(config.database_url())
    start = time.perf_counter()
    for source in config.sources:
        sync_source(config, engine, source)
    resolve(config, engine, full=True)
    labels = golden_labels(engine)
    seconds = time.perf_counter() - start
    result = score(company, labels, engine) | {"relhub_seconds": seconds}
    equal: list[int] = []
    for kind in ("email", "phone"):
        change_hubspot(folder, company, seed, kind, changes)
        sync_source(config, engine, config.source("hubspot"))
        resolve(config, engine)
        incremental = _partition(golden_labels(engine))
        copy = folder / "full.db"
        engine.dispose()
        shutil.copy(folder / "relhub.db", copy)
        full_engine = open_store(f"sqlite:///{copy}")
        resolve(config, full_engine, full=True, refit=False)
        full = _partition(golden_labels(full_engine))
        equal.append(sum(len(group) for group in incremental ^ full))
        full_engine.dispose()
        copy.unlink()
    result["incremental_equals_full"] = not any(equal)
    result["records_in_groups_incremental_and_full_disagree_on"] = equal
    return result


# --- splink on the same person records -----------------------------------------------------


def splink_frame(company: CompanyExport) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per person record: names, email, phone digits, birth date, city, postcode."""
    truth = {(r["file"], r["record_id"]): r["truth_person_id"] for r in company.files["truth.csv"]}
    rows, labels = [], []
    columns = {
        "hubspot_contacts.csv": ("hs_object_id", "firstname", "lastname", "email", "phone", "zip"),
        "hr_employees.csv": (
            "employee_id",
            "given_name",
            "surnames",
            "work_email",
            "phone",
            "postcode",
        ),
        "salesforce_contacts.csv": (
            "contact_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "postcode",
        ),
        "salesforce_leads.csv": (
            "contact_id",
            "first_name",
            "last_name",
            "email",
            "phone",
            "postcode",
        ),
    }
    for file, (rid, given, family, email, phone, postcode) in columns.items():
        for r in company.files[file]:
            digits = "".join(ch for ch in r[phone] if ch.isdigit())[-9:]
            rows.append(
                {
                    "rec_id": f"{file}:{r[rid]}",
                    "given_name": r[given].lower() or None,
                    "surname": r[family].lower() or None,
                    "email": r[email].lower() or None,
                    "phone": digits or None,
                    "birth_date": (r.get("birth_date") or None)
                    if file == "hr_employees.csv"
                    else None,
                    "city": r["city"].lower() or None,
                    "postcode": r[postcode] or None,
                }
            )
            labels.append(truth[file, r[rid]])
    for r in company.files["partner_contacts.csv"]:
        given, _, family = r["name"].partition(" ")
        digits = "".join(ch for ch in r["phone"] if ch.isdigit())[-9:]
        rows.append(
            {
                "rec_id": f"partner_contacts.csv:{r['partner_contact_id']}",
                "given_name": given.lower() or None,
                "surname": family.lower() or None,
                "email": r["email"].lower() or None,
                "phone": digits or None,
                "birth_date": None,
                "city": None,
                "postcode": None,
            }
        )
        labels.append(truth["partner_contacts.csv", r["partner_contact_id"]])
    return pd.DataFrame(rows), np.array(labels)


def run_splink(frame: pd.DataFrame) -> np.ndarray:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[
            block_on("email"),
            block_on("phone"),
            block_on("given_name", "surname"),
            block_on("surname", "postcode"),
        ],
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
            cl.ExactMatch("phone").configure(term_frequency_adjustments=True),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
    )
    linker = Linker(DuckDBAPI().register(frame), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("given_name", "surname", "phone")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=2)
    for rule in (("given_name", "surname"), ("email",), ("phone",)):
        linker.training.estimate_parameters_using_expectation_maximisation(block_on(*rule))
    predictions = linker.inference.predict(threshold_match_probability=0.9)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=0.999
    ).as_pandas_dataframe()
    cluster_of = dict(zip(clusters["rec_id"], clusters["cluster_id"], strict=True))
    return np.array([cluster_of.get(r, r) for r in frame["rec_id"]])


def run_seed(n_people: int, seed: int, changes: int, with_splink: bool) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        company = write_company(folder, n_people, seed)
        result: dict[str, Any] = {"seed": seed, "records": len(company.files["truth.csv"])}
        result |= run_relhub(folder, company, seed, changes)
    if with_splink:
        frame, truth = splink_frame(company)
        start = time.perf_counter()
        labels = run_splink(frame)
        result["splink_seconds"] = time.perf_counter() - start
        result["splink_person_f1"] = score_clusters(labels, truth).f1
        result["splink_max_true_persons_per_golden"] = most_people_in_one_cluster(labels, truth)
    return result


KEYS = (
    "person_precision",
    "person_recall",
    "person_f1",
    "org_f1",
    "max_true_persons_per_golden",
    "relatives_merged_share",
    "review_true_share",
    "review_decidable_at_099",
    "review_decidable_share",
    "splink_person_f1",
    "splink_seconds",
    "relhub_seconds",
)


def main(argv: list[str] | None = None) -> None:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--changes", type=int, default=1_000, help="HubSpot rows per change set")
    parser.add_argument("--no-splink", action="store_true")
    args = parser.parse_args(argv)
    runs = []
    for seed in args.seeds:
        result = run_seed(args.people, seed, args.changes, not args.no_splink)
        print(json.dumps(result, default=float), flush=True)
        runs.append(result)
    summary: dict[str, Any] = {"people": args.people, "seeds": args.seeds}
    for key in KEYS:
        values = [r[key] for r in runs if key in r]
        if values:
            worst = max if key == "max_true_persons_per_golden" else None
            summary[key] = worst(values) if worst else round(float(np.mean(values)), 4)
    summary["incremental_equals_full"] = all(r["incremental_equals_full"] for r in runs)
    summary["per_seed"] = runs
    print(json.dumps(summary, default=float))


if __name__ == "__main__":
    main()
