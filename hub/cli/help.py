"""Help that names values, not Python types: no `<bool>` after a flag (or `--help`), no
`<list[str]>` after an argument whose name already says it takes several.

Typer (0.29) renders a type column as `<annotation>` for every parameter and has no
setting against it, so the `relhub` command line replaces the two methods that fill it,
once, at import: a flag shows nothing, an option its metavar if it names one, else its
value's kind as click writes it (TEXT, INTEGER, PATH, [a|b]), an argument nothing beside
its name.
"""

from __future__ import annotations

from typing import Any

from typer import _click as click
from typer.core import TyperArgument, TyperOption

CLICK_NAMES = {
    "str": "TEXT",
    "int": "INTEGER",
    "int range": "INTEGER",
    "float": "NUMBER",
    "float range": "NUMBER",
}


def _option_value(self: TyperOption, ctx: click.Context) -> str | None:
    if self.metavar is not None:
        return self.metavar
    if self.is_flag or self.count:
        return None
    kind = self.display_type(ctx).strip("<>")
    return f"[{kind}]" if "|" in kind else CLICK_NAMES.get(kind, kind.upper())


def _argument_value(self: Any, ctx: click.Context) -> str | None:
    return None


def readable_help() -> None:
    TyperOption.display_type_rich = _option_value  # type: ignore[method-assign]
    TyperArgument.display_type_rich = _argument_value  # type: ignore[method-assign]
