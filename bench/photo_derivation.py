"""Benchmark: hazard photo derivation (thumbnail 320 + display 1280) of 12 MP phone JPEGs.

Compares, in the same run, server.hazards.photos.derive_images (libjpeg reduced-size decoding via Image.draft)
with a plain Pillow baseline (full-resolution decode + ImageOps.exif_transpose + thumbnail + save, no draft).
Peak memory is measured in a fresh process per photo and method (ru_maxrss before/after). The processes are
forked from a forkserver started before any photo exists: on Linux a process inherits the peak RSS of the
process it was exec'd from, so children of the (by then large) benchmark process would report nothing.

    python bench/photo_derivation.py [--photos N] [--runs R]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import PIL  # noqa: E402
import pillow_heif  # noqa: E402
from PIL import Image, ImageChops, ImageOps, ImageStat, features  # noqa: E402

from server.hazards.photos import JPEG_QUALITY, derive_images  # noqa: E402
from tests.images import phone_jpeg  # noqa: E402

THUMBNAIL, DISPLAY = 320, 1280


def ours(src: Path, thumbnail: Path, display: Path) -> None:
    derive_images(src, thumbnail, display, thumbnail_size=THUMBNAIL, display_size=DISPLAY)


def baseline(src: Path, thumbnail: Path, display: Path) -> None:
    """Plain Pillow: full-resolution decode, exif_transpose, thumbnail 1280, then 320 from the 1280 image."""
    with Image.open(src) as im:
        upright = ImageOps.exif_transpose(im)  # decodes all 12 MP (no draft)
    if upright.mode != "RGB":
        upright = upright.convert("RGB")
    upright.thumbnail((DISPLAY, DISPLAY))
    upright.save(display, "JPEG", quality=JPEG_QUALITY)
    upright.thumbnail((THUMBNAIL, THUMBNAIL))
    upright.save(thumbnail, "JPEG", quality=JPEG_QUALITY)


def naive(src: Path, thumbnail: Path, display: Path) -> None:
    """Common naive code: like the baseline, but each size is made from a full-resolution copy."""
    with Image.open(src) as im:
        upright = ImageOps.exif_transpose(im)
    for size, path in ((DISPLAY, display), (THUMBNAIL, thumbnail)):
        copy = upright.copy()
        copy.thumbnail((size, size))
        copy.save(path, "JPEG", quality=JPEG_QUALITY)


METHODS: dict[str, Callable[[Path, Path, Path], None]] = {"ours": ours, "baseline": baseline, "naive": naive}


def peak_memory_child(method: str, src: str, out_dir: str) -> tuple[float, float]:
    """In a fresh process: (peak RSS before, growth of peak RSS while running one method once), MiB."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    if method:
        METHODS[method](Path(src), Path(out_dir) / "t.jpg", Path(out_dir) / "d.jpg")
    return before / 1024, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def fresh_process_pool() -> concurrent.futures.ProcessPoolExecutor:
    """One new process per task, forked from a forkserver that is started now, while this process is small."""
    context = multiprocessing.get_context("forkserver")
    pool = concurrent.futures.ProcessPoolExecutor(1, mp_context=context, max_tasks_per_child=1)
    pool.submit(peak_memory_child, "", "", "").result()
    return pool


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18] if len(values) > 1 else values[0]


def timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1000


def decode_ms(src: Path, size: tuple[int, int] | None, runs: int) -> float:
    """Median time of a bare decode, at full size or with draft(size)."""

    def decode() -> None:
        with Image.open(src) as im:
            if size:
                im.draft("RGB", size)
            im.load()

    return statistics.median(timed(decode) for _ in range(runs))


