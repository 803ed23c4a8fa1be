"""The authorisation matrix, generated from the route table: every API route × every user × own/other record.

`EXPECTATIONS` is the table: (method, path template) → the roles the view declares (`@access`, or `public`),
the scope of the record its URL names, and the status an allowed caller gets with a valid body. Two tests keep
it honest: the routed (method, path) pairs under /api/v1/ must be exactly its keys (a new endpoint without a
row fails, named), and each row's roles must be the view's declared `_access` (`server.auth.rule_for`).

`test_route_matrix` then takes one route at a time, seeds one small park (below) and sends a real request per
cell: every user — admin, office, leader, insp_a and insp_b (grids 0 and 1), ent_a and ent_b (enterprises 0
and 1; enterprise k lies in grid k) — against every record the URL can name (enterprise 0's and enterprise 1's,
a park-wide one, the caller's own and another user's), plus requests without a token or with a bad one.
Expected, after API.md "Status precedence" and README "Roles":

- no token, a garbage token, a token signed with another key, an expired token, a deactivated user's → 401
  (public routes answer as usual; the public-with-signature files want a signature or a token);
- a record the caller may not see → 404, whatever its role (404 takes precedence over 403);
- a visible record (or none in the URL) and a role the view does not declare → 403;
- an allowed role on a visible record → exactly the row's success status `ok`. Every allowed cell gets a body
  valid for that caller and, where the action changes a record's state (rectification, verification,
  deletion), a fresh record in the right state: no 409 or 422 is tolerated, a 409/422 there fails the cell.
  List routes scoped by enterprise must moreover list exactly the enterprises the caller may see.

Refused requests (401/403/404) run first, with bodies valid for the caller (so a hole would leave a trace),
between two snapshots of every table — but `audit_log`, which records refused writes by design — and of the
media folder; the snapshots must be equal. A failing route lists every broken cell, e.g.
`POST /api/v1/hazards/{hazard_id}/verification as insp_b (other grid): expected 404, got 403`.
"""

from __future__ import annotations

import io
import random
import re
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path

import jwt as pyjwt
import pytest
import sqlalchemy as sa
from flask_jwt_extended import create_access_token

from server import signing
from server.accounts.models import User
from server.accounts.service import create_user
from server.auth import issue_token, rule_for
from server.briefs import service as brief_service
from server.codes import ROLES
from server.enterprises import creditcode
from server.extensions import db
from server.notifications.models import Notification
from server.records.service import create_record, park_today
from server.timeutil import utcnow
from tests.conftest import PASSWORD, new_uuid, park_iso, small_jpeg

PUBLIC = "public"
ALL = frozenset(ROLES)
STAFF = frozenset({"admin", "office", "leader"})


def roles(*names: str) -> frozenset:
    return frozenset(names)


@dataclass(frozen=True)
class Expect:
    """One row of the table.

    roles: the view's declared rule (`PUBLIC`, or the roles allowed).
    scope: what the URL's record is, and so who may see it —
      `public`            no log-in at all (a token changes nothing);
      `none`              the URL names no record: only the role decides;
      `enterprise-owned`  a record of an enterprise (hazard, photo, inspection, enterprise, safety record):
                          staff see all, an inspector those of its grids' enterprises, an enterprise its own;
                          a park-wide safety record is seen by everyone;
      `grid-owned`        a grid: every role may see every grid (API.md: grids are read by all);
      `user-owned`        the caller's own (notifications): anyone else's is 404, even for admin;
      `user-account`      a user account: one's own, or anyone's for admin and office;
      `park-wide`         a park-level record (briefs) visible to any role the view admits.
    ok: the status of an allowed caller with a valid body.
    token_roles: for public files served on a signature or a Bearer token, the roles the token path admits.
    """

    roles: frozenset | str
    scope: str
    ok: int
    token_roles: frozenset | None = None


