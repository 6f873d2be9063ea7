"""A mapping's fields written out as one Python function, compiled once per object.

Mapped through one closure per field, every field of every record paid a call, a tuple
unpacking and the same branches (attribute? address part? drop or quarantine?) around
its work; in the function written out for the object, each field's source, transforms
and destination are fixed in the text, and a record maps by straight-line code. The
text comes from the templates below only: what a mapping file names enters it as a
repr()'d constant or as a name bound to the compiled object, never as code. The
canonical JSON's checks are written out per record type the same way (`FunctionText`,
used by `hub.mapping.canonical_json`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hub.mapping.transforms import InvalidValue, Transform

Extract = Callable[[Mapping[str, Any]], Any]
Values = dict[str, Any]
FieldsOf = Callable[[Any, Mapping[str, Any]], tuple[Values, Values, Values, list[str]]]
# Blank is unset; text is told by its class first, sparing the call for the usual value.
_TEXT = "(v.__class__ is str or isinstance(v, str))"
_EMPTY = f"v is None or ({_TEXT} and (not v or v.isspace()))"


@dataclass(frozen=True)
class OneSource:
    """A field read from one source field, the common case: written out in full.

    A source value that is a list is transformed element-wise (`chain`); a list field's
    value is a list, once each."""

    source: str
    transforms: tuple[Transform, ...]
    chain: Callable[[Any], Any] | None  # every transform, element-wise over a list
    listed: bool


@dataclass(frozen=True)
class ListOfSources:
    """A list field read from several source fields (a contact's phone and mobile): each
    set one transformed as `OneSource` does, in order, the results kept once each."""

    sources: tuple[str, ...]
    transforms: tuple[Transform, ...]
    chain: Callable[[Any], Any] | None


Code = OneSource | ListOfSources
"""A field's value read by lines written out in its object's function."""


@dataclass(frozen=True)
class PlannedField:
    """A field as the record's function maps it: how its value is read (written out, or
    a call of its compiled extraction), where the value goes, and what a bad value does:
    dropped and counted under `target`, or quarantined with `problem` (+ the error's
    words when `with_error`)."""

    value: Code | Extract
    into: str  # "values", "address" or "attributes"
    name: str
    target: str
    drop: bool
    problem: str
    with_error: bool


class FunctionText:
    """A function written out from lines of text, and the objects its text names, each
    bound to a name of its own."""

    def __init__(self, **fixed: Any) -> None:
        self.bound: dict[str, Any] = dict(fixed)

    def bind(self, value: Any) -> str:
        name = f"_{len(self.bound)}"
        self.bound[name] = value
        return name

    def compile(
        self, name: str, parameters: Sequence[str], body: Sequence[str]
    ) -> Callable[..., Any]:
        lines = [f"def {name}({', '.join(parameters)}):", *indented(body, 1)]
        exec(compile("\n".join(lines), f"<mapping: {name}>", "exec"), self.bound)
        function: Callable[..., Any] = self.bound[name]
        return function


def _value_lines(field: Code, names: FunctionText) -> list[str]:
    """Lines that leave the field's value in `v` (None: unset), from `get`, the record's
    fields' look-up."""
    transform = _transform_lines(field, names)
    if isinstance(field, ListOfSources):
        lines = ["gathered = []"]
        for source in field.sources:
            kept = ["if isinstance(v, list): gathered.extend(v)", "else: gathered.append(v)"]
            lines += [f"v = get({source!r})", f"if not ({_EMPTY}):", *indented(transform + kept, 1)]
        return [*lines, "v = distinct(gathered) if gathered else None"]
    lines = [f"v = get({field.source!r})", f"if {_EMPTY}: v = None"]
    if transform:
        lines += ["else:", *indented(transform, 1)]
    if field.listed:
        lines.append("if v is not None: v = [v] if v.__class__ is not list else distinct(v)")
    return lines


def _transform_lines(field: Code, names: FunctionText) -> list[str]:
    """Lines that transform a set `v` as the field's chain does (a list element-wise),
    leaving None where the result is blank; one transform is called without the chain."""
    if not field.transforms:
        return []
    if len(field.transforms) > 1:
        return [f"v = {names.bind(field.chain)}(v)"]
    only, chain = names.bind(field.transforms[0]), names.bind(field.chain)
    return [
        f"if v.__class__ is not str and isinstance(v, list): v = {chain}(v)",
        "else:",
        f"    v = {only}(v)",
        f"    if {_EMPTY}: v = None",
    ]


def field_function(field: Code) -> Extract:
    """The field's value from a record's fields, on its own (a phone field compiled per
    region calls it)."""
    names = FunctionText(distinct=distinct)
    body = ["get = fields.get", *_value_lines(field, names), "return v"]
    return names.compile("extract", ["fields"], body)


def record_function(plan: Sequence[PlannedField]) -> FieldsOf:
    """`(mapper, fields) -> (values, address, attributes, problems)` for the planned
    fields, in plan order; a dropped value is counted in the mapper's `dropped`."""
    names = mapping_text()
    body = ["get = fields.get", "values = {}", "address = {}", "attributes = {}", "problems = []"]
    body += field_lines(plan, names, lambda field: f"{field.into}[{field.name!r}]")
    body.append("return values, address, attributes, problems")
    return names.compile("fields_of", ["mapper", "fields"], body)


def mapping_text(**fixed: Any) -> FunctionText:
    """A function's text to hold `field_lines`, which name `distinct` and `InvalidValue`."""
    return FunctionText(distinct=distinct, InvalidValue=InvalidValue, **fixed)


def field_lines(
    plan: Sequence[PlannedField], names: FunctionText, store: Callable[[PlannedField], str]
) -> list[str]:
    """Lines that map the planned fields from `get` (the record's fields' look-up), in
    plan order, each set value assigned to `store(field)`; a bad value is dropped and
    counted in `mapper.dropped`, or its problem appended to `problems`."""
    body = []
    for field in plan:
        if isinstance(field.value, OneSource | ListOfSources):
            read = _value_lines(field.value, names)
        else:
            read = [f"v = {names.bind(field.value)}(fields)"]
        if field.drop:
            target = repr(field.target)
            bad = [f"dropped = mapper.dropped; dropped[{target}] = dropped.get({target}, 0) + 1"]
        else:
            words = " + str(error)" if field.with_error else ""
            bad = [f"problems.append({field.problem!r}{words})"]
        body += [
            "try:",
            *indented(read, 1),
            "except InvalidValue as error:",
            *indented(bad, 1),
            "else:",
            f"    if v is not None: {store(field)} = v",
        ]
    return body


def distinct(values: list[Any]) -> list[Any] | None:
    """A list field's values, once each in first-seen order; None when none is set."""
    return list(dict.fromkeys(v for v in values if v is not None)) or None


def indented(lines: Sequence[str], depth: int) -> list[str]:
    """Lines of a written-out function nested `depth` blocks deep."""
    return [" " * 4 * depth + line for line in lines]
