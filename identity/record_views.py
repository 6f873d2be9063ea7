"""Canonical records as the engine reads them straight from their stored JSON.

The engine reads a few fields of each record (names, emails, phones, the first address,
the employer, a handful of ids) and never the types pydantic would give their values:
each normalizer takes text, a birth date included. Validating a stored document into
its model cost a full resolve more than parsing it, in the one process the resolve waits
on, for every record of the store. A view is the parsed document itself, read by
attribute, with the model's defaults for the fields the document leaves out and nested
models as views too: its values are the JSON's (dates and enum members as their text).
Stored documents are dumps of the models (`hub.mapping.canonical_json`), so what a view
reads is what the model holds; survivorship, which keeps values' types, reads models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, get_args

from pydantic import BaseModel

from identity.records import RECORD_TYPES, record_key


class DocumentView:
    """A parsed document (a dict) read by attribute, its model's defaults filled in."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__ = values

    def __getattr__(self, name: str) -> Any:  # only for what the document has not
        raise AttributeError(f"{type(self).__name__} has no field {name!r}")


class RecordView(DocumentView):
    """A canonical record as a view (`record_view`)."""

    @property
    def key(self) -> str:
        """The source record's `record_key`, as `Provenance.key` gives it."""
        provenance = self.provenance
        return record_key(provenance.system, provenance.object, provenance.record_id)

    def model_copy(self, *, update: Mapping[str, Any]) -> RecordView:
        """A copy with `update`'s fields replaced: what `BaseModel.model_copy` does, so
        that code reading records as the engine does takes views and models alike."""
        return RecordView({**self.__dict__, **update})


def record_view(document: dict[str, Any]) -> RecordView:
    """The view of a canonical record's parsed JSON (its `kind` names the model)."""
    return RecordView(_layout(RECORD_TYPES[document["kind"]]).values(document))


@dataclass(frozen=True)
class _Layout:
    """A model's defaults (one value each, shared by every view: views are read, never
    changed) and the layouts of its fields that hold models, each with whether the field
    holds a list of them."""

    defaults: dict[str, Any]
    nested: dict[str, tuple[_Layout, bool]]

    def values(self, document: dict[str, Any]) -> dict[str, Any]:
        values = {**self.defaults, **document}
        for name, (layout, many) in self.nested.items():
            if value := document.get(name):
                values[name] = (
                    [DocumentView(layout.values(v)) for v in value]
                    if many
                    else DocumentView(layout.values(value))
                )
        return values


@cache
def _layout(model: type[BaseModel]) -> _Layout:
    nested = {}
    for name, info in model.model_fields.items():
        for inner in (info.annotation, *get_args(info.annotation)):
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                nested[name] = (_layout(inner), inner is not info.annotation)
    return _Layout(
        {
            name: info.get_default(call_default_factory=True)
            for name, info in model.model_fields.items()
            if not info.is_required()
        },
        nested,
    )
