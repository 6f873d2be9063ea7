"""Random exports synced end to end: good rows among corrupt lines, stale copies and
repeats of their ids never lose a good row, and every row fetched is stored or quarantined."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from syncfixtures import COLUMNS, make_source

from hub.store.migrate import open_store
from hub.store.models import SourceRecordRow
from hub.sync import sync_source

NAMES = st.text(st.characters(categories=["L", "N", "Zs"]), max_size=12)
NEW, OLD = "2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z"
CORRUPTIONS = [
    b'X0,"never closed,L,x0@example.com,1980-02-01,1,2026-01-01,false\n',
    b"X1,too,few\n",
    b"X2,a,b,c@example.com,1980-02-01,1,2026-01-01,false,extra\n",
    b"X3,Jos\xe9,L,x3@example.com,1980-02-01,1,2026-01-01,false\n",
    b"X4,Ana,L,not-an-email,31/02/1980,many,2026-01-01,false\n",
    b"X5,Ana;L;x5@example.com;1980-02-01;1;2026-01-01;false\n",
    b"\n",
    b",no id,L,x@example.com,1980-02-01,1,2026-01-01,false\n",
]


def good_line(index: int, name: str, updated: str = NEW) -> bytes:
    return f"C{index},{name},L,a{index}@example.com,1980-02-01,1,{updated},false\n".encode()


@settings(max_examples=25, deadline=None)
@given(
    names=st.lists(NAMES, min_size=1, max_size=20),
    corruptions=st.lists(
        st.tuples(st.integers(min_value=0), st.sampled_from(CORRUPTIONS)), max_size=5
    ),
    stale=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0)), max_size=4),
    repeated=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0)), max_size=3),
    bom=st.booleans(),
    page_size=st.integers(min_value=1, max_value=7),
)
def test_no_good_row_is_lost(
    names: list[str],
    corruptions: list[tuple[int, bytes]],
    stale: list[tuple[int, int]],
    repeated: list[tuple[int, int]],
    bom: bool,
    page_size: int,
) -> None:
    """Stale copies (older change time) and exact repeats of good rows may stand anywhere:
    the good row's version is what the store keeps."""
    good = {f"C{i}": name for i, name in enumerate(names)}
    lines = [good_line(i, name) for i, name in enumerate(names)]
    extra = [(p, good_line(i % len(names), "stale", OLD)) for p, i in stale]
    extra += [(p, lines[i % len(names)]) for p, i in repeated]
    extra += [(p, line) for line, p in {line: p for p, line in corruptions}.items()]
    for position, line in extra:
        lines.insert(position % (len(lines) + 1), line)
    with TemporaryDirectory() as folder:
        config = make_source(Path(folder), [], page_size=page_size, overlap_seconds=0)
        header = ",".join(COLUMNS).encode() + b"\n"
        (Path(folder) / "customers.csv").write_bytes(
            (b"\xef\xbb\xbf" if bom else b"") + header + b"".join(lines)
        )
        engine = open_store(f"sqlite:///{folder}/relhub.db")
        for full in (False, False, True):
            totals = sync_source(config, engine, config.sources[0], full=full).totals()
            stored = totals["inserted"] + totals["updated"] + totals["unchanged"]
            assert totals["fetched"] == stored + totals["quarantined"]
            with engine.connect() as connection:
                payloads = dict(
                    connection.execute(
                        select(SourceRecordRow.source_id, SourceRecordRow.payload).where(
                            SourceRecordRow.source_id.like("C%")
                        )
                    ).all()
                )
            assert {sid: payload["first"] for sid, payload in payloads.items()} == good
        engine.dispose()
