"""The closed loop: registration → rejected rectification → rectification → closure, as each role."""

from __future__ import annotations

from server.hazards.models import Hazard, HazardEvent, Rectification, Verification
from server.notifications.models import Notification
from tests.conftest import count, park_iso


def history(world, hazard_id, username="office"):
    return world.get(username, f"/api/v1/hazards/{hazard_id}").get_json()["history"]


def test_a_hazard_goes_round_the_whole_loop(world, phone):
    w = world
    # 1. the inspector records an inspection and registers a hazard with a before photo
    inspection = phone.inspection()
    body = phone.hazard_body(inspection, deadline="2099-12-31", responsible_person="车间主任 李强")
    r = w.post("insp_a", "/api/v1/hazards", json=body)
    assert r.status_code == 201
    hazard = r.get_json()
    hid = hazard["id"]
    assert hazard["status"] == "registered" and hazard["status_label"] == "待整改"
    assert hazard["source"] == "inspection" and hazard["inspection_id"] == inspection["id"]
    assert hazard["deadline"] == "2099-12-31T23:59:59+08:00"
    assert hazard["overdue"] is False and hazard["days_overdue"] == 0
    assert hazard["found_by"]["id"] == w.users["insp_a"].id
    assert [h["action"] for h in hazard["history"]] == ["registered"]
    assert hazard["history"][0]["from_status"] is None and hazard["history"][0]["to_status"] == "registered"
    assert w.get("insp_a", f"/api/v1/inspections/{inspection['id']}").get_json()["hazard_ids"] == [hid]

    notices = phone.notices("ent_a")
    assert len(notices) == 1
    assert notices[0]["title"] == "整改通知：苏州恒瑞精密机械有限公司"
    assert "配电箱前堆放纸箱" in notices[0]["body"] and "2099年12月31日" in notices[0]["body"]
    assert notices[0]["hazard_id"] == hid
    assert phone.notices("ent_b") == [] and phone.notices("office") == []

    assert phone.photo("insp_a", hid, "before").status_code == 201

    # 2. the enterprise cannot submit without an after photo, nor add before photos
    r = w.post(
        "ent_a", f"/api/v1/hazards/{hid}/rectification", json={"description": "已清理", "completed_at": park_iso()}
    )
    assert r.status_code == 409
    assert r.get_json()["message"] == "提交整改前，请先上传至少一张整改后照片。"
    r = phone.photo("ent_a", hid, "before")
    assert r.status_code == 403 and r.get_json()["message"] == "企业只能上传整改后照片（自查上报的隐患除外）。"
    assert count(Rectification) == 0 and len(history(w, hid)) == 2

    # 3. after photo, rectification → awaiting_verification; the inspector is told
    assert phone.photo("ent_a", hid, "after").status_code == 201
    r = w.post(
        "ent_a",
        f"/api/v1/hazards/{hid}/rectification",
        json={"description": "已清理可燃物，通道恢复畅通", "completed_at": park_iso(hours=-0.5), "cost": 200},
    )
    assert r.status_code == 200
    assert r.get_json()["status"] == "awaiting_verification"
    assert r.get_json()["rectification"]["cost"] == 200.0
    assert [n["title"] for n in phone.notices("insp_a")] == ["整改待验收：苏州恒瑞精密机械有限公司"]

    # 4. not the enterprise's to verify (403); not the other grid's inspector's (404)
    r = w.post("ent_a", f"/api/v1/hazards/{hid}/verification", json={"accepted": True})
    assert r.status_code == 403
    r = w.post("insp_b", f"/api/v1/hazards/{hid}/verification", json={"accepted": True})
    assert r.status_code == 404
    assert count(Verification) == 0

    # 5. rejection needs a comment, then sends it back
    r = w.post("insp_a", f"/api/v1/hazards/{hid}/verification", json={"accepted": False})
    assert r.status_code == 422 and r.get_json()["errors"] == {"comment": ["验收不通过时必须填写原因。"]}
    r = w.post("insp_a", f"/api/v1/hazards/{hid}/verification", json={"accepted": False, "comment": "配电箱前仍有杂物"})
    assert r.status_code == 200 and r.get_json()["status"] == "registered"
    rejected = phone.notices("ent_a")[0]
    assert rejected["title"] == "整改未通过验收：苏州恒瑞精密机械有限公司" and "配电箱前仍有杂物" in rejected["body"]

    # 6. a new round needs new evidence
    r = w.post(
        "ent_a", f"/api/v1/hazards/{hid}/rectification", json={"description": "再次清理", "completed_at": park_iso()}
    )
    assert r.status_code == 409
    assert phone.photo("ent_a", hid, "after").status_code == 201
    r = w.post(
        "ent_a", f"/api/v1/hazards/{hid}/rectification", json={"description": "再次清理", "completed_at": park_iso()}
    )
    assert r.status_code == 200 and r.get_json()["status"] == "awaiting_verification"

    # 7. acceptance closes it (销号)
    r = w.post("insp_a", f"/api/v1/hazards/{hid}/verification", json={"accepted": True, "comment": "复查合格"})
    assert r.status_code == 200
    closed = r.get_json()
    assert closed["status"] == "closed" and closed["closed_at"] is not None and closed["overdue"] is False
    assert phone.notices("ent_a")[0]["title"] == "隐患已销号：苏州恒瑞精密机械有限公司"

    # 8. the history tells the whole story, oldest first, with who did what
    entries = closed["history"]
    assert [(e["action"], e["from_status"], e["to_status"]) for e in entries] == [
        ("registered", None, "registered"),
        ("photo_added", "registered", "registered"),
        ("photo_added", "registered", "registered"),
        ("rectification_submitted", "registered", "awaiting_verification"),
        ("rejected", "awaiting_verification", "registered"),
        ("photo_added", "registered", "registered"),
        ("rectification_submitted", "registered", "awaiting_verification"),
        ("closed", "awaiting_verification", "closed"),
    ]
    assert [e["by"]["role"] for e in entries] == [
        "inspector",
        "inspector",
        "enterprise",
        "enterprise",
        "inspector",
        "enterprise",
        "enterprise",
        "inspector",
    ]
    assert entries[4]["comment"] == "配电箱前仍有杂物"
    assert [p["stage"] for p in closed["photos"]] == ["before", "after", "after"]
    assert all(entries[i]["at"] <= entries[i + 1]["at"] for i in range(len(entries) - 1))

    # 9. nothing more can happen to a closed hazard, and trying changes nothing
    events = count(HazardEvent)
    for path, payload in (
        ("rectification", {"description": "x", "completed_at": park_iso()}),
        ("verification", {"accepted": True}),
    ):
        who = "ent_a" if path == "rectification" else "insp_a"
        r = w.post(who, f"/api/v1/hazards/{hid}/{path}", json=payload)
        assert r.status_code == 409, path
        assert r.get_json()["message"].startswith("隐患当前状态为“已销号”")
    r = w.post("office", f"/api/v1/hazards/{hid}/extension", json={"deadline": "2100-01-31", "reason": "x"})
    assert r.status_code == 409
    assert phone.photo("insp_a", hid, "before").status_code == 409
    assert count(HazardEvent) == events
    assert w.get("leader", f"/api/v1/hazards/{hid}").get_json()["status"] == "closed"


