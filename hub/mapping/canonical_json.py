"""A mapped record's canonical JSON, written without the model when the model would
take every value as it is.

Validating a mapped record with pydantic and dumping it again cost a sync as much as
the mapping itself, to confirm what the transforms already guarantee: text is text, a
date transform's result a date, a picklist value one of the model's. Where every value
is of the type its field declares (a check per value, on its exact type), the JSON is
written from the values in the model's field order by pydantic's own serializer, the
same text as `model_dump_json(exclude_none=True)` of the validated record (pinned by
tests). Anything else (a number for a text field, a date as text, an unknown role) is
left to the model, which converts it or says why not.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Collection, Iterable, Mapping
from datetime import date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined, to_json

from hub.mapping.codegen import FunctionText, indented
from identity.records import Address

Test = Callable[[FunctionText], str]
"""The text of a test of `v`, written into a function whose objects `FunctionText` binds:
a test's calls cost more than its work, so the common ones are written out."""


def _is_text(value: Any) -> bool:
    return value.__class__ is str


_TEXT = frozenset({str})


def _all_text(values: Iterable[Any]) -> bool:
    return _TEXT.issuperset(map(type, values))


def _members(values: frozenset[Any]) -> Test:
    """A list of text each one of `values` (enum members' values, or any text)."""

    def test(names: FunctionText) -> str:
        text = f"v.__class__ is list and {names.bind(_TEXT)}.issuperset(map(type, v))"
        return f"{text} and {names.bind(values)}.issuperset(v)" if values else text

    return test


def _called(check: Callable[[Any], bool]) -> Test:
    return lambda names: f"{names.bind(check)}(v)"


def _plain_check(annotation: Any) -> Test | None:
    """How a value of a field so annotated is tested to be what the model holds unchanged
    (its exact class, or members of a set); None when any value is (attributes)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is types.UnionType and len(args) == 2 and args[1] is type(None):
        return _plain_check(args[0])
    if origin is list and args and args[0] is str:
        return _members(frozenset())
    if origin is list and args and isinstance(args[0], type) and issubclass(args[0], Enum):
        return _members(frozenset(member.value for member in args[0]))
    if annotation in (str, date):
        return lambda names: f"v.__class__ is {names.bind(annotation)}"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        values = frozenset(member.value for member in annotation)
        return lambda names: f"v.__class__ is str and v in {names.bind(values)}"
    return None


_ADDRESS_ORDER = tuple(Address.model_fields)


@lru_cache(maxsize=256)
def _plain_parts(parts: tuple[str, ...]) -> bool:
    """An address's parts are the model's, in its order: the JSON's key order. A mapping
    may list them in another (HubSpot's state before its zip), left to the model."""
    return list(parts) == [part for part in _ADDRESS_ORDER if part in parts]


def _plain_addresses(addresses: Any) -> bool:
    """The mapper's one address: its parts (mapping targets, so known names) all text."""
    for address in addresses:
        if not (_plain_parts(tuple(address)) and _all_text(address.values())):
            return False
    return True


def _plain_provenance(provenance: Mapping[str, Any]) -> bool:
    modified_at = provenance.get("modified_at")
    return _is_text(provenance["record_id"]) and (
        modified_at is None or modified_at.__class__ is datetime
    )


_BUILT = {"addresses": _called(_plain_addresses), "provenance": _called(_plain_provenance)}


class CanonicalWriter:
    """Writes the canonical JSON of one record type from the mapper's values.

    The write is one function written out for the record type (`hub.mapping.codegen`):
    per field, in the model's order, its look-up and its test; a field the mapper never
    sets (not in `settable`) is its default or nothing, without a look-up. The same
    lines, reading each value from where a mapping function left it, end the function
    that maps a record and writes its JSON at once (`hub.mapping.document`)."""

    def __init__(
        self, record_type: type[BaseModel], settable: Collection[str] | None = None
    ) -> None:
        self.record_type = record_type
        self.settable = settable
        names = FunctionText()
        body = self.lines(names, lambda name: f"values.get({name!r})", "return None")
        self.write: Callable[[Mapping[str, Any]], str | None] = names.compile(
            "write", ["values"], body
        )

    def lines(
        self, names: FunctionText, value_of: Callable[[str], str], otherwise: str
    ) -> list[str]:
        """Lines that return the JSON of the values, each field's read by the expression
        `value_of(name)` (None: unset), or run `otherwise` on a value the model would
        change or refuse."""
        body = ["document = {}"]
        for name, field in self.record_type.model_fields.items():
            plain = _BUILT.get(name) or _plain_check(field.annotation)
            default = field.get_default(call_default_factory=True)
            default = None if default is PydanticUndefined else default
            unset = [] if default is None else [f"document[{name!r}] = {names.bind(default)}"]
            if self.settable is not None and name not in self.settable:
                body += unset
                continue
            test = "True" if plain is None else plain(names)
            body += [
                f"v = {value_of(name)}",
                "if v is None:",
                *indented(unset or ["pass"], 1),
                f"elif {test}: document[{name!r}] = v",
                f"else: {otherwise}",
            ]
        return [
            *body,
            "if not document['relationships']: del document['relationships']",
            f"return {names.bind(to_json)}(document, inf_nan_mode='null').decode()",
        ]
