"""The floor for bench/load_phones.py: the least work the three phone submissions need, as a minimal Flask app.

Served by the same gunicorn settings as the API (`gunicorn ... 'bench.floor_app:app'`), it answers the same
requests the phones send to the API (the same JSON bodies, the same multipart photo upload) and does only the
essential work:

- inspections and hazards: one `INSERT ... SELECT` (the enterprise's grid) into a table with the same columns,
  indexes and constraints as `inspections` / `hazards` (no foreign keys), idempotent by `client_uuid`
  (`ON CONFLICT DO NOTHING`, then the first row's id: 201 or 200), a small JSON answer;
- photos: the multipart form parsed by Werkzeug, the bytes hashed (SHA-256) and written to a file as the API
  does (temp file, fsync, rename), one `INSERT` into a table shaped like `photos`, a small JSON answer.

No authentication (the phone's user id comes in an `X-User-Id` header), no validation, no history, no
notifications, no audit log, no broker. One autocommit psycopg connection per server thread.

Environment: FLOOR_DATABASE_URL (the tables `floor_inspections`, `floor_hazards`, `floor_photos` are made by
bench/load_phones.py) and FLOOR_MEDIA_ROOT.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
from pathlib import Path

import psycopg
from flask import Flask, request

DSN = os.environ.get("FLOOR_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/park_load")
MEDIA_ROOT = Path(os.environ.get("FLOOR_MEDIA_ROOT", "/tmp/park_load_floor_media"))

app = Flask(__name__)
_local = threading.local()

INSERT_INSPECTION = """
INSERT INTO floor_inspections (client_uuid, request_hash, enterprise_id, grid_id, inspector_id, kind, campaign,
    started_at, finished_at, lat, lon, notes, received_at)
SELECT %(client_uuid)s, %(request_hash)s, e.id, e.grid_id, %(user_id)s, %(kind)s, %(campaign)s,
    %(started_at)s::timestamptz, %(finished_at)s::timestamptz, %(lat)s::float8, %(lon)s::float8, %(notes)s, now()
FROM enterprises e WHERE e.id = %(enterprise_id)s
ON CONFLICT (client_uuid) DO NOTHING
RETURNING id
"""

INSERT_HAZARD = """
INSERT INTO floor_hazards (client_uuid, request_hash, enterprise_id, grid_id, inspection_id, source, location,
    description, category, level, status, found_at, found_by_id, deadline, original_deadline, received_at, updated_at)
SELECT %(client_uuid)s, %(request_hash)s, e.id, e.grid_id, %(inspection_id)s, 'inspection', %(location)s,
    %(description)s, %(category)s, %(level)s, 'registered', %(found_at)s::timestamptz, %(user_id)s,
    %(found_at)s::timestamptz + interval '7 days', %(found_at)s::timestamptz + interval '7 days', now(), now()
FROM enterprises e WHERE e.id = %(enterprise_id)s
ON CONFLICT (client_uuid) DO NOTHING
RETURNING id
"""

INSERT_PHOTO = """
INSERT INTO floor_photos (hazard_id, client_uuid, stage, sha256, storage_key, content_type, size_bytes, width,
    height, stale, derived, uploaded_by_id, created_at)
VALUES (%(hazard_id)s, %(client_uuid)s, %(stage)s, %(sha256)s, %(storage_key)s, 'image/jpeg', %(size)s, 0, 0,
    false, false, %(user_id)s, now())
ON CONFLICT DO NOTHING
RETURNING id
"""


def conn() -> psycopg.Connection:
    c = getattr(_local, "conn", None)
    if c is None or c.closed or c.broken:
        c = _local.conn = psycopg.connect(DSN, autocommit=True, application_name="floor")
    return c


def _user_id() -> int:
    return int(request.headers.get("X-User-Id", "0"))


def _create(insert: str, table: str, params: dict):
    c = conn()
    row = c.execute(insert, params).fetchone()
    if row is not None:
        return {"id": row[0], "client_uuid": params["client_uuid"]}, 201
    row = c.execute(f"SELECT id FROM {table} WHERE client_uuid = %s", (params["client_uuid"],)).fetchone()
    if row is None:
        return {"message": "unknown enterprise"}, 422
    return {"id": row[0], "client_uuid": params["client_uuid"]}, 200


@app.post("/floor/inspections")
def inspection():
    raw = request.get_data()
    body = json.loads(raw)
    params = {
        "client_uuid": body["client_uuid"],
        "request_hash": hashlib.sha256(raw).hexdigest(),
        "user_id": _user_id(),
        "enterprise_id": body["enterprise_id"],
        "kind": body["kind"],
        "campaign": body.get("campaign"),
        "started_at": body["started_at"],
        "finished_at": body.get("finished_at"),
        "lat": body.get("lat"),
        "lon": body.get("lon"),
        "notes": body.get("notes"),
    }
    return _create(INSERT_INSPECTION, "floor_inspections", params)


@app.post("/floor/hazards")
def hazard():
    raw = request.get_data()
    body = json.loads(raw)
    params = {
        "client_uuid": body["client_uuid"],
        "request_hash": hashlib.sha256(raw).hexdigest(),
        "user_id": _user_id(),
        "enterprise_id": body["enterprise_id"],
        "inspection_id": body.get("inspection_id"),
        "location": body.get("location"),
        "description": body["description"],
        "category": body["category"],
        "level": body["level"],
        "found_at": body["found_at"],
    }
    return _create(INSERT_HAZARD, "floor_hazards", params)


def _write_atomically(path: Path, data: bytes) -> None:
    """As the API keeps an original: a temp file, fsync, rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


@app.post("/floor/hazards/<int:hazard_id>/photos")
def photo(hazard_id: int):
    data = request.files["file"].read()
    client_uuid = request.form.get("client_uuid") or None
    sha256 = hashlib.sha256(data).hexdigest()
    key = f"floor/{hazard_id}/{uuid.uuid4().hex}.jpg"
    path = MEDIA_ROOT / key
    _write_atomically(path, data)
    params = {
        "hazard_id": hazard_id,
        "client_uuid": client_uuid,
        "stage": request.form["stage"],
        "sha256": sha256,
        "storage_key": key,
        "size": len(data),
        "user_id": _user_id(),
    }
    c = conn()
    row = c.execute(INSERT_PHOTO, params).fetchone()
    if row is not None:
        return {"id": row[0], "sha256": sha256}, 201
    path.unlink(missing_ok=True)  # the same photo is already kept
    row = c.execute(
        "SELECT id FROM floor_photos WHERE client_uuid = %s OR (hazard_id = %s AND sha256 = %s) LIMIT 1",
        (client_uuid, hazard_id, sha256),
    ).fetchone()
    return {"id": row[0], "sha256": sha256}, 200


@app.get("/floor/health")
def health():
    conn().execute("SELECT 1")
    return {"status": "ok"}