EXPECTATIONS: dict[tuple[str, str], Expect] = {
    ("GET", "/api/v1/health"): Expect(PUBLIC, "public", 200),
    ("POST", "/api/v1/auth/token"): Expect(PUBLIC, "public", 200),
    ("GET", "/api/v1/me"): Expect(ALL, "none", 200),
    ("GET", "/api/v1/users"): Expect(roles("admin", "office"), "none", 200),
    ("POST", "/api/v1/users"): Expect(roles("admin"), "none", 201),
    ("GET", "/api/v1/users/{user_id}"): Expect(ALL, "user-account", 200),
    ("PATCH", "/api/v1/users/{user_id}"): Expect(roles("admin"), "user-account", 200),
    ("GET", "/api/v1/grids"): Expect(ALL, "none", 200),
    ("POST", "/api/v1/grids"): Expect(roles("admin", "office"), "none", 201),
    ("GET", "/api/v1/grids/{grid_id}"): Expect(ALL, "grid-owned", 200),
    ("PATCH", "/api/v1/grids/{grid_id}"): Expect(roles("admin", "office"), "grid-owned", 200),
    ("GET", "/api/v1/enterprises"): Expect(ALL, "none", 200),
    ("POST", "/api/v1/enterprises"): Expect(roles("admin", "office"), "none", 201),
    ("GET", "/api/v1/enterprises/{enterprise_id}"): Expect(ALL, "enterprise-owned", 200),
    ("PATCH", "/api/v1/enterprises/{enterprise_id}"): Expect(roles("admin", "office"), "enterprise-owned", 200),
    ("GET", "/api/v1/inspections"): Expect(ALL, "none", 200),
    ("POST", "/api/v1/inspections"): Expect(roles("inspector", "office"), "none", 201),
    ("GET", "/api/v1/inspections/{inspection_id}"): Expect(ALL, "enterprise-owned", 200),
    ("GET", "/api/v1/hazards"): Expect(ALL, "none", 200),
    ("POST", "/api/v1/hazards"): Expect(roles("inspector", "office", "enterprise"), "none", 201),
    ("GET", "/api/v1/hazards/export.xlsx"): Expect(roles("office", "leader"), "none", 200),
    ("GET", "/api/v1/hazards/{hazard_id}"): Expect(ALL, "enterprise-owned", 200),
    ("POST", "/api/v1/hazards/{hazard_id}/rectification"): Expect(
        roles("enterprise", "office"), "enterprise-owned", 200
    ),
    ("POST", "/api/v1/hazards/{hazard_id}/verification"): Expect(roles("inspector", "office"), "enterprise-owned", 200),
    ("POST", "/api/v1/hazards/{hazard_id}/extension"): Expect(roles("office"), "enterprise-owned", 200),
    ("POST", "/api/v1/hazards/{hazard_id}/photos"): Expect(
        roles("inspector", "office", "enterprise"), "enterprise-owned", 201
    ),
    ("GET", "/api/v1/photos/{photo_id}/{variant}"): Expect(PUBLIC, "enterprise-owned", 200, token_roles=ALL),
    ("GET", "/api/v1/notifications"): Expect(ALL, "none", 200),
    ("POST", "/api/v1/notifications/{notification_id}/read"): Expect(ALL, "user-owned", 200),
    ("GET", "/api/v1/reminders"): Expect(roles("admin", "office"), "none", 200),
    ("GET", "/api/v1/audit"): Expect(roles("admin", "office"), "none", 200),
    ("GET", "/api/v1/records"): Expect(ALL, "none", 200),
    ("POST", "/api/v1/records"): Expect(roles("admin", "office"), "none", 201),
    ("GET", "/api/v1/records/{record_id}"): Expect(ALL, "enterprise-owned", 200),
    ("PATCH", "/api/v1/records/{record_id}"): Expect(roles("admin", "office"), "enterprise-owned", 200),
    ("DELETE", "/api/v1/records/{record_id}"): Expect(roles("admin", "office"), "enterprise-owned", 204),
    ("GET", "/api/v1/stats/summary"): Expect(roles("office", "leader", "inspector", "enterprise"), "none", 200),
    ("GET", "/api/v1/briefs"): Expect(roles("office", "leader"), "none", 200),
    ("POST", "/api/v1/briefs"): Expect(roles("office"), "none", 202),
    ("GET", "/api/v1/briefs/{brief_id}"): Expect(roles("office", "leader"), "park-wide", 200),
    ("GET", "/api/v1/briefs/{brief_id}/brief.{fmt}"): Expect(
        PUBLIC, "park-wide", 200, token_roles=roles("office", "leader")
    ),
}

SCOPES = {"public", "none", "enterprise-owned", "grid-owned", "user-owned", "user-account", "park-wide"}

# The callers: username → role, and the index of their grid / enterprise (enterprise k lies in grid k).
ROLE_OF = {
    "admin": "admin",
    "office": "office",
    "leader": "leader",
    "insp_a": "inspector",
    "insp_b": "inspector",
    "ent_a": "enterprise",
    "ent_b": "enterprise",
}
HOME = {"insp_a": 0, "insp_b": 1, "ent_a": 0, "ent_b": 1}
INSPECTOR = ("insp_a", "insp_b")  # by grid index
ENTERPRISE_USER = ("ent_a", "ent_b")  # by enterprise index
PEER = {  # "another user" for user-owned records
    "admin": "office",
    "office": "admin",
    "leader": "admin",
    "insp_a": "insp_b",
    "insp_b": "insp_a",
    "ent_a": "ent_b",
    "ent_b": "ent_a",
}
REFUSALS = (401, 403, 404)

