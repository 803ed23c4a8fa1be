"""The hazard list: every filter of API.md, text search (Chinese included), pagination and scope."""

from __future__ import annotations

from tests.conftest import PLAN_FOR_TESTS, park_iso


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [h["id"] for h in response.get_json()["items"]]


def test_filters_search_and_scope(world, phone):
    w = world
    a1 = phone.hazard(
        found_at="2026-01-15T10:00:00+08:00",
        deadline="2026-01-20",
        description="消防通道被货物堵塞",
        location="一号仓库",
        category="fire",
    )
    a2 = phone.hazard(
        found_at="2026-03-31T23:30:00+08:00",
        description="储罐区防雷接地检测过期",
        level="major",
        category="hazchem",
        plan=PLAN_FOR_TESTS,
        deadline="2099-12-31",
    )
    b1 = phone.hazard(
        username="insp_b",
        enterprise=1,
        found_at="2026-04-01T00:30:00+08:00",
        description="有限空间作业未审批",
        location="污水池",
        category="confined_space",
        deadline="2099-12-31",
    )
    own = phone.hazard(
        username="ent_a", found_at=park_iso(hours=-3), description="自查：灭火器压力不足", category="fire"
    )

    assert ids(w.get("office", "/api/v1/hazards")) == [own["id"], b1["id"], a2["id"], a1["id"]]
    assert ids(w.get("office", "/api/v1/hazards?category=fire")) == [own["id"], a1["id"]]
    assert ids(w.get("office", "/api/v1/hazards?level=major")) == [a2["id"]]
    assert ids(w.get("office", "/api/v1/hazards?source=self_check")) == [own["id"]]
    assert ids(w.get("office", f"/api/v1/hazards?enterprise_id={w.enterprises[1].id}")) == [b1["id"]]
    assert ids(w.get("office", f"/api/v1/hazards?grid_id={w.grids[0].id}")) == [own["id"], a2["id"], a1["id"]]
    assert ids(w.get("office", "/api/v1/hazards?status=registered&overdue=true")) == [a1["id"]]
    # periods are in park time: b1 (00:30 on 1 April in the park) is still 31 March in UTC, yet it is in April
    assert ids(w.get("office", "/api/v1/hazards?found_from=2026-01-01&found_to=2026-04-01")) == [a2["id"], a1["id"]]
    assert ids(w.get("office", "/api/v1/hazards?found_from=2026-04-01T00:00:00")) == [own["id"], b1["id"]]
    # the overdue list, most overdue first (earliest deadline)
    by_deadline = ids(w.get("office", "/api/v1/hazards?sort=deadline"))
    assert by_deadline[0] == a1["id"] and by_deadline.index(own["id"]) < by_deadline.index(b1["id"])
    # text search, Chinese, over description and location
    assert ids(w.get("office", "/api/v1/hazards?q=灭火器")) == [own["id"]]
    assert ids(w.get("office", "/api/v1/hazards?q=仓库")) == [a1["id"]]
    assert ids(w.get("office", "/api/v1/hazards?q=污水")) == [b1["id"]]
    assert ids(w.get("office", "/api/v1/hazards?q=100%")) == []
    # pagination
    page = w.get("office", "/api/v1/hazards?per_page=3&page=2").get_json()
    assert (page["total"], page["page"], page["per_page"], [h["id"] for h in page["items"]]) == (4, 2, 3, [a1["id"]])
    assert "history" not in page["items"][0] and "photos" not in page["items"][0]
    # scope: an enterprise sees its own, an inspector its grids'
    assert ids(w.get("ent_a", "/api/v1/hazards")) == [own["id"], a2["id"], a1["id"]]
    assert ids(w.get("ent_b", "/api/v1/hazards")) == [b1["id"]]
    assert ids(w.get("ent_a", f"/api/v1/hazards?enterprise_id={w.enterprises[1].id}")) == []
    assert ids(w.get("insp_b", "/api/v1/hazards")) == [b1["id"]]
    assert ids(w.get("leader", "/api/v1/hazards?category=confined_space")) == [b1["id"]]
    # bad filters are 422
    for query in (
        "status=open",
        "sort=random",
        "overdue=maybe",
        "found_from=someday",
        "category=earthquake",
        "per_page=500",
    ):
        r = w.get("office", f"/api/v1/hazards?{query}")
        assert r.status_code == 422, query


def test_other_enterprises_hazards_are_invisible_to_every_action(world, phone):
    w = world
    theirs = phone.hazard(username="insp_b", enterprise=1)
    hid = theirs["id"]
    assert w.get("ent_a", f"/api/v1/hazards/{hid}").status_code == 404
    assert w.get("insp_a", f"/api/v1/hazards/{hid}").status_code == 404
    assert phone.photo("ent_a", hid, "after").status_code == 404
    assert phone.photo("insp_a", hid, "before").status_code == 404
    r = w.post("ent_a", f"/api/v1/hazards/{hid}/rectification", json={"description": "x", "completed_at": park_iso()})
    assert r.status_code == 404
    r = w.post("insp_a", f"/api/v1/hazards/{hid}/verification", json={"accepted": True})
    assert r.status_code == 404
    assert w.get("ent_a", f"/api/v1/inspections/{theirs['inspection_id']}").status_code == 404
    assert w.get("ent_b", f"/api/v1/hazards/{hid}").status_code == 200
    after = w.get("office", f"/api/v1/hazards/{hid}").get_json()
    assert after["status"] == "registered" and after["photos"] == [] and len(after["history"]) == 1


def test_inspection_list_is_scoped(world, phone):
    a = phone.inspection(kind="special", campaign="flood_season")
    b = phone.inspection(username="insp_b", enterprise=1, kind="joint")
    listed = lambda who, q="": [i["id"] for i in world.get(who, f"/api/v1/inspections{q}").get_json()["items"]]  # noqa: E731
    assert set(listed("office")) == {a["id"], b["id"]}
    assert listed("insp_a") == [a["id"]]
    assert listed("ent_b") == [b["id"]]
    assert listed("office", "?kind=special") == [a["id"]]
    assert listed("office", "?campaign=flood_season") == [a["id"]]


def test_notifications_are_read_one_by_one_and_are_private(world, phone):
    phone.hazard()
    phone.hazard()
    page = world.get("ent_a", "/api/v1/notifications").get_json()
    assert page["total"] == 2 and page["unread"] == 2
    first = page["items"][0]
    r = world.post("ent_a", f"/api/v1/notifications/{first['id']}/read")
    assert r.status_code == 200 and r.get_json()["read"] is True
    assert world.post("ent_a", f"/api/v1/notifications/{first['id']}/read").status_code == 200
    page = world.get("ent_a", "/api/v1/notifications?unread=true").get_json()
    assert page["unread"] == 1 and [n["id"] for n in page["items"]] != [first["id"]]
    assert world.post("ent_b", f"/api/v1/notifications/{first['id']}/read").status_code == 404
    assert world.post("office", f"/api/v1/notifications/{first['id']}/read").status_code == 404
