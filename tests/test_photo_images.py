"""Unit tests of server.hazards.photos with real images (no Flask, no database, no mocks)."""

from __future__ import annotations

import hashlib
import io
import resource
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from server.hazards.photos import PhotoInfo, PhotoRejected, derive_images, inspect_photo
from tests import images
from tests.images import BLUE, GREEN, RED, YELLOW

MB = 1024 * 1024
LIMITS = {"max_bytes": 20 * MB, "max_pixels": 50_000_000}
TAKEN = datetime(2024, 5, 6, 7, 8, 9)


def inspect(data: bytes, **limits: int) -> PhotoInfo:
    return inspect_photo(data, **{**LIMITS, **limits})


def rejected(data: bytes, **limits: int) -> PhotoRejected:
    with pytest.raises(PhotoRejected) as caught:
        inspect(data, **limits)
    return caught.value


def derive(tmp_path: Path, source: bytes | Path, **sizes: int) -> tuple[Image.Image, Image.Image]:
    """Derive into tmp_path/derived and return (thumbnail, display), both loaded."""
    thumb_path, display_path = tmp_path / "derived" / "t.jpg", tmp_path / "derived" / "d.jpg"
    thumb_size, display_size = derive_images(source, thumb_path, display_path, **sizes)
    opened = []
    for path, size in ((thumb_path, thumb_size), (display_path, display_size)):
        with Image.open(path) as im:
            assert im.format == "JPEG" and im.mode == "RGB" and im.size == size
            assert not im.getexif(), "derived JPEGs carry no EXIF"
            im.load()
            opened.append(im)
    assert sorted(p.name for p in (tmp_path / "derived").iterdir()) == ["d.jpg", "t.jpg"], "no temp files left"
    return opened[0], opened[1]