# Lists scoped by enterprise: the field of each item naming its enterprise.
LIST_SCOPE = {
    ("GET", "/api/v1/hazards"): "enterprise_id",
    ("GET", "/api/v1/inspections"): "enterprise_id",
    ("GET", "/api/v1/enterprises"): "id",
    ("GET", "/api/v1/records"): "enterprise_id",
}


def template_of(rule: str) -> str:
    """`/api/v1/hazards/<int:hazard_id>` → `/api/v1/hazards/{hazard_id}`."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def api_routes(app) -> dict[tuple[str, str], str]:
    """(method, path template) → endpoint, for every routed API operation but the OpenAPI document's."""
    routes = {}
    for url_rule in app.url_map.iter_rules():
        if not url_rule.rule.startswith("/api/v1/") or url_rule.endpoint.startswith("api-docs."):
            continue
        for method in url_rule.methods - {"HEAD", "OPTIONS"}:
            routes[(method, template_of(url_rule.rule))] = url_rule.endpoint
    return routes


def _names(keys) -> str:
    return ", ".join(f"{m} {p}" for m, p in sorted(keys, key=lambda k: (k[1], k[0])))


def _shown(rule) -> str:
    return rule if isinstance(rule, str) or rule is None else str(sorted(rule))


def test_every_routed_operation_has_a_row_in_the_table(app):
    routed = set(api_routes(app))
    missing, stale = routed - set(EXPECTATIONS), set(EXPECTATIONS) - routed
    assert not missing, f"API operations without a row in EXPECTATIONS (add one): {_names(missing)}"
    assert not stale, f"EXPECTATIONS rows for operations no longer routed: {_names(stale)}"


def test_the_table_matches_the_declared_access_rules(app):
    routes = api_routes(app)
    wrong = []
    with app.test_request_context():
        for key, spec in EXPECTATIONS.items():
            assert spec.scope in SCOPES, key
            assert (spec.scope in ("public", "none")) == ("{" not in key[1]), key
            if key not in routes:
                continue  # reported by the test above
            declared = rule_for(routes[key], key[0])
            if declared != spec.roles:
                wrong.append(f"{key[0]} {key[1]}: table {_shown(spec.roles)}, view declares {_shown(declared)}")
    assert not wrong, "EXPECTATIONS and the views' @access disagree:\n" + "\n".join(wrong)


# -- the seeded park ------------------------------------------------------------------------------------


@dataclass
class Target:
    """The record(s) a URL names, with who owns them."""

    ids: dict
    enterprise: int | None = None  # enterprise-owned: index of the owning enterprise
    grid: int | None = None  # grid-owned: index of the grid
    owner: str | None = None  # user-owned / user-account: username
    park_wide: bool = False  # a safety record of the whole park


@dataclass
class Cell:
    label: str
    method: str
    url: str
    headers: dict
    kwargs: dict
    expected: int
    check: object = None  # optional callable(response) → error message or None
    also: tuple = ()  # other acceptable statuses (only for the out-of-scope list filters)
    refused: bool = False  # a refusal that is not a 401/403/404 (a body naming what is out of scope)

    @property
    def refusal(self) -> bool:
        return self.refused or self.expected in REFUSALS


