"""Hazard photos: validate an upload, read its EXIF metadata, derive the thumbnail and display JPEGs.

Pure image processing (Pillow + pillow-heif); no Flask, no database. Truncated images are only detected while
``PIL.ImageFile.LOAD_TRUNCATED_IMAGES`` stays False (Pillow's default), so nothing here or elsewhere may set it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import pillow_heif
from PIL import ExifTags, Image, ImageFile, UnidentifiedImageError

pillow_heif.register_heif_opener()

T = TypeVar("T")

JPEG_QUALITY = 85
RESAMPLE = Image.Resampling.BICUBIC  # as Image.thumbnail; the JPEG path is already low-passed by DCT scaling

# Pillow format -> (content type, extension). Pillow names JPEGs with an MPF segment (many phones) "MPO".
_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "MPO": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "HEIF": ("image/heif", "heif"),
}
_JPEG_FORMATS = {"JPEG", "MPO"}
_OPEN_FORMATS = ["JPEG", "PNG", "WEBP", "HEIF"]  # plugins tried by Image.open (the JPEG one also returns MPO)
# ftyp major brands of HEVC-coded HEIF files, i.e. HEIC (iPhone: "heic").
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
# The same mapping as PIL.ImageOps.exif_transpose.
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_EXIF_DATETIME = re.compile(r"\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"\s*([+-])(\d{2}):(\d{2})\s*$")


class PhotoRejected(Exception):
    """An upload that is not an acceptable photo: `key` is a message key, `status` the HTTP status."""

    def __init__(self, key: str, status: int) -> None:
        super().__init__(key)
        self.key = key
        self.status = status


@dataclass(frozen=True)
class PhotoInfo:
    """What `inspect_photo` learnt about a valid upload."""

    sha256: str
    content_type: str
    extension: str
    width: int  # as displayed (EXIF orientation applied)
    height: int
    orientation: int  # the EXIF orientation tag of the file, 1 if absent
    taken_at: datetime | None  # aware if the EXIF has an offset, else naive (park time)
    gps: tuple[float, float] | None  # (lat, lon), S/W negative


def inspect_photo(data: bytes, *, max_bytes: int, max_pixels: int) -> PhotoInfo:
    """Validate an upload completely (size, format, pixel count, full decode) and read its metadata."""
    if not data:
        raise PhotoRejected("photo_empty", 422)
    if len(data) > max_bytes:
        raise PhotoRejected("photo_too_large", 413)
    with _open(data) as im:
        if im.width * im.height > max_pixels:  # from the header, before any pixel is decoded
            raise PhotoRejected("photo_too_many_pixels", 413)
        content_type, extension = _FORMATS[im.format]
        if im.format == "HEIF" and data[8:12] in _HEIC_BRANDS:
            content_type, extension = "image/heic", "heic"
        width, height = im.size
        if im.format in _JPEG_FORMATS:
            im.draft(None, (1, 1))  # 1/8-scale IDCT: libjpeg still reads the whole stream, so truncation shows
        _load(im)
        exif = _exif(im)
        pending = _pending_orientation(exif)
        if pending >= 5:
            width, height = height, width
        # pillow-heif applies HEIF's rotation while decoding and resets the EXIF tag; it keeps the original.
        orientation = _orientation(im.info.get("original_orientation")) if im.format == "HEIF" else pending
        return PhotoInfo(
            sha256=hashlib.sha256(data).hexdigest(),
            content_type=content_type,
            extension=extension,
            width=width,
            height=height,
            orientation=orientation,
            taken_at=_safely(_taken_at, exif),
            gps=_safely(_gps, exif),
        )


def derive_images(
    original: str | Path | bytes,
    thumbnail_path: Path,
    display_path: Path,
    *,
    thumbnail_size: int = 320,
    display_size: int = 1280,
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Write the thumbnail and display JPEGs (orientation applied, RGB, longest side <= the size,
    never upscaled); returns their (width, height). Writes each file atomically (temp file + os.replace)."""
    with _open(original) as im:
        display_box = _fit(im.size, display_size)
        thumbnail_box = _fit(im.size, thumbnail_size)
        if im.format in _JPEG_FORMATS:
            # libjpeg decodes at 1/2, 1/4 or 1/8 scale, to the smallest size still >= the largest target.
            im.draft("RGB", max(display_box, thumbnail_box))
        _load(im)
        method = _TRANSPOSE.get(_pending_orientation(_exif(im)))
        icc_profile = im.info.get("icc_profile") if im.mode in ("RGB", "RGBA") else None
        rgb = _to_rgb(im)
        display = _resize(rgb, display_box)
        smaller = thumbnail_box[0] <= display_box[0] and thumbnail_box[1] <= display_box[1]
        thumbnail = _resize(display if smaller else rgb, thumbnail_box)
        if method is not None:  # cheaper on the small images, and the same result
            display, thumbnail = display.transpose(method), thumbnail.transpose(method)
        _save_jpeg(display, Path(display_path), icc_profile)
        _save_jpeg(thumbnail, Path(thumbnail_path), icc_profile)
        return thumbnail.size, display.size


