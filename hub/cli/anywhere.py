"""Global options anywhere on the line: `relhub status -v` as `relhub -v status`.

Click reads a group's options only before its subcommand. People type `-v` or
`--database` where they think of it, usually last; those given after a command that has
no option of that name are moved before the command, where the group reads them.
"""

from __future__ import annotations

from typer import _click as click
from typer.core import TyperGroup

GLOBAL_OPTIONS = {"-v": 0, "-vv": 0, "--verbose": 0, "--database": 1}  # option -> values it takes


def _command_path(group: TyperGroup, args: list[str]) -> tuple[int, click.Command]:
    """Where the (sub)command's own arguments begin, and that command."""
    command: click.Command = group
    at = 0
    while isinstance(command, TyperGroup) and at < len(args):
        token = args[at]
        if token.startswith("-"):
            at += 1 + GLOBAL_OPTIONS.get(token, 0) * (command is group)
            continue
        found = command.commands.get(token)
        if found is None:
            break
        command, at = found, at + 1
    return at, command


def hoisted(group: TyperGroup, args: list[str]) -> list[str]:
    """`args` with the global options given after the command moved before it."""
    start, command = _command_path(group, args)
    own = {name for param in command.params for name in param.opts}
    moved: list[str] = []
    rest: list[str] = []
    at = start
    while at < len(args):
        token = args[at]
        name = token.split("=", 1)[0]
        if token == "--":
            rest += args[at:]
            break
        if name in GLOBAL_OPTIONS and name not in own:
            takes = 0 if "=" in token else GLOBAL_OPTIONS[name]
            moved += args[at : at + 1 + takes]
            at += 1 + takes
            continue
        rest.append(token)
        at += 1
    return moved + args[:start] + rest
