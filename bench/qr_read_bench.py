"""How often each page's QR reads back from a scan: QR size × error correction × decoder.

    .venv/bin/python bench/qr_read_bench.py                 # prints a table and JSON
    .venv/bin/python bench/qr_read_bench.py --samples 80 --sizes 1.8,2.0,2.2 --levels L,M,Q

For each variant the stamp (service/letters/stamp.py, with QR_SIZE and QR_ERROR set to the
variant) is put on a ten-page letter, the pages are rasterised with `pdftoppm -gray` at
150 and 200 dpi, and each sample page is then treated as an office scanner and a hand
treat paper (seeded, so every variant and decoder sees the same pages):

  - skewed by an angle drawn from ±4°, and one page in four turned upside down;
  - marked near the code: nothing, a signature scribbled across the code's left edge and
    its quiet zone, an official's round stamp whose ring crosses the code, or both
    (ink multiplied onto the page, as ink on paper);
  - profile "clean": nothing more (as the acceptance test in tests/test_scans.py does);
    profile "scanner": blurred a little (a scanner's optics) and saved as JPEG quality 75
    (a scanner's PDF).

Then the whole page goes, as it is, to zbar (pyzbar, Debian's libzbar0) and to zxing-cpp;
"+retry" look again when the page gave nothing: zbar at the top and bottom fifths of
the page enlarged twice (where the code of a page right way up or upside down is),
zxing-cpp at the page with a fixed threshold, then at those bands, each way; and the
two chained: zxing-cpp's attempts, then zbar's when they found nothing.
The read rate is the share of pages whose own page URL came back. Also "today": the
1.8 cm symbol of one verify URL per document that stamp.py drew before issue 13. A
benchmark, not a test: it asserts nothing. Timings are wall clock per page decode (shared
machine: compare them within one run only).
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import zxingcpp  # noqa: E402
from PIL import Image, ImageChops, ImageDraw, ImageFilter  # noqa: E402
from pyzbar import pyzbar  # noqa: E402
from reportlab.lib.pagesizes import A4  # noqa: E402
from reportlab.lib.units import cm  # noqa: E402
from reportlab.pdfgen import canvas  # noqa: E402

from service.letters import stamp  # noqa: E402

BASE = "https://pulang.dinsos.example.go.id/v/"
TOKEN = "q7Xk2mP9vR4tB8nL3wZ5abcd"  # 24 characters, as secrets.token_urlsafe(18)
PAGES = 10
MARKS = ("none", "signature", "stamp", "both")


def letter(pages: int) -> bytes:
    """A plain letter: lines of text down to the stamp band."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    words = ("Yang bertanda tangan di bawah ini menyatakan dengan sebenarnya bahwa saya akan "
             "mengikuti bimbingan dan tidak kembali").split()
    rnd = random.Random(7)
    for p in range(pages):
        c.setFont("Helvetica", 11)
        y = A4[1] - 3 * cm
        while y > 4 * cm:
            c.drawString(3 * cm, y, " ".join(rnd.choice(words) for _ in range(11)))
            y -= 0.6 * cm
        c.showPage()
    c.save()
    return buf.getvalue()


def stamped(size_cm: float, level: str, today: bool) -> bytes:
    """The letter stamped with the variant's QR (each page its own page URL), or, `today`,
    with one QR of the verify URL on every page, as before issue 13."""
    saved = stamp.QR_SIZE, stamp.QR_ERROR, stamp.QR_BOTTOM, stamp.QR_MIN_MODULE, stamp.page_url
    try:
        stamp.QR_SIZE, stamp.QR_ERROR, stamp.QR_MIN_MODULE = size_cm * cm, level, 0.1
        if today:
            stamp.QR_BOTTOM = 1.0 * cm
            stamp.page_url = lambda url, i: url
        return stamp.stamp_pdf(letter(PAGES), number="460/013/DINSOS/VII/2024",
                               verify_url=BASE + TOKEN)[0]
    finally:
        stamp.QR_SIZE, stamp.QR_ERROR, stamp.QR_BOTTOM, stamp.QR_MIN_MODULE, stamp.page_url = saved


def rasterise(pdf: bytes, dpi: int, work: Path) -> list[Image.Image]:
    path = work / "in.pdf"
    path.write_bytes(pdf)
    for old in work.glob("p-*.pgm"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(path), str(work / "p")], check=True)
    return [Image.open(p).copy() for p in sorted(work.glob("p-*.pgm"))]


def qr_box(img: Image.Image, dpi: int, size_cm: float, bottom_cm: float) -> tuple[float, float, float]:
    """(left x, top y, side) of the QR symbol on the unrotated page, in pixels."""
    px = dpi / 2.54
    side = size_cm * px
    left = img.width - (stamp.SIDE / cm + size_cm) * px
    top = img.height - (bottom_cm + size_cm) * px
    return left, top, side


