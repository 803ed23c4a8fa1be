"""Real test images made with Pillow (JPEG/HEIC/PNG/WebP with EXIF, broken and hostile files).

Sizes are the stored (sensor) size, as in a camera file: `jpeg_bytes(800, 600, orientation=6)` has an
800x600 header and displays as 600x800. Patterns describe the picture as displayed (upright):
"halves" is red on top and blue at the bottom; "quadrants" is red/green on top, blue/yellow at the bottom.
"""

from __future__ import annotations

import io
import random
import struct
import zlib
from datetime import datetime

import pillow_heif
from PIL import Image, ImageChops, ImageDraw, TiffImagePlugin

pillow_heif.register_heif_opener()

RED = (220, 20, 20)
GREEN = (20, 200, 20)
BLUE = (20, 20, 220)
YELLOW = (230, 220, 20)
GRAIN = 20  # amplitude of the sensor noise in phone_jpeg: tuned for ~4 MB at quality 92

# The inverse of what ImageOps.exif_transpose applies for each orientation: upright picture -> stored pixels.
_TO_STORED = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def upright_pattern(width: int, height: int, pattern: str = "halves") -> Image.Image:
    """The picture as it should be displayed."""
    im = Image.new("RGB", (width, height), BLUE)
    draw = ImageDraw.Draw(im)
    if pattern == "halves":
        draw.rectangle((0, 0, width - 1, height // 2 - 1), fill=RED)
    elif pattern == "quadrants":
        draw.rectangle((0, 0, width // 2 - 1, height // 2 - 1), fill=RED)
        draw.rectangle((width // 2, 0, width - 1, height // 2 - 1), fill=GREEN)
        draw.rectangle((width // 2, height // 2, width - 1, height - 1), fill=YELLOW)
    else:
        raise ValueError(pattern)
    return im


def stored_pattern(width: int, height: int, orientation: int | None, pattern: str = "halves") -> Image.Image:
    """Pixels of `width`x`height` that, once `orientation` is applied, show the upright pattern."""
    swapped = orientation is not None and orientation >= 5
    upright = upright_pattern(height, width, pattern) if swapped else upright_pattern(width, height, pattern)
    method = _TO_STORED.get(orientation or 1)
    return upright.transpose(method) if method is not None else upright


def dms(value: float) -> tuple[TiffImagePlugin.IFDRational, ...]:
    """Decimal degrees (>= 0) as EXIF degrees, minutes, seconds rationals."""
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = (value - degrees - minutes / 60) * 3600
    rational = TiffImagePlugin.IFDRational
    return rational(degrees, 1), rational(minutes, 1), rational(round(seconds * 10000), 10000)


def make_exif(
    *,
    orientation: int | None = None,
    gps: tuple[float, float] | None = None,
    taken_at: datetime | str | None = None,
    offset: str | None = None,
) -> Image.Exif:
    """EXIF with orientation (0x0112), DateTimeOriginal/OffsetTimeOriginal (Exif IFD) and GPS (GPS IFD)."""
    exif = Image.Exif()
    exif[0x0110] = "Test Phone"  # Model
    if orientation is not None:
        exif[0x0112] = orientation
    if taken_at is not None:
        sub = exif.get_ifd(0x8769)
        sub[0x9003] = taken_at if isinstance(taken_at, str) else taken_at.strftime("%Y:%m:%d %H:%M:%S")
        if offset is not None:
            sub[0x9011] = offset
    if gps is not None:
        lat, lon = gps
        info = exif.get_ifd(0x8825)
        info[1] = "N" if lat >= 0 else "S"
        info[2] = dms(abs(lat))
        info[3] = "E" if lon >= 0 else "W"
        info[4] = dms(abs(lon))
    return exif


def _encode(im: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    im.save(buffer, fmt, **params)
    return buffer.getvalue()


def jpeg_bytes(
    width: int = 800,
    height: int = 600,
    *,
    orientation: int | None = None,
    gps: tuple[float, float] | None = None,
    taken_at: datetime | str | None = None,
    offset: str | None = None,
    quality: int = 90,
    pattern: str = "halves",
) -> bytes:
    """A JPEG with EXIF whose pixels show `pattern` upright once the orientation is applied."""
    exif = make_exif(orientation=orientation, gps=gps, taken_at=taken_at, offset=offset)
    im = stored_pattern(width, height, orientation, pattern)
    return _encode(im, "JPEG", quality=quality, exif=exif.tobytes())


def heic_bytes(
    width: int = 800,
    height: int = 600,
    *,
    orientation: int | None = None,
    gps: tuple[float, float] | None = None,
    taken_at: datetime | str | None = None,
    offset: str | None = None,
    quality: int = 80,
    pattern: str = "halves",
) -> bytes:
    """An HEIC (brand "heic") with EXIF; like an iPhone, the orientation is also written as an irot box."""
    exif = make_exif(orientation=orientation, gps=gps, taken_at=taken_at, offset=offset)
    im = stored_pattern(width, height, orientation, pattern)
    return _encode(im, "HEIF", quality=quality, exif=exif.tobytes())  # bytes: pillow-heif then writes irot


def mpo_bytes(width: int = 800, height: int = 600, *, orientation: int | None = None) -> bytes:
    """A JPEG with an MPF segment and a second image, as many phones write; Pillow calls it "MPO"."""
    im = stored_pattern(width, height, orientation)
    exif = make_exif(orientation=orientation).tobytes()
    return _encode(im, "MPO", save_all=True, append_images=[im.resize((width // 4, height // 4))], exif=exif)


def png_bytes(width: int = 640, height: int = 480, *, alpha: bool = False, pattern: str = "halves") -> bytes:
    """A PNG; with `alpha`, the bottom half (blue underneath) is fully transparent."""
    im = upright_pattern(width, height, pattern)
    if alpha:
        mask = Image.new("L", im.size, 0)
        ImageDraw.Draw(mask).rectangle((0, 0, width - 1, height // 2 - 1), fill=255)
        im.putalpha(mask)
    return _encode(im, "PNG")


def webp_bytes(width: int = 640, height: int = 480, *, lossless: bool = False, pattern: str = "halves") -> bytes:
    return _encode(upright_pattern(width, height, pattern), "WEBP", lossless=lossless, quality=85)


def gif_bytes(width: int = 64, height: int = 48) -> bytes:
    """A real image in a format photos may not use."""
    return _encode(upright_pattern(width, height).convert("P"), "GIF")


def bmp_bytes(width: int = 64, height: int = 48) -> bytes:
    return _encode(upright_pattern(width, height), "BMP")


def noisy_jpeg(width: int = 800, height: int = 600, *, seed: int = 0) -> bytes:
    """A JPEG with a lot of scan data (random content)."""
    im = Image.frombytes("RGB", (width, height), random.Random(seed).randbytes(width * height * 3))
    return _encode(im, "JPEG", quality=90)


def truncated_jpeg() -> bytes:
    """A valid JPEG cut in the middle of its scan data (after SOS, long before EOI)."""
    data = noisy_jpeg()
    sos = data.index(b"\xff\xda")
    return data[: sos + (len(data) - sos) // 2]


def text_as_jpg() -> bytes:
    """What a client might send under the name photo.jpg that is no image at all."""
    return b"This is not a photo, just some text that was named photo.jpg.\n" * 20


def huge_pixel_png(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG whose header claims `width`x`height` (IHDR rewritten, CRC recomputed): a decompression bomb."""
    data = bytearray(_encode(Image.new("1", (1, 1)), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def phone_jpeg(width: int = 4000, height: int = 3000, *, seed: int = 0, quality: int = 92) -> bytes:
    """A photo-like 12 MP JPEG of about 4 MB: smooth gradients, blotches, mid-frequency texture and grain;
    orientation 6, GPS and DateTimeOriginal, like a phone held upright."""
    rnd = random.Random(seed)
    size = (width, height)

    def smooth(w: int, h: int) -> Image.Image:
        return Image.frombytes("RGB", (w, h), rnd.randbytes(w * h * 3)).resize(size, Image.Resampling.BICUBIC)

    gradient = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize(size),
            Image.radial_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
        ),
    )
    picture = Image.blend(gradient, smooth(8, 6), 0.45)
    picture = Image.blend(picture, smooth(width // 16, height // 16), 0.2)
    draw = ImageDraw.Draw(picture)
    for _ in range(12):  # a few objects with edges
        x, y = rnd.randrange(width), rnd.randrange(height)
        box = (x, y, x + rnd.randrange(width // 10, width // 3), y + rnd.randrange(height // 10, height // 3))
        colour = tuple(rnd.randrange(256) for _ in range(3))
        (draw.ellipse if rnd.random() < 0.5 else draw.rectangle)(box, fill=colour, outline=(0, 0, 0), width=6)
    grain = Image.frombytes("L", size, rnd.randbytes(width * height)).point(lambda v: v * GRAIN // 255)
    picture = ImageChops.add(picture, Image.merge("RGB", (grain, grain, grain)), offset=-GRAIN // 2)
    exif = make_exif(orientation=6, gps=(47.3769, 8.5417), taken_at=datetime(2024, 5, 6, 7, 8, 9), offset="+02:00")
    return _encode(picture, "JPEG", quality=quality, exif=exif.tobytes())
