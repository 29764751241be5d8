"""Finding Pulang's page codes on a scanned page.

Each printed page carries a QR of its document's verify URL with the page number
(``{base_url}/v/{token}/{page}``, service/letters/stamp.py); a print job's cover sheet
carries COVER_CODE. The decoders and the order of attempts were chosen by measurement
(bench/qr_read_bench.py; docs/decisions.md "Per-page QR"):

1. zxing-cpp on the whole page, in any orientation (about a tenth of zbar's time);
2. zxing-cpp again with a fixed threshold: an official's stamp beside a finder pattern
   upsets its local-average binariser;
3. zxing-cpp on the page's top and bottom fifths (where the code of a page right way up
   or upside down is) enlarged twice, each way;
4. zbar (pyzbar, Debian's libzbar0) on the page, then on those fifths: it reads most of
   what zxing-cpp missed (a ring across the code's corner) but is slow, so it comes last.

Most pages stop at the first attempt; a page without any code (a blank, a foreign
paper) pays for them all. Nothing here touches the database: it says what the codes
say, and the reader decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import zxingcpp
from PIL import Image
from pyzbar import pyzbar

COVER_CODE = "PULANG-SAMPUL"  # a print job's cover sheet (ceremonies/cover.py)

# Any host and path prefix (the office's address may change; old prints keep theirs):
# what identifies the document is its token.
_PAGE_URL = re.compile(
    r"https?://[^\s/]+(?:/[^\s]*?)?/v/(?P<token>[A-Za-z0-9_-]{8,64})(?:/(?P<page>[1-9][0-9]{0,3}))?/?")


@dataclass(frozen=True)
class Code:
    """One of our codes on a page. `token` None: a cover sheet. `page` None: a QR printed
    before issue 13, which names the document but not the page. `rotation`: the
    clockwise turn (0, 90, 180, 270) that shows the page upright."""

    token: str | None
    page: int | None
    rotation: int


@dataclass(frozen=True)
class Reading:
    codes: tuple[Code, ...]  # ours, each once
    foreign: int             # other QR codes (a bank's, a phone number's)


def parse(text: str) -> tuple[str, int | None] | None:
    """(token, page or None) of a page URL, or None when the text is not one."""
    m = _PAGE_URL.fullmatch(text.strip())
    if m is None:
        return None
    return m["token"], int(m["page"]) if m["page"] else None


def read(image: Image.Image) -> Reading:
    """Every code on a page (a greyscale image), trying harder only while none is found."""
    for attempt in _attempts(image):
        found = attempt()
        if found:
            return _reading(found)
    return Reading((), 0)


def _reading(found: list[tuple[str, int]]) -> Reading:
    codes: dict[tuple, Code] = {}
    foreign = 0
    for text, orientation in found:
        rotation = round(-orientation / 90) % 4 * 90
        if text == COVER_CODE:
            codes.setdefault((None, None), Code(None, None, rotation))
            continue
        parsed = parse(text)
        if parsed is None:
            foreign += 1
        else:
            codes.setdefault(parsed, Code(parsed[0], parsed[1], rotation))
    return Reading(tuple(codes.values()), foreign)


def _zxing(image: Image.Image, binarizer=zxingcpp.Binarizer.LocalAverage) -> list[tuple[str, int]]:
    return [(b.text, b.orientation) for b in zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormat.QRCode, try_invert=False, binarizer=binarizer)]


def _bands(image: Image.Image) -> list[Image.Image]:
    """The bottom and top fifths of the page, enlarged twice."""
    h = image.height // 5
    parts = (image.crop((0, image.height - h, image.width, image.height)),
             image.crop((0, 0, image.width, h)))
    return [p.resize((p.width * 2, p.height * 2), Image.LANCZOS) for p in parts]


_ZBAR_TURN = {"UP": 0, "RIGHT": 90, "DOWN": 180, "LEFT": 270}  # as zxing-cpp's degrees


def _zbar(image: Image.Image) -> list[tuple[str, int]]:
    return [(s.data.decode("utf-8", "replace"), _ZBAR_TURN.get(getattr(s, "orientation", None), 0))
            for s in pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])]


def _attempts(image: Image.Image):
    fixed = zxingcpp.Binarizer.FixedThreshold
    yield lambda: _zxing(image)
    yield lambda: _zxing(image, fixed)
    bands = _bands(image)
    for band in bands:
        yield lambda band=band: _zxing(band)
        yield lambda band=band: _zxing(band, fixed)
    yield lambda: _zbar(image)
    for band in bands:
        yield lambda band=band: _zbar(band)