@dataclass
class Park:
    """One seeded park: enterprise k in grid k (k = 0, 1), each with an inspection and hazard H<k> registered
    by its grid's inspector with a before photo, a safety record per enterprise and a park-wide one, a
    notification per user, a ready brief, and a deactivated office user holding a token."""

    app: object
    world: object
    phone: object
    users: dict = field(default_factory=dict)
    enterprises: list = field(default_factory=list)
    grids: list = field(default_factory=list)
    hazards: list = field(default_factory=list)
    inspections: list = field(default_factory=list)
    client_uuids: dict = field(default_factory=dict)  # ("hazard" | "inspection", k) → the phone's UUID
    photos: list = field(default_factory=list)
    records: list = field(default_factory=list)  # enterprise 0, enterprise 1, park-wide
    notifications: dict = field(default_factory=dict)
    brief: int = 0
    bad_tokens: dict = field(default_factory=dict)
    _n: int = 0

    def seed(self) -> Park:
        w = self.world
        self.users = {name: u.id for name, u in w.users.items()}
        self.enterprises = [e.id for e in w.enterprises]
        self.grids = [g.id for g in w.grids]
        # HOME and visible() rely on enterprise k lying in grid k, whose inspector is INSPECTOR[k]
        assert [e.grid_id for e in w.enterprises] == self.grids
        assert [g.inspector_ids for g in w.grids] == [[self.users["insp_a"]], [self.users["insp_b"]]]
        assert [w.users[u].enterprise_id for u in ENTERPRISE_USER] == self.enterprises
        for name, user in w.users.items():  # tokens as the log-in issues them (POST /auth/token has its own row)
            w._tokens[name] = issue_token(user)["access_token"]
        for k in (0, 1):
            hazard = self.phone.hazard(INSPECTOR[k], k)
            self.hazards.append(hazard["id"])
            self.inspections.append(hazard["inspection_id"])
            self.client_uuids["hazard", k] = hazard["client_uuid"]
            inspection = self.world.get(INSPECTOR[k], f"/api/v1/inspections/{hazard['inspection_id']}").get_json()
            self.client_uuids["inspection", k] = inspection["client_uuid"]
            r = self.phone.photo(INSPECTOR[k], hazard["id"], "before")
            assert r.status_code == 201, r.get_json()
            self.photos.append(r.get_json()["id"])
        office = db.session.get(User, self.users["office"])
        for enterprise_id in (*self.enterprises, None):
            self.records.append(self._record(office, enterprise_id))
        for name, user_id in self.users.items():
            note = Notification(user_id=user_id, kind="test", title=f"给{name}的通知", body="矩阵测试")
            db.session.add(note)
            db.session.flush()
            self.notifications[name] = note.id
        self.brief = self._ready_brief(office)
        self.bad_tokens = self._bad_tokens()
        db.session.commit()
        return self

    def next(self) -> int:
        self._n += 1
        return self._n

    def token(self, username: str) -> str:
        return self.world.token(username)

    def _record(self, user, enterprise_id) -> int:
        data = {"kind": "agreement" if enterprise_id else "meeting", "date": park_today() - timedelta(days=1)}
        record = create_record(user, {**data, "title": f"安全生产责任书 {self.next()}", "enterprise_id": enterprise_id})
        db.session.commit()
        return record.id

    def _ready_brief(self, office) -> int:
        brief = brief_service.request_brief(office, {"quarter": "2025Q1"})
        db.session.flush()
        for fmt in brief_service.FORMATS:
            path = Path(self.app.config["MEDIA_ROOT"]) / "briefs" / str(brief.id) / f"brief.{fmt}"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"{fmt} of brief {brief.id}".encode())
        brief.docx_key, brief.pdf_key = f"briefs/{brief.id}/brief.docx", f"briefs/{brief.id}/brief.pdf"
        brief.status, brief.as_of, brief.finished_at = "ready", utcnow(), utcnow()
        db.session.commit()
        return brief.id

    def _bad_tokens(self) -> dict[str, str]:
        admin = self.users["admin"]
        now = int(time.time())
        claims = {"sub": str(admin), "role": "admin", "type": "access", "fresh": False, "jti": uuid.uuid4().hex}
        forged = pyjwt.encode(
            {**claims, "iat": now, "nbf": now, "exp": now + 600}, "another-key-0123456789abcdef0123456789abcdef"
        )
        expired = create_access_token(
            identity=str(admin), additional_claims={"role": "admin"}, expires_delta=timedelta(seconds=-60)
        )
        ghost = create_user("ghost", PASSWORD, "office")
        db.session.commit()
        ghost_token = issue_token(ghost)["access_token"]
        ghost.is_active = False
        db.session.commit()
        return {
            "a garbage token": "not-a-jwt",
            "a token signed with another key": forged,
            "an expired token": expired,
            "a deactivated user's token": ghost_token,
        }

    # fresh records for the allowed cells of actions that change a record's state

    def hazard_in_state(self, k: int, state: str) -> int:
        """A new hazard of enterprise k with an after photo of this round, `registered` or further."""
        hazard = self.phone.hazard(INSPECTOR[k], k)
        r = self.phone.photo(ENTERPRISE_USER[k], hazard["id"], "after")
        assert r.status_code == 201, r.get_json()
        if state == "awaiting_verification":
            r = self.world.post(
                ENTERPRISE_USER[k], f"/api/v1/hazards/{hazard['id']}/rectification", json=rectification_body()
            )
            assert r.status_code == 200, r.get_json()
        return hazard["id"]

    def new_record(self, target: Target) -> int:
        office = db.session.get(User, self.users["office"])
        return self._record(office, None if target.park_wide else self.enterprises[target.enterprise])

    # what a URL can name

    def targets(self, template: str, caller: str) -> list[Target]:
        both = (0, 1)
        if "{hazard_id}" in template:
            return [Target({"hazard_id": self.hazards[k]}, enterprise=k) for k in both]
        if "{photo_id}" in template:
            return [Target({"photo_id": self.photos[k], "variant": "original"}, enterprise=k) for k in both]
        if "{inspection_id}" in template:
            return [Target({"inspection_id": self.inspections[k]}, enterprise=k) for k in both]
        if "{enterprise_id}" in template:
            return [Target({"enterprise_id": self.enterprises[k]}, enterprise=k) for k in both]
        if "{record_id}" in template:
            of_enterprises = [Target({"record_id": self.records[k]}, enterprise=k) for k in both]
            return [*of_enterprises, Target({"record_id": self.records[2]}, park_wide=True)]
        if "{grid_id}" in template:
            return [Target({"grid_id": self.grids[k]}, grid=k) for k in both]
        if "{notification_id}" in template:
            return [Target({"notification_id": self.notifications[u]}, owner=u) for u in (caller, PEER[caller])]
        if "{user_id}" in template:
            return [Target({"user_id": self.users[u]}, owner=u) for u in (caller, PEER[caller])]
        if "{brief_id}" in template:
            return [Target({"brief_id": self.brief, "fmt": "docx"})]
        return [Target({})]

    def visible_enterprises(self, caller: str) -> set[int]:
        if ROLE_OF[caller] in STAFF:
            return set(self.enterprises)
        return {self.enterprises[HOME[caller]]}