def test_verification_before_rectification_is_409(world, phone):
    hazard = phone.hazard()
    r = world.post("office", f"/api/v1/hazards/{hazard['id']}/verification", json={"accepted": True})
    assert r.status_code == 409
    assert r.get_json()["message"] == "隐患当前状态为“待整改”，不能验收。"
    r = world.client.post(
        f"/api/v1/hazards/{hazard['id']}/verification?lang=en", json={"accepted": True}, headers=world.headers("office")
    )
    assert r.get_json()["message"] == "The hazard is Registered; it cannot be verified."
    assert count(Verification) == 0 and count(HazardEvent) == 1


def test_office_extends_a_deadline_and_the_history_keeps_the_original(world, phone):
    hazard = phone.hazard(deadline="2099-01-10")
    hid = hazard["id"]
    r = world.post(
        "insp_a", f"/api/v1/hazards/{hid}/extension", json={"deadline": "2099-02-10", "reason": "设备到货延迟"}
    )
    assert r.status_code == 403
    r = world.post(
        "ent_a", f"/api/v1/hazards/{hid}/extension", json={"deadline": "2099-02-10", "reason": "设备到货延迟"}
    )
    assert r.status_code == 403
    r = world.post("office", f"/api/v1/hazards/{hid}/extension", json={"deadline": "2099-01-05", "reason": "提前"})
    assert r.status_code == 422 and "deadline" in r.get_json()["errors"]
    r = world.post("office", f"/api/v1/hazards/{hid}/extension", json={"deadline": "2099-02-10"})
    assert r.status_code == 422 and r.get_json()["errors"] == {"reason": ["缺少必填字段。"]}
    r = world.post(
        "office", f"/api/v1/hazards/{hid}/extension", json={"deadline": "2099-02-10", "reason": "设备到货延迟"}
    )
    assert r.status_code == 200
    body = r.get_json()
    assert body["deadline"] == "2099-02-10T23:59:59+08:00"
    assert body["original_deadline"] == "2099-01-10T23:59:59+08:00"
    event = body["history"][-1]
    assert event["action"] == "deadline_extended" and event["comment"] == "设备到货延迟"
    assert event["data"]["from"].startswith("2099-01-10T15:59:59") and event["data"]["to"].startswith(
        "2099-02-10T15:59:59"
    )
    assert phone.notices("ent_a")[0]["title"] == "整改期限已延长：苏州恒瑞精密机械有限公司"


