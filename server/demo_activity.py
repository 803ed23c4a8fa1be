"""A year of field work for the demo park: inspections, hazards in every state, photos, notices.

Driven through the same services as the API, with `now` set to each action's moment, so the
history, the notices and the statistics read as if the year had really happened.
"""

from __future__ import annotations

import io
import random
import uuid
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from PIL import Image, ImageDraw
from werkzeug.datastructures import FileStorage

from server.accounts.models import User
from server.enterprises.models import Enterprise
from server.extensions import db
from server.hazards import photo_service, service
from server.idempotency import fingerprint
from server.inspections.service import create_inspection
from server.notifications.models import Notification
from server.timeutil import park_tz

# category → [(location, description, measures)]
FINDINGS = {
    "fire": [
        ("一号车间", "灭火器压力不足，部分已超过检验有效期", "更换或充装灭火器，建立月度检查记录"),
        ("成品仓库", "消防通道堆放货物，疏散通道宽度不足", "清理通道堆放物，划定禁止堆放标线"),
        ("办公楼三楼", "安全出口疏散指示灯不亮", "更换损坏的疏散指示标志灯"),
        ("车间东侧", "室内消火栓被遮挡，箱内水带缺失", "清除遮挡物，补齐水带、水枪"),
    ],
    "hazchem": [
        ("危化品仓库", "危险化学品未分类存放，氧化剂与易燃液体混存", "按禁忌要求分区分类存放，设置隔离"),
        ("储罐区", "可燃气体报警器未定期标定", "委托有资质单位标定并留存记录"),
        ("调配间", "作业场所未张贴化学品安全技术说明书和安全周知卡", "张贴 MSDS 及安全周知卡"),
    ],
    "special_equipment": [
        ("装卸平台", "叉车未按期检验，驾驶员无特种设备作业人员证", "停用叉车并报检，安排持证人员操作"),
        ("锅炉房", "压力表超过检定有效期", "更换检定合格的压力表"),
        ("行车区域", "桥式起重机上升限位器失效", "维修限位装置，经检验合格后使用"),
    ],
    "electrical": [
        ("二号车间配电间", "配电箱前堆放杂物，箱门未关闭", "清理杂物，配电箱上锁并张贴警示标志"),
        ("车间西侧", "临时用电私拉乱接，电线未穿管保护", "拆除私拉线路，规范敷设并穿管保护"),
        ("空压机房", "设备金属外壳未做保护接地", "按规范做保护接地并检测接地电阻"),
    ],
    "confined_space": [
        ("污水处理池", "有限空间未设置警示标识，作业未经审批", "设置警示标识，落实审批和“先通风、再检测、后作业”"),
        ("地下泵房", "未配备气体检测仪和通风设备", "配备便携式气体检测仪和强制通风设备"),
    ],
    "dust": [
        ("打磨车间", "除尘系统未设置泄爆装置", "按标准加装泄爆片并定期检查"),
        ("木工车间", "粉尘清扫不及时，设备表面积尘严重", "落实每班清扫制度并做好记录"),
    ],
    "construction": [
        ("厂区扩建工地", "脚手架未设置剪刀撑，作业人员未系安全带", "整改脚手架，落实高处作业防护"),
        ("厂房屋面", "屋面作业未设置防坠落措施", "设置安全网和水平生命线"),
    ],
    "occupational": [
        ("喷涂车间", "作业人员未佩戴防毒口罩", "配发合格的个体防护用品并加强培训"),
        ("焊接工位", "未设置职业病危害告知卡", "在醒目位置设置职业病危害告知卡"),
    ],
    "traffic": [("厂区主干道", "厂内限速标志缺失，人车未分流", "增设限速标志和人行通道标线")],
    "flood": [("地下仓库", "防汛物资不足，未配备挡水板", "补充沙袋、挡水板和抽水泵")],
    "management": [
        ("安全管理台账", "安全培训记录不全，新员工三级安全教育缺失", "补齐培训台账，组织新员工三级安全教育"),
        ("应急管理", "应急预案未组织演练", "制定演练计划并于本季度组织演练"),
    ],
    "other": [("门卫室", "外来人员登记和安全告知执行不到位", "落实外来人员登记和安全告知")],
}
BASE_WEIGHTS = {
    "fire": 24, "hazchem": 4, "special_equipment": 9, "electrical": 20, "confined_space": 3, "dust": 3,
    "construction": 4, "occupational": 6, "traffic": 5, "flood": 3, "management": 14, "other": 3,
}  # fmt: skip
INDUSTRY_BIAS = {"化学": ("hazchem", 30), "粉尘": ("dust", 25), "仓储": ("traffic", 12), "金属": ("dust", 6)}
REJECTIONS = [
    "整改照片不能反映整改效果，请补充现场照片",
    "现场复查仍有堆放物",
    "未提供检测合格报告",
    "整改措施未落实到位",
]
EXTENSION_REASONS = ["整改所需设备采购周期较长", "需停产检修，安排在周末施工", "等待第三方检测机构出具报告"]
MAJOR = [
    ("化学", "hazchem", "甲类仓库", "甲类仓库可燃气体报警与通风联锁装置失效", 280000),
    ("粉尘", "dust", "粉尘涉爆车间", "除尘器未采用防爆型，且未设置锁气卸灰装置", 120000),
]


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _photo(rng: random.Random, when: datetime, enterprise: Enterprise, after: bool) -> FileStorage:
    """A small real JPEG with the EXIF a phone would write (capture time and GPS)."""
    im = Image.new("RGB", (320, 240), (90, 150, 90) if after else (150, 110, 80))
    draw = ImageDraw.Draw(im)
    for _ in range(6):
        x, y = rng.randrange(300), rng.randrange(220)
        draw.rectangle(
            (x, y, x + rng.randrange(20, 90), y + rng.randrange(20, 60)),
            fill=tuple(rng.randrange(256) for _ in range(3)),
        )
    exif = Image.Exif()
    exif[0x0110] = "Demo Phone"
    exif.get_ifd(0x8769)[0x9003] = when.astimezone(park_tz()).strftime("%Y:%m:%d %H:%M:%S")
    exif.get_ifd(0x8769)[0x9011] = "+08:00"
    if enterprise.lat is not None:
        gps = exif.get_ifd(0x8825)
        gps[1], gps[3] = "N", "E"
        for tag, value in ((2, enterprise.lat), (4, enterprise.lon)):
            deg = int(value)
            minutes = (value - deg) * 60
            gps[tag] = (float(deg), float(int(minutes)), round((minutes - int(minutes)) * 60, 2))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=80, exif=exif.tobytes())
    out.seek(0)
    return FileStorage(out, filename="photo.jpg", content_type="image/jpeg")


