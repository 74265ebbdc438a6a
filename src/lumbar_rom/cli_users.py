"""``lumbar-rom users ...``: clinic accounts in the history database (``LUMBAR_ROM_DB``).

The first clinician is made here (there is no default account or password):
``lumbar-rom users add dr_lee --role clinician`` asks for the password twice (hidden);
``--password-stdin`` reads it from standard input instead, for scripts.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from lumbar_rom.errors import LumbarRomError

users_app = typer.Typer(
    name="users",
    help="Clinic accounts (LUMBAR_ROM_MODE=clinic): add, assign, list, audit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _fail(err: Exception) -> typer.Exit:
    typer.echo(f"Error: {err}", err=True)
    return typer.Exit(code=1)


def _store():  # noqa: ANN202 - the Store (imported late: the CLI starts fast)
    from lumbar_rom.history.store import Store

    return Store()


@users_app.command("add")
def add(
    username: Annotated[str, typer.Argument(help="The sign-in name (no spaces).")],
    role: Annotated[str, typer.Option("--role", help="clinician or patient.")],
    person: Annotated[str | None, typer.Option(
        help="For a patient: the name their sessions are stored under.")] = None,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (one line).")] = False,
) -> None:
    """Add an account; the password is asked for (hidden), never given on the command line."""
    from lumbar_rom.history.accounts import add_account

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        acc = add_account(_store(), username, password, role, person)
    except LumbarRomError as err:
        raise _fail(err) from None
    typer.echo(f"account {acc.username} ({acc.role}) added")


@users_app.command("assign")
def assign_cmd(
    clinician: Annotated[str, typer.Argument(help="The clinician's username.")],
    person: Annotated[str, typer.Argument(help="The stored person they look after.")],
) -> None:
    """Let a clinician see and record a person's sessions."""
    from lumbar_rom.history.accounts import assign

    try:
        assign(_store(), clinician, person)
    except LumbarRomError as err:
        raise _fail(err) from None
    typer.echo(f"{person} assigned to {clinician}")


@users_app.command("list")
def list_cmd() -> None:
    """The accounts and their roles (never a password or hash)."""
    from lumbar_rom.history.accounts import accounts

    try:
        found = accounts(_store())
    except LumbarRomError as err:
        raise _fail(err) from None
    if not found:
        typer.echo("No accounts yet; add the first clinician with "
                   "`lumbar-rom users add NAME --role clinician`.")
    for acc in found:
        typer.echo(f"{acc.username}  {acc.role}")


@users_app.command("audit")
def audit_cmd(
    last: Annotated[int, typer.Option(help="How many of the latest entries.")] = 50,
) -> None:
    """Who signed in, viewed, exported, saved or deleted what, and when."""
    from lumbar_rom.history.accounts import audit_log

    try:
        entries = audit_log(_store())[-last:] if last > 0 else []
    except LumbarRomError as err:
        raise _fail(err) from None
    for e in entries:
        what = " ".join(x for x in (e.person or "", f"session {e.session_id}"
                                    if e.session_id is not None else "", e.detail) if x)
        typer.echo(f"{e.at:%Y-%m-%d %H:%M:%S}  {e.username}  {e.action}  {what}".rstrip())
