"""The generic SQL source on SQLite and PostgreSQL: a table or a query, keyset paging by
(change time, id), resumes from a checkpoint, deletions by a flag."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from connectors.base import ConnectorError, FieldType, ReadSpec, SourceRecord
from connectors.sql import SqlConnector
from hub.mapping.spec import load_mapping
from hub.mapping.validate import check_against_schema, compile_mapping

MAPPING = Path(__file__).parents[2] / "mappings" / "sql_example.yaml"
SPEC = ReadSpec("people", "id", "updated_at", "is_deleted")
SAME_TIME = datetime(2026, 1, 1, 9, 0, 0)


def seed(url: str, rows: list[dict[str, Any]]) -> None:
    with create_engine(url).begin() as connection:
        connection.execute(
            text(
                "CREATE TABLE IF NOT EXISTS people (id INTEGER PRIMARY KEY, first_name "
                "VARCHAR(50), last_name VARCHAR(50), email VARCHAR(100), phone VARCHAR(30), "
                "birth_date DATE, updated_at TIMESTAMP NOT NULL, is_deleted BOOLEAN NOT NULL)"
            )
        )
        for row in rows:
            connection.execute(text("DELETE FROM people WHERE id = :id"), {"id": row["id"]})
            connection.execute(
                text(
                    "INSERT INTO people VALUES (:id, :first_name, 'Smith', :email, "
                    "'(415) 555-0100', '1980-02-01', :updated_at, :is_deleted)"
                ),
                row,
            )


def person(index: int, *, at: datetime = SAME_TIME, deleted: bool = False) -> dict[str, Any]:
    return {
        "id": index,
        "first_name": f"Ana{index}",
        "email": f"ana{index}@example.com",
        "updated_at": at,
        "is_deleted": deleted,
    }


def read(connector: SqlConnector, since: Any = None, spec: ReadSpec = SPEC) -> list[Any]:
    return list(connector.read_changes(spec, since))


def ids(pages: list[Any]) -> list[str]:
    return [r.id for page in pages for r in page.records]


@pytest.fixture
def connector(store_url: str) -> Any:
    seed(store_url, [person(i) for i in range(1, 8)])
    objects = {"people": {"table": "people"}, "active": {"query": "SELECT * FROM people"}}
    sql = SqlConnector.from_config(
        "warehouse", {"objects": objects, "page_size": 3}, {"url": store_url}
    )
    yield sql
    sql.close()


def test_pages_every_row_once_even_within_one_change_time(connector: SqlConnector) -> None:
    pages = read(connector)
    assert ids(pages) == [str(i) for i in range(1, 8)]
    assert [len(p.records) for p in pages] == [3, 3, 1]
    assert pages[0].checkpoint is not None and pages[0].checkpoint.record_id == "3"


def test_resumes_from_a_mid_run_checkpoint_and_sees_changes_and_deletions(
    connector: SqlConnector, store_url: str
) -> None:
    first = read(connector)
    resumed = read(connector, first[0].checkpoint)
    assert ids(resumed) == ["4", "5", "6", "7"]
    later = datetime(2026, 1, 2)
    seed(store_url, [person(2, at=later, deleted=True), person(9, at=later)])
    changes = [r for page in read(connector, first[-1].checkpoint) for r in page.records]
    assert [(r.id, r.deleted) for r in changes] == [("2", True), ("9", False)]


def test_a_query_source_and_the_example_mapping(connector: SqlConnector) -> None:
    spec = ReadSpec("active", "id", "updated_at", "is_deleted")
    records: list[SourceRecord] = [r for p in read(connector, spec=spec) for r in p.records]
    assert len(records) == 7
    mapper = compile_mapping(load_mapping(MAPPING))["people"]
    mapped = mapper.map(records[0])
    assert mapped.emails == ["ana1@example.com"] and mapped.phones == ["+14155550100"]
    schema = connector.discover("people")
    assert schema.fields["updated_at"].type is FieldType.DATETIME
    assert schema.fields["id"].type is FieldType.INTEGER
    assert not list(check_against_schema(load_mapping(MAPPING), "people", schema))


def test_an_object_needs_a_table_or_a_query() -> None:
    with pytest.raises(ConnectorError, match="exactly one of table, query"):
        SqlConnector.from_config("w", {"url": "sqlite://", "objects": {"x": {}}}, {})


def test_unknown_options_are_refused_with_the_known_ones_listed() -> None:
    with pytest.raises(ConnectorError, match=r"unknown sql option\(s\): pagesize; known: objects"):
        SqlConnector.from_config("w", {"url": "sqlite://", "pagesize": 10}, {})
    objects = {"x": {"table": "t", "where": "1"}}
    with pytest.raises(ConnectorError, match=r"'x': unknown option\(s\) where; known: query, tab"):
        SqlConnector.from_config("w", {"objects": objects}, {})


def test_option_values_are_typed_and_the_credential_url_wins() -> None:
    with pytest.raises(ConnectorError, match="sql option page_size: expected int"):
        SqlConnector.from_config("w", {"url": "sqlite://", "page_size": "many"}, {})
    with pytest.raises(ConnectorError, match="sql option objects: expected dict"):
        SqlConnector.from_config("w", {"url": "sqlite://", "objects": ["people"]}, {})
    with pytest.raises(ConnectorError, match="page_size must be at least 1"):
        SqlConnector.from_config("w", {"url": "sqlite://", "page_size": 0}, {})
    with pytest.raises(ConnectorError, match="needs a `url`"):
        SqlConnector.from_config("w", {}, {})
    sql = SqlConnector.from_config("w", {"url": "bad://", "page_size": "5"}, {"url": "sqlite://"})
    assert (sql.engine.url.drivername, sql.page_size) == ("sqlite", 5)
    sql.close()
