"""Bad input: a clear 400/415/422 with `message` and `errors`, and nothing stored."""

from __future__ import annotations

import pytest

from server.accounts.models import Grid, User
from server.enterprises import creditcode
from server.enterprises.models import Enterprise
from tests.conftest import VALID_CODES, count


def new_enterprise(world, **changes):
    body = {"name": "滨江永固金属制品有限公司", "credit_code": VALID_CODES[2], "grid_id": world.grids[0].id}
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


@pytest.mark.parametrize(
    "code",
    [
        "91110000802100433C",  # wrong check character
        "91110000802100433",  # 17 characters
        "911100008021004333B",  # 19 characters
        "91110000802100433b".upper().replace("B", "I"),  # I is not in the alphabet
        "9111000O802100433B",  # O where a digit belongs
        "91AB0000802100433B",  # letters in the division code
        "",
    ],
)
def test_invalid_credit_codes_are_422_and_store_nothing(world, code):
    r = world.post("office", "/api/v1/enterprises", json=new_enterprise(world, credit_code=code))
    assert r.status_code == 422
    body = r.get_json()
    assert body["message"] == "提交的数据有误，请按提示修改后重试。"
    assert body["errors"]["credit_code"] == ["统一社会信用代码无效：应为 18 位，且校验码正确。"]
    assert count(Enterprise) == 2


def test_credit_code_check_matches_real_codes():
    assert all(creditcode.is_valid(c) for c in VALID_CODES)
    assert creditcode.check_character("91110000802100433") == "B"


def test_lowercase_credit_code_is_normalised(world):
    r = world.post("office", "/api/v1/enterprises", json=new_enterprise(world, credit_code=VALID_CODES[2].lower()))
    assert r.status_code == 201
    assert r.get_json()["credit_code"] == VALID_CODES[2]


def test_duplicate_credit_code_is_422(world):
    r = world.post("office", "/api/v1/enterprises", json=new_enterprise(world, credit_code=VALID_CODES[0]))
    assert r.status_code == 422
    assert r.get_json()["errors"]["credit_code"] == ["该统一社会信用代码已登记。"]
    assert count(Enterprise) == 2


def test_unknown_codes_are_422(world):
    r = world.post("office", "/api/v1/enterprises", json=new_enterprise(world, status="open", risk_level="purple"))
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert set(errors) == {"status", "risk_level"}
    assert errors["status"][0].startswith("取值无效，可选值：operating")
    r = world.post(
        "admin", "/api/v1/users", json={"username": "boss", "password": "long-enough-1", "role": "superuser"}
    )
    assert r.status_code == 422
    assert "role" in r.get_json()["errors"]
    assert count(Enterprise) == 2 and count(User) == 7


def test_unknown_grid_is_422(world):
    r = world.post("office", "/api/v1/enterprises", json=new_enterprise(world, grid_id=9999))
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"grid_id": ["网格不存在。"]}
    assert count(Enterprise) == 2


def test_missing_fields_are_listed(world):
    r = world.post("office", "/api/v1/enterprises", json={"industry": "化工"})
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert errors == {f: ["缺少必填字段。"] for f in ("name", "credit_code", "grid_id")}
    assert count(Enterprise) == 2


def test_wrong_types_are_422(world):
    r = world.post(
        "office",
        "/api/v1/enterprises",
        json=new_enterprise(world, grid_id="1", lat="north", name=["not", "a", "string"]),
    )
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert errors["grid_id"] == ["不是有效的整数。"]
    assert errors["lat"] == ["不是有效的数字。"]
    assert errors["name"] == ["不是有效的字符串。"]
    assert count(Enterprise) == 2


def test_unknown_fields_are_422(world):
    r = world.post("office", "/api/v1/enterprises", json=new_enterprise(world, owner="someone"))
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"owner": ["未知字段。"]}


def test_errors_in_english_on_request(world):
    r = world.client.post(
        "/api/v1/enterprises?lang=en",
        json=new_enterprise(world, credit_code="123"),
        headers=world.headers("office"),
    )
    assert r.status_code == 422
    assert r.get_json()["message"] == "Some fields are invalid; correct them and try again."
    assert r.get_json()["errors"]["credit_code"][0].startswith("Invalid unified social credit code")


def test_malformed_json_is_400(world):
    before = count(Grid)
    r = world.client.post(
        "/api/v1/grids",
        data='{"name": "坏的JSON",',
        headers=world.headers("office", **{"Content-Type": "application/json"}),
    )
    assert r.status_code == 400
    assert r.get_json()["message"] == "请求体不是有效的 JSON，请检查后重试。"
    assert count(Grid) == before


@pytest.mark.parametrize("body", ["[1, 2, 3]", '"just a string"', "42", "null"])
def test_json_that_is_not_an_object_is_400(world, body):
    r = world.client.post(
        "/api/v1/enterprises", data=body, headers=world.headers("office", **{"Content-Type": "application/json"})
    )
    assert r.status_code == 400
    assert r.get_json()["message"] == "请求体必须是一个 JSON 对象。"
    assert count(Enterprise) == 2


def test_non_json_content_type_is_415(world):
    r = world.client.post(
        "/api/v1/grids", data="name=第九网格", headers=world.headers("office", **{"Content-Type": "text/plain"})
    )
    assert r.status_code == 415
    assert r.get_json()["message"]
    assert count(Grid) == 2


def test_user_role_links_are_checked(world):
    r = world.post(
        "admin", "/api/v1/users", json={"username": "ent_c", "password": "long-enough-1", "role": "enterprise"}
    )
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"enterprise_id": ["企业用户必须指定所属企业。"]}
    r = world.post(
        "admin",
        "/api/v1/users",
        json={"username": "ofc2", "password": "long-enough-1", "role": "office", "grid_ids": [world.grids[0].id]},
    )
    assert r.status_code == 422
    assert r.get_json()["errors"] == {"grid_ids": ["只有网格员可以分配网格。"]}
    r = world.post("admin", "/api/v1/users", json={"username": "x", "password": "short", "role": "leader"})
    assert r.status_code == 422
    assert set(r.get_json()["errors"]) == {"username", "password"}
    r = world.post("admin", "/api/v1/users", json={"username": "office", "password": "long-enough-1", "role": "leader"})
    assert r.get_json()["errors"] == {"username": ["用户名已存在。"]}
    assert count(User) == 7


def test_pagination_bounds(world):
    r = world.get("office", "/api/v1/enterprises?per_page=201")
    assert r.status_code == 422
    assert "per_page" in r.get_json()["errors"]
    r = world.get("office", "/api/v1/enterprises?page=0")
    assert r.status_code == 422
    r = world.get("office", "/api/v1/enterprises?per_page=1&page=2")
    body = r.get_json()
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (2, 1, 2, 1)
    assert body["items"][0]["id"] == world.enterprises[1].id


def test_unknown_route_is_a_json_404(world):
    r = world.get("office", "/api/v1/nothing-here")
    assert r.status_code == 404
    assert r.get_json()["message"] == "没有这个接口地址。"
