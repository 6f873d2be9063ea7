"""File exports (CSV, JSONL) from offline channels, read incrementally.

A file is re-read whole on every sync (it is one export), but only records changed
after the watermark are emitted. Deletions come from a flag column, or — for exports
that simply leave deleted rows out — from absence in a full snapshot. A read can also
be handed out as chunks of whole records, unparsed (`read_chunks`): the sync has its
mapping workers parse them, and its own process only cuts the file and stores.

Object options (in `relhub.yaml`, `sources[].objects.<name>`):
  path: the file (relative to relhub.yaml); format: csv | jsonl (default from the suffix);
  delimiter: for CSV (default ","); deletion: flag | absence (default flag);
  schema: {column: type} to override the types inferred for `relhub mappings validate`;
  corrections: a CSV the push step appends its writes to (record_id, field, value), for a
  system reached only by export and import; without it, writes are refused.
Source options (`FileOptions`; others are refused): max_field_bytes (default 1 MiB): a
larger value quarantines its record; page_size (records a page, default 1,000).

A CSV export is read strictly, so that no row is lost to a dialect problem: a UTF-8 byte
order mark (Excel's default) is dropped, a header naming a column twice is refused, and a
quote opened and never closed where its row ends is an error on the line it opened,
after which the lines it would have swallowed are read again as rows of their own.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar, NamedTuple

from connectors.base import (
    ConnectorError,
    FieldSchema,
    FieldType,
    ObjectSchema,
    Page,
    ParsedChunk,
    ReadSpec,
    Reject,
    SourceFormatError,
    SourceRecord,
    Watermark,
    WriteRequest,
    WriteResult,
    WriteStatus,
    checkpoint_at_end,
    parse_timestamp,
)
from connectors.options import ConnectorOptions, unknown_listed

DEFAULT_MAX_FIELD_BYTES = 1 << 20
PAGE_SIZE = 1000
_SAMPLE_ROWS = 500
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_BOOLEAN_WORDS = _TRUE | {"false", "f", "no", "n", "0", ""}

csv.field_size_limit(sys.maxsize)  # oversized fields are quarantined by us, with a reason


OBJECT_OPTIONS = ("path", "format", "delimiter", "deletion", "schema", "corrections")


@dataclass(frozen=True)
class FileObject:
    path: Path
    format: str
    delimiter: str = ","
    deletion: str = "flag"
    schema: Mapping[str, str] | None = None
    corrections: Path | None = None


@dataclass(frozen=True)
class FileOptions(ConnectorOptions):
    """A file source's options: its exports per object, where relative paths start and how
    big a page and a field may be."""

    label: ClassVar[str] = "file"

    base_path: str = "."
    objects: dict[str, Any] = field(default_factory=dict)
    max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES
    page_size: int = PAGE_SIZE

    def check(self) -> None:
        if self.max_field_bytes < 1 or self.page_size < 1:
            raise ConnectorError("file options max_field_bytes and page_size must be at least 1")


class FileConnector:
    """CSV and JSONL exports; written back only as a corrections file to import."""

    max_write_batch = PAGE_SIZE

    def __init__(
        self,
        system: str,
        objects: Mapping[str, FileObject],
        *,
        max_field_bytes: int = DEFAULT_MAX_FIELD_BYTES,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self.system = system
        self.objects = dict(objects)
        self.max_field_bytes = max_field_bytes
        self.page_size = page_size

    @classmethod
    def from_config(
        cls, system: str, options: Mapping[str, Any], credentials: Mapping[str, str]
    ) -> FileConnector:
        parsed = FileOptions.from_mapping(options)
        base = Path(parsed.base_path)
        objects = {}
        for name, spec in parsed.objects.items():
            if unknown := unknown_listed(spec, OBJECT_OPTIONS):
                raise SourceFormatError(
                    f"file source {system!r}: object {name!r}: unknown option(s) {unknown}"
                )
            if "path" not in spec:
                raise ConnectorError(f"file source {system!r}: object {name!r} needs a `path`")
            path = Path(spec["path"])
            path = path if path.is_absolute() else base / path
            fmt = spec.get("format") or ("jsonl" if path.suffix in {".jsonl", ".ndjson"} else "csv")
            if fmt not in {"csv", "jsonl"} or spec.get("deletion", "flag") not in {
                "flag",
                "absence",
            }:
                raise SourceFormatError(
                    f"file source {system!r}: object {name!r}: format must be csv or jsonl and "
                    "deletion flag or absence"
                )
            objects[name] = FileObject(
                path,
                fmt,
                spec.get("delimiter", ","),
                spec.get("deletion", "flag"),
                spec.get("schema"),
                base / spec["corrections"] if spec.get("corrections") else None,
            )
        return cls(
            system, objects, max_field_bytes=parsed.max_field_bytes, page_size=parsed.page_size
        )

    def _object(self, name: str) -> FileObject:
        try:
            return self.objects[name]
        except KeyError:
            raise ConnectorError(f"file source {self.system!r} has no object {name!r}") from None

    def discover(self, object_name: str) -> ObjectSchema:
        """Columns and types inferred from a sample; `schema` in the config overrides."""
        spec = self._object(object_name)
        columns: dict[str, list[Any]] = {name: [] for name in self._header(spec)}
        for row in islice(self._rows(spec), _SAMPLE_ROWS):
            if isinstance(row, dict):
                for key, value in row.items():
                    if key is not None:
                        columns.setdefault(key, []).append(value)
        fields = {name: FieldSchema(name, _infer_type(values)) for name, values in columns.items()}
        for name, type_name in (spec.schema or {}).items():
            fields[name] = FieldSchema(name, FieldType(type_name))
        return ObjectSchema(self.system, object_name, fields)

    def read_changes(
        self, spec: ReadSpec, since: Watermark | None, *, full: bool = False
    ) -> Iterator[Page]:
        chunks = self.read_chunks(spec, since, full=full)
        parsed = ((*chunk.parse(), chunk.last) for chunk in chunks)
        for page, checkpoint in checkpoint_at_end(parsed):
            page.checkpoint = checkpoint  # an unsorted file only promises its maximum at the end
            yield page

    def read_chunks(
        self, spec: ReadSpec, since: Watermark | None, *, full: bool = False
    ) -> Iterator[FileChunk]:
        """The file as chunks of whole records, a page each; parsing them is left to `parse`."""
        file = self._object(spec.object)
        snapshot = file.deletion == "absence"
        context = _ChunkContext(
            self.system,
            spec,
            None if (full or snapshot) else since,
            snapshot,
            file.format,
            file.delimiter,
            self.max_field_bytes,
            _digest(file.path),
        )
        with self._open(file) as handle:
            if file.format == "csv":
                stretches = _csv_stretches(handle, file.delimiter, self.page_size)
            else:
                stretches = _jsonl_stretches(handle, self.page_size)
            previous = next(stretches, _Stretch(None, "", 0, 0))
            for stretch in stretches:
                yield FileChunk(context, previous, last=False)
                previous = stretch
            yield FileChunk(context, previous, last=True)

    def columns(self, object_name: str) -> tuple[str, ...] | None:
        """A CSV export's header: the columns every row has (None for JSONL, whose rows
        may leave keys out, and for an empty file, which declares nothing)."""
        file = self._object(object_name)
        return tuple(self._header(file)) or None

    def columns_origin(self, object_name: str) -> str:
        return f"the header of {self.system} {object_name}"

    def _header(self, file: FileObject) -> list[str]:
        """CSV column names, so an export with a header and no rows still has a schema."""
        if file.format != "csv":
            return []
        with self._open(file) as handle:
            return list(_csv_header(csv.reader(handle, delimiter=file.delimiter)) or ())

    def _open(self, file: FileObject) -> Any:
        try:
            # utf-8-sig drops the byte order mark Excel writes, which would rename the first column
            return file.path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")
        except OSError as error:
            raise ConnectorError(f"cannot open {file.path}: {error.strerror}") from error

    def _rows(self, file: FileObject) -> Iterator[dict[str, Any] | Reject]:
        with self._open(file) as handle:
            if file.format == "csv":
                yield from _csv_rows(handle, file.delimiter)
            else:
                yield from _jsonl_rows(handle)

    def write_batch(self, object_name: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Appends each changed field to the object's corrections CSV; without one, each
        request is refused with why rather than failing the push."""
        corrections = self._object(object_name).corrections
        if corrections is None:
            message = f"{self.system}.{object_name} has no `corrections` file to write back to"
            return [WriteResult(WriteStatus.REJECTED, r.record_id, message) for r in requests]
        new_file = not corrections.exists()
        with corrections.open("a", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            if new_file:
                writer.writerow(("record_id", "field", "value"))
            for r in requests:
                writer.writerows((r.record_id, name, value) for name, value in r.fields.items())
        return [WriteResult(WriteStatus.WRITTEN, r.record_id) for r in requests]

    def close(self) -> None:
        """Nothing to release: files are opened per read."""


def _csv_rows(handle: Any, delimiter: str) -> Iterator[dict[str, Any] | Reject]:
    reader = csv.reader(handle, delimiter=delimiter)
    yield from _csv_records(reader, _csv_header(reader), 0)


def _csv_header(reader: Any) -> tuple[str, ...] | None:
    """The header row; None for an empty file."""
    try:
        header = tuple(next(reader))
    except StopIteration:
        return None
    except csv.Error as error:
        raise SourceFormatError(f"unreadable CSV header: {error}") from error
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise SourceFormatError(f"CSV header names {', '.join(map(repr, twice))} more than once")
    return header


def _csv_records(
    reader: Any, header: tuple[str, ...] | None, lines_before: int
) -> Iterator[dict[str, Any] | Reject]:
    """Rows as dicts; `lines_before` is where the reader starts in the file, for reasons."""
    if header is None:
        return
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            line = lines_before + reader.line_num
            yield Reject(f"line {line}: malformed CSV: {error}", "", line=line)
            continue
        if not values:
            continue
        yield _row(header, values, lines_before + reader.line_num)


def _plain_records(
    handle: Any, header: tuple[str, ...], delimiter: str, lines_before: int
) -> Iterator[dict[str, Any] | Reject]:
    """The rows of a stretch whose every line is one record without a quote (`plain`):
    each line split at the delimiter, the values the csv module reads there, in two
    thirds of its time. The lines end where the reader's do (text read with newline="")."""
    for line, text in enumerate(handle, start=lines_before + 1):
        yield _row(header, text.rstrip("\r\n").split(delimiter), line)


def _row(header: tuple[str, ...], values: list[str], line: int) -> dict[str, Any] | Reject:
    """A row's values named by the header, or a reject when they do not fit it."""
    if len(values) != len(header):
        why = f"line {line}: {len(values)} values for {len(header)} columns"
        return Reject(why, dict(zip(header, values, strict=False)), line=line)
    return dict(zip(header, values, strict=True))


def _jsonl_rows(handle: Any, lines_before: int = 0) -> Iterator[dict[str, Any] | Reject]:
    for number, line in enumerate(handle, start=lines_before + 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            yield Reject(f"line {number}: invalid JSON: {error.msg}", line, line=number)
            continue
        if not isinstance(row, dict):
            kind = type(row).__name__
            yield Reject(f"line {number}: expected a JSON object, got {kind}", line, line=number)
            continue
        yield row


class _Stretch(NamedTuple):
    """Whole records of an export as text, and where they start: lines and rows before."""

    header: tuple[str, ...] | None
    text: str
    lines_before: int
    rows_before: int
    broken: str | None = None  # why the stretch is one unreadable line, not records
    plain: bool = False  # every line one record, with no quote, NUL or blank line


class _LineFeed:
    """A file's lines for the csv module, with the lines of the record just read kept,
    and a way to hand lines back so that they are read again."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.returned: list[str] = []
        self.taken: list[str] = []

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        line = self.returned.pop() if self.returned else next(self.handle)
        self.taken.append(line)
        return line

    def read_again(self, lines: list[str]) -> None:
        self.returned.extend(reversed(lines))


def _csv_stretches(handle: Any, delimiter: str, page_size: int) -> Iterator[_Stretch]:
    """Cut a CSV export every `page_size` rows at the record boundaries the csv module
    finds (a quoted field may span lines), keeping the text of each stretch to parse
    elsewhere. The reader asks for a line only when the record needs it, so the lines
    taken when a row comes back are exactly that row's.

    A record that spans lines and comes back the wrong width, or runs into the end of
    the file inside quotes, is a quote left open: its first line becomes a stretch of its
    own, broken, and the lines after it are read again.

    A line without a quote is one record whatever the reader makes of it, so a page of
    such lines, none blank (the usual export), is cut without the reader: one scan of its
    text instead of a Python call a line, in the process that also stores. Marked `plain`,
    it is parsed without the reader too (`_plain_records`).
    """
    feed = _LineFeed(handle)
    reader = csv.reader(feed, delimiter=delimiter, strict=True)
    header = _csv_header(reader)
    if header is None:
        return
    width = len(header)
    line, rows_before, rows = len(feed.taken), 0, 0
    lines_before = line
    lines: list[str] = []
    feed.taken.clear()
    while True:
        if not rows and not feed.returned:
            block = list(islice(handle, page_size))
            text = "".join(block)
            if not block:
                break
            if '"' not in text and "\x00" not in text and not _blank_lines(block):
                yield _Stretch(header, text, line, rows_before, plain=True)
                line += len(block)
                lines_before, rows_before = line, rows_before + len(block)
                continue
            feed.read_again(block)
        try:
            values = next(reader)
            broken = len(feed.taken) > 1 and len(values) != width
        except StopIteration:
            break
        except csv.Error as error:
            values = [""]  # a malformed record is one row: a reject
            broken = len(feed.taken) > 1 or "end of data" in str(error)
        taken, feed.taken = feed.taken, []
        if broken:
            if rows:
                yield _Stretch(header, "".join(lines), lines_before, rows_before)
            reason = f"line {line + 1}: unterminated quote opened on this line"
            yield _Stretch(header, taken[0], line, rows_before + rows, reason)
            feed.read_again(taken[1:])
            line += 1
            lines_before, rows_before, rows = line, rows_before + rows + 1, 0
            lines.clear()
            continue
        lines.extend(taken)
        line += len(taken)
        rows += 1 if values else 0
        if rows == page_size:
            yield _Stretch(header, "".join(lines), lines_before, rows_before)
            lines_before, rows_before, rows = line, rows_before + rows, 0
            lines.clear()
    if lines:
        yield _Stretch(header, "".join(lines), lines_before, rows_before)


def _blank_lines(lines: list[str]) -> int:
    """Lines that are no row (the reader skips them), which a page of rows does not count."""
    return lines.count("\n") + lines.count("\r\n") + lines.count("\r")


def _jsonl_stretches(handle: Any, page_size: int) -> Iterator[_Stretch]:
    """Cut a JSONL export every `page_size` lines (blank lines are no rows)."""
    lines_before = rows_before = 0
    while lines := list(islice(handle, page_size)):
        yield _Stretch(None, "".join(lines), lines_before, rows_before)
        lines_before += len(lines)
        rows_before += sum(1 for line in lines if line.strip())


class _ChunkContext(NamedTuple):
    """What parsing any chunk of one read needs."""

    system: str
    spec: ReadSpec
    horizon: Watermark | None
    snapshot: bool
    format: str
    delimiter: str
    max_field_bytes: int
    origin: str  # the export's digest, naming rows that have no id


def _digest(path: Path) -> str:
    """The export's content digest: a row without an id is named by it and its line."""
    digest = hashlib.blake2b(digest_size=8)
    try:
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError as error:
        raise ConnectorError(f"cannot open {path}: {error.strerror}") from error
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class FileChunk:
    """A page's worth of an export, unparsed: a string and a few numbers to pickle."""

    context: _ChunkContext
    stretch: _Stretch
    last: bool

    def parse(self) -> ParsedChunk:
        context, stretch = self.context, self.stretch
        handle = io.StringIO(stretch.text, newline="")
        rows: Iterator[dict[str, Any] | Reject]
        clean = False  # no value of the rows can be refused by `_row_problem`
        if stretch.broken is not None:
            values = next(csv.reader(handle, delimiter=context.delimiter), [])
            raw = dict(zip(stretch.header or (), values, strict=False))
            rows = iter([Reject(stretch.broken, raw, line=stretch.lines_before + 1)])
            first = stretch.rows_before + 2
        elif context.format == "csv":
            if stretch.plain:
                header = stretch.header or ()
                rows = _plain_records(handle, header, context.delimiter, stretch.lines_before)
            else:
                reader = csv.reader(handle, delimiter=context.delimiter)
                rows = _csv_records(reader, stretch.header, stretch.lines_before)
            first = stretch.rows_before + 2  # a row's number counts the header as line 1
            # A CSV value is a piece of the text: a clean text answers for all its values
            clean = _clean_text(stretch.text, context.max_field_bytes)
        else:
            rows = _jsonl_rows(handle, stretch.lines_before)
            first = stretch.rows_before + 1
        page = Page(
            snapshot=context.snapshot,
            snapshot_complete=context.snapshot and self.last,
            whole_export=True,
        )
        # Cursors compared as (time, id) tuples, as `Watermark` orders them: a Watermark a
        # record cost a parse more than its timestamp did; the newest is made one at the end.
        newest: tuple[datetime, str] | None = None
        since = context.horizon
        horizon = None if since is None else (since.modified_at, since.record_id)
        reread = context.spec.reread_ids
        for number, row in enumerate(rows, start=first):
            outcome = _to_record(context, row, number, clean=clean)
            if isinstance(outcome, Reject):
                page.rejects.append(outcome)
                continue
            if outcome.modified_at is None:
                page.records.append(outcome)
                continue
            cursor = (outcome.modified_at, outcome.id)
            if newest is None or cursor > newest:
                newest = cursor
            if horizon is None or cursor > horizon or outcome.id in reread:
                page.records.append(outcome)
        return ParsedChunk(page, None if newest is None else Watermark(*newest))


def _to_record(
    context: _ChunkContext, row: dict[str, Any] | Reject, line: int, *, clean: bool
) -> SourceRecord | Reject:
    """A row as a record, or a reject with its reason; `clean` when the text the row
    came from is known to hold no value `_row_problem` refuses."""
    spec = context.spec
    if isinstance(row, Reject):
        known_id = row.raw.get(spec.id_field) if isinstance(row.raw, dict) else None
        source_id = str(known_id).strip() if known_id else None
        return Reject(row.reason, row.raw, source_id or None, row.line, context.origin)
    problem = None if clean else _row_problem(row, context.max_field_bytes)
    record_id = row.get(spec.id_field)
    record_id = str(record_id).strip() if record_id is not None else ""
    if problem is None and not record_id:
        problem = f"missing id: {spec.id_field!r} is empty"
    modified_at = None
    if problem is None and spec.modified_at_field:
        raw_time = row.get(spec.modified_at_field)
        if raw_time not in (None, ""):
            try:
                modified_at = parse_timestamp(raw_time)
            except (ValueError, OverflowError):
                problem = f"unparseable {spec.modified_at_field} {raw_time!r}"
    if problem is not None:
        return Reject(f"line {line}: {problem}", row, record_id or None, line, context.origin)
    flag = str(row.get(spec.deleted_field, "")) if spec.deleted_field else ""
    deleted = flag.strip().lower() in _TRUE
    return SourceRecord(context.system, spec.object, record_id, modified_at, deleted, row, line)


_SURROGATE = re.compile("[\udc80-\udcff]")
_SUSPECT = re.compile("[\udc80-\udcff\x00]")


def _clean_text(text: str, max_field_bytes: int) -> bool:
    """No value within the text can be refused: it holds no suspect character and is too
    short to hold an oversized value (UTF-8 takes at most 4 bytes a character). Checked
    without encoding: a larger text is left to the per-row check, which names the field."""
    return len(text) <= max_field_bytes // 4 and _SUSPECT.search(text) is None


def _row_problem(row: dict[str, Any], max_field_bytes: int) -> str | None:
    """Invalid UTF-8, NUL bytes and oversized values make a record unstorable as it is.

    One scan of the joined row finds the common case (nothing wrong) in a single call;
    only a suspect row is searched field by field for the reason.
    """
    if _clean_text("".join([v for v in row.values() if isinstance(v, str)]), max_field_bytes):
        return None
    for key, value in row.items():
        if not isinstance(value, str):
            continue
        if _SURROGATE.search(value):
            return f"invalid UTF-8 in field {key!r}"
        if "\x00" in value:
            return f"NUL byte in field {key!r}"
        if len(value) > max_field_bytes // 4 and len(value.encode()) > max_field_bytes:
            size = len(value.encode())
            return f"field {key!r} is {size} bytes, over the {max_field_bytes}-byte limit"
    return None


def _infer_type(values: list[Any]) -> FieldType:
    """A column's type from sample values.

    CSV cells are text: digits stay strings (postcodes, phone numbers), and only dates,
    booleans and emails are recognised. JSONL keeps JSON's own number and boolean types.
    """
    present = [v for v in values if v not in (None, "")]
    if not present:
        return FieldType.STRING
    if all(isinstance(v, bool) for v in present):
        return FieldType.BOOLEAN
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return FieldType.INTEGER
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return FieldType.NUMBER
    if not all(isinstance(v, str) for v in present):
        return FieldType.UNKNOWN
    texts = [v.strip() for v in present]
    lowered = {t.lower() for t in texts}
    if lowered <= _BOOLEAN_WORDS and lowered & {"true", "false", "yes", "no", "y", "n"}:
        return FieldType.BOOLEAN
    if all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", t) for t in texts):
        return FieldType.DATE
    if all(re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?.*", t) for t in texts):
        return FieldType.DATETIME
    if sum("@" in t for t in texts) > len(texts) // 2:
        return FieldType.EMAIL
    return FieldType.STRING