def visible(scope: str, caller: str, target: Target) -> bool:
    role = ROLE_OF[caller]
    if scope == "enterprise-owned":
        return target.park_wide or role in STAFF or HOME[caller] == target.enterprise
    if scope == "user-owned":
        return caller == target.owner
    if scope == "user-account":
        return caller == target.owner or role in ("admin", "office")
    return True  # public, none, grid-owned, park-wide


def expected_status(spec: Expect, caller: str, target: Target) -> int:
    if spec.scope == "public":
        return spec.ok
    admitted = spec.token_roles if spec.roles == PUBLIC else spec.roles
    if not visible(spec.scope, caller, target):
        return 404
    if ROLE_OF[caller] not in admitted:
        return 403
    return spec.ok


def relation(spec: Expect, caller: str, target: Target) -> str:
    role = ROLE_OF[caller]
    if target.park_wide:
        return "park-wide record"
    if target.enterprise is not None or target.grid is not None:
        k = target.enterprise if target.enterprise is not None else target.grid
        if role == "inspector" or (role == "enterprise" and target.grid is not None):
            return "own grid" if HOME[caller] == k else "other grid"
        if role == "enterprise":
            return "own enterprise" if HOME[caller] == k else "other enterprise"
        return f"enterprise {k}'s record" if target.enterprise is not None else f"grid {k}"
    if target.owner is not None:
        return "own" if target.owner == caller else f"{target.owner}'s"
    return ""


# -- bodies valid for each caller -----------------------------------------------------------------------


def rectification_body() -> dict:
    return {"description": "已清理配电箱前可燃物，检修通道畅通", "completed_at": park_iso(hours=-0.5), "cost": 200}


def _home(caller: str | None) -> int:
    return HOME.get(caller or "office", 0)


def _inspection_body(park: Park, caller, _target) -> dict:
    body = {
        "client_uuid": new_uuid(),
        "enterprise_id": park.enterprises[_home(caller)],
        "kind": "routine",
        "started_at": park_iso(hours=-2),
    }
    return {"json": body}


def _hazard_body(park: Park, caller, _target) -> dict:
    k = _home(caller)
    body = {
        "client_uuid": new_uuid(),
        "enterprise_id": park.enterprises[k],
        "location": "仓库北门",
        "description": "灭火器压力不足",
        "category": "fire",
        "level": "general",
        "found_at": park_iso(hours=-1),
    }
    if ROLE_OF.get(caller or "office") == "inspector":
        body["inspection_id"] = park.inspections[k]
    return {"json": body}


def _photo_body(park: Park, caller, _target) -> dict:
    stage = "after" if ROLE_OF.get(caller or "office") == "enterprise" else "before"
    data = {"stage": stage, "file": (io.BytesIO(small_jpeg(park.next())), "a.jpg")}
    return {"data": data, "content_type": "multipart/form-data"}


def _enterprise_body(park: Park, _caller, _target) -> dict:
    n = park.next()
    body = {
        "name": f"矩阵测试{n}号有限公司",
        "credit_code": creditcode.generate(random.Random(n)),
        "grid_id": park.grids[0],
    }
    return {"json": body}