def near(colour: tuple[int, ...], expected: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def corners(im: Image.Image) -> list[tuple[int, ...]]:
    """Colours a little inside the four corners: top-left, top-right, bottom-left, bottom-right."""
    w, h = im.size
    dx, dy = max(1, w // 8), max(1, h // 8)
    return [im.getpixel(p) for p in ((dx, dy), (w - 1 - dx, dy), (dx, h - 1 - dy), (w - 1 - dx, h - 1 - dy))]


def assert_upright_halves(im: Image.Image) -> None:
    top_left, top_right, bottom_left, bottom_right = corners(im)
    assert near(top_left, RED) and near(top_right, RED), corners(im)
    assert near(bottom_left, BLUE) and near(bottom_right, BLUE), corners(im)


# --- metadata -------------------------------------------------------------------------------------------------


def test_jpeg_orientation_gps_and_time_with_offset():
    data = images.jpeg_bytes(800, 600, orientation=6, gps=(47.376887, 8.541694), taken_at=TAKEN, offset="+02:00")
    info = inspect(data)
    assert (info.content_type, info.extension) == ("image/jpeg", "jpg")
    assert (info.width, info.height) == (600, 800), "upright: width and height swapped for orientation 6"
    assert info.orientation == 6
    assert info.gps == pytest.approx((47.376887, 8.541694), abs=1e-6)
    assert info.taken_at == TAKEN.replace(tzinfo=timezone(timedelta(hours=2)))
    assert info.taken_at.utcoffset() == timedelta(hours=2)
    assert info.sha256 == hashlib.sha256(data).hexdigest()


def test_southern_western_gps_and_naive_time():
    info = inspect(images.jpeg_bytes(640, 480, gps=(-22.951916, -43.210487), taken_at=TAKEN))
    assert info.gps == pytest.approx((-22.951916, -43.210487), abs=1e-6)
    assert info.taken_at == TAKEN and info.taken_at.tzinfo is None, "naive without an offset tag"
    assert (info.width, info.height, info.orientation) == (640, 480, 1)


def test_negative_offset_and_datetime_fallback():
    exif = Image.Exif()
    exif[0x0132] = "2023:12:31 23:59:58"  # DateTime in IFD0, no DateTimeOriginal
    exif.get_ifd(0x8769)[0x9010] = "-05:00"  # OffsetTime
    info = inspect(_jpeg_with_exif(exif))
    assert info.taken_at == datetime(2023, 12, 31, 23, 59, 58, tzinfo=timezone(timedelta(hours=-5)))


def test_no_exif():
    info = inspect(images.jpeg_bytes(320, 200))
    assert (info.orientation, info.taken_at, info.gps) == (1, None, None)
    assert (info.width, info.height) == (320, 200)


@pytest.mark.parametrize(
    "gps",
    [
        {2: (47.0, 1.0, 2.0), 4: (8.0, 3.0, 4.0)},  # no N/S, E/W reference
        {1: "N", 2: (91.0, 0.0, 0.0), 3: "E", 4: (8.0, 3.0, 4.0)},  # latitude out of range
        {1: "N", 3: "E", 4: (8.0, 3.0, 4.0)},  # no latitude
        {1: "N", 2: (0.0, 0.0, 0.0), 3: "E", 4: (0.0, 0.0, 0.0)},  # (0, 0): no fix
        {1: "X", 2: (47.0, 1.0, 2.0), 3: "E", 4: (8.0, 3.0, 4.0)},  # nonsense reference
    ],
)
def test_invalid_gps_is_none(gps):
    exif = Image.Exif()
    exif.get_ifd(0x8825).update(gps)
    info = inspect(_jpeg_with_exif(exif))
    assert info.gps is None


@pytest.mark.parametrize("stamp", ["0000:00:00 00:00:00", "    :  :     :  :  ", "yesterday", "2024:13:01 00:00:00"])
def test_invalid_capture_time_is_none(stamp):
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = stamp
    assert inspect(_jpeg_with_exif(exif)).taken_at is None


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_unreadable_exif_does_not_reject_the_photo():
    buffer = io.BytesIO()
    images.upright_pattern(200, 100).save(buffer, "JPEG", exif=b"Exif\x00\x00MM\x00*garbage-garbage")
    info = inspect(buffer.getvalue())
    assert (info.width, info.height, info.orientation, info.taken_at, info.gps) == (200, 100, 1, None, None)


def _jpeg_with_exif(exif: Image.Exif) -> bytes:
    buffer = io.BytesIO()
    images.upright_pattern(160, 120).save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


# --- derived images ------------------------------------------------------------------------------------------


def test_derived_images_are_upright_and_sized(tmp_path):
    data = images.jpeg_bytes(1600, 1200, orientation=6)
    thumb, display = derive(tmp_path, data)
    assert display.size == (960, 1280) and thumb.size == (240, 320)
    assert_upright_halves(display)
    assert_upright_halves(thumb)


def test_small_photo_is_not_upscaled(tmp_path):
    original = tmp_path / "original.jpg"
    original.write_bytes(images.jpeg_bytes(800, 600, orientation=6))
    thumb, display = derive(tmp_path, original)  # from a path this time
    assert display.size == (600, 800), "never upscaled"
    assert thumb.size == (240, 320)
    assert_upright_halves(display)


def test_custom_sizes_even_when_the_thumbnail_is_the_larger(tmp_path):
    thumb, display = derive(tmp_path, images.jpeg_bytes(1600, 1200), thumbnail_size=1000, display_size=200)
    assert thumb.size == (1000, 750) and display.size == (200, 150)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_every_orientation_matches_exif_transpose(tmp_path, orientation):
    data = images.jpeg_bytes(1600, 1200, orientation=orientation, pattern="quadrants")
    reference = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
    assert all(near(c, e) for c, e in zip(corners(reference), (RED, GREEN, BLUE, YELLOW), strict=True))
    info = inspect(data)
    assert (info.width, info.height) == reference.size and info.orientation == orientation
    thumb, display = derive(tmp_path, data)
    reference.thumbnail((1280, 1280))
    assert display.size == reference.size
    assert all(near(c, e) for c, e in zip(corners(display), (RED, GREEN, BLUE, YELLOW), strict=True))
    assert all(near(c, e) for c, e in zip(corners(thumb), (RED, GREEN, BLUE, YELLOW), strict=True))


def test_heic(tmp_path):
    data = images.heic_bytes(800, 600, orientation=6, gps=(-33.856784, 151.215297), taken_at=TAKEN, offset="+10:00")
    assert data[4:12] == b"ftypheic"
    info = inspect(data)
    assert info.content_type in ("image/heic", "image/heif") and info.extension in ("heic", "heif")
    assert (info.content_type, info.extension) == ("image/heic", "heic")
    assert (info.width, info.height, info.orientation) == (600, 800, 6)
    assert info.gps == pytest.approx((-33.856784, 151.215297), abs=1e-6)
    assert info.taken_at == TAKEN.replace(tzinfo=timezone(timedelta(hours=10)))
    thumb, display = derive(tmp_path, data)
    assert display.size == (600, 800) and thumb.size == (240, 320)
    assert_upright_halves(display)
    assert_upright_halves(thumb)


def test_jpeg_with_mpf_segment_is_a_jpeg(tmp_path):
    data = images.mpo_bytes(1600, 1200, orientation=6)
    assert Image.open(io.BytesIO(data)).format == "MPO"
    info = inspect(data)
    assert (info.content_type, info.extension, info.width, info.height) == ("image/jpeg", "jpg", 1200, 1600)
    thumb, display = derive(tmp_path, data)
    assert display.size == (960, 1280)
    assert_upright_halves(display)


def test_png_with_alpha_becomes_rgb_on_white(tmp_path):
    data = images.png_bytes(640, 480, alpha=True)
    info = inspect(data)
    assert (info.content_type, info.extension, info.width, info.height) == ("image/png", "png", 640, 480)
    thumb, display = derive(tmp_path, data)
    assert display.size == (640, 480) and thumb.size == (320, 240)
    top_left, _, bottom_left, _ = corners(display)
    assert near(top_left, RED) and near(bottom_left, (255, 255, 255), 8), "transparent areas come out white"


def test_palette_png_with_transparency(tmp_path):
    im = Image.new("P", (100, 80), 1)
    im.putpalette([*RED, *BLUE])
    im.paste(0, (0, 0, 100, 40))  # red top, blue (index 1) bottom
    buffer = io.BytesIO()
    im.save(buffer, "PNG", transparency=1)
    _, display = derive(tmp_path, buffer.getvalue())
    assert near(corners(display)[0], RED) and near(corners(display)[2], (255, 255, 255), 8)


@pytest.mark.parametrize("mode", ["CMYK", "L"])
def test_cmyk_and_grey_jpegs_derive_to_rgb(tmp_path, mode):
    buffer = io.BytesIO()
    images.upright_pattern(400, 300).convert(mode).save(buffer, "JPEG")
    assert inspect(buffer.getvalue()).content_type == "image/jpeg"
    thumb, display = derive(tmp_path, buffer.getvalue())
    assert display.mode == thumb.mode == "RGB" and display.size == (400, 300)


@pytest.mark.parametrize("lossless", [False, True])
def test_webp(tmp_path, lossless):
    data = images.webp_bytes(2000, 1000, lossless=lossless)
    info = inspect(data)
    assert (info.content_type, info.extension, info.width, info.height) == ("image/webp", "webp", 2000, 1000)
    thumb, display = derive(tmp_path, data)
    assert display.size == (1280, 640) and thumb.size == (320, 160)
    assert_upright_halves(display)


def test_same_bytes_same_sha256():
    data = images.jpeg_bytes(300, 200)
    assert inspect(data).sha256 == inspect(bytes(data)).sha256 == hashlib.sha256(data).hexdigest()
    assert inspect(images.jpeg_bytes(300, 201)).sha256 != inspect(data).sha256


# --- rejections ----------------------------------------------------------------------------------------------


def test_text_named_jpg_is_not_an_image():
    error = rejected(images.text_as_jpg())
    assert (error.status, error.key) == (415, "photo_not_image")


@pytest.mark.parametrize("make", [images.gif_bytes, images.bmp_bytes])
def test_real_image_in_unsupported_format(make):
    data = make()
    assert Image.open(io.BytesIO(data)).format in ("GIF", "BMP")  # really an image
    error = rejected(data)
    assert (error.status, error.key) == (415, "photo_not_image")


def test_truncated_jpeg_is_corrupt():
    data = images.truncated_jpeg()
    assert Image.open(io.BytesIO(data)).size == (800, 600)  # the header is fine
    error = rejected(data)
    assert (error.status, error.key) == (422, "photo_corrupt")


def test_truncated_png_is_corrupt():
    data = images.png_bytes(400, 300, pattern="quadrants")
    error = rejected(data[: len(data) // 2])
    assert (error.status, error.key) == (422, "photo_corrupt")


def test_truncated_jpeg_cannot_be_derived(tmp_path):
    with pytest.raises(PhotoRejected) as caught:
        derive_images(images.truncated_jpeg(), tmp_path / "t.jpg", tmp_path / "d.jpg")
    assert caught.value.key == "photo_corrupt"
    assert list(tmp_path.iterdir()) == []


def test_decompression_bomb_is_rejected_fast_without_allocating():
    data = images.huge_pixel_png(20000, 20000)
    assert len(data) < 100
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    started = time.perf_counter()
    error = rejected(data)
    assert (error.status, error.key) == (413, "photo_too_many_pixels")
    assert time.perf_counter() - started < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 50 * 1024, "no pixels allocated"


def test_pixel_limit_does_not_rely_on_pillow_global(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)  # Pillow's own guard off
    error = rejected(images.huge_pixel_png(20000, 20000))
    assert (error.status, error.key) == (413, "photo_too_many_pixels")
    error = rejected(images.jpeg_bytes(1200, 1000), max_pixels=1_000_000)
    assert (error.status, error.key) == (413, "photo_too_many_pixels")
    assert inspect(images.jpeg_bytes(1000, 1000), max_pixels=1_000_000).width == 1000


def test_too_large_is_checked_before_decoding():
    error = rejected(images.text_as_jpg(), max_bytes=100)  # not even an image: size is checked first
    assert (error.status, error.key) == (413, "photo_too_large")
    data = images.jpeg_bytes(300, 200)
    assert rejected(data, max_bytes=len(data) - 1).key == "photo_too_large"
    assert inspect(data, max_bytes=len(data)).width == 300


def test_empty():
    error = rejected(b"")
    assert (error.status, error.key) == (422, "photo_empty")


def test_broken_jpeg_header():
    error = rejected(b"\xff\xd8\xff\xe0" + b"\x00" * 40)
    assert error.status in (415, 422)


def test_rgb_colour_profile_is_kept(tmp_path):
    ImageCms = pytest.importorskip("PIL.ImageCms")
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    buffer = io.BytesIO()
    images.upright_pattern(400, 300).save(buffer, "JPEG", icc_profile=profile)
    thumb, display = derive(tmp_path, buffer.getvalue())
    assert display.info.get("icc_profile") == profile and thumb.info.get("icc_profile") == profile
