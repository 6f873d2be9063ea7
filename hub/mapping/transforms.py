"""The transforms a mapping file can chain, each a small pure function.

Every transform declares which source field types it accepts and which type it
produces, so `relhub mappings validate` can catch a date transform on a boolean field
before a sync ever runs. A value a transform cannot handle raises `InvalidValue`: the
record is quarantined (or the value dropped) with that reason.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

import phonenumbers

from connectors.base import FieldType
from identity.phones import PhoneError, to_e164

Value = Any
Transform = Callable[[Value], Value]


class InvalidValue(ValueError):
    """A value a transform cannot turn into its canonical form."""


TEXT_TYPES = frozenset(
    {
        FieldType.STRING,
        FieldType.TEXT,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.URL,
        FieldType.PICKLIST,
        FieldType.MULTIPICKLIST,
        FieldType.ID,
        FieldType.REFERENCE,
        FieldType.ADDRESS,
        FieldType.UNKNOWN,
    }
)
DATE_TYPES = frozenset({FieldType.DATE, FieldType.DATETIME, *TEXT_TYPES})
ANY_TYPE: frozenset[FieldType] = frozenset(FieldType)


@dataclass(frozen=True)
class TransformKind:
    """A transform's factory and its type contract."""

    build: Callable[[Mapping[str, Any]], Transform]
    accepts: frozenset[FieldType]
    produces: FieldType | None  # None: the input type passes through
    combines: bool = False  # takes the list of a multi-field `from` and returns one value


def _text(value: Value) -> str:
    return value if isinstance(value, str) else str(value)


def _trim(_: Mapping[str, Any]) -> Transform:
    return lambda v: " ".join(_text(v).split()) or None


def _case(mode: str) -> Callable[[Mapping[str, Any]], Transform]:
    methods = {"lower": str.lower, "upper": str.upper, "title": str.title}
    method = methods[mode]
    return lambda _: lambda v: method(_text(v))


