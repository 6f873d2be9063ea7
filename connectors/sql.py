"""A table or a query in any database SQLAlchemy reaches, read incrementally.

For systems that land their data in a database rather than behind an API. Rows are read
in (change time, id) order with keyset paging, so each page's last row is a checkpoint
and a resumed read neither skips nor repeats rows sharing one change time. The change
column must hold timestamps (a DATETIME/TIMESTAMP column, or a query that casts to one).
Deletions come from a flag column (`deleted_field` in the mapping).

Source options (`SqlOptions`; others are refused): `url` (or the connection's `url`
credential, which wins: a URL may carry a password), `page_size`. Object options
(`sources[].objects.<name>`): `table: name` or `query: SELECT ...` (exactly one).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    FromClause,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    and_,
    column,
    create_engine,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import Function

from connectors.base import (
    ConnectorError,
    FieldSchema,
    FieldType,
    ObjectSchema,
    Page,
    ReadSpec,
    SourceRecord,
    Watermark,
    WriteRequest,
    WriteResult,
    WriteStatus,
    parse_timestamp,
)
from connectors.options import ConnectorOptions, unknown_listed

PAGE_SIZE = 1000
# SQLite keeps timestamps as text in whichever shape the writer chose; ordering and the
# cursor compare them normalised to this one (milliseconds, as SQLite's %f gives).
SQLITE_TIME = "%Y-%m-%d %H:%M:%f"
_TRUE = frozenset({"true", "t", "yes", "y", "1"})
_OBJECT_OPTIONS = ("query", "table")


@dataclass(frozen=True)
class SqlOptions(ConnectorOptions):
    """A SQL source's options: its database and what each object reads."""

    label: ClassVar[str] = "sql"

    url: str | None = None
    objects: dict[str, Any] = field(default_factory=dict)
    page_size: int = PAGE_SIZE

    def check(self) -> None:
        if self.page_size < 1:
            raise ConnectorError("sql option page_size must be at least 1")
        for name, spec in self.objects.items():
            given = set(spec or {})
            if unknown := unknown_listed(given, _OBJECT_OPTIONS):
                raise ConnectorError(f"sql object {name!r}: unknown option(s) {unknown}")
            if len(given) != 1:
                raise ConnectorError(f"sql object {name!r} needs exactly one of table, query")


class SqlConnector:
    system: str
    max_write_batch = 1

    def __init__(
        self, system: str, url: str, objects: Mapping[str, Mapping[str, Any]], page_size: int
    ) -> None:
        self.system = system
        self.objects = dict(objects)
        self.page_size = page_size
        self.engine = create_engine(url)

    @classmethod
    def from_config(
        cls, system: str, options: Mapping[str, Any], credentials: Mapping[str, str]
    ) -> SqlConnector:
        parsed = SqlOptions.from_mapping(options)
        url = credentials.get("url") or parsed.url
        if not url:
            raise ConnectorError(f"sql source {system!r} needs a `url` (option or credential)")
        return cls(system, url, parsed.objects, parsed.page_size)

    def _source(self, object_name: str) -> FromClause:
        spec = self.objects.get(object_name)
        if spec is None:
            raise ConnectorError(f"sql source {self.system!r} has no object {object_name!r}")
        try:
            if "table" in spec:
                return Table(spec["table"], MetaData(), autoload_with=self.engine)
            query = text(spec["query"])
            with self.engine.connect() as connection:
                names = connection.execute(
                    select(text("*")).select_from(query.columns().subquery()).limit(0)
                ).keys()
            return query.columns(*(column(name) for name in names)).subquery(object_name)
        except SQLAlchemyError as error:
            raise ConnectorError(
                f"{self.system} {object_name}: {error.__class__.__name__}"
            ) from None

    def discover(self, object_name: str) -> ObjectSchema:
        """A table's reflected column types; a query's columns, typed UNKNOWN (untyped SQL)."""
        source = self._source(object_name)
        return ObjectSchema(
            self.system,
            object_name,
            {c.name: FieldSchema(c.name, _field_type(c.type)) for c in source.c},
        )

    def read_changes(
        self, spec: ReadSpec, since: Watermark | None, *, full: bool = False
    ) -> Iterator[Page]:
        source = self._source(spec.object).alias("source")
        columns = source.c
        identity = columns[spec.id_field]
        changed: ColumnElement[Any] | None = (
            columns[spec.modified_at_field] if spec.modified_at_field else None
        )
        if changed is not None and self.engine.dialect.name == "sqlite":
            changed = func.strftime(SQLITE_TIME, changed)  # one text shape, whatever was stored
        order = [identity] if changed is None else [changed, identity]
        after = None if full else since
        while True:
            query = select(source).order_by(*order).limit(self.page_size)
            if after is not None:
                query = query.where(_after(changed, identity, after))
            with self.engine.connect() as connection:
                rows = [dict(r._mapping) for r in connection.execute(query)]
            records = [self._record(spec, row) for row in rows]
            last = records[-1].cursor if records else None
            if records:
                after = last if changed is not None else Watermark(datetime.min, records[-1].id)
            yield Page(records=records, checkpoint=last)
            if len(rows) < self.page_size:
                return

    def _record(self, spec: ReadSpec, row: dict[str, Any]) -> SourceRecord:
        changed = row.get(spec.modified_at_field) if spec.modified_at_field else None
        flag = row.get(spec.deleted_field) if spec.deleted_field else None
        return SourceRecord(
            system=self.system,
            object=spec.object,
            id=str(row[spec.id_field]),
            modified_at=parse_timestamp(changed) if changed is not None else None,
            deleted=flag is True or str(flag).strip().lower() in _TRUE,
            fields={k: _plain(v) for k, v in row.items()},
        )

    def write_batch(self, object_name: str, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """A database source is read-only here; each request says so."""
        message = f"{self.system} is a SQL source: write-back is not supported"
        return [WriteResult(WriteStatus.REJECTED, r.record_id, message) for r in requests]

    def close(self) -> None:
        self.engine.dispose()


def _after(
    changed: ColumnElement[Any] | None, identity: Any, since: Watermark
) -> ColumnElement[bool]:
    """Rows strictly after the cursor in (change time, id) order, as bound parameters."""
    last_id: Any = int(since.record_id) if isinstance(identity.type, Integer) else since.record_id
    if changed is None:
        return identity > last_id  # type: ignore[no-any-return]
    at: Any = since.modified_at
    if isinstance(changed, Function):
        at = at.strftime(SQLITE_TIME.replace("%f", "%S.")) + f"{at.microsecond // 1000:03d}"
    elif not getattr(changed.type, "timezone", False):
        at = at.replace(tzinfo=None)  # a naive column holds UTC
    return or_(changed > at, and_(changed == at, identity > last_id))


def _plain(value: Any) -> Any:
    """Values as the mapping engine takes them from other sources (dates as ISO text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _field_type(column_type: Any) -> FieldType:
    for kind, field_type in (
        (Boolean, FieldType.BOOLEAN),
        (DateTime, FieldType.DATETIME),
        (Date, FieldType.DATE),
        (Integer, FieldType.INTEGER),
        (Numeric, FieldType.NUMBER),
    ):
        if isinstance(column_type, kind):
            return field_type
    return FieldType.STRING if isinstance(column_type, String) else FieldType.UNKNOWN
