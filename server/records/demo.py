"""Believable safety work records for the demo park: agreements, drills, meetings, trainings, activities.

`seed_records` only adds rows; the caller commits.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from server.extensions import db
from server.records.models import SafetyRecord
from server.timeutil import park_tz

QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")

PARK_DRILLS = [
    ("园区消防疏散演练", "园区管委会组织，入驻企业员工参加，演练火灾报警、初期火灾扑救和人员疏散"),
    ("危化品泄漏应急演练", "模拟储罐区危险化学品泄漏，演练报警、堵漏、警戒、人员疏散和洗消"),
    ("有限空间作业应急救援演练", "模拟污水井作业人员中毒窒息，演练通风检测、绳索救援和心肺复苏"),
    ("特种设备事故应急演练", "模拟叉车倾翻和起重机吊物坠落，演练现场处置和伤员救护"),
]
FLOOD_DRILL = ("防汛防台应急演练", "汛期前检验排涝泵站、物资仓库和企业值班联络机制")
ENTERPRISE_DRILLS = [
    ("消防疏散演练", "全员参加，演练报警、疏散集合和灭火器使用"),
    ("危化品泄漏应急演练", "演练泄漏处置、个体防护和应急池切换"),
    ("触电事故应急演练", "演练断电、脱离电源和现场急救"),
    ("粉尘爆炸应急处置演练", "演练除尘系统停机、隔离和人员撤离"),
    ("机械伤害应急演练", "演练停机断电、伤员救护和送医"),
]
TRAININGS = [
    ("特种作业人员培训", "电工、焊工、叉车司机等持证人员复训"),
    ("企业主要负责人和安全管理人员培训", "安全生产法律法规、安全管理职责和事故案例警示"),
    ("危险化学品安全管理培训", "危化品储存、装卸和应急处置要点"),
    ("有限空间作业安全培训", "作业审批、通风检测、监护和救援"),
    ("消防安全知识培训", "火灾预防、消防设施使用和初期火灾扑救"),
]
SAFETY_MONTH = [
    (1, "安全生产月启动仪式", "园区安全生产月活动启动，入驻企业代表参加", (60, 150)),
    (8, "悬挂安全生产月宣传横幅", "在园区主干道和企业门口悬挂宣传横幅（条）", (20, 60)),
    (12, "发放安全生产宣传资料", "发放安全生产法律法规和应急知识宣传册（份）", (800, 3000)),
    (16, "安全宣传咨询日", "“安全宣传咨询日”现场咨询活动，设置咨询台和展板，接待咨询人次", (150, 500)),
    (24, "安全知识竞赛", "组织企业员工参加安全生产知识竞赛，参赛人数", (40, 120)),
]
ACCIDENT = (
    "员工手部轻微划伤事故",
    "冲压工序作业中员工右手被工件边缘划伤，轻伤 1 人，已送医处理；无人员死亡。已开展事故原因分析，"
    "补充防护手套配发并对班组进行警示教育。",
)


def _quarter_of(day: date) -> int:
    return (day.month - 1) // 3


def _years_ago(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def seed_records(now_utc: datetime, enterprises: Sequence, office_user, years: int = 2, seed: int = 2026) -> int:
    """Records over the last `years` years up to `now_utc`, entered by `office_user`; returns how many."""
    rng = random.Random(seed)
    tz = park_tz()
    today = now_utc.astimezone(tz).date()
    start = _years_ago(today, years)
    records: list[SafetyRecord] = []

    def add(kind: str, day: date, title: str, quantity: int = 1, enterprise=None, details: str | None = None) -> None:
        if not start <= day <= today:
            return
        entered = datetime.combine(day, time(rng.randrange(9, 18), rng.randrange(60)), tzinfo=tz).astimezone(UTC)
        records.append(
            SafetyRecord(
                kind=kind,
                date=day,
                title=title,
                enterprise_id=enterprise.id if enterprise is not None else None,
                quantity=quantity,
                details=details,
                created_by_id=office_user.id,
                created_at=min(entered + timedelta(hours=rng.randrange(1, 48)), now_utc),
            )
        )

    def weekday(year: int, month: int, first: int, last: int) -> date:
        day = date(year, month, rng.randint(first, last))
        if day.weekday() >= 5:  # to the Friday before, or early in the month the Monday after
            day += timedelta(days=4 - day.weekday()) if day.day > 2 else timedelta(days=7 - day.weekday())
        return day

    for year in range(start.year, today.year + 1):
        for enterprise in enterprises:
            add(
                "agreement",
                weekday(year, 1, 5, 25),
                f"{year}年度安全生产目标管理责任书",
                enterprise=enterprise,
                details=f"园区管委会与{enterprise.name}签订{year}年度安全生产目标管理责任书",
            )
        for month in range(1, 13):
            add("meeting", weekday(year, month, 3, 10), f"{month}月安全生产例会", rng.randint(15, 40))
            if month % 3 == 1:
                quarter = QUARTER_NAMES[_quarter_of(date(year, month, 1))]
                add(
                    "meeting",
                    weekday(year, month, 11, 20),
                    f"{year}年{quarter}安全生产工作会议",
                    rng.randint(40, 90),
                    details="通报上季度隐患排查治理情况，部署本季度安全生产重点工作",
                )
        for quarter in range(4):
            months = range(3 * quarter + 1, 3 * quarter + 4)
            park_drills = PARK_DRILLS + [FLOOD_DRILL] if quarter == 1 else PARK_DRILLS
            for title, details in rng.sample(park_drills, rng.randint(1, 2)):
                add("drill", weekday(year, rng.choice(months), 1, 28), title, rng.randint(60, 300), details=details)
            for enterprise in enterprises:
                if rng.random() < 0.15:
                    title, details = rng.choice(ENTERPRISE_DRILLS)
                    day = weekday(year, rng.choice(months), 1, 28)
                    add("drill", day, title, rng.randint(20, 150), enterprise, details)
            title, details = rng.choice(TRAININGS)
            add("training", weekday(year, rng.choice(months), 1, 28), title, rng.randint(20, 120), details=details)
        for enterprise in rng.sample(list(enterprises), min(len(enterprises), 6)):
            add(
                "training",
                weekday(year, rng.choice((3, 4, 9)), 1, 28),
                "新员工三级安全教育",
                rng.randint(20, 120),
                enterprise,
                "厂级、车间级、班组级三级安全教育，考试合格后上岗",
            )
        for day_of_month, title, details, (low, high) in SAFETY_MONTH:
            add("activity", date(year, 6, day_of_month), f"{year}年{title}", rng.randint(low, high), details=details)

    if enterprises and rng.random() < 0.8:  # at most one minor accident in the whole span
        enterprise = rng.choice(list(enterprises))
        day = start + timedelta(days=rng.randrange(max(1, (today - start).days)))
        add("accident", day, ACCIDENT[0], 1, enterprise, ACCIDENT[1])

    db.session.add_all(records)
    db.session.flush()
    return len(records)
