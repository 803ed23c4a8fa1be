"""Log-in, tokens and their failures."""

from __future__ import annotations

from datetime import timedelta

import jwt as pyjwt
from flask_jwt_extended import create_access_token

from server.extensions import db
from tests.conftest import PASSWORD


def test_login_returns_a_bearer_token_that_works(world, client):
    r = client.post("/api/v1/auth/token", json={"username": "insp_a", "password": PASSWORD})
    assert r.status_code == 200
    body = r.get_json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 12 * 3600
    assert body["user"]["username"] == "insp_a"
    assert body["user"]["role"] == "inspector"
    assert body["user"]["grid_ids"] == [world.grids[0].id]
    assert body["user"]["enterprise_id"] is None
    assert "password" not in body["user"] and "password_hash" not in body["user"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.get_json()["id"] == world.users["insp_a"].id


def test_enterprise_login_carries_its_enterprise(world, client):
    r = client.post("/api/v1/auth/token", json={"username": "ent_b", "password": PASSWORD})
    assert r.get_json()["user"]["enterprise_id"] == world.enterprises[1].id


def test_passwords_are_stored_as_scrypt_hashes(world):
    user = world.users["office"]
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_wrong_password_is_401_in_chinese_by_default(world, client):
    r = client.post("/api/v1/auth/token", json={"username": "office", "password": "wrong-password"})
    assert r.status_code == 401
    assert r.get_json()["message"] == "用户名或密码错误。"
    assert "access_token" not in r.get_json()


def test_wrong_password_in_english_on_request(world, client):
    r = client.post(
        "/api/v1/auth/token",
        json={"username": "office", "password": "nope"},
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert r.status_code == 401
    assert r.get_json()["message"] == "Wrong username or password."


def test_unknown_user_gets_the_same_answer(world, client):
    r = client.post("/api/v1/auth/token", json={"username": "ghost", "password": PASSWORD})
    assert r.status_code == 401
    assert r.get_json()["message"] == "用户名或密码错误。"


def test_disabled_user_cannot_log_in_and_loses_existing_tokens(world, client):
    token = world.token("insp_b")
    world.users["insp_b"].is_active = False
    db.session.commit()
    r = client.post("/api/v1/auth/token", json={"username": "insp_b", "password": PASSWORD})
    assert r.status_code == 401
    r = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


def test_login_missing_fields_is_422(world, client):
    r = client.post("/api/v1/auth/token", json={"username": "office"})
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"password": ["缺少必填字段。"]}


def test_no_token_is_401(world, client):
    r = client.get("/api/v1/enterprises")
    assert r.status_code == 401
    assert r.get_json()["message"] == "未登录或登录已失效，请重新登录。"
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_expired_token_is_401(world, client, app):
    token = create_access_token(identity=str(world.users["office"].id), expires_delta=timedelta(seconds=-10))
    r = client.get("/api/v1/enterprises", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert r.get_json()["message"] == "登录已过期，请重新登录。"


def test_token_signed_with_another_key_is_401(world, client):
    forged = pyjwt.encode(
        {"sub": str(world.users["admin"].id), "type": "access", "role": "admin", "fresh": False, "jti": "x"},
        "not-the-server-secret-key-0123456789",
        algorithm="HS256",
    )
    r = client.get("/api/v1/users", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    assert r.get_json()["message"] == "登录凭证无效，请重新登录。"


def test_tampered_role_claim_is_401(world, client):
    token = world.token("ent_a")
    header, payload, signature = token.split(".")
    import base64
    import json

    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    claims["sub"] = str(world.users["admin"].id)
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    r = client.get("/api/v1/users", headers={"Authorization": f"Bearer {header}.{forged_payload}.{signature}"})
    assert r.status_code == 401


def test_garbage_and_wrong_scheme_are_401(world, client):
    for value in ("Bearer not-a-jwt", "Basic b2ZmaWNlOng=", "Bearer"):
        r = client.get("/api/v1/me", headers={"Authorization": value})
        assert r.status_code == 401, value
        assert r.get_json()["message"]
