"""Connector options from relhub.yaml: one parser, so every connector refuses options it
does not know (a misspelt option silently falling back to its default hides the mistake),
coerces each value to its declared type and checks ranges the same way."""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, fields
from typing import Any, ClassVar, Self, get_args, get_origin, get_type_hints

from connectors.base import ConnectorError
from connectors.http import DEFAULT_TIMEOUT_S, RetryPolicy


@dataclass(frozen=True)
class ConnectorOptions:
    """A connector's options: subclasses declare them as fields (with defaults) and their
    ranges in `check`; `label` names the connector in refusals."""

    label: ClassVar[str] = "connector"

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Self:
        """Parse options; unknown names, values of the wrong type and out-of-range values are
        refused with a `ConnectorError` naming the option."""
        hints = get_type_hints(cls)
        if unknown := unknown_listed(values, sorted(f.name for f in fields(cls))):
            raise ConnectorError(f"unknown {cls.label} option(s): {unknown}")
        parsed = {
            name: _coerce(cls.label, name, hints[name], value) for name, value in values.items()
        }
        options = cls(**parsed)
        options.check()
        return options

    def check(self) -> None:
        """Refuse out-of-range values (raise `ConnectorError`)."""


def unknown_listed(given: Iterable[str], known: Sequence[str]) -> str | None:
    """`a, b; known: c, d` for the given option names that are not known, None when every
    one is: the words of every refusal of an option a connector does not take."""
    unknown = sorted(set(given) - set(known))
    return f"{', '.join(unknown)}; known: {', '.join(known)}" if unknown else None


@dataclass(frozen=True)
class ApiOptions(ConnectorOptions):
    """The options every API connector takes: retry policy and request timeout."""

    max_attempts: int = 6
    base_delay_s: float = 0.5
    max_delay_s: float = 60.0
    timeout_s: float = DEFAULT_TIMEOUT_S

    def check(self) -> None:
        if self.max_attempts < 1 or self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ConnectorError(
                f"{self.label} options max_attempts >= 1, base_delay_s >= 0 and "
                "max_delay_s >= 0 are required"
            )
        if self.timeout_s <= 0:
            raise ConnectorError(f"{self.label} option timeout_s must be positive")

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(self.max_attempts, self.base_delay_s, self.max_delay_s)


def _coerce(label: str, name: str, hint: Any, value: Any) -> Any:
    """`value` as the field's type (`T` or `T | None`); a container type (`dict[str, Any]`,
    options given per object) is checked, not converted."""
    kinds = get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    if value is None and types.NoneType in kinds:
        return None
    kind = next(k for k in kinds if k is not types.NoneType)
    container = get_origin(kind)
    if container is not None:
        if isinstance(value, container):
            return value
    elif kind is str or not isinstance(value, bool):  # `true` is no count and no delay
        with suppress(TypeError, ValueError):
            return kind(value)
    raise ConnectorError(f"{label} option {name}: expected {kind.__name__}, got {value!r}")