@contextlib.contextmanager
def _open(source: str | Path | bytes) -> Iterator[ImageFile.ImageFile]:
    """Open an image of an accepted format (header only), turning failures into PhotoRejected."""
    with open(source, "rb") if isinstance(source, str | os.PathLike) else io.BytesIO(source) as fp:
        try:
            im = Image.open(fp, formats=_OPEN_FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise PhotoRejected("photo_too_many_pixels", 413) from exc
        except UnidentifiedImageError as exc:
            raise PhotoRejected("photo_not_image", 415) from exc
        except Exception as exc:  # a plugin recognised the header, then failed on it
            raise PhotoRejected("photo_corrupt", 422) from exc
        with im:
            yield im


def _load(im: ImageFile.ImageFile) -> None:
    """Decode all pixels; any decoder failure (truncation, broken data) means a corrupt photo."""
    try:
        im.load()
    except Exception as exc:  # decoders raise OSError, SyntaxError, ValueError, EOFError, ... on hostile input
        raise PhotoRejected("photo_corrupt", 422) from exc


def _exif(im: Image.Image) -> Image.Exif:
    """The image's EXIF, empty when missing or unreadable (a broken EXIF does not make a broken photo)."""
    try:
        return im.getexif()
    except Exception:
        return Image.Exif()


def _safely(read: Callable[[Image.Exif], T], exif: Image.Exif) -> T | None:
    """Run a metadata reader; malformed EXIF gives None rather than an error."""
    try:
        return read(exif)
    except Exception:
        return None


def _orientation(value: object) -> int:
    """A valid orientation (1-8), else 1."""
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _pending_orientation(exif: Image.Exif) -> int:
    """The orientation still to apply to the decoded pixels (what ImageOps.exif_transpose would apply)."""
    return _orientation(exif.get(ExifTags.Base.Orientation, 1))


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return value.strip("\x00 ") if isinstance(value, str) else None


def _taken_at(exif: Image.Exif) -> datetime | None:
    """DateTimeOriginal (else DateTime), aware when an OffsetTime tag is present, else naive."""
    sub = exif.get_ifd(ExifTags.IFD.Exif)
    original = sub.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTimeOriginal)
    offsets = (sub.get(ExifTags.Base.OffsetTimeOriginal), sub.get(ExifTags.Base.OffsetTime))
    for stamp, offset_tags in ((original, offsets), (exif.get(ExifTags.Base.DateTime), offsets[::-1])):
        match = _EXIF_DATETIME.match(_text(stamp) or "")
        if match is None:
            continue
        try:
            moment = datetime(*(int(part) for part in match.groups()))
        except ValueError:  # e.g. "0000:00:00 00:00:00"
            continue
        zone = next((z for z in map(_zone, offset_tags) if z is not None), None)
        return moment.replace(tzinfo=zone)
    return None


def _zone(value: object) -> timezone | None:
    match = _EXIF_OFFSET.match(_text(value) or "")
    if match is None:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3))
    if hours > 18 or minutes >= 60:
        return None
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if sign == "-" else delta)


def _gps(exif: Image.Exif) -> tuple[float, float] | None:
    """(lat, lon) in decimal degrees, S/W negative; None if absent, incomplete, out of range or (0, 0)."""
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "N", "S")
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "E", "W")
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180 or (lat == 0 and lon == 0):
        return None
    return lat, lon


def _degrees(value: object, ref: object, positive: str, negative: str) -> float | None:
    """Degrees/minutes/seconds rationals and a hemisphere letter as signed decimal degrees."""
    hemisphere = (_text(ref) or "").upper()
    if hemisphere not in (positive, negative):
        return None
    parts = value if isinstance(value, tuple) else (value,)
    if not 1 <= len(parts) <= 3:
        return None
    numbers = [float(part) for part in parts]  # IFDRational with a zero denominator gives nan
    if not all(math.isfinite(n) and n >= 0 for n in numbers):
        return None
    degrees = sum(n / 60**i for i, n in enumerate(numbers))
    return -degrees if hemisphere == negative else degrees


def _fit(size: tuple[int, int], limit: int) -> tuple[int, int]:
    """The size with its longest side at most `limit`, aspect kept, never upscaled."""
    width, height = size
    if max(width, height) <= limit:
        return width, height
    if width >= height:
        return limit, max(1, round(height * limit / width))
    return max(1, round(width * limit / height)), limit


def _to_rgb(im: Image.Image) -> Image.Image:
    """RGB for a JPEG: transparent areas on white, 16-bit grey scaled down, CMYK/P/L converted."""
    if im.mode.startswith("I"):
        im = im.convert("I").point(lambda v: v / 257).convert("L")
    if im.has_transparency_data:
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, "white")
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return im if im.mode == "RGB" else im.convert("RGB")


def _resize(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    return im if im.size == size else im.resize(size, RESAMPLE, reducing_gap=2.0)


def _save_jpeg(im: Image.Image, path: Path, icc_profile: bytes | None) -> None:
    """Save as JPEG (no EXIF) through a temporary file in the same directory, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            im.save(fh, "JPEG", quality=JPEG_QUALITY, icc_profile=icc_profile)
        os.chmod(temp, 0o644)  # mkstemp makes 0600; media files are served by another process
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
