"""Records to integer-coded feature columns: the only per-record Python work of a resolve.

Every later step (blocking, comparison, scoring) works on these numpy arrays. A column
stores one int32 code per record (-1 = missing) and the array of distinct normalized
values. Records are read column by column (one attribute over all records at a time),
raw values are coded through a dict, and each normalizer runs once per distinct raw
value: at a million records that is the difference between seconds and minutes.

Records arrive in chunks (`FeatureBuilder.add`), so a resolve never needs the whole
batch of pydantic records in memory at once: only the codes and the distinct values stay.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from itertools import chain, count, filterfalse, pairwise, repeat
from typing import Any, NamedTuple, cast

import numpy as np

from identity import normalize as nz
from identity.records import OrganizationRecord, PersonRecord, Record
from identity.settings import ResolutionSettings

MISSING = -1
_UNSEEN = -2  # a raw value the encoder has not normalized yet
Normalizer = Callable[[object], str]


@dataclass(frozen=True)
class Column:
    """A single-valued feature: one code per record into `values`."""

    codes: np.ndarray
    values: np.ndarray
    ordinals: np.ndarray | None = None  # for dates: day number of each value

    @cached_property
    def counts(self) -> tuple[np.ndarray, int]:
        """Records per value, and records with a value (frequencies, read by several
        comparisons and the stored model: counted once)."""
        present = self.codes[self.codes >= 0]
        return np.bincount(present, minlength=len(self.values)), len(present)

    @cached_property
    def tokens(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per value: a code of its first token, and a code of the rest of it (-1 for a
        single token) into the returned array of rests ("garcia lopez": garcia, lopez)."""
        firsts: dict[str, int] = {}
        rests: dict[str, int] = {}
        first_codes = np.empty(len(self.values), dtype=np.int64)
        rest_codes = np.full(len(self.values), -1, dtype=np.int64)
        for i, value in enumerate(self.values):
            first, _, rest = value.partition(" ")
            first_codes[i] = firsts.setdefault(first, len(firsts))
            if rest:
                rest_codes[i] = rests.setdefault(rest, len(rests))
        return first_codes, rest_codes, np.array(list(rests), dtype=object)


PADDED_WIDTH = 8  # values per record kept in the padded table; records with more are searched


@dataclass(frozen=True)
class ValueIndex:
    """A multi-valued feature arranged for pair lookups, built once per resolve.

    `padded` holds each record's codes in a row (-1 after its last), as wide as the most
    values any record has, up to PADDED_WIDTH: a pair's values are then compared row by
    row. `wide` marks the records with more values than that (None when there are none);
    their pairs are looked up in `owned` (every (record, code) as a sorted key
    record * len(values) + code, built only if such a pair comes) through
    `codes_by_record` and `starts` (a record's codes in order, from `starts[record]`).
    `frequency` counts each value's records.
    """

    padded: np.ndarray
    wide: np.ndarray | None
    codes_by_record: np.ndarray
    starts: np.ndarray
    frequency: np.ndarray

    @cached_property
    def owned(self) -> np.ndarray:
        records = np.repeat(np.arange(len(self.starts) - 1, dtype=np.int64), np.diff(self.starts))
        return np.sort(records * max(len(self.frequency), 1) + self.codes_by_record)


def _value_index(column: MultiColumn) -> ValueIndex:
    n = len(column.primary.codes)
    records, codes = column.records, column.codes  # in record order (`_MultiParts`)
    starts = np.searchsorted(records, np.arange(n + 1))
    counts = starts[1:] - starts[:-1]  # np.diff's checks cost more than a small index
    width = int(min(counts.max(initial=0), PADDED_WIDTH))
    position = np.arange(len(records)) - starts[records]
    kept = position < width
    padded = np.full((n, max(width, 1)), MISSING, dtype=np.int32)
    padded[records[kept], position[kept]] = codes[kept]
    wide = counts > width
    return ValueIndex(padded, wide if wide.any() else None, codes, starts, column.counts[0])


@dataclass(frozen=True)
class MultiColumn:
    """A multi-valued feature (emails, phones, domains) as (record, code) rows, in record
    order (a record's values in its own order)."""

    records: np.ndarray
    codes: np.ndarray
    values: np.ndarray
    primary: Column

    @cached_property
    def index(self) -> ValueIndex:
        return _value_index(self)

    @cached_property
    def counts(self) -> tuple[np.ndarray, int]:
        """Records per value (a record holds each of its values once), and records with a
        value (those with a primary one)."""
        return (
            np.bincount(self.codes, minlength=len(self.values)),
            int(np.count_nonzero(self.primary.codes >= 0)),
        )


