"""Records to integer-coded feature columns: the only per-record Python work of a resolve.

Every later step (blocking, comparison, scoring) works on these numpy arrays. Each raw
value is normalized once per distinct value; a column stores one int32 code per record
(-1 = missing) and the array of distinct normalized values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from identity import normalize as nz
from identity.records import OrganizationRecord, PersonRecord
from identity.settings import ResolutionSettings

MISSING = -1


@dataclass(frozen=True)
class Column:
    """A single-valued feature: one code per record into `values`."""

    codes: np.ndarray
    values: np.ndarray
    ordinals: np.ndarray | None = None  # for dates: day number of each value


@dataclass(frozen=True)
class MultiColumn:
    """A multi-valued feature (emails, phones, domains) as (record, code) rows."""

    records: np.ndarray
    codes: np.ndarray
    values: np.ndarray
    primary: Column


@dataclass
class FeatureTable:
    n: int
    columns: dict[str, Column] = field(default_factory=dict)
    multi: dict[str, MultiColumn] = field(default_factory=dict)

    def codes(self, name: str) -> np.ndarray:
        """Per-record codes of a feature; a multi-valued feature gives its primary value."""
        return self.columns[name].codes if name in self.columns else self.multi[name].primary.codes

    def values(self, name: str) -> np.ndarray:
        return self.columns[name].values if name in self.columns else self.multi[name].values


class _Coder:
    """Assigns dense codes to normalized values, normalizing each raw value once."""

    def __init__(self, normalizer: Callable[[object], str]) -> None:
        self._normalizer = normalizer
        self._normalized: dict[object, str] = {}
        self._codes: dict[str, int] = {}

    def code(self, raw: object) -> int:
        if raw is None or raw == "":
            return MISSING
        key = self._normalized.get(raw)
        if key is None:
            key = self._normalized[raw] = self._normalizer(raw)
        if not key:
            return MISSING
        return self._codes.setdefault(key, len(self._codes))

    def values(self) -> np.ndarray:
        out = np.empty(len(self._codes), dtype=object)
        out[:] = list(self._codes)
        return out


def _column(raw: Iterable[object], normalizer: Callable[[object], str]) -> Column:
    coder = _Coder(normalizer)
    codes = np.fromiter((coder.code(v) for v in raw), dtype=np.int32)
    return Column(codes, coder.values())


def _multi_column(
    raw: Sequence[Sequence[object]], normalizer: Callable[[object], str]
) -> MultiColumn:
    coder = _Coder(normalizer)
    records: list[int] = []
    codes: list[int] = []
    primary = np.full(len(raw), MISSING, dtype=np.int32)
    for i, values in enumerate(raw):
        seen: set[int] = set()
        for value in values:
            code = coder.code(value)
            if code != MISSING and code not in seen:
                seen.add(code)
                records.append(i)
                codes.append(code)
                if len(seen) == 1:
                    primary[i] = code
    values_array = coder.values()
    return MultiColumn(np.asarray(records, dtype=np.int32), np.asarray(codes, dtype=np.int32),
                       values_array, Column(primary, values_array))


def _date_column(raw: Iterable[object]) -> Column:
    def as_text(value: object) -> str:
        parsed = nz.date_key(value)  # type: ignore[arg-type]
        return parsed.strftime("%Y%m%d") if parsed else ""

    column = _column(raw, as_text)
    ordinals = np.fromiter(
        (np.datetime64(f"{v[:4]}-{v[4:6]}-{v[6:]}").astype(np.int64) for v in column.values),
        dtype=np.int64, count=len(column.values),
    )
    return Column(column.codes, column.values, ordinals)


def _address_fields(records: Sequence[PersonRecord | OrganizationRecord]) -> dict[str, list]:
    first = [r.addresses[0] if r.addresses else None for r in records]
    return {
        name: [getattr(a, name) if a else None for a in first]
        for name in ("street", "city", "postcode", "region")
    }


def _split_full_name(record: PersonRecord) -> tuple[str | None, str | None]:
    """Given and family name, from `full_name` when the parts are missing."""
    if record.given_name or record.family_name or not record.full_name:
        return record.given_name, record.family_name
    given, _, family = record.full_name.strip().partition(" ")
    return given, family or None


def person_features(records: Sequence[PersonRecord], settings: ResolutionSettings) -> FeatureTable:
    names = [_split_full_name(r) for r in records]
    table = FeatureTable(len(records))
    table.columns["given_name"] = _column((g for g, _ in names),
                                          lambda v: nz.given_name_key(str(v), nicknames=False))
    table.columns["given_formal"] = _column(
        (g for g, _ in names), lambda v: nz.given_name_key(str(v), settings.nicknames))
    table.columns["family_name"] = _column((f for _, f in names),
                                           lambda v: nz.family_name_key(str(v)))
    table.columns["birth_date"] = _date_column(r.birth_date for r in records)
    table.columns["national_id"] = _column((r.national_id for r in records),
                                           lambda v: nz.national_id_key(str(v)))
    _add_contact_features(table, records, settings)
    return table


def organization_features(
    records: Sequence[OrganizationRecord], settings: ResolutionSettings
) -> FeatureTable:
    table = FeatureTable(len(records))
    table.columns["name"] = _column((r.name or r.legal_name for r in records),
                                    lambda v: nz.organization_name_key(str(v)))
    table.columns["tax_id"] = _column((r.tax_id for r in records),
                                      lambda v: nz.national_id_key(str(v)))
    table.multi["domain"] = _multi_column(
        [[*r.domains, *r.emails] for r in records], lambda v: nz.domain_key(str(v)))
    _add_contact_features(table, records, settings)
    return table


def _add_contact_features(
    table: FeatureTable,
    records: Sequence[PersonRecord | OrganizationRecord],
    settings: ResolutionSettings,
) -> None:
    table.multi["email"] = _multi_column(
        [r.emails for r in records],
        lambda v: nz.email_key(str(v), settings.gmail_dots, settings.plus_tags))
    table.multi["phone"] = _multi_column(
        [r.phones for r in records], lambda v: nz.phone_key(str(v), settings.default_phone_region))
    address = _address_fields(records)
    table.columns["street"] = _column(address["street"], lambda v: nz.street_key(str(v)))
    table.columns["city"] = _column(address["city"], lambda v: nz.fold(str(v)))
    table.columns["postcode"] = _column(address["postcode"], lambda v: nz.postcode_key(str(v)))
    table.columns["region"] = _column(address["region"], lambda v: nz.fold(str(v)))


def build_features(
    records: Sequence[PersonRecord | OrganizationRecord], kind: str, settings: ResolutionSettings
) -> FeatureTable:
    if kind == "person":
        return person_features(records, settings)  # type: ignore[arg-type]
    return organization_features(records, settings)  # type: ignore[arg-type]
