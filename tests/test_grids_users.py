"""Grids, enterprises and users: the happy paths of API.md."""

from __future__ import annotations

from server.accounts.models import User
from server.extensions import db
from tests.conftest import PASSWORD, VALID_CODES, count


def test_office_creates_a_grid_with_inspectors_and_changes_them(world):
    a, b = world.users["insp_a"].id, world.users["insp_b"].id
    r = world.post("office", "/api/v1/grids", json={"name": "第三网格（南区）", "inspector_ids": [a, b]})
    assert r.status_code == 201
    grid = r.get_json()
    assert grid["name"] == "第三网格（南区）" and grid["inspector_ids"] == [a, b]
    r = world.patch("office", f"/api/v1/grids/{grid['id']}", json={"inspector_ids": [b]})
    assert r.get_json()["inspector_ids"] == [b]
    # the inspector's own view follows
    assert world.get("insp_a", "/api/v1/me").get_json()["grid_ids"] == [world.grids[0].id]
    assert set(world.get("insp_b", "/api/v1/me").get_json()["grid_ids"]) == {world.grids[1].id, grid["id"]}


def test_grid_inspectors_must_be_inspectors(world):
    r = world.post("office", "/api/v1/grids", json={"name": "第四网格", "inspector_ids": [world.users["office"].id]})
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"inspector_ids": ["用户不存在或不是网格员。"]}
    r = world.post("office", "/api/v1/grids", json={"name": "第一网格"})
    assert r.get_json()["errors"] == {"name": ["网格名称已存在。"]}


def test_everyone_reads_grids(world):
    for username in ("ent_a", "insp_b", "leader"):
        r = world.get(username, "/api/v1/grids")
        assert r.status_code == 200
        assert [g["name"] for g in r.get_json()["items"]] == ["第一网格", "第二网格"]


def test_enterprise_round_trip_with_labels(world):
    body = {
        "name": "滨江德润新材料科技有限公司",
        "credit_code": VALID_CODES[2],
        "industry": "新材料制造",
        "grid_id": world.grids[1].id,
        "address": "滨江经济开发区创新路 18 号",
        "contact_name": "陈明",
        "contact_phone": "13912345678",
        "contact_email": "safety@example.com",
        "status": "resumed",
        "risk_level": "orange",
    }
    r = world.post("office", "/api/v1/enterprises", json=body)
    assert r.status_code == 201
    created = r.get_json()
    assert {k: created[k] for k in body} == body
    assert created["risk_level_label"] == "较大风险"
    assert created["status_label"] == "复工复产"
    r = world.client.get(f"/api/v1/enterprises/{created['id']}?lang=en", headers=world.headers("insp_b"))
    assert r.get_json()["risk_level_label"] == "Considerable risk"
    r = world.patch(
        "admin", f"/api/v1/enterprises/{created['id']}", json={"status": "suspended", "grid_id": world.grids[0].id}
    )
    assert r.status_code == 200
    assert r.get_json()["status"] == "suspended"
    # moved to grid 0: now insp_a's, no longer insp_b's
    assert world.get("insp_b", f"/api/v1/enterprises/{created['id']}").status_code == 404
    assert world.get("insp_a", f"/api/v1/enterprises/{created['id']}").status_code == 200


def test_enterprise_list_filters(world):
    r = world.get("office", f"/api/v1/enterprises?grid_id={world.grids[1].id}")
    assert [e["id"] for e in r.get_json()["items"]] == [world.enterprises[1].id]
    r = world.get("office", "/api/v1/enterprises?q=恒瑞")
    assert [e["id"] for e in r.get_json()["items"]] == [world.enterprises[0].id]
    r = world.get("office", f"/api/v1/enterprises?q={VALID_CODES[1][:10]}")
    assert [e["id"] for e in r.get_json()["items"]] == [world.enterprises[1].id]


def test_admin_creates_users_who_can_log_in(world, client):
    r = world.post(
        "admin",
        "/api/v1/users",
        json={
            "username": "inspector7",
            "password": "field-work-77",
            "role": "inspector",
            "display_name": "赵海燕",
            "phone": "13700001111",
            "grid_ids": [world.grids[0].id, world.grids[1].id],
        },
    )
    assert r.status_code == 201
    user = r.get_json()
    assert user["grid_ids"] == [world.grids[0].id, world.grids[1].id]
    assert "password" not in user
    login = client.post("/api/v1/auth/token", json={"username": "inspector7", "password": "field-work-77"})
    assert login.status_code == 200
    token = login.get_json()["access_token"]
    r = client.get("/api/v1/enterprises", headers={"Authorization": f"Bearer {token}"})
    assert r.get_json()["total"] == 2

    r = world.post(
        "admin",
        "/api/v1/users",
        json={
            "username": "ent_a2",
            "password": "long-enough-1",
            "role": "enterprise",
            "enterprise_id": world.enterprises[0].id,
        },
    )
    assert r.status_code == 201 and r.get_json()["enterprise_id"] == world.enterprises[0].id


def test_admin_disables_a_user_and_resets_a_password(world, client):
    uid = world.users["ent_b"].id
    r = world.patch("admin", f"/api/v1/users/{uid}", json={"password": "a-new-password-2"})
    assert r.status_code == 200
    assert client.post("/api/v1/auth/token", json={"username": "ent_b", "password": PASSWORD}).status_code == 401
    assert (
        client.post("/api/v1/auth/token", json={"username": "ent_b", "password": "a-new-password-2"}).status_code == 200
    )
    r = world.patch("admin", f"/api/v1/users/{uid}", json={"is_active": False})
    assert r.get_json()["is_active"] is False
    assert (
        client.post("/api/v1/auth/token", json={"username": "ent_b", "password": "a-new-password-2"}).status_code == 401
    )


def test_changing_role_away_from_enterprise_clears_the_link(world):
    uid = world.users["ent_b"].id
    r = world.patch("admin", f"/api/v1/users/{uid}", json={"role": "leader"})
    assert r.status_code == 200
    assert r.get_json()["enterprise_id"] is None
    db.session.expire_all()
    assert count(User, User.enterprise_id.is_not(None)) == 1