@dataclass
class FeatureTable:
    n: int
    columns: dict[str, Column] = field(default_factory=dict)
    multi: dict[str, MultiColumn] = field(default_factory=dict)

    def column(self, name: str) -> Column:
        """A feature as one code per record; a multi-valued feature gives its primary value."""
        return self.columns[name] if name in self.columns else self.multi[name].primary

    def codes(self, name: str) -> np.ndarray:
        return self.column(name).codes

    def counts(self, name: str) -> tuple[np.ndarray, int]:
        """Records per value of a feature, and records with a value."""
        return self.multi[name].counts if name in self.multi else self.columns[name].counts

    def values(self, name: str) -> np.ndarray:
        return self.column(name).values


def _object_array(items: Sequence[object]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = list(items)
    return out


def normalized_value(normalizer: Normalizer, value: object) -> str:
    """A raw value's normalized value ("" for none: empty, or normalized away)."""
    return normalizer(value) if value is not None and value != "" else ""


class Encoder:
    """Codes normalized values chunk by chunk; the normalizer runs once per distinct raw
    value over all chunks, and codes stay stable as chunks arrive."""

    def __init__(self, normalizer: Normalizer) -> None:
        self.normalizer = normalizer
        self.known: dict[object, int] = {}  # raw value -> code of its normalized value
        self.value_index: dict[str, int] = {}

    def encode(self, raw: Iterable[object], normalized: bool = False) -> np.ndarray:
        """Codes of one chunk's raw values (MISSING where empty or normalized away), or of
        values already normalized (a store's `normalized_values`; "" where missing).

        Most raw values were seen before (names, cities, a person's email on each of their
        records): one dict lookup each, in C; Python runs only for the values never seen."""
        raw = raw if isinstance(raw, Sequence) else list(raw)
        if normalized:  # a store's normalized values are strings
            self._index_all(cast(Sequence[str], raw))
            return np.fromiter(
                map(self.value_index.get, raw, repeat(MISSING)), dtype=np.int32, count=len(raw)
            )
        found = np.fromiter(
            map(self.known.get, raw, repeat(_UNSEEN)), dtype=np.int64, count=len(raw)
        )
        unseen = np.flatnonzero(found == _UNSEEN)
        if len(unseen):
            found[unseen] = [self._code(raw[i]) for i in unseen.tolist()]
        return found.astype(np.int32)

    def _index_all(self, values: Sequence[str]) -> None:
        """Codes for the normalized values not seen yet, in order of first appearance, all
        in C (a small batch's values are mostly new)."""
        fresh = dict.fromkeys(values)
        fresh.pop("", None)
        new = list(filterfalse(self.value_index.__contains__, fresh))
        self.value_index.update(zip(new, count(len(self.value_index))))

    def _code(self, value: object) -> int:
        code = self.known.get(value)
        if code is None:
            key = normalized_value(self.normalizer, value)
            code = self.value_index.setdefault(key, len(self.value_index)) if key else MISSING
            self.known[value] = code
        return code

    def values(self) -> np.ndarray:
        return _object_array(list(self.value_index))


def _date_text(value: object) -> str:
    parsed = nz.date_key(value)  # type: ignore[arg-type]
    # not strftime: it writes year 999 as "999", and the day numbers read 4-digit years
    return f"{parsed.year:04d}{parsed.month:02d}{parsed.day:02d}" if parsed else ""


def _day_numbers(values: np.ndarray) -> np.ndarray:
    days = np.array([f"{v[:4]}-{v[4:6]}-{v[6:]}" for v in values], dtype="datetime64[D]")
    return days.astype(np.int64)


class _MultiParts:
    """The (record, code) rows of a multi-valued feature, gathered chunk by chunk."""

    def __init__(self, normalizer: Normalizer) -> None:
        self.encoder = Encoder(normalizer)
        self.records: list[np.ndarray] = []
        self.codes: list[np.ndarray] = []

    def add(self, raw: Sequence[Sequence[object]], offset: int, normalized: bool) -> None:
        """Each record's distinct values in their order (the first is its primary)."""
        lengths = np.fromiter(map(len, raw), dtype=np.int64, count=len(raw))
        records = np.repeat(np.arange(len(raw), dtype=np.int64), lengths)
        codes = self.encoder.encode(chain.from_iterable(raw), normalized).astype(np.int64)
        keep = codes >= 0
        records, codes = records[keep], codes[keep]
        _, first = np.unique(records * (int(codes.max(initial=0)) + 1) + codes, return_index=True)
        first.sort()
        self.records.append((records[first] + offset).astype(np.int32))
        self.codes.append(codes[first].astype(np.int32))

    def finish(self, n: int) -> MultiColumn:
        records = np.concatenate(self.records) if self.records else np.empty(0, np.int32)
        codes = np.concatenate(self.codes) if self.codes else np.empty(0, np.int32)
        values = self.encoder.values()
        primary = np.full(n, MISSING, dtype=np.int32)
        leading = np.concatenate(([True], records[1:] != records[:-1]))[: len(records)]
        primary[records[leading]] = codes[leading]
        return MultiColumn(records, codes, values, Column(primary, values))


def _first_addresses(records: Sequence[Record]) -> list[Any]:
    return [r.addresses[0] if r.addresses else None for r in records]


def _address_part(addresses: list[Any], name: str) -> list[object]:
    return [getattr(a, name) if a is not None else None for a in addresses]


def _names(records: Sequence[PersonRecord]) -> tuple[list[object], list[object]]:
    """Given and family names, split from `full_name` where both parts are missing."""
    given: list[object] = [r.given_name for r in records]
    family: list[object] = [r.family_name for r in records]
    for i, record in enumerate(records):
        if given[i] is None and family[i] is None and record.full_name:
            first, _, rest = record.full_name.strip().partition(" ")
            given[i], family[i] = first, rest or None
    return given, family


RawColumns = tuple[dict[str, Sequence[object]], dict[str, Sequence[Sequence[object]]]]


def _contact_raw(records: Sequence[Record]) -> RawColumns:
    addresses = _first_addresses(records)
    single: dict[str, Sequence[object]] = {
        name: _address_part(addresses, name) for name in ("street", "city", "postcode", "region")
    }
    return single, {"email": [r.emails for r in records], "phone": [r.phones for r in records]}


def _person_raw(records: Sequence[PersonRecord]) -> RawColumns:
    given, family = _names(records)
    single, multi = _contact_raw(records)
    single |= {
        "given_name": given,
        "given_formal": given,
        "family_name": family,
        "family_first": family,
        "generation": family,
        "birth_date": [r.birth_date for r in records],
        "national_id": [r.national_id for r in records],
        "job_title": [r.job_title for r in records],
    }
    multi["employer"] = [
        [r.organization_name, *r.emails] if r.organization_name else r.emails for r in records
    ]
    multi["mailbox_employer"] = multi["email"]
    multi["given_names"] = [
        [name for name in (g, r.preferred_name) if name]
        for g, r in zip(given, records, strict=True)
    ]
    return single, multi


def _organization_raw(records: Sequence[OrganizationRecord]) -> RawColumns:
    single, multi = _contact_raw(records)
    single |= {
        "name": [r.name or r.legal_name for r in records],
        "tax_id": [r.tax_id for r in records],
    }
    multi["domain"] = [[*r.domains, *r.emails] for r in records]
    return single, multi


def normalizers(settings: ResolutionSettings) -> dict[str, Normalizer]:
    """The normalizer of every feature (settings decide nicknames and email folding)."""
    return {
        "given_name": lambda v: nz.given_name_key(str(v), False),
        "given_formal": lambda v: nz.given_name_key(str(v), settings.nicknames),
        "given_names": lambda v: nz.given_name_key(str(v), settings.nicknames),
        "family_name": lambda v: nz.family_name_key(str(v)),
        "family_first": lambda v: nz.first_token(nz.family_name_key(str(v))),
        "generation": lambda v: nz.generation_key(str(v)),
        "birth_date": _date_text,
        "national_id": lambda v: nz.national_id_key(str(v)),
        "tax_id": lambda v: nz.national_id_key(str(v)),
        "name": lambda v: nz.organization_name_key(str(v)),
        "domain": lambda v: nz.domain_key(str(v)),
        "email": lambda v: nz.email_key(str(v), settings.gmail_dots, settings.plus_tags),
        "phone": lambda v: nz.phone_match_key(str(v)),
        "employer": lambda v: nz.employer_key(str(v)),
        "mailbox_employer": lambda v: nz.mailbox_employer_key(str(v)),
        "street": lambda v: nz.street_key(str(v)),
        "city": lambda v: nz.fold(str(v)),
        "job_title": lambda v: nz.fold(str(v)),
        "postcode": lambda v: nz.postcode_key(str(v)),
        "region": lambda v: nz.fold(str(v)),
    }


_RAW: dict[str, Callable[[Sequence[Any]], RawColumns]] = {
    "person": _person_raw,
    "organization": _organization_raw,
}
DATE_FEATURES: frozenset[str] = frozenset({"birth_date"})


def raw_columns(kind: str, records: Sequence[Record]) -> RawColumns:
    """The raw values of records of one kind, a list per feature: the part of building
    features that needs the records (plain lists, cheap to send to another process)."""
    return _RAW[kind](records)


def feature_layout(kind: str) -> tuple[list[str], list[str]]:
    """The single- and multi-valued features of an entity kind, in the order a
    `NormalizedRecord` holds their values."""
    single, multi = _RAW[kind]([])
    return list(single), list(multi)


class NormalizedRecord(NamedTuple):
    """A record as its normalized feature values (`normalized_values`): all a resolve
    needs to block and score it, kept by a store so an incremental resolve reads its
    neighbours without parsing and normalizing them again (a tuple: tens of thousands
    are made at a time)."""

    key: str
    kind: str
    values: Sequence[Any]  # per `feature_layout`: a value ("" if none), then lists of values


def normalized_values(
    kind: str, table: FeatureTable, start: int = 0, stop: int | None = None
) -> list[list[Any]]:
    """Each record's normalized values (of rows `start`..`stop`), as
    `NormalizedRecord.values` holds them."""
    stop = table.n if stop is None else stop
    single, multi = feature_layout(kind)
    columns: list[list[Any]] = []
    for name in single:
        column = table.columns[name]
        codes = column.codes[start:stop]
        found = (
            column.values[np.maximum(codes, 0)]
            if len(column.values)
            else np.full(len(codes), "", dtype=object)
        )
        found[codes < 0] = ""
        columns.append(found.tolist())
    for name in multi:
        listed = table.multi[name]
        starts = np.searchsorted(listed.records, np.arange(start, stop + 1))
        values = listed.values[listed.codes[starts[0] : starts[-1]]].tolist()
        columns.append([values[a:b] for a, b in pairwise((starts - starts[0]).tolist())])
    return [list(row) for row in zip(*columns, strict=True)]


def normalized_columns(kind: str, records: Sequence[NormalizedRecord]) -> RawColumns:
    """The values of normalized records of one kind, laid out as `raw_columns` lays out
    raw ones (for `FeatureBuilder.add_raw(..., normalized=True)`)."""
    single, multi = feature_layout(kind)
    columns: list[Any] = list(zip(*(r.values for r in records), strict=True)) or [()] * (
        len(single) + len(multi)
    )
    return (
        dict(zip(single, columns[: len(single)], strict=True)),
        dict(zip(multi, columns[len(single) :], strict=True)),
    )


class FeatureBuilder:
    """Feature columns of one entity kind, built from records added chunk by chunk."""

    def __init__(self, kind: str, settings: ResolutionSettings) -> None:
        self.kind = kind
        self.n = 0
        self._normalizers = normalizers(settings)
        self._single: dict[str, tuple[Encoder, list[np.ndarray]]] = {}
        self._multi: dict[str, _MultiParts] = {}

    def add(self, records: Sequence[Record]) -> None:
        self.add_raw(raw_columns(self.kind, records), len(records))

    def add_raw(self, raw: RawColumns, count: int, normalized: bool = False) -> None:
        """A chunk of `count` records, as `raw_columns` gives them (or, `normalized`, as
        `normalized_columns` does)."""
        single, multi = raw
        for name, values in single.items():
            encoder, parts = self._single.setdefault(name, (Encoder(self._normalizers[name]), []))
            parts.append(encoder.encode(values, normalized))
        for name, lists in multi.items():
            self._multi.setdefault(name, _MultiParts(self._normalizers[name])).add(
                lists, self.n, normalized
            )
        self.n += count

    def finish(self) -> FeatureTable:
        table = FeatureTable(self.n)
        for name, (encoder, parts) in self._single.items():
            values = encoder.values()
            codes = np.concatenate(parts) if parts else np.empty(0, np.int32)
            ordinals = _day_numbers(values) if name in DATE_FEATURES else None
            table.columns[name] = Column(codes, values, ordinals)
        table.multi = {name: parts.finish(self.n) for name, parts in self._multi.items()}
        return table


def build_features(
    records: Sequence[Record], kind: str, settings: ResolutionSettings
) -> FeatureTable:
    """The feature table of records that are all of one kind."""
    builder = FeatureBuilder(kind, settings)
    builder.add(records)
    return builder.finish()