BODIES = {
    ("POST", "/api/v1/auth/token"): lambda p, who, t: {"json": {"username": who or "admin", "password": PASSWORD}},
    ("POST", "/api/v1/users"): lambda p, who, t: {
        "json": {"username": f"matrix_{p.next()}", "password": "long-enough-1", "role": "leader"}
    },
    ("PATCH", "/api/v1/users/{user_id}"): lambda p, who, t: {"json": {"display_name": f"改名{p.next()}"}},
    ("POST", "/api/v1/grids"): lambda p, who, t: {"json": {"name": f"第{p.next()}矩阵网格"}},
    ("PATCH", "/api/v1/grids/{grid_id}"): lambda p, who, t: {"json": {"description": f"说明{p.next()}"}},
    ("POST", "/api/v1/enterprises"): _enterprise_body,
    ("PATCH", "/api/v1/enterprises/{enterprise_id}"): lambda p, who, t: {"json": {"address": f"园区路{p.next()}号"}},
    ("POST", "/api/v1/inspections"): _inspection_body,
    ("POST", "/api/v1/hazards"): _hazard_body,
    ("POST", "/api/v1/hazards/{hazard_id}/rectification"): lambda p, who, t: {"json": rectification_body()},
    ("POST", "/api/v1/hazards/{hazard_id}/verification"): lambda p, who, t: {
        "json": {"accepted": True, "comment": "复查合格"}
    },
    ("POST", "/api/v1/hazards/{hazard_id}/extension"): lambda p, who, t: {
        "json": {"deadline": f"{2050 + p.next()}-12-31", "reason": "需停产检修，申请延期"}
    },
    ("POST", "/api/v1/hazards/{hazard_id}/photos"): _photo_body,
    ("POST", "/api/v1/records"): lambda p, who, t: {
        "json": {"kind": "training", "date": str(park_today() - timedelta(days=1)), "title": "消防培训", "quantity": 30}
    },
    ("PATCH", "/api/v1/records/{record_id}"): lambda p, who, t: {"json": {"title": f"更正标题{p.next()}"}},
    ("POST", "/api/v1/briefs"): lambda p, who, t: {"json": {"quarter": "2025Q1"}},
    ("GET", "/api/v1/stats/summary"): lambda p, who, t: {"query_string": {"group_by": "enterprise"}},
}

# Actions that change the state of the record: each allowed cell gets a fresh one in the right state;
# the refused cells share one (per owner) that a hole would change.
FRESH = {
    ("POST", "/api/v1/hazards/{hazard_id}/rectification"): lambda p, t: {
        "hazard_id": p.hazard_in_state(t.enterprise, "registered")
    },
    ("POST", "/api/v1/hazards/{hazard_id}/verification"): lambda p, t: {
        "hazard_id": p.hazard_in_state(t.enterprise, "awaiting_verification")
    },
    ("DELETE", "/api/v1/records/{record_id}"): lambda p, t: {"record_id": p.new_record(t)},
}


def scope_check(park: Park, key: tuple[str, str], caller: str):
    """For a list (or the statistics by enterprise): it shows exactly what the caller may see."""
    want = park.visible_enterprises(caller)

    def enterprises_listed(response) -> str | None:
        item_field = LIST_SCOPE[key]
        seen = {item[item_field] for item in response.get_json()["items"] if item[item_field] is not None}
        if seen != want:
            return f"lists records of enterprises {sorted(seen)}, expected exactly {sorted(want)}"
        return None

    def enterprises_counted(response) -> str | None:
        seen = {group["key"] for group in response.get_json()["groups"] if group["found"] or group["inspections"]}
        if seen != want:
            return f"counts records of enterprises {sorted(seen)}, expected exactly {sorted(want)}"
        return None

    def own_notifications(response) -> str | None:
        ids = {item["id"] for item in response.get_json()["items"]}
        others = {n for user, n in park.notifications.items() if user != caller} & ids
        if park.notifications[caller] not in ids or others:
            return f"lists notifications {sorted(ids)}; the caller's is {park.notifications[caller]}"
        return None

    if key in LIST_SCOPE:
        return enterprises_listed
    if key == ("GET", "/api/v1/stats/summary"):
        return enterprises_counted
    if key == ("GET", "/api/v1/notifications"):
        return own_notifications
    return None


def build_cells(park: Park, key: tuple[str, str]) -> list[Cell]:
    method, template = key
    spec = EXPECTATIONS[key]
    body = BODIES.get(key, lambda p, who, t: {})
    name = f"{method} {template}"
    shared: dict = {}

    def prepared(target: Target, fresh: bool) -> Target:
        if key not in FRESH:
            return target
        if fresh:
            return replace(target, ids=FRESH[key](park, target))
        slot = (target.enterprise, target.park_wide)
        if slot not in shared:
            shared[slot] = replace(target, ids=FRESH[key](park, target))
        return shared[slot]

    cells = []
    # no credentials, or bad ones
    base = prepared(park.targets(template, "admin")[0], fresh=False)
    url = template.format(**base.ids)
    anonymous = spec.ok if spec.scope == "public" else 401
    cells.append(Cell(f"{name} without a token", method, url, {}, body(park, None, base), anonymous))
    for label, token in park.bad_tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        cells.append(Cell(f"{name} with {label}", method, url, headers, body(park, None, base), anonymous))
    if spec.roles == PUBLIC and spec.scope != "public":
        cells.extend(signature_cells(park, name, template, base))
    # every user × every record the URL can name
    for caller in ROLE_OF:
        for target in park.targets(template, caller):
            expected = expected_status(spec, caller, target)
            target = prepared(target, fresh=expected not in REFUSALS)
            rel = relation(spec, caller, target)
            label = f"{name} as {caller}" + (f" ({rel})" if rel else "")
            headers = {"Authorization": f"Bearer {park.token(caller)}"}
            check = scope_check(park, key, caller) if expected == spec.ok else None
            url = template.format(**target.ids)
            cells.append(Cell(label, method, url, headers, body(park, caller, target), expected, check))
            if expected in REFUSALS and method != "GET" and key in BODIES:  # refusals do not read the body
                cells.append(Cell(f"{label} with an empty body", method, url, headers, empty_body(key), expected))
    return cells + extra_cells(park, key)