def fold_unicode(text: str) -> str:
    """Strip accents and compatibility forms: "Martínez" -> "Martinez"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _unicode_fold(_: Mapping[str, Any]) -> Transform:
    return lambda v: fold_unicode(_text(v))


NAME_PARTICLES = frozenset(
    {
        "de",
        "del",
        "la",
        "las",
        "los",
        "da",
        "das",
        "do",
        "dos",
        "van",
        "von",
        "der",
        "den",
        "y",
        "e",
    }
)


def split_full_name(full_name: str, surnames: str = "auto") -> dict[str, str | None]:
    """Split a full name into given, middle and family parts.

    "Smith, John" puts the family name first. Particles ("de la", "van") stay with the
    surname they precede. With `surnames: auto`, three or more words without initials are
    read the Spanish way (one given name, two surnames: "María García López").
    """
    text = " ".join(full_name.replace("\u00a0", " ").split())
    if "," in text:
        family, _, given = (part.strip() for part in text.partition(","))
        return {"given": given or None, "middle": None, "family": family or None}
    words = text.split(" ")
    if len(words) == 1:
        return {"given": words[0] or None, "middle": None, "family": None}
    # Glue particles to the word after them: ["de", "la", "Fuente"] -> ["de la Fuente"].
    units: list[str] = []
    pending: list[str] = []
    for index, word in enumerate(words):
        if index > 0 and word.lower() in NAME_PARTICLES and index < len(words) - 1:
            pending.append(word)
            continue
        units.append(" ".join([*pending, word]))
        pending = []
    given, rest = units[0], units[1:]
    initials = [u for u in rest[:-1] if len(u.rstrip(".")) == 1]
    if initials or len(rest) == 1:
        middle = " ".join(rest[:-1]) or None
        return {"given": given, "middle": middle, "family": rest[-1]}
    surname_count = {"auto": 2, "1": 1, "2": 2}[str(surnames)]
    family_units = rest[-surname_count:]
    middle_units = rest[: len(rest) - len(family_units)]
    return {
        "given": " ".join([given, *middle_units]) if surname_count == 2 else given,
        "middle": None if surname_count == 2 else (" ".join(middle_units) or None),
        "family": " ".join(family_units),
    }


def _split_full_name(args: Mapping[str, Any]) -> Transform:
    part = args.get("part", "family")
    if part not in {"given", "middle", "family"}:
        raise ValueError("part must be one of given, middle, family")
    surnames = str(args.get("surnames", "auto"))
    if surnames not in {"auto", "1", "2"}:
        raise ValueError("surnames must be auto, 1 or 2")
    return lambda v: split_full_name(_text(v), surnames)[part]


def _phone(args: Mapping[str, Any]) -> Transform:
    """`region`: the default for numbers without a country code; `region_from`: a column
    of the same record holding an ISO country code that overrides it (see
    `hub.mapping.engine`, which builds one transform per region met)."""
    region = args.get("region")
    if region is not None and region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"unknown phone region {region!r}")
    if not isinstance(args.get("region_from", ""), str):
        raise ValueError("region_from names one source field")

    def convert(value: Value) -> str:
        try:
            return to_e164(_text(value), region)
        except PhoneError as error:
            raise InvalidValue(str(error)) from None

    return convert


_EMAIL = re.compile(
    r"^[^@\s<>(),;:\"\[\]]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$"
)


def phone_region_column(spec: str | Mapping[str, Any]) -> str | None:
    """The source field a `{phone: {region_from: ...}}` transform reads its region from."""
    if isinstance(spec, Mapping) and isinstance(spec.get("phone"), Mapping):
        column = spec["phone"].get("region_from")
        return column if isinstance(column, str) else None
    return None


def with_phone_region(spec: str | Mapping[str, Any], region: str) -> str | Mapping[str, Any]:
    """The transform with `region_from` resolved to one region (unknown: the default)."""
    if phone_region_column(spec) is None:
        return spec
    assert isinstance(spec, Mapping)
    args = {k: v for k, v in spec["phone"].items() if k != "region_from"}
    if region in phonenumbers.SUPPORTED_REGIONS:
        args["region"] = region
    return {"phone": args}


def is_phone_region(code: str) -> bool:
    return code in phonenumbers.SUPPORTED_REGIONS


def normalize_email(raw: str) -> str:
    """Trimmed, lower-cased and checked: a malformed address is an error, not a value."""
    email = raw.strip().strip("<>").lower()
    if email.startswith("mailto:"):
        email = email[len("mailto:") :]
    if not _EMAIL.match(email):
        raise InvalidValue(f"invalid email {raw!r}")
    return email


def _email(_: Mapping[str, Any]) -> Transform:
    return lambda v: normalize_email(_text(v))


_DATE_PARTS = {"%d": r"(?P<day>\d{1,2})", "%m": r"(?P<month>\d{1,2})", "%Y": r"(?P<year>\d{4})"}


def _date_parser(fmt: str) -> Callable[[str], date]:
    """A parser for one format: day/month/year formats as a regex (strptime costs ~25 µs a
    value), anything else through strptime."""
    tokens = re.split(r"(%[a-zA-Z])", fmt)
    if all(t in _DATE_PARTS or (t and "%" not in t) or t == "" for t in tokens) and all(
        fmt.count(part) == 1 for part in _DATE_PARTS
    ):
        pattern = re.compile("".join(_DATE_PARTS.get(t, re.escape(t)) for t in tokens) + "$")

        def parse(text: str) -> date:
            found = pattern.match(text)
            if found is None:
                raise ValueError(text)
            return date(int(found["year"]), int(found["month"]), int(found["day"]))

        return parse
    return lambda text: datetime.strptime(text, fmt).date()


def _date(args: Mapping[str, Any]) -> Transform:
    formats = list(args.get("formats") or [])
    parsers = [_date_parser(fmt) for fmt in formats] or [lambda text: date.fromisoformat(text[:10])]
    expected = ", ".join(formats) or "ISO 8601"

    def parse(value: Value) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        text = _text(value).strip()
        for parser in parsers:
            try:
                return parser(text)
            except ValueError:
                continue
        raise InvalidValue(f"unparseable date {text!r} (expected {expected})")

    return parse


def _map(args: Mapping[str, Any]) -> Transform:
    values = {_map_key(k): v for k, v in (args.get("values") or {}).items()}
    has_default = "default" in args
    default = args.get("default")

    def lookup(value: Value) -> Value:
        key = _map_key(value)
        if key in values:
            return values[key]
        if has_default:
            return default
        raise InvalidValue(f"value {value!r} is not in the map ({', '.join(values)})")

    return lookup


def _map_key(value: Value) -> str:
    """Picklist keys compare as trimmed, case-folded text, so `True`, `true`, 'TRUE' agree."""
    return _text(value).strip().casefold()


def _coalesce(_: Mapping[str, Any]) -> Transform:
    return lambda values: next((v for v in values if v not in (None, "")), None)


def _concat(args: Mapping[str, Any]) -> Transform:
    sep = str(args.get("sep", " "))
    return lambda values: sep.join(_text(v) for v in values if v not in (None, "")) or None


def domain_of(raw: str) -> str | None:
    """The web domain of a URL, a bare host or an email address, without `www.`."""
    text = raw.strip().lower()
    if "@" in text:
        text = text.rsplit("@", 1)[1]
    try:
        host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    except ValueError:  # not a URL at all: a bracketed host that is no IP address
        host = ""
    host = host.removeprefix("www.")
    if "." not in host:
        raise InvalidValue(f"no domain in {raw!r}")
    return host


def _domain(_: Mapping[str, Any]) -> Transform:
    return lambda v: domain_of(_text(v))


def _split(args: Mapping[str, Any]) -> Transform:
    pattern = re.compile(args.get("pattern", r"[;,]"))
    return lambda v: [part.strip() for part in pattern.split(_text(v)) if part.strip()]


_TRUE = frozenset({"true", "t", "yes", "y", "1", "si", "sí"})
_FALSE = frozenset({"false", "f", "no", "n", "0"})


def to_boolean(value: Value) -> bool:
    if isinstance(value, bool):
        return value
    text = _text(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidValue(f"{value!r} is not a boolean")


def to_integer(value: Value) -> int:
    if isinstance(value, bool):
        raise InvalidValue(f"{value!r} is not an integer")
    try:
        number = float(value) if not isinstance(value, int) else value
    except (TypeError, ValueError) as error:
        raise InvalidValue(f"{value!r} is not an integer") from error
    # "inf" and "nan" read as floats that no integer equals (and int() refuses)
    if (isinstance(number, float) and not math.isfinite(number)) or number != int(number):
        raise InvalidValue(f"{value!r} is not an integer")
    return int(number)


def to_number(value: Value) -> float:
    if isinstance(value, bool):
        raise InvalidValue(f"{value!r} is not a number")
    try:
        return float(value)
    except (TypeError, ValueError) as error:
        raise InvalidValue(f"{value!r} is not a number") from error


def _constant(fn: Callable[[Value], Value]) -> Callable[[Mapping[str, Any]], Transform]:
    return lambda _: fn


TRANSFORMS: dict[str, TransformKind] = {
    "trim": TransformKind(_trim, TEXT_TYPES, None),
    "lower": TransformKind(_case("lower"), TEXT_TYPES, None),
    "upper": TransformKind(_case("upper"), TEXT_TYPES, None),
    "title": TransformKind(_case("title"), TEXT_TYPES, None),
    "unicode_fold": TransformKind(_unicode_fold, TEXT_TYPES, None),
    "split_full_name": TransformKind(_split_full_name, TEXT_TYPES, FieldType.STRING),
    "phone": TransformKind(_phone, TEXT_TYPES | {FieldType.INTEGER}, FieldType.PHONE),
    "email": TransformKind(_email, TEXT_TYPES, FieldType.EMAIL),
    "date": TransformKind(_date, DATE_TYPES, FieldType.DATE),
    "map": TransformKind(_map, ANY_TYPE, FieldType.STRING),
    "domain": TransformKind(_domain, TEXT_TYPES, FieldType.STRING),
    "split": TransformKind(_split, TEXT_TYPES, None),
    "boolean": TransformKind(_constant(to_boolean), ANY_TYPE, FieldType.BOOLEAN),
    "integer": TransformKind(_constant(to_integer), ANY_TYPE, FieldType.INTEGER),
    "number": TransformKind(_constant(to_number), ANY_TYPE, FieldType.NUMBER),
    "coalesce": TransformKind(_coalesce, ANY_TYPE, None, combines=True),
    "concat": TransformKind(_concat, TEXT_TYPES, FieldType.STRING, combines=True),
}


def parse_transform(spec: str | Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """`trim` or `{phone: {region: ES}}` -> (name, arguments)."""
    if isinstance(spec, str):
        return spec, {}
    if isinstance(spec, Mapping) and len(spec) == 1:
        name, args = next(iter(spec.items()))
        if args is None:
            args = {}
        if not isinstance(args, Mapping):
            raise ValueError(f"arguments of transform {name!r} must be a mapping")
        return str(name), args
    raise ValueError("a transform is a name or a one-key mapping {name: {arguments}}")
