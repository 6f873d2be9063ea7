"""`relhub tokens create|list|revoke`: who may read the API, and what."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from hub.cli.common import ConfigOption, JsonOption, console, load, print_json, user_errors
from hub.serve.tokens import Scope, TokenInfo, create_token, list_tokens, revoke_token

app = typer.Typer(help="API tokens and their scopes.", no_args_is_help=True)
SCOPES = ", ".join(scope.value for scope in Scope)


def _as_dict(token: TokenInfo) -> dict[str, object]:
    return {
        "name": token.name,
        "scopes": sorted(token.scopes),
        "created_at": token.created_at.isoformat(),
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
    }


@app.command()
@user_errors
def create(
    name: str = typer.Argument(..., help="Who or what the token is for, e.g. billing-app."),
    scope: list[str] = typer.Option(
        ..., "--scope", "-s", help=f"A scope to grant (repeat for several): {SCOPES}."
    ),
    config_file: Path | None = ConfigOption,
) -> None:
    """Mint a token; its text is printed once and stored only as a hash."""
    _, engine = load(config_file)
    token, text = create_token(engine, name, scope)
    console.print(
        f"token {token.name!r} with scopes {', '.join(sorted(token.scopes))} "
        "(shown once, keep it now):",
        highlight=False,
    )
    typer.echo(text)


@app.command("list")
@user_errors
def list_command(config_file: Path | None = ConfigOption, as_json: bool = JsonOption) -> None:
    """Every token, live and revoked, without secrets."""
    _, engine = load(config_file)
    tokens = list_tokens(engine)
    if as_json:
        print_json([_as_dict(t) for t in tokens])
        return
    table = Table(title="API tokens")
    for column in ("name", "scopes", "created", "revoked"):
        table.add_column(column)
    for token in tokens:
        table.add_row(
            token.name,
            ", ".join(sorted(token.scopes)),
            f"{token.created_at:%Y-%m-%d %H:%M}",
            f"{token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "-",
        )
    console.print(table)


@app.command()
@user_errors
def revoke(
    name: str = typer.Argument(..., help="The token's name."),
    config_file: Path | None = ConfigOption,
) -> None:
    """Revoke a token: running servers refuse it within seconds."""
    _, engine = load(config_file)
    token = revoke_token(engine, name)
    console.print(f"token {token.name!r} revoked at {token.revoked_at:%Y-%m-%d %H:%M:%S} UTC")