def empty_body(key) -> dict:
    if key[1].endswith("/photos"):
        return {"data": {}, "content_type": "multipart/form-data"}
    return {"json": {}}


# A list filtered to a record outside the caller's scope reveals nothing: 200 and empty (a 404 or 422 would
# do too). The filter naming another enterprise (or, for enterprises, another grid).
OUT_OF_SCOPE_FILTER = {
    ("GET", "/api/v1/hazards"): "enterprise_id",
    ("GET", "/api/v1/inspections"): "enterprise_id",
    ("GET", "/api/v1/records"): "enterprise_id",
    ("GET", "/api/v1/enterprises"): "grid_id",
    ("GET", "/api/v1/stats/summary"): "enterprise_id",
}


def extra_cells(park: Park, key: tuple[str, str]) -> list[Cell]:
    """Rules finer than the role: what a visible list shows, and which photos an enterprise may add."""
    method, template = key
    name = f"{method} {template}"
    cells = []
    if key in OUT_OF_SCOPE_FILTER:
        param = OUT_OF_SCOPE_FILTER[key]
        for caller in ("insp_a", "insp_b", "ent_a", "ent_b"):
            other = 1 - HOME[caller]
            value = park.grids[other] if param == "grid_id" else park.enterprises[other]
            label = f"{name}?{param}=<{'grid' if param == 'grid_id' else 'enterprise'} {other}> as {caller}"
            headers = {"Authorization": f"Bearer {park.token(caller)}"}
            kwargs = {"query_string": {param: value}}
            cells.append(Cell(label, method, template, headers, kwargs, 200, reveals_nothing, also=(404, 422)))
    if key in (("POST", "/api/v1/hazards"), ("POST", "/api/v1/inspections")):
        cells += body_reference_cells(park, key)
    if key == ("POST", "/api/v1/hazards/{hazard_id}/photos"):
        # API.md: `after` photos only for the enterprise (a before photo only on a hazard it reported itself)
        for k in (0, 1):
            caller = ENTERPRISE_USER[k]
            data = {"stage": "before", "file": (io.BytesIO(small_jpeg(park.next())), "a.jpg")}
            cells.append(
                Cell(
                    f"{name} as {caller} (own enterprise) with a before photo of an inspector's hazard",
                    method,
                    template.format(hazard_id=park.hazards[k]),
                    {"Authorization": f"Bearer {park.token(caller)}"},
                    {"data": data, "content_type": "multipart/form-data"},
                    403,
                )
            )
    return cells


def body_reference_cells(park: Park, key: tuple[str, str]) -> list[Cell]:
    """A create naming, in its body, an enterprise or inspection the caller may not see is a 422 on that
    field; replaying the client_uuid of a record out of the caller's scope is a 409 that hands nothing back."""
    method, template = key
    kind = "hazard" if template.endswith("hazards") else "inspection"
    make = _hazard_body if kind == "hazard" else _inspection_body
    e1, i1 = park.enterprises[1], park.inspections[1]
    variants = [  # caller, what the body names, changes to the caller's valid body, status
        ("insp_a", "enterprise 1 (other grid)", {"enterprise_id": e1}, 422),
        ("insp_b", f"the client_uuid of enterprise 0's {kind}", {"client_uuid": park.client_uuids[kind, 0]}, 409),
    ]
    if kind == "hazard":
        variants += [
            ("insp_a", "enterprise 1 (other grid) and its inspection", {"enterprise_id": e1, "inspection_id": i1}, 422),
            ("insp_a", "enterprise 1's inspection for its own enterprise", {"inspection_id": i1}, 422),
            ("ent_a", "enterprise 1 (other enterprise)", {"enterprise_id": e1}, 422),
            ("ent_b", "the client_uuid of enterprise 0's hazard", {"client_uuid": park.client_uuids["hazard", 0]}, 409),
        ]
    cells = []
    for caller, what, changes, status in variants:
        kwargs = make(park, caller, None)
        kwargs["json"].update(changes)
        headers = {"Authorization": f"Bearer {park.token(caller)}"}
        label = f"{method} {template} as {caller} naming {what}"
        cells.append(Cell(label, method, template, headers, kwargs, status, refused=True))
    return cells


