"""`flask staff ...`: create the first account, reset a password, deactivate, list."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from bot.extensions import db
from bot.models import StaffUser
from bot.staff import audit
from bot.staff.accounts import AccountError, create_staff, find_staff, set_active, set_password

CLI_ACTOR = "cli"


def _password(from_stdin: bool) -> str:
    if from_stdin:
        # First line only: `printf '%s\n' "$PW" | flask staff add ...` in scripts and tests.
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _get(email: str) -> StaffUser:
    user = find_staff(email)
    if user is None:
        raise click.ClickException(f"no staff account for {email}")
    return user


# AppGroup: each command runs inside the app context (database access).
staff_cli = AppGroup("staff", help="Staff console accounts.")


@staff_cli.command("add")
@click.argument("email")
@click.option("--admin", is_flag=True, help="May manage staff and read the audit log.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def add_command(email: str, admin: bool, password_stdin: bool) -> None:
    """Create a staff account (prompts for the password twice)."""
    try:
        user = create_staff(email, _password(password_stdin), is_admin=admin)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record("staff.add", f"staff:{user.id}", "admin" if admin else "staff", CLI_ACTOR)
    db.session.commit()
    click.echo(f"added {user.email} ({'admin' if admin else 'staff'})")


@staff_cli.command("password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def password_command(email: str, password_stdin: bool) -> None:
    """Set a new password (also lifts a lockout)."""
    user = _get(email)
    try:
        set_password(user, _password(password_stdin))
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record("staff.password", f"staff:{user.id}", actor=CLI_ACTOR)
    db.session.commit()
    click.echo(f"password changed for {user.email}")


@staff_cli.command("deactivate")
@click.argument("email")
def deactivate_command(email: str) -> None:
    """Block an account from logging in (its open sessions end too)."""
    user = _get(email)
    set_active(user, False)
    audit.record("staff.deactivate", f"staff:{user.id}", actor=CLI_ACTOR)
    db.session.commit()
    click.echo(f"deactivated {user.email}")


@staff_cli.command("list")
def list_command() -> None:
    """Every account: email, role, state."""
    for user in db.session.scalars(select(StaffUser).order_by(StaffUser.email)):
        role = "admin" if user.is_admin else "staff"
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.email}\t{role}\t{state}")
