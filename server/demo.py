"""A believable demo park (滨江经济开发区): grids, enterprises with valid credit codes, users.

Every demo account has the password DEMO_PASSWORD; change it before any real use.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import sqlalchemy as sa

from server.accounts.models import User
from server.accounts.service import create_grid, create_user
from server.enterprises import creditcode
from server.enterprises.models import Enterprise
from server.enterprises.service import create_enterprise
from server.extensions import db

DEMO_PASSWORD = "demo-park-2026"

GRIDS = [
    ("第一网格（北区）", "滨江大道以北，机械制造与金属加工集中区"),
    ("第二网格（中区）", "长江路至滨江大道之间，电子与新材料集中区"),
    ("第三网格（南区）", "长江路以南，化工、仓储物流与食品加工区"),
]

INSPECTORS = [
    ("inspector1", "张建国", 0),
    ("inspector2", "王丽华", 0),
    ("inspector3", "李志强", 1),
    ("inspector4", "刘芳", 1),
    ("inspector5", "陈明", 2),
    ("inspector6", "赵海燕", 2),
]

TRADE_NAMES = [
    "恒瑞",
    "永固",
    "华兴",
    "鑫达",
    "宏伟",
    "中联",
    "金盛",
    "天元",
    "德润",
    "汇通",
    "华晨",
    "瑞丰",
    "东方",
    "顺昌",
    "博远",
    "嘉禾",
    "新宇",
    "长江",
    "联创",
    "正泰",
    "凯达",
    "同力",
    "信诚",
    "富源",
    "海纳",
    "盛唐",
    "远航",
    "明阳",
    "弘毅",
    "隆鑫",
    "泰和",
    "锦程",
    "安达",
    "兴业",
    "万通",
    "昊天",
    "宝丰",
    "立信",
    "润泽",
    "众诚",
]

# (name part, industry, risk weights red/orange/yellow/blue, grid index)
INDUSTRIES = [
    ("精密机械", "通用设备制造", (0, 2, 5, 3), 0),
    ("金属制品", "金属制品业", (0, 2, 5, 3), 0),
    ("汽车零部件", "汽车零部件制造", (0, 1, 5, 4), 0),
    ("铝业", "有色金属压延加工", (1, 3, 4, 2), 0),
    ("电子科技", "电子元件制造", (0, 1, 4, 5), 1),
    ("新材料科技", "新材料制造", (1, 3, 4, 2), 1),
    ("光电科技", "光电子器件制造", (0, 1, 4, 5), 1),
    ("塑胶制品", "橡胶和塑料制品业", (0, 2, 5, 3), 1),
    ("化工", "化学原料和化学制品制造", (3, 4, 2, 1), 2),
    ("仓储物流", "仓储和物流", (0, 2, 5, 3), 2),
    ("食品", "食品制造", (0, 1, 4, 5), 2),
    ("木业", "木材加工（粉尘涉爆）", (1, 3, 4, 2), 2),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "建华",
    "志刚",
    "海峰",
    "春梅",
    "晓东",
    "永红",
    "国平",
    "丽萍",
]
ROADS = ["滨江大道", "长江路", "兴业路", "创新路", "港城路", "富民路", "科技园路", "通港路"]


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _mobile(rng: random.Random) -> str:
    return rng.choice(["139", "138", "137", "136", "158", "186", "189"]) + "".join(
        rng.choice("0123456789") for _ in range(8)
    )


def load_demo(seed: int = 2026, with_activity: bool = True) -> dict[str, int]:
    rng = random.Random(seed)
    counts = {"grids": 0, "enterprises": 0, "users": 0}

    create_user("admin", DEMO_PASSWORD, "admin", display_name="系统管理员")
    create_user(
        "office", DEMO_PASSWORD, "office", display_name="安监办 周敏", email="office@example.com", phone="0512-55550001"
    )
    create_user(
        "leader",
        DEMO_PASSWORD,
        "leader",
        display_name="管委会 孙副主任",
        email="leader@example.com",
        phone="0512-55550002",
    )
    counts["users"] += 3

    inspectors = []
    for username, name, _grid in INSPECTORS:
        inspectors.append(create_user(username, DEMO_PASSWORD, "inspector", display_name=name, phone=_mobile(rng)))
        counts["users"] += 1

    grids = []
    for index, (name, description) in enumerate(GRIDS):
        members = [u.id for (_, _, g), u in zip(INSPECTORS, inspectors, strict=True) if g == index]
        grids.append(create_grid(name, description, members))
        counts["grids"] += 1

    trade_names = list(TRADE_NAMES)
    rng.shuffle(trade_names)
    for number in range(1, 41):
        part, industry, risk_weights, grid_index = INDUSTRIES[(number - 1) % len(INDUSTRIES)]
        trade = trade_names[(number - 1) % len(trade_names)]
        suffix = "股份有限公司" if number % 7 == 0 else "有限公司"
        name = f"滨江{trade}{part}{suffix}" if number % 3 == 0 else f"苏州{trade}{part}{suffix}"
        contact = _person(rng)
        enterprise = create_enterprise(
            {
                "name": name,
                "credit_code": creditcode.generate(rng),
                "industry": industry,
                "grid_id": grids[grid_index].id,
                "address": f"滨江经济开发区{rng.choice(ROADS)}{rng.randint(1, 300)}号",
                "contact_name": contact,
                "contact_phone": _mobile(rng),
                "contact_email": f"safety{number:03d}@example.com",
                "status": rng.choices(["operating", "resumed", "suspended"], weights=(34, 5, 1))[0],
                "risk_level": rng.choices(["red", "orange", "yellow", "blue"], weights=risk_weights)[0],
                "lat": round(31.46 + (1 - grid_index) * 0.012 + rng.uniform(-0.006, 0.006), 6),
                "lon": round(121.10 + rng.uniform(-0.015, 0.015), 6),
            }
        )
        counts["enterprises"] += 1
        create_user(
            f"e{number:03d}",
            DEMO_PASSWORD,
            "enterprise",
            display_name=contact,
            email=f"safety{number:03d}@example.com",
            phone=enterprise.contact_phone,
            enterprise_id=enterprise.id,
        )
        counts["users"] += 1
    if with_activity:
        from server.demo_activity import load_activity
        from server.records.demo import seed_records

        counts.update(load_activity(seed))
        office = db.session.execute(sa.select(User).where(User.role == "office").order_by(User.id)).scalars().first()
        enterprises = list(db.session.execute(sa.select(Enterprise).order_by(Enterprise.id)).scalars())
        counts["records"] = seed_records(datetime.now(UTC), enterprises, office, years=2, seed=seed)
    return counts