def ink(img: Image.Image, draw_fn) -> Image.Image:
    """Marks drawn on white, multiplied onto the page (ink darkens, never lightens)."""
    layer = Image.new("L", img.size, 255)
    draw_fn(ImageDraw.Draw(layer))
    return ImageChops.multiply(img, layer)


def signature(rnd: random.Random, box, px: float):
    left, top, side = box

    def draw(d: ImageDraw.ImageDraw) -> None:
        # A loopy scribble 5 cm wide whose right end runs into the code by up to 3 mm.
        x0, x1 = left - 5 * px, left + rnd.uniform(0.05, 0.3) * px
        y_mid = top + side * rnd.uniform(0.2, 0.8)
        pts = []
        steps = 160
        for k in range(steps + 1):
            t = k / steps
            x = x0 + (x1 - x0) * t + 0.35 * px * math.sin(t * 40)
            y = y_mid + 0.6 * px * math.sin(t * 17 + rnd.random()) * math.sin(t * 3.1)
            pts.append((x, y))
        d.line(pts, fill=rnd.randint(25, 70), width=max(1, round(0.5 / 10 * px)), joint="curve")
    return draw


def round_stamp(rnd: random.Random, box, px: float):
    left, top, side = box

    def draw(d: ImageDraw.ImageDraw) -> None:
        # A 3.6 cm ring (an office's cap), its centre left of the code so that the ring
        # crosses the quiet zone and reaches up to 1 mm into the code; grey as a purple
        # ink scanned in greyscale.
        r = 1.8 * px
        cx = left - r + rnd.uniform(-0.1, 0.1) * px
        cy = top + side / 2 + rnd.uniform(-0.5, 0.5) * px
        shade = rnd.randint(100, 150)
        for radius, width in ((r, 0.08 * px), (r - 0.25 * px, 0.04 * px), (0.9 * px, 0.04 * px)):
            d.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=shade,
                      width=max(1, round(width)))
        for k in range(28):  # the ring's lettering, as blots
            a = 2 * math.pi * k / 28
            rr = r - 0.13 * px
            x, y = cx + rr * math.cos(a), cy + rr * math.sin(a)
            d.rectangle((x - 0.04 * px, y - 0.04 * px, x + 0.04 * px, y + 0.04 * px), fill=shade)
    return draw


def degrade(page: Image.Image, rnd: random.Random, dpi: int, box, mark: str, profile: str
            ) -> tuple[Image.Image, float, bool]:
    px = dpi / 2.54
    img = page
    if mark in ("signature", "both"):
        img = ink(img, signature(rnd, box, px))
    if mark in ("stamp", "both"):
        img = ink(img, round_stamp(rnd, box, px))
    angle = rnd.uniform(-4, 4)
    upside_down = rnd.random() < 0.25
    img = img.rotate(angle + (180 if upside_down else 0), resample=Image.BICUBIC, fillcolor=255)
    if profile == "clean":  # what the acceptance test does: pdftoppm, rotated, no more
        return img, angle, upside_down
    img = img.filter(ImageFilter.GaussianBlur(0.5))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=75)
    return Image.open(io.BytesIO(buf.getvalue())).convert("L"), angle, upside_down


def read_zbar(img: Image.Image) -> list[str]:
    return [s.data.decode("utf-8", "replace") for s in pyzbar.decode(img, symbols=[pyzbar.ZBarSymbol.QRCODE])]


def read_zxing(img: Image.Image, binarizer=zxingcpp.Binarizer.LocalAverage) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode,
                                                   try_invert=False, binarizer=binarizer)]


def bands(img: Image.Image) -> list[Image.Image]:
    """The bottom and top fifths of the page (its stamp band, right way up or upside
    down), enlarged twice."""
    h = img.height // 5
    return [band.resize((band.width * 2, band.height * 2), Image.LANCZOS)
            for band in (img.crop((0, img.height - h, img.width, img.height)), img.crop((0, 0, img.width, h)))]


def zbar_attempts(img: Image.Image):
    """zbar: the page; then its bands enlarged."""
    yield lambda: read_zbar(img)
    for band in bands(img):
        yield lambda band=band: read_zbar(band)


def zxing_attempts(img: Image.Image):
    """zxing-cpp: the page; the page with a fixed threshold instead of the local average
    (a stamp's ring beside a finder pattern upsets the latter); then the bands enlarged,
    each way."""
    fixed = zxingcpp.Binarizer.FixedThreshold
    yield lambda: read_zxing(img)
    yield lambda: read_zxing(img, fixed)
    for band in bands(img):
        yield lambda band=band: read_zxing(band)
        yield lambda band=band: read_zxing(band, fixed)