def reveals_nothing(response) -> str | None:
    body = response.get_json()
    if "totals" in body:
        leaked = {k: v for k, v in body["totals"].items() if k in ("inspections", "found", "open") and v}
        return f"counts another enterprise's records: {leaked}" if leaked else None
    return f"lists {body['total']} records outside the caller's scope" if body["total"] else None


def signature_cells(park: Park, name: str, template: str, base: Target) -> list[Cell]:
    """Public files: a valid signature opens them without a token; any other signature is a 401."""
    if "{photo_id}" in template:
        pid, variant = base.ids["photo_id"], base.ids["variant"]
        purpose = f"photo:{pid}:{variant}"
        others = {"another variant's": f"photo:{pid}:thumbnail", "another photo's": f"photo:{park.photos[1]}:{variant}"}
    else:
        bid, fmt = base.ids["brief_id"], base.ids["fmt"]
        purpose = brief_service.purpose(bid, fmt)
        others = {"the other format's": brief_service.purpose(bid, "pdf"), "another brief's": f"brief:{bid + 1}:{fmt}"}
    url = template.format(**base.ids)
    signed = {"a valid signature": (signing.sign(purpose, 600), 200)}
    signed["an expired signature"] = (signing.sign(purpose, -60), 401)
    signed["a forged signature"] = ({"expires": int(time.time()) + 600, "signature": "0" * 64}, 401)
    for label, other in others.items():
        signed[f"{label} signature"] = (signing.sign(other, 600), 401)
    return [
        Cell(f"{name} with {label} and no token", "GET", url, {}, {"query_string": query}, status)
        for label, (query, status) in signed.items()
    ]


# -- the snapshot of everything a refused request must leave alone ----------------------------------------

UNSNAPSHOTTED = {"audit_log"}  # refused writes are logged there by design (server/audit/service.py)


def snapshot(app) -> dict:
    db.session.rollback()  # end the test's own transaction: see what the requests committed
    state = {}
    for table in db.metadata.sorted_tables:
        if table.name in UNSNAPSHOTTED:
            continue
        rows = db.session.execute(sa.select(table)).all()
        state[table.name] = sorted(repr(tuple(row)) for row in rows)
    root = Path(app.config["MEDIA_ROOT"])
    state["media files"] = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    db.session.rollback()
    return state


def changes(before: dict, after: dict) -> list[str]:
    out = []
    for name in sorted(set(before) | set(after)):
        old, new = set(before.get(name, [])), set(after.get(name, []))
        if old != new:
            gone, added = [r[:160] for r in sorted(old - new)[:3]], [r[:160] for r in sorted(new - old)[:3]]
            out.append(f"{name}: {len(old - new)} rows gone {gone}, {len(new - old)} rows new {added}")
    return out


def run(client, cell: Cell) -> str | None:
    try:
        r = client.open(cell.url, method=cell.method, headers=cell.headers, **cell.kwargs)
    except Exception as error:  # noqa: BLE001 - TESTING propagates a 500's exception: report the cell
        db.session.rollback()
        return f"{cell.label}: expected {cell.expected}, the server raised {error!r} (a 500)"
    shown = r.get_json(silent=True) if r.is_json else r.data[:120]
    if r.status_code in cell.also:
        return None
    if r.status_code != cell.expected:
        return f"{cell.label}: expected {cell.expected}, got {r.status_code} {shown}"
    if r.status_code >= 400 and not (r.is_json and r.get_json().get("message")):
        return f"{cell.label}: a {r.status_code} without a JSON message: {shown}"
    if cell.check is not None:
        problem = cell.check(r)
        if problem:
            return f"{cell.label}: {problem}"
    return None


@pytest.mark.parametrize("key", sorted(EXPECTATIONS, key=lambda k: (k[1], k[0])), ids=lambda k: f"{k[0]} {k[1]}")
def test_route_matrix(key, app, world, phone):
    park = Park(app, world, phone).seed()
    cells = build_cells(park, key)
    refused = [c for c in cells if c.refusal]
    allowed = [c for c in cells if not c.refusal]
    assert refused or EXPECTATIONS[key].scope == "public", key

    before = snapshot(app)
    failures = [problem for cell in refused if (problem := run(world.client, cell))]
    changed = changes(before, snapshot(app))
    failures += [problem for cell in allowed if (problem := run(world.client, cell))]

    report = "\n".join(failures)
    assert not changed, f"refused requests changed data: {changed}\n{report}"
    assert not failures, f"{len(failures)} of {len(cells)} cells broken:\n{report}"