def _workday(rng: random.Random, day) -> datetime:
    minutes = rng.randrange(9 * 60, 16 * 60 + 30)
    return datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=park_tz()).astimezone(UTC)


def _kind(rng: random.Random, day, enterprise: Enterprise) -> tuple[str, str | None]:
    if enterprise.status == "resumed" and rng.random() < 0.3:
        return "resumption", None
    month = day.month
    roll = rng.random()
    if month in (6, 7, 8) and roll < 0.3:
        return "special", "flood_season" if month != 6 or roll < 0.15 else "safety_month"
    if month in (1, 2, 9, 10) and roll < 0.2:
        return "special", "holiday"
    if month in (12, 1) and roll < 0.3:
        return "special", "winter"
    if roll < 0.08:
        return "joint", None
    if roll < 0.16:
        return "special", rng.choice(["fire", "hazchem", "electrical", "confined_space", "dust"])
    return "routine", None


def _category(rng: random.Random, enterprise: Enterprise) -> str:
    weights = dict(BASE_WEIGHTS)
    for key, (category, extra) in INDUSTRY_BIAS.items():
        if key in (enterprise.industry or ""):
            weights[category] += extra
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class _Year:
    def __init__(self, rng: random.Random, now: datetime):
        self.rng, self.now = rng, now
        self.office = db.session.execute(sa.select(User).where(User.role == "office")).scalar_one()
        self.ent_user = {
            u.enterprise_id: u for u in db.session.execute(sa.select(User).where(User.role == "enterprise")).scalars()
        }
        self.counts = {"inspections": 0, "hazards": 0, "photos": 0}

    def inspect(self, inspector, enterprise, started: datetime, kind: str, campaign: str | None):
        data = {
            "client_uuid": _uuid(self.rng),
            "enterprise_id": enterprise.id,
            "kind": kind,
            "campaign": campaign,
            "started_at": started,
            "finished_at": started + timedelta(minutes=self.rng.randrange(30, 120)),
            "lat": enterprise.lat,
            "lon": enterprise.lon,
        }
        data["request_hash"] = fingerprint(inspector.id, data)
        self.counts["inspections"] += 1
        return create_inspection(inspector, data, now=started + timedelta(hours=2))

    def register(self, user, enterprise, inspection_id, found_at, category, level="general", plan=None, text=None):
        location, description, measures = text or self.rng.choice(FINDINGS[category])
        data = {
            "client_uuid": _uuid(self.rng),
            "enterprise_id": enterprise.id,
            "inspection_id": inspection_id,
            "location": location,
            "description": description,
            "measures": measures,
            "category": category,
            "level": level,
            "found_at": found_at,
            "responsible_person": f"{enterprise.contact_name}（安全负责人）",
            "plan": plan,
        }
        if level == "major":
            data["deadline"] = found_at + timedelta(days=45)
        data["request_hash"] = fingerprint(user.id, data)
        hazard = service.register_hazard(user, data, now=found_at)
        photo_service.add_photo(
            user, hazard, "before", None, _photo(self.rng, found_at, enterprise, False), now=found_at
        )
        self.counts["hazards"] += 1
        self.counts["photos"] += 1
        self.play(hazard, enterprise, user)
        return hazard

    def play(self, hazard, enterprise, verifier) -> None:
        """Rectify, verify (sometimes reject), extend or leave open, as far as `now` allows."""
        rng, now = self.rng, self.now
        ent_user = self.ent_user[enterprise.id]
        if verifier.role != "inspector":
            verifier = rng.choice(enterprise.grid.inspectors)
        t = hazard.found_at
        days_allowed = (hazard.deadline - t).days
        if rng.random() < 0.06 and t + timedelta(days=days_allowed - 1) < now:
            extension_at = t + timedelta(days=max(1, days_allowed - 2), hours=2)
            new_deadline = hazard.deadline + timedelta(days=rng.choice([7, 14, 30]))
            service.extend_deadline(self.office, hazard, new_deadline, rng.choice(EXTENSION_REASONS), now=extension_at)
            days_allowed = (hazard.deadline - t).days
        if rng.random() < 0.05:
            if t > now - timedelta(days=90):
                return  # the enterprise does nothing yet: overdue, chased by reminders
            late_start = True  # older ones were chased until they were fixed, late
        else:
            late_start = False
        rounds = 2 if rng.random() < 0.15 else 1
        for round_no in range(rounds):
            late = late_start or rng.random() < 0.1
            t = t + timedelta(
                days=rng.uniform(days_allowed * (1.1 if late else 0.2), days_allowed * (1.6 if late else 0.7)),
                hours=rng.uniform(0, 6),
            )
            if t > now:
                return
            photo_service.add_photo(ent_user, hazard, "after", None, _photo(rng, t, enterprise, True), now=t)
            self.counts["photos"] += 1
            service.submit_rectification(
                ent_user,
                hazard,
                {
                    "description": f"已按要求完成整改：{hazard.measures}",
                    "completed_at": t,
                    "cost": round(rng.uniform(100, 8000), -1),
                },
                now=t + timedelta(minutes=10),
            )
            t = t + timedelta(days=rng.uniform(0.2, 1.5))
            if t > now or t > now - timedelta(days=6) and round_no == rounds - 1:
                return  # submitted lately: waiting for the inspector's verification
            accepted = round_no == rounds - 1
            comment = "复查合格，同意销号" if accepted else rng.choice(REJECTIONS)
            service.verify(verifier, hazard, accepted, comment, now=t)
            days_allowed = max(2, (hazard.deadline - t).days)


