"""Photo uploads through the API with real image files: accepted formats, EXIF, refusals, URLs."""

from __future__ import annotations

import io
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

from PIL import Image

from server.hazards.models import HazardEvent, Photo
from tests import images
from tests.conftest import count


def stored_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def fetch(client, url, **kw):
    r = client.get(url, **kw)
    assert r.status_code == 200, (url, r.status_code, r.data[:200])
    return r


def test_jpeg_with_orientation_6_and_gps(app, world, phone):
    hazard = phone.hazard()
    taken = datetime.now().replace(microsecond=0) - timedelta(hours=1)
    data = images.jpeg_bytes(1600, 1200, orientation=6, gps=(31.4612, 121.1034), taken_at=taken, offset="+08:00")
    r = phone.photo("insp_a", hazard["id"], "before", data, name="../../etc/passwd.jpg")
    assert r.status_code == 201, r.get_json()
    photo = r.get_json()
    assert photo["content_type"] == "image/jpeg"
    assert (photo["width"], photo["height"]) == (1200, 1600)  # upright
    assert abs(photo["gps"]["lat"] - 31.4612) < 1e-4 and abs(photo["gps"]["lon"] - 121.1034) < 1e-4
    assert photo["taken_at"] == taken.isoformat() + "+08:00"
    assert photo["stale"] is False
    import hashlib

    assert photo["sha256"] == hashlib.sha256(data).hexdigest()
    # the original is kept byte for byte, under a name the server made
    files = stored_files(app)
    assert len(files) == 1 and files[0].read_bytes() == data
    assert "passwd" not in str(files[0]) and ".." not in str(files[0].relative_to(app.config["MEDIA_ROOT"]))
    # derived images come out upright: red on top, blue at the bottom
    thumb = Image.open(io.BytesIO(fetch(world.client, photo["urls"]["thumbnail"]).data))
    assert thumb.format == "JPEG" and max(thumb.size) == 320 and thumb.size[1] > thumb.size[0]
    top, bottom = thumb.getpixel((thumb.width // 2, 10)), thumb.getpixel((thumb.width // 2, thumb.height - 10))
    assert top[0] > 150 and top[2] < 100, top
    assert bottom[2] > 150 and bottom[0] < 100, bottom
    display = Image.open(io.BytesIO(fetch(world.client, photo["urls"]["display"]).data))
    assert max(display.size) == 1280 and display.size[1] > display.size[0]
    assert fetch(world.client, photo["urls"]["original"]).data == data


def test_heic_png_and_webp_are_accepted(world, phone):
    hazard = phone.hazard()
    for data, content_type in (
        (images.heic_bytes(800, 600, gps=(-33.8688, -151.2093)), ("image/heic", "image/heif")),
        (images.png_bytes(640, 480, alpha=True), ("image/png",)),
        (images.webp_bytes(640, 480), ("image/webp",)),
    ):
        r = phone.photo("insp_a", hazard["id"], "before", data, name="IMG_1234.HEIC")
        assert r.status_code == 201, r.get_json()
        photo = r.get_json()
        assert photo["content_type"] in content_type
        thumb = Image.open(io.BytesIO(fetch(world.client, photo["urls"]["thumbnail"]).data))
        assert thumb.format == "JPEG" and thumb.mode == "RGB" and max(thumb.size) == 320
    heic = world.get("office", f"/api/v1/hazards/{hazard['id']}").get_json()["photos"][0]
    assert heic["gps"]["lat"] < 0 and heic["gps"]["lon"] < 0


def refused(app, phone, hazard_id, data, status, message, name="photo.jpg"):
    before_rows, before_events = count(Photo), count(HazardEvent)
    r = phone.photo("insp_a", hazard_id, "before", data, name=name)
    assert r.status_code == status, (status, r.status_code, r.get_json())
    assert r.get_json()["message"] == message
    assert count(Photo) == before_rows and count(HazardEvent) == before_events
    assert stored_files(app) == []


def test_bad_files_are_refused_and_nothing_is_stored(app, world, phone):
    hid = phone.hazard()["id"]
    refused(app, phone, hid, images.text_as_jpg(), 415, "不是支持的图片格式，请上传 JPEG、PNG、WebP 或 HEIC 照片。")
    refused(app, phone, hid, images.gif_bytes(), 415, "不是支持的图片格式，请上传 JPEG、PNG、WebP 或 HEIC 照片。")
    refused(app, phone, hid, images.truncated_jpeg(), 422, "照片文件已损坏或不完整，请重新拍摄或上传。")
    refused(app, phone, hid, images.huge_pixel_png(20000, 20000), 413, "照片像素过多（上限 50 百万像素）。")
    refused(app, phone, hid, b"", 422, "照片文件为空。")


def test_oversized_bodies_are_413(app, world, phone):
    hid = phone.hazard()["id"]
    limit = app.config["MAX_UPLOAD_BYTES"]
    # a file just over the photo limit, inside the request limit: refused by the photo check
    just_over = images.jpeg_bytes(64, 48) + b"\0" * (limit + 10)
    refused(app, phone, hid, just_over, 413, "照片文件过大（上限 20 MB）。")
    # a body far over the request limit: refused before it is read
    refused(app, phone, hid, b"\xff" * (limit + 2 * 1024 * 1024), 413, "请求内容过大。")


def test_form_errors(app, world, phone):
    hid = phone.hazard()["id"]
    r = world.client.post(
        f"/api/v1/hazards/{hid}/photos",
        data={"stage": "before"},
        headers=world.headers("insp_a"),
        content_type="multipart/form-data",
    )
    assert r.status_code == 422 and r.get_json()["errors"] == {"file": ["请上传照片文件（file）。"]}
    r = phone.photo("insp_a", hid, "during")
    assert r.status_code == 422 and "stage" in r.get_json()["errors"]
    assert count(Photo) == 0 and stored_files(app) == []


def test_old_photos_are_flagged_stale(world, phone):
    hid = phone.hazard()["id"]
    old = images.jpeg_bytes(320, 240, taken_at=datetime.now() - timedelta(days=30))
    r = phone.photo("insp_a", hid, "before", old)
    assert r.status_code == 201 and r.get_json()["stale"] is True


def test_photo_urls_are_signed_and_scoped(app, world, phone):
    hid = phone.hazard()["id"]
    photo = phone.photo("insp_a", hid, "before").get_json()
    url = photo["urls"]["display"]
    path = url.split("?")[0]
    client = world.client
    assert client.get(url).status_code == 200  # signed: an <img> needs no token
    r = client.get(path)
    assert r.status_code == 401
    assert client.get(path, headers=world.headers("ent_a")).status_code == 200
    assert client.get(path, headers=world.headers("ent_b")).status_code == 404
    assert client.get(path, headers=world.headers("insp_b")).status_code == 404
    tampered = url.replace("signature=", "signature=0")
    assert client.get(tampered).status_code == 401
    # another variant's signature does not open this one
    thumb_query = photo["urls"]["thumbnail"].split("?")[1]
    assert client.get(f"{path}?{thumb_query}").status_code == 401
    expired = path + "?expires=" + str(int(time.time()) - 5) + "&signature=" + url.split("signature=")[1]
    r = client.get(expired)
    assert r.status_code == 401 and r.get_json()["message"] == "链接已过期或无效，请刷新后重试。"
    assert client.get(path.replace("/display", "/secret"), headers=world.headers("office")).status_code == 404


def test_enterprise_uploads_after_photos_only_while_rectifying(world, phone):
    hid = phone.hazard()["id"]
    assert phone.photo("ent_a", hid, "before").status_code == 403
    assert phone.photo("ent_a", hid, "after").status_code == 201
    assert phone.photo("office", hid, "before").status_code == 201
    # another enterprise may not even see it
    assert phone.photo("ent_b", hid, "after").status_code == 404
    assert count(Photo) == 2


def test_same_client_uuid_for_other_bytes_is_409(world, phone):
    hid = phone.hazard()["id"]
    uid = "2f6b5a0e-8f0e-4c6b-9c84-6a4d5e0b7a11"
    assert phone.photo("insp_a", hid, "before", client_uuid=uid).status_code == 201
    r = phone.photo("insp_a", hid, "before", client_uuid=uid)
    assert r.status_code == 409
    assert count(Photo) == 1


def test_media_root_holds_no_client_names(app, world, phone):
    hid = phone.hazard()["id"]
    phone.photo("insp_a", hid, "before", name="隐患照片 (1).jpg")
    names = [p.name for p in stored_files(app)]
    assert names and all(n.isascii() and n.count(".") == 1 for n in names), names
    assert not any(os.sep in n for n in names)
