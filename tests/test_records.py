"""Safety work records: the office enters them, everyone reads them in scope, the briefs count them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from server.extensions import db
from server.records import service
from server.records.models import SafetyRecord
from tests.conftest import count

PARK = ZoneInfo("Asia/Shanghai")


def park_today() -> date:
    return datetime.now(UTC).astimezone(PARK).date()


def drill_body(**changes) -> dict:
    body = {
        "kind": "drill",
        "date": (park_today() - timedelta(days=3)).isoformat(),
        "title": "园区消防疏散演练",
        "quantity": 120,
        "details": "园区管委会组织，入驻企业员工参加",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not ...}


def add_record(world, enterprise: int | None = None, kind: str = "drill", day: date | None = None, **extra):
    """A record stored through the service, as the office would enter it."""
    data = {
        "kind": kind,
        "date": day or park_today() - timedelta(days=10),
        "title": extra.pop("title", "记录"),
        "enterprise_id": None if enterprise is None else world.enterprises[enterprise].id,
        **extra,
    }
    record = service.create_record(world.users["office"], data)
    db.session.commit()
    return record


# -- the office's round trip --------------------------------------------------------------------


def test_office_creates_lists_gets_patches_and_deletes_a_record(world):
    e0 = world.enterprises[0]
    body = drill_body(enterprise_id=e0.id, title="危化品泄漏应急演练")
    r = world.post("office", "/api/v1/records", json=body)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    assert {k: created[k] for k in body} == body
    assert created["kind_label"] == "应急演练"
    assert created["enterprise_name"] == e0.name
    assert created["created_by"] == {"id": world.users["office"].id, "name": "office"}
    assert created["created_at"].endswith("+08:00")

    items = world.get("office", "/api/v1/records").get_json()["items"]
    assert [i["id"] for i in items] == [created["id"]]
    assert items[0] == created
    url = f"/api/v1/records/{created['id']}"
    assert world.get("office", url).get_json() == created

    r = world.patch("office", url, json={"quantity": 86, "enterprise_id": None, "details": None})
    assert r.status_code == 200, r.get_json()
    changed = r.get_json()
    assert (changed["quantity"], changed["enterprise_id"], changed["enterprise_name"], changed["details"]) == (
        86,
        None,
        None,
        None,
    )
    assert changed["title"] == "危化品泄漏应急演练"

    r = world.client.delete(url, headers=world.headers("office"))
    assert r.status_code == 204 and r.data == b""
    assert count(SafetyRecord) == 0
    assert world.get("office", url).status_code == 404
    assert world.client.delete(url, headers=world.headers("office")).status_code == 404
    assert world.get("office", f"/api/v1/records/{10**20}").status_code == 404


def test_admin_writes_records_and_quantity_defaults_to_one(world):
    body = drill_body(kind="agreement", title="2026年度安全生产目标管理责任书", enterprise_id=world.enterprises[1].id)
    del body["quantity"], body["details"]
    r = world.post("admin", "/api/v1/records", json=body)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["quantity"] == 1 and r.get_json()["details"] is None
    assert r.get_json()["kind_label"] == "安全生产目标管理责任书"
    r = world.client.delete(f"/api/v1/records/{r.get_json()['id']}", headers=world.headers("admin"))
    assert r.status_code == 204


def test_today_is_a_valid_date(world):
    r = world.post("office", "/api/v1/records", json=drill_body(date=park_today().isoformat()))
    assert r.status_code == 201, r.get_json()


# -- who sees what --------------------------------------------------------------------------------


def test_each_role_reads_park_wide_records_and_those_of_its_enterprises(world):
    park = add_record(world, None, title="安全生产例会", kind="meeting")
    own = add_record(world, 0, title="恒瑞消防疏散演练")
    other = add_record(world, 1, title="华兴危化品泄漏应急演练")
    expected = {
        "admin": {park.id, own.id, other.id},
        "office": {park.id, own.id, other.id},
        "leader": {park.id, own.id, other.id},
        "insp_a": {park.id, own.id},
        "insp_b": {park.id, other.id},
        "ent_a": {park.id, own.id},
        "ent_b": {park.id, other.id},
    }
    for username, ids in expected.items():
        r = world.get(username, "/api/v1/records")
        assert r.status_code == 200
        assert {i["id"] for i in r.get_json()["items"]} == ids, username
        assert r.get_json()["total"] == len(ids)
        for record in (park, own, other):
            r = world.get(username, f"/api/v1/records/{record.id}")
            assert r.status_code == (200 if record.id in ids else 404), (username, record.title)
    r = world.get("ent_a", f"/api/v1/records/{other.id}")
    assert r.get_json()["message"] == "未找到该记录。"
    # filtering by another enterprise does not widen the scope
    r = world.get("ent_a", f"/api/v1/records?enterprise_id={world.enterprises[1].id}")
    assert r.get_json()["items"] == []


@pytest.mark.parametrize("username", ["insp_a", "ent_a", "leader"])
def test_only_office_and_admin_write(world, username):
    record = add_record(world, 0, title="恒瑞消防疏散演练")
    before = count(SafetyRecord)
    r = world.post(username, "/api/v1/records", json=drill_body())
    assert r.status_code == 403
    assert r.get_json()["message"] == "您的角色无权执行此操作。"
    url = f"/api/v1/records/{record.id}"
    r = world.patch(username, url, json={"title": "改过的标题"})
    assert r.status_code == 403
    assert world.client.delete(url, headers=world.headers(username)).status_code == 403
    db.session.expire_all()
    assert count(SafetyRecord) == before
    assert db.session.get(SafetyRecord, record.id).title == "恒瑞消防疏散演练"


def test_another_enterprises_record_is_404_even_for_writes(world):
    other = add_record(world, 1, title="华兴危化品泄漏应急演练")
    url = f"/api/v1/records/{other.id}"
    assert world.patch("ent_a", url, json={"title": "抢改"}).status_code == 404
    assert world.client.delete(url, headers=world.headers("insp_a")).status_code == 404
    db.session.expire_all()
    assert db.session.get(SafetyRecord, other.id).title == "华兴危化品泄漏应急演练"


# -- bad input --------------------------------------------------------------------------------------

TOMORROW = "tomorrow"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"kind": ...}, "kind", "缺少必填字段。"),
        ({"kind": "party"}, "kind", "取值无效，可选值：agreement, drill, meeting, training, activity, accident"),
        ({"date": ...}, "date", "缺少必填字段。"),
        ({"date": TOMORROW}, "date", "记录日期不能晚于今天（园区时间）。"),
        ({"date": "2026-13-01"}, "date", "不是有效的日期。"),
        ({"title": ...}, "title", "缺少必填字段。"),
        ({"title": ""}, "title", "标题为 1 到 300 个字符。"),
        ({"title": "演" * 301}, "title", "标题为 1 到 300 个字符。"),
        ({"enterprise_id": 99999}, "enterprise_id", "企业不存在。"),
        ({"enterprise_id": 10**20}, "enterprise_id", "企业不存在。"),
        ({"enterprise_id": 0}, "enterprise_id", "企业不存在。"),
        ({"enterprise_id": "1"}, "enterprise_id", "不是有效的整数。"),
        ({"kind": "agreement"}, "enterprise_id", "安全生产目标管理责任书必须指定签订企业（enterprise_id）。"),
        ({"quantity": -1}, "quantity", "数量应为 0 到 1000000 之间的整数。"),
        ({"quantity": 10**12}, "quantity", "数量应为 0 到 1000000 之间的整数。"),
        ({"quantity": 2.5}, "quantity", "不是有效的整数。"),
        ({"details": "细" * 5001}, "details", "超过最大长度5000。"),
        ({"organiser": "安监办"}, "organiser", "未知字段。"),
    ],
)
def test_bad_input_is_422_and_stores_nothing(world, changes, field, message):
    if changes.get("date") == TOMORROW:
        changes = {"date": (park_today() + timedelta(days=1)).isoformat()}
    r = world.post("office", "/api/v1/records", json=drill_body(**changes))
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    assert body["message"] == "提交的数据有误，请按提示修改后重试。"
    assert body["errors"] == {field: [message]}
    assert count(SafetyRecord) == 0


def test_patch_follows_the_same_rules_and_changes_nothing_when_refused(world):
    agreement = add_record(world, 0, kind="agreement", title="2026年度安全生产目标管理责任书")
    park = add_record(world, None, kind="meeting", title="安全生产例会")
    tomorrow = (park_today() + timedelta(days=1)).isoformat()
    cases = [
        (agreement, {"enterprise_id": None}, "enterprise_id"),
        (park, {"kind": "agreement"}, "enterprise_id"),
        (park, {"date": tomorrow}, "date"),
        (park, {"enterprise_id": 99999}, "enterprise_id"),
        (park, {"title": None}, "title"),
        (park, {"quantity": -5}, "quantity"),
        (park, {"id": 7}, "id"),
    ]
    for record, changes, field in cases:
        r = world.patch("office", f"/api/v1/records/{record.id}", json=changes)
        assert r.status_code == 422, (changes, r.get_json())
        assert list(r.get_json()["errors"]) == [field], changes
    db.session.expire_all()
    assert db.session.get(SafetyRecord, agreement.id).enterprise_id == world.enterprises[0].id
    kept = db.session.get(SafetyRecord, park.id)
    assert (kept.kind, kept.enterprise_id, kept.title, kept.quantity) == ("meeting", None, "安全生产例会", 1)
    # a park-wide record may become an agreement together with its enterprise
    e1 = world.enterprises[1].id
    r = world.patch("office", f"/api/v1/records/{park.id}", json={"kind": "agreement", "enterprise_id": e1})
    assert r.status_code == 200 and r.get_json()["kind"] == "agreement"


def test_malformed_body_is_400(world):
    r = world.client.post(
        "/api/v1/records",
        data='{"kind": "drill",',
        headers=world.headers("office", **{"Content-Type": "application/json"}),
    )
    assert r.status_code == 400
    assert count(SafetyRecord) == 0


def test_messages_in_english_on_request(world):
    r = world.client.post(
        "/api/v1/records?lang=en",
        json=drill_body(kind="agreement", date=(park_today() + timedelta(days=1)).isoformat()),
        headers=world.headers("office"),
    )
    assert r.status_code == 422
    body = r.get_json()
    assert body["message"] == "Some fields are invalid; correct them and try again."
    assert body["errors"] == {
        "date": ["The record's date is after today (park time)."],
        "enterprise_id": ["A responsibility agreement needs its enterprise (enterprise_id)."],
    }
    record = add_record(world, None, kind="training", title="特种作业人员培训")
    r = world.client.get(f"/api/v1/records/{record.id}?lang=en", headers=world.headers("leader"))
    assert r.get_json()["kind_label"] == "Training"
    assert count(SafetyRecord) == 1


# -- filters and order ------------------------------------------------------------------------------


def test_filters_and_order(world):
    d = date(2026, 3, 10)
    meeting = add_record(world, None, kind="meeting", day=d, title="3月安全生产例会")
    drill_early = add_record(world, 0, day=d - timedelta(days=9), title="消防疏散演练")
    drill_same_day = add_record(world, 1, day=d, title="危化品泄漏应急演练")
    training = add_record(world, 0, kind="training", day=d + timedelta(days=5), title="新员工三级安全教育")

    def ids(query: str, username: str = "office") -> list[int]:
        r = world.get(username, f"/api/v1/records{query}")
        assert r.status_code == 200, r.get_json()
        return [i["id"] for i in r.get_json()["items"]]

    # newest date first, then the latest entered
    assert ids("") == [training.id, drill_same_day.id, meeting.id, drill_early.id]
    assert ids("?kind=drill") == [drill_same_day.id, drill_early.id]
    assert ids(f"?enterprise_id={world.enterprises[0].id}") == [training.id, drill_early.id]
    # both ends inclusive
    assert ids("?from=2026-03-10&to=2026-03-10") == [drill_same_day.id, meeting.id]
    assert ids("?from=2026-03-01") == [training.id, drill_same_day.id, meeting.id, drill_early.id]
    assert ids("?to=2026-03-09") == [drill_early.id]
    assert ids("?kind=drill&from=2026-03-02&to=2026-03-31", "ent_a") == []
    assert ids("?kind=drill&from=2026-03-01&to=2026-03-31", "ent_a") == [drill_early.id]
    r = world.get("office", "/api/v1/records?per_page=3&page=2")
    assert r.get_json()["total"] == 4 and [i["id"] for i in r.get_json()["items"]] == [drill_early.id]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?kind=party", "kind"),
        ("?from=2026-02-30", "from"),
        ("?from=2026-03-10&to=2026-03-01", "to"),
        (f"?enterprise_id={10**20}", "enterprise_id"),
    ],
)
def test_bad_filters_are_422(world, query, field):
    r = world.get("office", f"/api/v1/records{query}")
    assert r.status_code == 422
    assert list(r.get_json()["errors"]) == [field]


# -- counts for the briefs ---------------------------------------------------------------------------


def park_instant(day: date) -> datetime:
    """The UTC instant at which a park day starts."""
    return datetime(day.year, day.month, day.day, tzinfo=PARK).astimezone(UTC)


def test_record_counts_cover_the_park_days_of_the_period(world):
    q1_start, q2_start = park_instant(date(2026, 1, 1)), park_instant(date(2026, 4, 1))
    add_record(world, 0, kind="agreement", day=date(2026, 1, 1), title="2026年度安全生产目标管理责任书")
    add_record(world, 1, kind="agreement", day=date(2026, 1, 20), title="2026年度安全生产目标管理责任书")
    add_record(world, None, kind="drill", day=date(2026, 3, 31), quantity=150, title="园区消防疏散演练")
    add_record(world, 0, kind="drill", day=date(2026, 2, 14), quantity=40, title="消防疏散演练")
    add_record(world, None, kind="drill", day=date(2026, 4, 1), quantity=999, title="下季度的演练")
    add_record(world, None, kind="meeting", day=date(2025, 12, 31), quantity=30, title="上一年的例会")
    add_record(world, 1, kind="accident", day=date(2026, 3, 31), quantity=1, title="员工手部轻微划伤事故")

    counts = service.record_counts(q1_start, q2_start)
    assert set(counts) == {"agreement", "drill", "meeting", "training", "activity", "accident"}
    assert counts["agreement"] == {"count": 2, "quantity": 2}
    assert counts["drill"] == {"count": 2, "quantity": 190}
    assert counts["meeting"] == {"count": 0, "quantity": 0}
    assert counts["training"] == {"count": 0, "quantity": 0}
    assert counts["accident"] == {"count": 1, "quantity": 1}

    # only the named enterprises' records, park-wide ones left out
    counts = service.record_counts(q1_start, q2_start, enterprise_ids=[world.enterprises[0].id])
    assert counts["agreement"] == {"count": 1, "quantity": 1}
    assert counts["drill"] == {"count": 1, "quantity": 40}
    assert counts["accident"] == {"count": 0, "quantity": 0}
    assert all(v == {"count": 0, "quantity": 0} for v in service.record_counts(q1_start, q2_start, []).values())

    # the next quarter starts with the record of its first day
    assert service.record_counts(q2_start, park_instant(date(2026, 7, 1)))["drill"] == {"count": 1, "quantity": 999}
    # an end inside a park day covers that day; an empty period counts nothing
    assert service.record_counts(q1_start, q1_start + timedelta(hours=1))["agreement"]["count"] == 1
    assert service.record_counts(q1_start, q1_start)["agreement"]["count"] == 0
    # a start given in UTC is read on the park calendar: 2025-12-31T16:00Z is 2026-01-01 in the park
    assert q1_start == datetime(2025, 12, 31, 16, tzinfo=UTC)


# -- demo records ----------------------------------------------------------------------------------


def test_demo_records_are_believable(world):
    from server.records.demo import seed_records

    now = datetime(2026, 7, 15, 2, 0, tzinfo=UTC)
    created = seed_records(now, world.enterprises, world.users["office"], years=2)
    db.session.commit()
    records = db.session.execute(db.select(SafetyRecord)).scalars().all()
    assert created == len(records) > 50
    today = now.astimezone(PARK).date()
    assert all(date(2024, 7, 15) <= r.date <= today for r in records)
    assert all(r.created_at <= now for r in records)
    agreements = {(r.enterprise_id, r.date.year) for r in records if r.kind == "agreement"}
    assert len(agreements) == sum(r.kind == "agreement" for r in records)
    assert agreements == {(e.id, y) for e in world.enterprises for y in (2025, 2026)}
    assert {r.kind for r in records} >= {"agreement", "drill", "meeting", "training", "activity"}
    assert sum(r.kind == "accident" for r in records) <= 1
    assert all(r.title and r.quantity >= 0 for r in records)
    # the same seed gives the same records
    again = seed_records(now, world.enterprises, world.users["office"], years=2)
    assert again == created
