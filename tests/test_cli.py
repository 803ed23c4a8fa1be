"""Command line: create-user and the demo park."""

from __future__ import annotations

import sqlalchemy as sa

from server.accounts.models import Grid, User
from server.demo import DEMO_PASSWORD
from server.enterprises import creditcode
from server.enterprises.models import Enterprise
from server.extensions import db
from server.hazards.models import Hazard
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
    # a year of field work, in every state, told through the API
    token = client.post("/api/v1/auth/token", json={"username": "office", "password": DEMO_PASSWORD}).get_json()
    office = {"Authorization": f"Bearer {token['access_token']}"}
    total = lambda query: client.get(f"/api/v1/hazards?{query}", headers=office).get_json()["total"]  # noqa: E731
    assert total("") > 150
    for status in ("registered", "awaiting_verification", "closed"):
        assert total(f"status={status}") > 0, status
    assert total("overdue=true") > 0 and total("level=major") == 2 and total("source=self_check") > 0
    inspections = client.get("/api/v1/inspections?per_page=1", headers=office).get_json()["total"]
    assert inspections > 300
    closed = db.session.execute(sa.select(Hazard).where(Hazard.status == "closed")).scalars().all()
    for hazard in closed[:20]:
        actions = [e.action for e in hazard.history]
        assert actions[0] == "registered" and actions[-1] == "closed"
        assert all(a.at <= b.at for a, b in zip(hazard.history, hazard.history[1:], strict=False))
        assert {p.stage for p in hazard.photos} == {"before", "after"}
    found = sorted(h.found_at for h in db.session.execute(sa.select(Hazard)).scalars())
    assert (found[-1] - found[0]).days > 300
    major = client.get("/api/v1/hazards?level=major", headers=office).get_json()["items"][0]
    assert major["plan"]["funds"] > 0
    detail = client.get(f"/api/v1/hazards/{closed[0].id}", headers=office).get_json()
    assert client.get(detail["photos"][0]["urls"]["thumbnail"]).status_code == 200
    # once loaded, --if-empty leaves it alone
    result = runner.invoke(args=["demo-data", "--if-empty"])
    assert result.exit_code == 0 and "nothing done" in result.output
    assert count(Enterprise) == 40
