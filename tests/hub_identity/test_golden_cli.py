"""`relhub resolve`, `golden` and `review`: output formats, exit codes and one-line errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from identityfixtures import Shop, person
from typer.testing import CliRunner

from hub.cli import app


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Shop:
    url = f"sqlite:///{tmp_path / 'relhub.db'}"
    monkeypatch.setenv("RELHUB_DATABASE_URL", url)
    monkeypatch.setenv("RELHUB_CONFIG", str(tmp_path / "relhub.yaml"))
    shop = Shop(tmp_path, url, {0: person(0), 1: person(1, who=0), 2: person(2)})
    shop.cycle()
    return shop


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_export_jsonl_has_one_golden_record_per_line(shop: Shop) -> None:
    code, out, _ = run("golden", "export", "--format", "jsonl")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 2
    ana = next(r for r in records if len(r["members"]) == 2)
    assert set(ana) >= {"golden_id", "entity_kind", "roles", "fields", "members"}
    assert ana["entity_kind"] == "person" and ana["roles"] == ["customer"]
    assert ana["fields"]["given_name"] == "Ana" and ana["fields"]["emails"] == ["ana.0@example.com"]
    assert ana["members"] == [
        {"system": "shop", "object": "customers", "id": "C000000"},
        {"system": "shop", "object": "customers", "id": "C000001"},
    ]


def test_export_csv_to_a_file(shop: Shop, tmp_path: Path) -> None:
    target = tmp_path / "golden.csv"
    code, out, _ = run("golden", "export", "--format", "csv", "--output", str(target))
    assert code == 0 and "2 golden records written" in out
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert {r["members"] for r in rows} == {
        "shop/customers/C000000;shop/customers/C000001",
        "shop/customers/C000002",
    }


def test_show_resolve_and_review_commands(shop: Shop) -> None:
    code, out, _ = run("resolve", "--json")
    assert code == 0 and json.loads(out)["summary"]["golden_records_out"] == 2
    code, out, _ = run("golden", "show", shop.golden_of(0), "--json")
    view = json.loads(out)
    assert code == 0 and len(view["members"]) == 2 and view["links"][0]["rule"]
    assert run("review", "list")[0] == 0
    assert run("review", "unlink", shop.key(0), shop.key(1))[0] == 0
    assert run("review", "override", shop.golden_of(2), "emails", '["x@example.com"]')[0] == 0
    run("resolve")
    assert shop.golden_of(0) != shop.golden_of(1)


@pytest.mark.parametrize(
    "args, message",
    [
        (["golden", "show", "g-nope"], "no golden record has id 'g-nope'"),
        (
            ["review", "decide", "shop/customers/C000000", "shop/customers/X", "match"],
            "no source record 'shop/customers/X'",
        ),
        (["review", "link", "shop/customers/C000000", "nokey"], "is not system/object/id"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(shop: Shop, args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_verdict_and_bad_config_exit_2(shop: Shop, tmp_path: Path) -> None:
    assert run("review", "decide", "a/b/c", "a/b/d", "maybe")[0] == 2
    (tmp_path / "bad.yaml").write_text("resolution:\n  match_probability: 2\n")
    code, _, err = run("resolve", "--config", str(tmp_path / "bad.yaml"))
    assert code == 2 and "match_probability" in err
