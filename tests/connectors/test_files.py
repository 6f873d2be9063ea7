"""File exports read as chunks: cut where the csv module sees records end, parsed anywhere.

Parsing the chunks of a read in order must give exactly what reading the file in one
go gives, whatever the page size: the same records, the same rejects with the same
reasons (line numbers included), and one checkpoint, the newest cursor, at the end.
"""

from __future__ import annotations

import csv
import pickle
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.base import ChunkedReader, ConnectorError, Page, ReadSpec, Watermark
from connectors.files import FileConnector, FileObject

SPEC = ReadSpec("people", "id", modified_at_field="updated", deleted_field="gone")
HEADER = "id,name,note,updated,gone\r\n"
# Records that span lines, doubled quotes, a stray quote in an unquoted field, blank
# lines, a row of the wrong width, a missing id, an unparseable time, CRLF and LF endings.
CSV_BODY = (
    'P1,Ana,"two\nlines",2026-01-03T00:00:00Z,false\r\n'
    'P2,O"Brien,plain,2026-01-05T00:00:00Z,false\n'
    "\n"
    'P3,"Quote ""this""","three\r\nline\nnote",2026-01-02T00:00:00Z,true\r\n'
    "P4,Too,few\n"
    ",NoId,x,2026-01-01T00:00:00Z,false\n"
    "P5,Late,x,yesterday,false\n"
    "\r\n"
    'P6,Eve,"ends, with comma",2026-01-04T00:00:00Z,false\n'
    "P7,Bob,last,2026-01-01T00:00:00Z,false"
)
# A malformed row is named by the physical line it ends on; a record the connector
# refuses, by its row number counting the header as line 1.
EXPECTED_REJECTS = [
    "line 9: 3 values for 5 columns",
    "line 6: missing id: 'id' is empty",
    "line 7: unparseable updated 'yesterday'",
]
JSONL_BODY = (
    '{"id": "P1", "updated": "2026-01-03T00:00:00Z"}\n'
    "\n"
    "not json\n"
    '{"id": "P2", "updated": "2026-01-05T00:00:00Z", "gone": "yes"}\n'
    "[1, 2]\n"
    '{"id": "P3", "updated": "2026-01-02T00:00:00Z"}\n'
)


def connector(path: Path, page_size: int, deletion: str = "flag") -> FileConnector:
    fmt = "jsonl" if path.suffix == ".jsonl" else "csv"
    objects = {"people": FileObject(path, fmt, deletion=deletion)}
    return FileConnector("files", objects, page_size=page_size)


