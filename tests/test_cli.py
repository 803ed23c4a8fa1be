"""Command line: create-user and the demo park."""

from __future__ import annotations

import sqlalchemy as sa

from server.accounts.models import Grid, User
from server.demo import DEMO_PASSWORD
from server.enterprises import creditcode
from server.enterprises.models import Enterprise
from server.extensions import db
from tests.conftest import count


def test_create_user_command(runner, client, world):
    result = runner.invoke(
        args=[
            "create-user",
            "inspector9",
            "--role",
            "inspector",
            "--password",
            "grid-work-99",
            "--grid-id",
            str(world.grids[0].id),
            "--grid-id",
            str(world.grids[1].id),
            "--display-name",
            "孙磊",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.execute(sa.select(User).where(User.username == "inspector9")).scalar_one()
    assert user.grid_ids == [world.grids[0].id, world.grids[1].id] and user.display_name == "孙磊"
    r = client.post("/api/v1/auth/token", json={"username": "inspector9", "password": "grid-work-99"})
    assert r.status_code == 200


def test_create_user_command_refuses_bad_input(runner, world):
    result = runner.invoke(args=["create-user", "orphan", "--role", "enterprise", "--password", "long-enough-1"])
    assert result.exit_code != 0
    assert "enterprise_id" in result.output
    result = runner.invoke(args=["create-user", "office", "--role", "leader", "--password", "long-enough-1"])
    assert result.exit_code != 0 and "username" in result.output
    assert count(User) == 7


def test_demo_data_builds_a_believable_park(runner, client, app):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert count(Grid) == 3
    enterprises = db.session.execute(sa.select(Enterprise)).scalars().all()
    assert len(enterprises) == 40
    assert all(creditcode.is_valid(e.credit_code) for e in enterprises)
    assert len({e.name for e in enterprises}) == 40
    assert all(e.name.endswith("有限公司") and e.contact_name and e.address for e in enterprises)
    assert {e.grid_id for e in enterprises} == {g.id for g in db.session.execute(sa.select(Grid)).scalars()}
    roles = dict(db.session.execute(sa.select(User.role, sa.func.count()).group_by(User.role)).all())
    assert roles == {"admin": 1, "office": 1, "leader": 1, "inspector": 6, "enterprise": 40}
    assert all(g.inspectors for g in db.session.execute(sa.select(Grid)).scalars())
    for username in ("admin", "office", "leader", "inspector1", "e001"):
        r = client.post("/api/v1/auth/token", json={"username": username, "password": DEMO_PASSWORD})
        assert r.status_code == 200, username
    # once loaded, --if-empty leaves it alone
    result = runner.invoke(args=["demo-data", "--if-empty"])
    assert result.exit_code == 0 and "nothing done" in result.output
    assert count(Enterprise) == 40