def mean_abs_difference(a: Path, b: Path) -> float:
    with Image.open(a) as first, Image.open(b) as second:
        return sum(ImageStat.Stat(ImageChops.difference(first, second)).mean) / 3


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=6)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    pool = fresh_process_pool()

    print(f"Python {platform.python_version()} on {platform.platform()}; {os.cpu_count()} CPUs: {cpu_model()}")
    turbo = features.check_feature("libjpeg_turbo")
    print(
        f"Pillow {PIL.__version__}, libjpeg {features.version('jpg')} (libjpeg-turbo: {'yes' if turbo else 'no'}), "
        f"pillow-heif {pillow_heif.__version__}"
    )
    print(f"targets: display {DISPLAY} px, thumbnail {THUMBNAIL} px, JPEG quality {JPEG_QUALITY}; runs {args.runs}")

    with tempfile.TemporaryDirectory(prefix="photo-bench-") as tmp:
        work = Path(tmp)
        photos = []
        for index in range(args.photos):
            path = work / f"phone-{index}.jpg"
            path.write_bytes(phone_jpeg(seed=index))
            photos.append(path)
        with Image.open(photos[0]) as im:
            header = f"{im.size[0]}x{im.size[1]}, EXIF orientation {im.getexif().get(0x0112)}"
        sizes = [p.stat().st_size / 1e6 for p in photos]
        print(f"photos: {len(photos)} x {header}; sizes MB: {', '.join(f'{s:.2f}' for s in sizes)}")

        for name, method in METHODS.items():  # warm-up (imports, first-touch page faults)
            method(photos[0], work / f"warm-{name}-t.jpg", work / f"warm-{name}-d.jpg")

        print()
        print(
            f"{'photo':>5} {'MB':>5} | {'ours ms':>7} {'p95':>6} | {'base ms':>7} {'p95':>6} | {'ratio':>5} | "
            f"{'naive ms':>8} {'ratio':>5} | {'peak MiB ours/base/naive':>24} | {'display':>9} {'MAD':>5}"
        )
        ratios, naive_ratios = [], []
        for index, (src, size) in enumerate(zip(photos, sizes, strict=True)):
            times: dict[str, list[float]] = {name: [] for name in METHODS}
            outputs = {name: (work / f"{index}-{name}-t.jpg", work / f"{index}-{name}-d.jpg") for name in METHODS}
            for _ in range(args.runs):  # interleaved, so drift affects all methods alike
                for name, method in METHODS.items():
                    times[name].append(timed(lambda m=method, s=src, o=outputs[name]: m(s, *o)))
            medians = {name: statistics.median(values) for name, values in times.items()}
            ratio = medians["baseline"] / medians["ours"]
            naive_ratio = medians["naive"] / medians["ours"]
            ratios.append(ratio)
            naive_ratios.append(naive_ratio)
            peaks = [pool.submit(peak_memory_child, name, str(src), str(work)).result()[1] for name in METHODS]
            with Image.open(outputs["ours"][1]) as ours_display, Image.open(outputs["baseline"][1]) as base_display:
                assert ours_display.size == base_display.size, (ours_display.size, base_display.size)
                display_size = f"{ours_display.size[0]}x{ours_display.size[1]}"
            mad = mean_abs_difference(outputs["ours"][1], outputs["baseline"][1])
            print(
                f"{index:>5} {size:>5.2f} | {medians['ours']:>7.1f} {p95(times['ours']):>6.1f} | "
                f"{medians['baseline']:>7.1f} {p95(times['baseline']):>6.1f} | {ratio:>4.2f}x | "
                f"{medians['naive']:>8.1f} {naive_ratio:>4.2f}x | "
                f"{' / '.join(f'{p:.0f}' for p in peaks):>24} | {display_size:>9} {mad:>5.2f}"
            )

        print()
        print(
            "decode alone (photo 0, median): "
            f"full {decode_ms(photos[0], None, args.runs):.1f} ms, "
            f"1/2 scale {decode_ms(photos[0], (DISPLAY, DISPLAY * 3 // 4), args.runs):.1f} ms, "
            f"1/8 scale {decode_ms(photos[0], (1, 1), args.runs):.1f} ms (entropy decoding is not reduced)"
        )
        start = pool.submit(peak_memory_child, "", "", "").result()[0]
        print(f"peak MiB = growth of ru_maxrss in a fresh process (which starts at {start:.0f} MiB)")
        print("MAD = mean absolute difference (0-255) of ours vs baseline display image, same size and orientation")
        speedup = statistics.median(ratios)
        verdict = "met" if speedup >= 3 else "NOT met"
        print(
            f"median speed-up vs baseline: {speedup:.2f}x (target >= 3x: {verdict}); "
            f"vs naive: {statistics.median(naive_ratios):.2f}x"
        )
    pool.shutdown()


if __name__ == "__main__":
    main()