# Each decoder is measured twice: its first attempt alone, and the whole chain of attempts
# until one finds the code.
DECODERS = {"zbar": zbar_attempts, "zxing-cpp": zxing_attempts}
COMBINED = "zxing-cpp+retry, then zbar+retry"


def run_variant(label: str, pdf: bytes, *, size_cm: float, bottom_cm: float, today: bool,
                dpis: list[int], samples: int, work: Path, profiles: list[str]) -> list[dict]:
    rows = []
    for dpi, profile in ((d, p) for d in dpis for p in profiles):
        pages = rasterise(pdf, dpi, work)
        rnd = random.Random(dpi)  # the same pages, angles and marks for every variant
        names = [n for d in DECODERS for n in (d, d + "+retry")]
        both = len(DECODERS) > 1
        if both:
            names.append(COMBINED)
        results = {name: {"read": 0, "ms": [], "by_mark": {m: [0, 0] for m in MARKS}} for name in names}
        for s in range(samples):
            index = rnd.randrange(len(pages))
            mark = MARKS[s % len(MARKS)]
            box = qr_box(pages[index], dpi, size_cm, bottom_cm)
            img, _angle, _flip = degrade(pages[index], rnd, dpi, box, mark, profile)
            want = BASE + TOKEN if today else stamp.page_url(BASE + TOKEN, index + 1)
            chain_ok, chain_ms = {}, {}
            for name, attempts in DECODERS.items():
                t = time.perf_counter()
                for k, attempt in enumerate(attempts(img)):
                    ok = want in attempt()
                    if k == 0:
                        first_ms, first_ok = (time.perf_counter() - t) * 1000, ok
                    if ok:
                        break
                for key, good, ms in ((name, first_ok, first_ms),
                                      (name + "+retry", ok, (time.perf_counter() - t) * 1000)):
                    results[key]["ms"].append(ms)
                    results[key]["read"] += good
                    results[key]["by_mark"][mark][0] += good
                    results[key]["by_mark"][mark][1] += 1
                chain_ok[name], chain_ms[name] = ok, (time.perf_counter() - t) * 1000
            if both:  # zxing-cpp's chain, then zbar's when it found nothing
                ok = chain_ok["zxing-cpp"] or chain_ok["zbar"]
                ms = chain_ms["zxing-cpp"] + (0 if chain_ok["zxing-cpp"] else chain_ms["zbar"])
                r = results[COMBINED]
                r["ms"].append(ms)
                r["read"] += ok
                r["by_mark"][mark][0] += ok
                r["by_mark"][mark][1] += 1
        for name, r in results.items():
            rows.append({"variant": label, "dpi": dpi, "profile": profile, "decoder": name,
                         "read_rate": round(r["read"] / samples, 3),
                         "by_mark": {m: f"{a}/{b}" for m, (a, b) in r["by_mark"].items()},
                         "ms_median": round(statistics.median(r["ms"]), 1)})
            print(f"{label:>14} {dpi} dpi {profile:>7} {name:>32} {r['read']:3d}/{samples}  "
                  f"{json.dumps(rows[-1]['by_mark'])}  {rows[-1]['ms_median']} ms", flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", type=int, default=80, help="sample pages per variant and resolution")
    ap.add_argument("--sizes", default="1.8,2.0,2.2", help="QR sizes in cm")
    ap.add_argument("--levels", default="L,M,Q", help="error-correction levels")
    ap.add_argument("--dpi", default="150,200")
    ap.add_argument("--profiles", default="clean,scanner")
    ap.add_argument("--decoders", default=",".join(DECODERS))
    ap.add_argument("--no-today", action="store_true", help="skip the pre-issue-13 QR")
    args = ap.parse_args()
    dpis = [int(d) for d in args.dpi.split(",")]
    profiles = args.profiles.split(",")
    for name in set(DECODERS) - set(args.decoders.split(",")):
        del DECODERS[name]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if not args.no_today:
            rows += run_variant("today 1.8cm M", stamped(1.8, "M", True), size_cm=1.8, bottom_cm=1.0,
                                today=True, dpis=dpis, samples=args.samples, work=work,
                                profiles=profiles)
        for size in (float(s) for s in args.sizes.split(",")):
            for level in args.levels.split(","):
                pdf = stamped(size, level, False)
                rows += run_variant(f"{size:.1f}cm {level}", pdf, size_cm=size,
                                    bottom_cm=stamp.QR_BOTTOM / cm, today=False, dpis=dpis,
                                    samples=args.samples, work=work, profiles=profiles)
    print(json.dumps({"machine": {"cpus": os.cpu_count(), "load": os.getloadavg(),
                                  "python": platform.python_version()},
                      "url_length": len(stamp.page_url(BASE + TOKEN, 10)),
                      "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
