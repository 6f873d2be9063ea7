"""A system reached only by export and import gets its writes as a corrections CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from hub.config import load_config
from hub.push.step import push
from hub.resolve import resolve
from hub.store.migrate import open_store
from hub.sync import sync_source

MAPPING = """\
system: crm
objects:
  contacts:
    entity: person
    id_field: id
    modified_at_field: updated_at
    fields:
      given_name: first_name
      family_name: last_name
      emails: {from: [email], transforms: [email]}
      phones: {from: [phone], transforms: [{phone: {region: ES}}]}
    push:
      - {field: golden_id, to: relhub_id, mode: always}
      - {field: phones, to: phone, mode: only_if_empty}
"""


def test_file_source_writes_land_in_its_corrections_csv(tmp_path: Path, sqlite_url: str) -> None:
    (tmp_path / "crm.yaml").write_text(MAPPING)
    (tmp_path / "contacts.csv").write_text(
        "id,first_name,last_name,email,phone,relhub_id,updated_at\n"
        "1,Ana,Ruiz,ana@example.org,+34612345678,,2026-01-01T00:00:00Z\n"
        "2,Ana,Ruiz,ana@example.org,,,2026-01-01T00:00:00Z\n"
    )
    (tmp_path / "relhub.yaml").write_text(
        "sources:\n  - name: crm\n    type: file\n    mapping: crm.yaml\n"
        "    objects: {contacts: {path: contacts.csv, corrections: corrections.csv}}\n"
    )
    config = load_config(tmp_path / "relhub.yaml")
    engine = open_store(sqlite_url)
    sync_source(config, engine, config.source("crm"))
    resolve(config, engine)
    _, (report,) = push(config, engine)

    with (tmp_path / "corrections.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    golden_ids = {r["value"] for r in rows if r["field"] == "relhub_id"}
    assert report.written == 2 and len(golden_ids) == 1  # one person, one golden id
    assert {(r["record_id"], r["field"]) for r in rows} == {
        ("1", "relhub_id"),
        ("2", "relhub_id"),
        ("2", "phone"),
    }
    assert [r["value"] for r in rows if r["field"] == "phone"] == ["+34612345678"]
