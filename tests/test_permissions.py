"""Role and scope: the wrong role gets 403 and changes nothing; another enterprise's or grid's records are 404."""

from __future__ import annotations

import pytest
from flask import Flask

from server.accounts.models import Grid, User
from server.enterprises.models import Enterprise
from tests.conftest import VALID_CODES, count

ROLES_USERS = {"admin": "admin", "office": "office", "leader": "leader", "inspector": "insp_a", "enterprise": "ent_a"}


def write_cases(world):
    """(method, url, body, model, allowed roles[, roles that may see the record]) for every write endpoint.

    A role that may not see the record gets 404, not 403 (API.md, status precedence).
    """
    g0, e0 = world.grids[0].id, world.enterprises[0].id
    return [
        ("post", "/api/v1/grids", {"name": "第九网格"}, Grid, {"office", "admin"}),
        ("patch", f"/api/v1/grids/{g0}", {"name": "改名网格"}, Grid, {"office", "admin"}),
        (
            "post",
            "/api/v1/enterprises",
            {"name": "测试新材料有限公司", "credit_code": VALID_CODES[2], "grid_id": g0},
            Enterprise,
            {"office", "admin"},
        ),
        ("patch", f"/api/v1/enterprises/{e0}", {"name": "改名有限公司"}, Enterprise, {"office", "admin"}),
        (
            "post",
            "/api/v1/users",
            {"username": "newbie", "password": "long-enough-1", "role": "leader"},
            User,
            {"admin"},
        ),
        (
            "patch",
            f"/api/v1/users/{world.users['ent_a'].id}",
            {"display_name": "改名"},
            User,
            {"admin"},
            {"admin", "office", "enterprise"},  # ent_a itself, not the leader or an inspector
        ),
    ]


def snapshot(model):
    from server.extensions import db

    db.session.expire_all()
    rows = db.session.execute(db.select(model).order_by(model.id)).scalars().all()
    return [{c.name: getattr(r, c.key) for c in model.__table__.columns if c.name not in ("updated_at",)} for r in rows]


@pytest.mark.parametrize("role", list(ROLES_USERS))
def test_every_write_endpoint_refuses_the_wrong_role(world, role):
    username = ROLES_USERS[role]
    for method, url, body, model, allowed, *visible in write_cases(world):
        if role in allowed:
            continue
        before = snapshot(model)
        r = getattr(world, method)(username, url, json=body)
        if not visible or role in visible[0]:
            assert r.status_code == 403, (role, method, url, r.get_json())
            assert r.get_json()["message"] == "您的角色无权执行此操作。"
        else:
            assert r.status_code == 404, (role, method, url, r.get_json())
        assert snapshot(model) == before, (role, method, url)


def test_allowed_roles_succeed_on_every_write_endpoint(world):
    for method, url, body, model, allowed, *_visible in write_cases(world):
        for role in sorted(allowed):
            before = len(snapshot(model))
            r = getattr(world, method)(ROLES_USERS[role], url, json=body)
            assert r.status_code == (201 if method == "post" else 200), (role, url, r.get_json())
            if method == "post":
                assert len(snapshot(model)) == before + 1
                break  # a second create would repeat the unique name


def test_enterprise_user_sees_only_its_enterprise(world):
    own, other = world.enterprises
    r = world.get("ent_a", "/api/v1/enterprises")
    assert r.status_code == 200
    assert [e["id"] for e in r.get_json()["items"]] == [own.id]
    assert r.get_json()["total"] == 1
    assert world.get("ent_a", f"/api/v1/enterprises/{own.id}").status_code == 200
    r = world.get("ent_a", f"/api/v1/enterprises/{other.id}")
    assert r.status_code == 404
    assert r.get_json()["message"] == "未找到该记录。"


def test_other_enterprise_is_404_even_for_writes(world):
    """404 comes before 403: the enterprise must not learn that the record exists."""
    other = world.enterprises[1]
    before = snapshot(Enterprise)
    r = world.patch("ent_a", f"/api/v1/enterprises/{other.id}", json={"name": "抢注有限公司"})
    assert r.status_code == 404
    assert snapshot(Enterprise) == before
    # its own record: visible, so the refusal is 403
    r = world.patch("ent_a", f"/api/v1/enterprises/{world.enterprises[0].id}", json={"name": "改名有限公司"})
    assert r.status_code == 403
    assert snapshot(Enterprise) == before


def test_inspector_sees_only_the_enterprises_of_its_grids(world):
    own, other = world.enterprises
    r = world.get("insp_a", "/api/v1/enterprises")
    assert [e["id"] for e in r.get_json()["items"]] == [own.id]
    assert world.get("insp_a", f"/api/v1/enterprises/{other.id}").status_code == 404
    assert world.get("insp_b", f"/api/v1/enterprises/{other.id}").status_code == 200


def test_staff_see_every_enterprise(world):
    for username in ("office", "leader", "admin"):
        assert world.get(username, "/api/v1/enterprises").get_json()["total"] == 2


def test_users_are_visible_to_admin_and_office_only(world):
    ent_b = world.users["ent_b"].id
    assert world.get("office", f"/api/v1/users/{ent_b}").status_code == 200
    assert world.get("ent_a", f"/api/v1/users/{ent_b}").status_code == 404
    assert world.get("ent_a", f"/api/v1/users/{world.users['ent_a'].id}").status_code == 200
    assert world.get("insp_a", "/api/v1/users").status_code == 403
    r = world.get("office", "/api/v1/users?role=enterprise")
    assert {u["username"] for u in r.get_json()["items"]} == {"ent_a", "ent_b"}


def test_unknown_ids_are_404(world):
    assert world.get("office", "/api/v1/enterprises/99999").status_code == 404
    assert world.get("office", "/api/v1/grids/99999").status_code == 404
    r = world.patch("admin", "/api/v1/users/99999", json={"display_name": "x"})
    assert r.status_code == 404
    assert count(User) == 7


def test_an_api_endpoint_without_an_access_rule_stops_the_app(app):
    from server.auth import check_rules

    bare = Flask("bare")
    bare.config.update(app.config)
    bare.add_url_rule("/api/v1/forgotten", "forgotten", lambda: "open to all?")
    with pytest.raises(RuntimeError, match="has no access rule"):
        check_rules(bare)


@pytest.mark.parametrize(
    "url", ["/api/v1/enterprises/{n}", "/api/v1/hazards/{n}", "/api/v1/inspections/{n}", "/api/v1/records/{n}"]
)
def test_ids_beyond_the_id_column_are_404_not_500(world, url):
    for n in (2**31, 10**20):
        r = world.get("office", url.format(n=n))
        assert r.status_code == 404 and r.get_json()["message"]
