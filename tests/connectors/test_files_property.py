"""Random CSV exports of good rows with bad lines between them never lose a good row."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import ReadSpec
from connectors.files import FileConnector, FileObject

SPEC = ReadSpec("people", "id", modified_at_field="updated")
HEADER = b"id,name,note,updated\n"
NAMES = st.text(st.characters(categories=["L", "N", "Zs"]), max_size=12)
# One corruption of each kind a file may hold: one stray quote (two can pair up), rows of
# the wrong width, invalid UTF-8, blank lines, a row with no id.
CORRUPTIONS = [
    b'X0,"never closed,x,2026-01-01\n',
    b"X1,too,few\n",
    b"X2,a,b,c,2026-01-01,extra\n",
    b"X3,Jos\xe9,x,2026-01-01\n",
    b"\n",
    b",no id,x,2026-01-01\n",
]


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(NAMES, min_size=1, max_size=30),
    corruptions=st.lists(
        st.tuples(st.integers(min_value=0), st.sampled_from(CORRUPTIONS)), max_size=6
    ),
    quoted=st.booleans(),
    bom=st.booleans(),
    page_size=st.integers(min_value=1, max_value=7),
)
def test_no_good_row_is_lost(
    names: list[str],
    corruptions: list[tuple[int, bytes]],
    quoted: bool,
    bom: bool,
    page_size: int,
) -> None:
    good = [(f"P{i}", name.replace("\r", " ").replace("\n", " ")) for i, name in enumerate(names)]
    lines = [
        f'{pid},"{name}",x,2026-01-01\n'.encode()
        if quoted
        else f"{pid},{name},x,2026-01-01\n".encode()
        for pid, name in good
    ]
    unique = {line: position for position, line in corruptions}
    for line, position in unique.items():
        lines.insert(position % (len(lines) + 1), line)
    with TemporaryDirectory() as folder:
        path = Path(folder) / "people.csv"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + HEADER + b"".join(lines))
        objects = {"people": FileObject(path, "csv")}
        pages = list(FileConnector("f", objects, page_size=page_size).read_changes(SPEC, None))
    records = [(r.id, r.fields["name"]) for page in pages for r in page.records]
    rejects = [reject for page in pages for reject in page.rejects]
    assert records == good
    bad_rows = [c for c in unique if c.strip()]
    assert len(records) + len(rejects) == len(good) + len(bad_rows)
