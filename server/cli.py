"""Command line: each command calls a service and commits."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from server.codes import ROLES
from server.errors import ServiceError
from server.extensions import db
from server.i18n import t


def _fail(exc: ServiceError) -> None:
    db.session.rollback()
    detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in (exc.errors or {}).items())
    raise click.ClickException(f"{t(exc.key, 'en', **exc.params)} {detail}".strip())


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--display-name")
@click.option("--email")
@click.option("--phone")
@click.option("--enterprise-id", type=int)
@click.option("--grid-id", "grid_ids", type=int, multiple=True)
def create_user_command(username, role, password, display_name, email, phone, enterprise_id, grid_ids):
    """Create a user with a role (and an enterprise or grids)."""
    from server.accounts.service import create_user

    if len(password) < 8:
        raise click.ClickException("the password needs at least 8 characters")
    try:
        user = create_user(
            username,
            password,
            role,
            display_name=display_name,
            email=email,
            phone=phone,
            enterprise_id=enterprise_id,
            grid_ids=list(grid_ids),
        )
    except ServiceError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"created user {user.id} {user.username} ({user.role})")


@click.command("demo-data")
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@click.option("--seed", type=int, default=2026, show_default=True)
def demo_data_command(if_empty, seed):
    """Load a believable demo park: grids, enterprises, users."""
    from server.accounts.models import User
    from server.demo import load_demo

    if if_empty and db.session.execute(sa.select(User.id).limit(1)).first():
        click.echo("demo data: the database already has users; nothing done")
        return
    summary = load_demo(seed=seed)
    db.session.commit()
    click.echo("demo data loaded: " + ", ".join(f"{k} {v}" for k, v in summary.items()))
    click.echo(f"log in as admin / office / leader / inspector1 / e001 with password {summary_password()}")


def _at(value: str | None):
    from datetime import datetime

    from server.timeutil import to_utc

    return to_utc(datetime.fromisoformat(value)) if value else None


@click.command("sweep-reminders")
@click.option("--at", "at", help="ISO time to run the sweep at (park time without an offset); default now.")
@click.option("--deliver/--enqueue", default=False, help="Send the deliveries here instead of through the worker.")
def sweep_reminders_command(at, deliver):
    """Run one reminder sweep now (what beat runs every few minutes)."""
    from server.reminders.service import sweep

    now = _at(at)
    result = sweep(now, send=not deliver)
    click.echo(
        f"sweep: {result.hazards} hazards at a new stage {result.stages}, {result.created} deliveries recorded, "
        f"{result.requeued} re-queued"
    )
    if deliver:
        _deliver_all(now)


def _deliver_all(now) -> None:
    from server.reminders.models import ReminderDelivery
    from server.reminders.service import deliver as deliver_now

    ids = list(db.session.execute(sa.select(ReminderDelivery.id).where(ReminderDelivery.status == "pending")).scalars())
    result = deliver_now(ids, now)
    click.echo(
        f"delivered: {result.sent} sent, {result.held} held, {result.cancelled} cancelled, {result.failed} failed"
    )


@click.command("send-digest")
@click.option("--at", "at", help="ISO time (park time without an offset); default now.")
@click.option("--deliver/--enqueue", default=False, help="Send here instead of through the worker.")
def send_digest_command(at, deliver):
    """Send the office's daily digest of overdue hazards."""
    from server.reminders.service import send_digest

    now = _at(at)
    ids = send_digest(now, send=not deliver)
    click.echo(f"digest: {len(ids)} deliveries recorded")
    if deliver:
        _deliver_all(now)


def summary_password() -> str:
    from server.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_data_command)
    app.cli.add_command(sweep_reminders_command)
    app.cli.add_command(send_digest_command)
