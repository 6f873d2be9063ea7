"""A record mapped and its canonical JSON written by one function, written out per object.

Mapped into a dict of values that the canonical writer then looked up field by field,
each value of each record was stored and fetched once more than it needed to be. In the
function written out here each mapped value stays in a local of its own: the mapping's
field lines (`hub.mapping.codegen`), then the values the mapper builds (`BUILT_FIELDS`),
then the canonical writer's lines (`hub.mapping.canonical_json`) reading those locals.
A value the model would change or refuse comes back as the dict of values the mapper
gives the model.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hub.mapping.canonical_json import CanonicalWriter
from hub.mapping.codegen import PlannedField, field_lines, indented, mapping_text

BUILT_FIELDS = ("roles", "addresses", "attributes", "relationships", "provenance")
"""What the mapper builds beside the mapped fields (`ObjectMapper.built`), in its order."""

DocumentOf = Callable[[Any, Mapping[str, Any], Any], str | dict[str, Any]]
"""`(mapper, fields, record) -> canonical JSON, or the values for the model`."""


def document_function(plan: Sequence[PlannedField], writer: CanonicalWriter) -> DocumentOf:
    """The planned fields mapped and written as `writer` writes them; a MappingError
    (from `mapper.built`) names every field that cannot be mapped."""
    names = mapping_text(Unplain=_Unplain)
    held = {field.name: f"x{i}" for i, field in enumerate(plan) if field.into == "values"}
    body = [
        "get = fields.get",
        "address = {}",
        "attributes = {}",
        "problems = []",
        *(f"{local} = None" for local in held.values()),
        *field_lines(plan, names, lambda f: _store(f, held)),
    ]
    body.append(
        f"{', '.join(BUILT_FIELDS)} = "
        f"mapper.built(record, {held.get('roles', 'None')}, address, attributes, problems)"
    )
    reads = {**held, **{name: name for name in BUILT_FIELDS}}
    values = ", ".join(f"{name!r}: {local}" for name, local in reads.items())
    body += [
        "try:",
        *indented(writer.lines(names, reads.__getitem__, "raise Unplain"), 1),
        "except Unplain:",  # the unset left out, not None
        f"    return {{name: v for name, v in {{{values}}}.items() if v is not None}}",
    ]
    function: DocumentOf = names.compile("document_of", ["mapper", "fields", "record"], body)
    return function


def _store(field: PlannedField, held: Mapping[str, str]) -> str:
    """Where a field's set value goes: a mapped field's local, or its part of the one
    address or of the attributes."""
    return held[field.name] if field.into == "values" else f"{field.into}[{field.name!r}]"


class _Unplain(Exception):
    """A value the model would change or refuse: the values go to the model."""
