"""Phones retry: the same client_uuid returns the first record, even when the copies arrive at once."""

from __future__ import annotations

import threading

import pytest

from server.hazards.models import Hazard, HazardEvent, Photo
from server.inspections.models import Inspection
from server.notifications.models import Notification
from tests.conftest import count, small_jpeg


def test_same_uuid_returns_the_first_record(world, phone):
    inspection = phone.inspection()
    body = phone.hazard_body(inspection)
    first = world.post("insp_a", "/api/v1/hazards", json=body)
    again = world.post("insp_a", "/api/v1/hazards", json=body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["history"] == first.get_json()["history"]
    assert count(Hazard) == 1 and count(HazardEvent) == 1 and count(Notification) == 1


def test_same_uuid_with_another_body_is_409(world, phone):
    inspection = phone.inspection()
    body = phone.hazard_body(inspection)
    assert world.post("insp_a", "/api/v1/hazards", json=body).status_code == 201
    r = world.post("insp_a", "/api/v1/hazards", json={**body, "description": "另一条隐患"})
    assert r.status_code == 409
    assert "client_uuid" in r.get_json()["message"]
    assert count(Hazard) == 1


def test_same_uuid_from_another_user_is_409_and_reveals_nothing(world, phone):
    inspection = phone.inspection()
    body = phone.hazard_body(inspection)
    assert world.post("insp_a", "/api/v1/hazards", json=body).status_code == 201
    r = world.post("office", "/api/v1/hazards", json=body)
    assert r.status_code == 409
    assert "id" not in r.get_json()


def test_same_time_written_differently_is_the_same_request(world, phone):
    body = phone.hazard_body(phone.inspection(), found_at="2026-11-20T08:00:00+08:00")
    assert world.post("insp_a", "/api/v1/hazards", json=body).status_code == 201
    same_instant = {**body, "found_at": "2026-11-20T00:00:00Z"}
    assert world.post("insp_a", "/api/v1/hazards", json=same_instant).status_code == 200


def test_inspections_are_idempotent_too(world, phone):
    inspection = phone.inspection()
    body = {k: inspection[k] for k in ("client_uuid", "enterprise_id", "kind", "started_at")}
    r = world.post("insp_a", "/api/v1/inspections", json=body)
    assert r.status_code == 200 and r.get_json()["id"] == inspection["id"]
    r = world.post("insp_a", "/api/v1/inspections", json={**body, "kind": "joint"})
    assert r.status_code == 409
    assert count(Inspection) == 1


def test_same_photo_bytes_are_one_photo(world, phone):
    hazard = phone.hazard()
    data = small_jpeg(42)
    first = phone.photo("insp_a", hazard["id"], "before", data)
    again = phone.photo("insp_a", hazard["id"], "before", data, name="IMG_0001 copy.jpg")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count(Photo) == 1 and count(HazardEvent) == 2


def _race(app, n: int, send) -> list:
    """Run `send(client)` from n threads released at the same moment."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        results[i] = send(client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.parametrize("copies", [8])
def test_concurrent_duplicates_create_exactly_one_hazard(app, world, phone, copies):
    body = phone.hazard_body(phone.inspection())
    headers = world.headers("insp_a")
    responses = _race(app, copies, lambda c: c.post("/api/v1/hazards", json=body, headers=headers))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * (copies - 1) + [201], [r.get_json() for r in responses]
    assert len({r.get_json()["id"] for r in responses}) == 1
    assert count(Hazard) == 1 and count(HazardEvent) == 1 and count(Notification) == 1


def test_concurrent_duplicate_inspections_create_exactly_one(app, world):
    body = {
        "client_uuid": "0b7f5c52-4d7e-4f77-9d0c-57b0d3e0c001",
        "enterprise_id": world.enterprises[0].id,
        "kind": "routine",
        "started_at": "2026-11-20T09:00:00+08:00",
    }
    headers = world.headers("insp_a")
    responses = _race(app, 8, lambda c: c.post("/api/v1/inspections", json=body, headers=headers))
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert count(Inspection) == 1


def test_concurrent_duplicate_photos_are_one_photo(app, world, phone, tmp_path):
    import io

    hazard = phone.hazard()
    data = small_jpeg(7)
    headers = world.headers("insp_a")

    def send(client):
        return client.post(
            f"/api/v1/hazards/{hazard['id']}/photos",
            data={"stage": "before", "file": (io.BytesIO(data), "a.jpg")},
            headers=headers,
            content_type="multipart/form-data",
        )

    responses = _race(app, 6, send)
    assert sorted(r.status_code for r in responses) == [200] * 5 + [201], [r.get_json() for r in responses]
    assert count(Photo) == 1
    # the losers' files were removed: one original on disk
    photo_dir = app.config["MEDIA_ROOT"] + f"/photos/{hazard['id']}"
    import os

    assert len([f for f in os.listdir(photo_dir) if not f.startswith(".")]) == 1