def test_overdue_is_derived_in_park_time(world, phone):
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    park = ZoneInfo("Asia/Shanghai")
    today = datetime.now(UTC).astimezone(park).date()
    found = (datetime.now(UTC) - timedelta(days=10)).astimezone(park).isoformat()
    deadline = (today - timedelta(days=3)).isoformat()
    hazard = phone.hazard(found_at=found, deadline=deadline)
    assert hazard["overdue"] is True and hazard["days_overdue"] == 3
    r = world.get("office", "/api/v1/hazards?overdue=true")
    assert [h["id"] for h in r.get_json()["items"]] == [hazard["id"]]
    # an extension to tomorrow lifts it
    tomorrow = (today + timedelta(days=1)).isoformat()
    r = world.post("office", f"/api/v1/hazards/{hazard['id']}/extension", json={"deadline": tomorrow, "reason": "延期"})
    assert r.get_json()["overdue"] is False and r.get_json()["days_overdue"] == 0
    assert world.get("office", "/api/v1/hazards?overdue=true").get_json()["total"] == 0
    assert world.get("office", "/api/v1/hazards?overdue=false").get_json()["total"] == 1


def test_days_overdue_counts_park_calendar_days(app):
    """A deadline at the end of a park day: 30 minutes past midnight in the park is one day late."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from server.hazards.service import overdue_days

    park = ZoneInfo("Asia/Shanghai")
    hazard = Hazard(status="registered", deadline=datetime(2026, 3, 31, 23, 59, 59, tzinfo=park))
    assert overdue_days(hazard, datetime(2026, 3, 31, 23, 30, tzinfo=park)) is None
    assert overdue_days(hazard, datetime(2026, 4, 1, 0, 30, tzinfo=park)) == 1
    # 2026-04-01 00:30 in the park is still 31 March in UTC: the park's calendar counts
    assert overdue_days(hazard, datetime(2026, 4, 3, 16, 30, tzinfo=ZoneInfo("UTC"))) == 4
    hazard.status = "closed"
    assert overdue_days(hazard, datetime(2026, 5, 1, tzinfo=park)) is None


def test_default_deadline_per_level(world, phone, app):
    hazard = phone.hazard(found_at="2026-11-20T23:30:00+08:00")
    assert hazard["deadline"] == "2026-11-27T23:59:59+08:00"  # 7 days for general hazards


def test_enterprise_self_reports_a_hazard(world, phone):
    w = world
    body = phone.hazard_body(None, enterprise=0, description="自查发现叉车倒车报警器损坏", category="traffic")
    r = w.post("ent_a", "/api/v1/hazards", json=body)
    assert r.status_code == 201
    hazard = r.get_json()
    assert hazard["source"] == "self_check" and hazard["inspection_id"] is None
    assert [n["title"] for n in phone.notices("insp_a")] == ["企业自查上报隐患：苏州恒瑞精密机械有限公司"]
    assert phone.notices("insp_b") == []
    # not with an inspection, not for another enterprise
    r = w.post("ent_a", "/api/v1/hazards", json=phone.hazard_body(phone.inspection(), enterprise=0))
    assert r.status_code == 422 and "inspection_id" in r.get_json()["errors"]
    r = w.post("ent_a", "/api/v1/hazards", json=phone.hazard_body(None, enterprise=1))
    assert r.status_code == 422 and r.get_json()["errors"] == {"enterprise_id": ["企业不存在或不在您的负责范围内。"]}
    assert count(Hazard) == 1
    # the grid's inspector verifies it like any other
    assert phone.photo("ent_a", hazard["id"], "after").status_code == 201
    r = w.post(
        "ent_a",
        f"/api/v1/hazards/{hazard['id']}/rectification",
        json={"description": "已修复", "completed_at": park_iso()},
    )
    assert r.status_code == 200
    assert phone.notices("insp_a")[0]["title"] == "整改待验收：苏州恒瑞精密机械有限公司"
    r = w.post("insp_a", f"/api/v1/hazards/{hazard['id']}/verification", json={"accepted": True})
    assert r.get_json()["status"] == "closed"


from tests.conftest import PLAN_FOR_TESTS as PLAN  # noqa: E402


def test_major_hazard_needs_its_plan_and_is_escalated(world, phone):
    inspection = phone.inspection()
    body = phone.hazard_body(
        inspection, level="major", category="hazchem", description="甲类仓库储罐区可燃气体报警装置失效"
    )
    r = world.post("insp_a", "/api/v1/hazards", json=body)
    assert r.status_code == 422
    assert r.get_json()["errors"]["plan"][0].startswith("重大隐患必须填写治理方案")
    r = world.post("insp_a", "/api/v1/hazards", json={**body, "plan": {k: v for k, v in PLAN.items() if k != "funds"}})
    assert r.status_code == 422 and r.get_json()["errors"] == {"plan.funds": ["缺少必填字段。"]}
    assert count(Hazard) == 0 and count(Notification) == 0
    r = world.post("insp_a", "/api/v1/hazards", json={**body, "plan": PLAN})
    assert r.status_code == 201
    hazard = r.get_json()
    assert hazard["plan"] == {**PLAN, "funds": 150000.0}
    assert hazard["level_label"] == "重大隐患"
    for username in ("office", "leader"):
        assert [n["title"] for n in phone.notices(username)] == ["重大隐患报告：苏州恒瑞精密机械有限公司"]
    assert phone.notices("ent_a")[0]["title"].startswith("整改通知")


def test_hazard_input_errors_store_nothing(world, phone):
    inspection = phone.inspection()
    other_inspection = phone.inspection(username="insp_b", enterprise=1)
    cases = [
        ({"found_at": park_iso(hours=1)}, "found_at"),
        ({"deadline": "2020-01-01"}, "deadline"),
        ({"category": "earthquake"}, "category"),
        ({"level": "critical"}, "level"),
        ({"inspection_id": other_inspection["id"]}, "inspection_id"),
        ({"inspection_id": None}, "inspection_id"),
        ({"enterprise_id": world.enterprises[1].id}, "enterprise_id"),
        ({"description": ""}, "description"),
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"found_at": "yesterday"}, "found_at"),
    ]
    for change, field_name in cases:
        r = world.post("insp_a", "/api/v1/hazards", json={**phone.hazard_body(inspection), **change})
        assert r.status_code == 422, (change, r.get_json())
        assert field_name in r.get_json()["errors"], (change, r.get_json())
        assert r.get_json()["message"]
    assert count(Hazard) == 0 and count(Notification) == 0 and count(HazardEvent) == 0


def test_inspection_input_errors(world, phone):
    base = {
        "client_uuid": "6f1c1d8e-3b1a-4c9e-9a51-0d7d2c3b4a10",
        "enterprise_id": world.enterprises[0].id,
        "kind": "routine",
        "started_at": park_iso(hours=-1),
    }
    for change, field_name in [
        ({"kind": "picnic"}, "kind"),
        ({"kind": "self_check"}, "kind"),
        ({"campaign": "spring"}, "campaign"),
        ({"started_at": park_iso(hours=2)}, "started_at"),
        ({"finished_at": park_iso(hours=-3)}, "finished_at"),
        ({"enterprise_id": world.enterprises[1].id}, "enterprise_id"),
        ({"lat": 123.0}, "lat"),
    ]:
        r = world.post("insp_a", "/api/v1/inspections", json={**base, **change})
        assert r.status_code == 422, change
        assert field_name in r.get_json()["errors"], (change, r.get_json())
    r = world.post("ent_a", "/api/v1/inspections", json=base)
    assert r.status_code == 403
    r = world.post(
        "insp_a", "/api/v1/inspections", json={**base, "campaign": "safety_month", "notes": "安全生产月检查"}
    )
    assert r.status_code == 201
    body = r.get_json()
    assert body["inspector_id"] == world.users["insp_a"].id and body["outcome"] == "no_hazard"
    assert body["kind_label"] == "日常巡查" and body["campaign_label"] == "安全生产月"
    assert body["received_at"] and body["hazard_ids"] == []