def export(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def summary(pages: list[Page]) -> dict[str, Any]:
    """A read's pages joined: what they held, whatever the page boundaries."""
    return {
        "records": [(r.id, r.fields, r.deleted, r.modified_at) for p in pages for r in p.records],
        "rejects": [(r.reason, r.raw, r.source_id) for p in pages for r in p.rejects],
        "checkpoints": [p.checkpoint for p in pages],
        "complete": [p.snapshot_complete for p in pages],
    }


@pytest.mark.parametrize("page_size", [1, 2, 3, 5, 1000])
def test_csv_chunks_hold_exactly_what_the_csv_module_reads(tmp_path: Path, page_size: int) -> None:
    path = export(tmp_path, "people.csv", HEADER + CSV_BODY)
    pages = list(connector(path, page_size).read_changes(SPEC, None))
    read = summary(pages)

    with path.open(newline="", encoding="utf-8") as handle:
        kept = {"P1", "P2", "P3", "P6", "P7"}
        expected = [row for row in csv.DictReader(handle) if row["id"] in kept]
    assert [fields for _, fields, _, _ in read["records"]] == expected
    assert [r[0] for r in read["rejects"]] == EXPECTED_REJECTS
    assert [deleted for _, _, deleted, _ in read["records"]] == [False, False, True, False, False]
    newest = Watermark(datetime(2026, 1, 5, tzinfo=UTC), "P2")
    assert read["checkpoints"] == [None] * (len(pages) - 1) + [newest]
    if page_size < 8:
        assert len(pages) > 1


def test_page_size_changes_nothing_but_the_pages(tmp_path: Path) -> None:
    path = export(tmp_path, "people.csv", HEADER + CSV_BODY)
    whole = summary(list(connector(path, 1000).read_changes(SPEC, None)))
    for page_size in (1, 2, 4, 7):
        pages = list(connector(path, page_size).read_changes(SPEC, None))
        assert {k: v for k, v in summary(pages).items() if k != "checkpoints"} == {
            "records": whole["records"],
            "rejects": whole["rejects"],
            "complete": [False] * len(pages),
        }
        assert sum(len(p.records) + len(p.rejects) for p in pages[:-1]) == page_size * (
            len(pages) - 1
        )


@pytest.mark.parametrize("page_size", [1, 2, 1000])
def test_jsonl_chunks_keep_line_numbers(tmp_path: Path, page_size: int) -> None:
    path = export(tmp_path, "people.jsonl", JSONL_BODY)
    read = summary(list(connector(path, page_size).read_changes(SPEC, None)))
    assert [r[0] for r in read["records"]] == ["P1", "P2", "P3"]
    assert [r[2] for r in read["records"]] == [False, True, False]
    assert [r[0].split(":")[0] for r in read["rejects"]] == ["line 3", "line 5"]
    assert read["checkpoints"][-1] == Watermark(datetime(2026, 1, 5, tzinfo=UTC), "P2")


def test_a_snapshot_read_is_complete_on_its_last_chunk_only(tmp_path: Path) -> None:
    path = export(tmp_path, "people.csv", HEADER + CSV_BODY)
    pages = list(connector(path, 2, deletion="absence").read_changes(SPEC, None))
    assert all(page.snapshot for page in pages)
    assert [page.snapshot_complete for page in pages] == [False] * (len(pages) - 1) + [True]


@pytest.mark.parametrize("text", ["", HEADER, HEADER + "\n\n"])
def test_an_export_without_rows_is_one_empty_last_page(tmp_path: Path, text: str) -> None:
    path = export(tmp_path, "people.csv", text)
    pages = list(connector(path, 2, deletion="absence").read_changes(SPEC, None))
    assert len(pages) == 1
    assert (pages[0].records, pages[0].rejects, pages[0].snapshot_complete) == ([], [], True)


def test_chunks_parse_the_same_after_a_trip_through_pickle(tmp_path: Path) -> None:
    """Workers get chunks pickled: a chunk must carry all its parse needs."""
    path = export(tmp_path, "people.csv", HEADER + CSV_BODY)
    reader = connector(path, 3)
    assert isinstance(reader, ChunkedReader)
    chunks = list(reader.read_chunks(SPEC, None))
    assert [chunk.last for chunk in chunks] == [False] * (len(chunks) - 1) + [True]
    for chunk in chunks:
        here, there = chunk.parse(), pickle.loads(pickle.dumps(chunk)).parse()
        assert summary([here.page]) == summary([there.page])
        assert here.newest == there.newest


def test_records_at_or_before_the_horizon_are_left_out_but_still_counted_for_the_checkpoint(
    tmp_path: Path,
) -> None:
    path = export(tmp_path, "people.csv", HEADER + CSV_BODY)
    since = Watermark(datetime(2026, 1, 3, tzinfo=UTC), "P1")
    pages = list(connector(path, 2).read_changes(SPEC, since))
    assert [r.id for p in pages for r in p.records] == ["P2", "P6"]
    assert pages[-1].checkpoint == Watermark(datetime(2026, 1, 5, tzinfo=UTC), "P2")


def read_all(path: Path, page_size: int = 1000, deletion: str = "flag") -> dict[str, Any]:
    return summary(list(connector(path, page_size, deletion).read_changes(SPEC, None)))


@pytest.mark.parametrize("page_size", [1, 2, 1000])
def test_an_unterminated_quote_costs_its_own_line_only(tmp_path: Path, page_size: int) -> None:
    """The stray quote of row 3 names the line it opened on; the rows after are read."""
    rows = [f"P{i},N{i},x,2026-01-0{i}T00:00:00Z,false\n" for i in range(1, 6)]
    rows[2] = 'P3,"N3,x,2026-01-03T00:00:00Z,false\n'
    path = export(tmp_path, "people.csv", HEADER + "".join(rows))
    read = read_all(path, page_size, deletion="absence")
    assert [r[0] for r in read["records"]] == ["P1", "P2", "P4", "P5"]
    assert [(r[0], r[2]) for r in read["rejects"]] == [
        ("line 4: unterminated quote opened on this line", "P3")
    ]


def test_a_quote_open_at_the_end_of_the_file_is_an_error_too(tmp_path: Path) -> None:
    text = HEADER + "P1,Ana,x,2026-01-01T00:00:00Z,false\n" + 'P2,Bo,"x,2026-01-01T00:00:00Z,false'
    read = read_all(export(tmp_path, "people.csv", text))
    assert [r[0] for r in read["records"]] == ["P1"]
    assert [r[0] for r in read["rejects"]] == ["line 3: unterminated quote opened on this line"]


def test_a_quote_kept_open_over_many_rows_hides_none_of_them(tmp_path: Path) -> None:
    rows = [f"P{i},N{i},x,2026-01-01T00:00:00Z,false\n" for i in range(5000)]
    rows[9] = 'P9,"N9,x,2026-01-01T00:00:00Z,false\n'
    read = read_all(export(tmp_path, "people.csv", HEADER + "".join(rows)), 700)
    assert len(read["records"]) == 4999
    assert [r[2] for r in read["rejects"]] == ["P9"]


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "P1,Ana,x,2026-01-01T00:00:00Z,false\n").encode())
    read = read_all(path)
    assert [r[0] for r in read["records"]] == ["P1"]
    assert read["rejects"] == []
    assert "id" in connector(path, 10).discover("people").fields


def test_a_header_naming_a_column_twice_is_refused(tmp_path: Path) -> None:
    path = export(tmp_path, "people.csv", "id,email,email\nP1,a@x,b@x\n")
    with pytest.raises(ConnectorError, match="'email' more than once"):
        read_all(path)
    with pytest.raises(ConnectorError, match="'email' more than once"):
        connector(path, 10).discover("people")


def test_an_unknown_object_option_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    options = {"objects": {"people": {"path": "people.csv", "delimter": ";"}}}
    with pytest.raises(ConnectorError) as raised:
        FileConnector.from_config("files", options, {})
    assert "unknown option(s) delimter; known: path, format, delimiter" in str(raised.value)


def test_an_unknown_source_option_or_a_bad_size_is_refused_naming_it(tmp_path: Path) -> None:
    objects = {"people": {"path": str(export(tmp_path, "people.csv", "id\nP1\n"))}}
    with pytest.raises(ConnectorError, match=r"unknown file option\(s\): max_field_byte; known: "):
        FileConnector.from_config("files", {"objects": objects, "max_field_byte": 10}, {})
    with pytest.raises(ConnectorError, match="page_size must be at least 1"):
        FileConnector.from_config("files", {"objects": objects, "page_size": 0}, {})
    with pytest.raises(ConnectorError, match="file option page_size: expected int"):
        FileConnector.from_config("files", {"objects": objects, "page_size": "many"}, {})
    given = FileConnector.from_config("files", {"objects": objects, "page_size": "7"}, {})
    assert given.page_size == 7