def load_activity(seed: int = 2026, now: datetime | None = None) -> dict[str, int]:
    """Inspections and hazards over the past two years (so briefs compare with a year before), ending at `now`."""
    rng = random.Random(seed + 1)
    now = now or datetime.now(UTC)
    year = _Year(rng, now)
    enterprises = list(db.session.execute(sa.select(Enterprise).order_by(Enterprise.id)).scalars())
    inspectors = list(db.session.execute(sa.select(User).where(User.role == "inspector").order_by(User.id)).scalars())
    today = now.astimezone(park_tz()).date()
    start = today - timedelta(days=730)
    day = start
    while day < today:
        if day.weekday() < 5:
            for inspector in inspectors:
                if rng.random() > 0.32:
                    continue
                in_grid = [e for e in enterprises if e.grid_id in inspector.grid_ids and e.status != "suspended"]
                enterprise = rng.choice(in_grid)
                started = _workday(rng, day)
                if started > now:
                    continue
                kind, campaign = _kind(rng, day, enterprise)
                inspection = year.inspect(inspector, enterprise, started, kind, campaign)
                for n in range(rng.choices([0, 1, 2], weights=(64, 27, 9))[0]):
                    found = started + timedelta(minutes=10 + 15 * n)
                    year.register(inspector, enterprise, inspection.id, found, _category(rng, enterprise))
        if day.day == 10 and day.month % 3 == 1:  # self-checks after each quarter's start
            for enterprise in rng.sample(enterprises, 6):
                found = _workday(rng, day)
                if found < now:
                    year.register(year.ent_user[enterprise.id], enterprise, None, found, _category(rng, enterprise))
        day += timedelta(days=1)
    for offset, (industry_key, category, location, description, funds) in zip((200, 40), MAJOR, strict=True):
        enterprise = next(e for e in enterprises if industry_key in (e.industry or ""))
        found = _workday(rng, today - timedelta(days=offset))
        inspector = next(i for i in inspectors if enterprise.grid_id in i.grid_ids)
        inspection = year.inspect(inspector, enterprise, found - timedelta(minutes=30), "special", category)
        plan = {
            "responsible": f"{enterprise.contact_name}（总经理）",
            "measures": "停用相关区域，委托专业单位设计并实施改造",
            "funds": funds,
            "deadline": (found + timedelta(days=45)).date(),
            "contingency": "编制专项应急处置方案，落实现场监护",
        }
        year.register(
            inspector,
            enterprise,
            inspection.id,
            found,
            category,
            "major",
            plan,
            (location, description, plan["measures"]),
        )
    # notices older than three days have been read on the phones
    db.session.execute(
        sa.update(Notification)
        .where(Notification.created_at < now - timedelta(days=3))
        .values(read_at=now - timedelta(days=3))
    )
    db.session.flush()
    return year.counts
