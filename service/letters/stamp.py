"""Stamping of finished PDFs: letter number, "Hal. i/n", each page's QR, the BATAL watermark.

The input is a converted letter (LibreOffice, PDF/A-2b). Its content streams are never parsed:
for each page an overlay is drawn with reportlab, imported as a Form XObject, and drawn by an
extra content stream appended to the page. The page's own content is wrapped in ``q … Q`` so
that its graphics state can't leak into the stamp::

    /Contents [ <q>  <original streams…>  <Q /Artifact BDC q 1 0 0 1 0 0 cm /PulangStamp0 Do Q EMC> ]

Each page's QR holds the verify URL with the page number (``{verify_url}/{page}``), so a
scanned page names its document and its place in it (service/scans/ reads them back); it is
a Form XObject of its own (one path of ``re`` runs from the symbol's module matrix), drawn
under the same name on every page. Its size, error correction and the decoder were chosen
together by measurement (bench/qr_read_bench.py, docs/decisions.md). The result is the original file, byte for byte, followed by an
incremental update (see "writing" below). PDF/A-2b stays intact: the stamp's fonts are
embedded TrueType subsets (Liberation Sans, or DejaVu Sans), colours are RGB under the
document's sRGB output intent, the stamp is marked as a pagination artifact, and the XMP
metadata and /Info are written again to agree (pdf_meta.py: neutral values, the PDF/A
claim kept). The BATAL watermark uses transparency, which PDF/A-2 allows (the output
intent supplies the blending colour space).

Privacy: the stamp carries only the letter number, the page numbers and the verify URL
(an opaque token) with the page number. Nothing else is ever passed in, and nothing here logs.
"""
from __future__ import annotations

import functools
import hashlib
import io
import math
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import zxingcpp
from pypdf import PdfReader
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
)
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas as rl_canvas

from ..errors import PulangError
from . import pdf_meta
from .pdf_update import Stream, Update, get_resolved

__all__ = ["StampError", "stamp_pdf", "stamp_many", "sample_pdf", "void_pdf", "page_count", "page_url"]


class StampError(PulangError, ValueError):
    """The PDF can't be stamped (unreadable, encrypted, no pages) or the stamp's data is unusable.

    A server-side failure (status 500): the PDF and the stamp's data come from the pipeline."""

    status = 500
    code = "stamp_failed"


# --- layout (PDF points; the templates keep the bottom 3 cm of every page free) ------------

BAND = 3.0 * cm            # the free bottom band
SIDE = 2.0 * cm            # left/right inset of the stamp
# Each page's QR: sized, with its error correction, so that a page scanned at 150 dpi in
# greyscale, skewed or upside down, with a signature or a stamp near it, still reads
# (measured: bench/qr_read_bench.py, docs/decisions.md "Per-page QR").
# Level L: fewer modules, so larger ones; at 150 dpi the first attempts of both decoders
# read more of the pages than at level M (zbar: 39/40 against 19/40 of scanner-like
# pages), the whole chain of scans/codes.py all of them at either level: the marks that
# defeat a reader hide a finder pattern, which no error-correction level restores.
QR_SIZE = 2.0 * cm         # the QR symbol itself, without its quiet zone
QR_ERROR = "L"             # error-correction level
QR_BOTTOM = 0.7 * cm       # the QR's lower edge: above printers' unprintable 4–6.5 mm
QR_QUIET = 4               # quiet-zone width in modules (ISO/IEC 18004 asks for 4); with
                           # 33 modules (a 65-character page URL) it ends 2.94 cm up,
                           # inside the band
QR_MIN_MODULE = 0.48 * 72 / 25.4  # 0.48 mm: smaller modules (a verify URL over about 130
                                  # characters) are refused
TEXT_SIZE = 8.0
TEXT_MIN_SIZE = 5.5
TEXT_BASELINE = QR_BOTTOM + QR_SIZE / 2 - 0.05 * cm  # level with the middle of the QR
CAPTION = "Pindai untuk verifikasi"
CAPTION_SIZE = 5.0
CAPTION_BASELINE = TEXT_BASELINE - 0.45 * cm  # under "Hal. i/n", beside the QR
VOID_ALPHA = 0.28
VOID_COLOR = (0.78, 0.05, 0.05)
SAMPLE_LABEL = "CONTOH — BELUM BERLAKU"
SAMPLE_ALPHA = 0.3
SAMPLE_COLOR = (0.35, 0.35, 0.35)

_FONT_DIRS = ("/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation")
_DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"
_FONT_FILES = {
    "regular": [*(os.path.join(d, "LiberationSans-Regular.ttf") for d in _FONT_DIRS),
                os.path.join(_DEJAVU_DIR, "DejaVuSans.ttf")],
    "bold": [*(os.path.join(d, "LiberationSans-Bold.ttf") for d in _FONT_DIRS),
             os.path.join(_DEJAVU_DIR, "DejaVuSans-Bold.ttf")],
}
_font_lock = threading.Lock()
_draw_lock = threading.Lock()


@functools.cache
def _font(weight: str = "regular") -> str:
    """Register (once) an embeddable TrueType font and return its reportlab name."""
    with _font_lock:
        for path in _FONT_FILES[weight]:
            if os.path.isfile(path):
                name = f"PulangStamp-{weight}"
                pdfmetrics.registerFont(TTFont(name, path))
                return name
    raise StampError(
        "no TrueType font for the stamp: install Debian's fonts-liberation2 (or fonts-dejavu-core)"
    )


# --- public API -------------------------------------------------------------------------


def page_count(pdf: bytes) -> int:
    """Number of pages of ``pdf``."""
    return len(_reader(pdf).pages)


def page_url(verify_url: str, page: int) -> str:
    """The URL in page ``page``'s QR: the document's verify URL and the page number."""
    return f"{verify_url}/{page}"


def stamp_pdf(
    pdf: bytes, *, number: str, verify_url: str, label: str = "Nomor",
    first_page_number: bool = True,
) -> tuple[bytes, int]:
    """Stamp every page's bottom band: "<label>: <number>" at the left, "Hal. i/n" with the
    caption "Pindai untuk verifikasi" under it, and at the right the QR of
    ``page_url(verify_url, i)``.

    Returns ``(stamped pdf, page count)``. The stamped file begins with ``pdf`` byte for byte
    (the stamp is an incremental update), so the original text layer is untouched. Raises
    StampError for an unreadable, encrypted or empty PDF, an empty number or label, or a
    verify URL that is not http(s) or too long for the QR (its modules would be smaller
    than QR_MIN_MODULE; about 130 characters at level L).
    ``first_page_number=False`` leaves "Hal. 1/n" off the first page (the pedoman numbers
    pages from the second; the office's layout setting decides).
    """
    return stamp_many([(pdf, {"number": number, "verify_url": verify_url, "label": label,
                              "first_page_number": first_page_number})])[0]


def stamp_many(letters: Sequence[tuple[bytes, dict]]) -> list[tuple[bytes, int]]:
    """stamp_pdf(pdf, **options) for each (pdf, options), with one overlay document drawn
    for all of them: reportlab subsets and writes its font once, not once a letter (a
    third of a letter's stamping). Each letter gets what stamp_pdf would give it; the font
    subset it carries covers the glyphs of the whole group."""
    opened = [_Opened(pdf) for pdf, _ in letters]
    footers = [footer(**options, pages=len(o.pages)) for o, (_, options) in zip(opened, letters)]
    owner = [(k, i, len(o.pages)) for k, o in enumerate(opened) for i in range(1, len(o.pages) + 1)]

    def draw(c: rl_canvas.Canvas, w: float, h: float, page: int, _pages: int) -> None:
        k, i, n = owner[page - 1]
        footers[k][0](c, w, h, i, n)

    overlay = list(_draw_overlays([g for o in opened for g in o.geoms], draw).pages)
    out, start = [], 0
    for o, (_, qr) in zip(opened, footers):
        end = start + len(o.pages)
        out.append(_apply(o, overlay[start:end], artifact=_FOOTER,
                          per_page=lambda i, qr=qr: {_QR_NAME: qr(i)}))
        start = end
    return out


_FOOTER = b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC"


def footer(*, number: str, verify_url: str, label: str = "Nomor",
           first_page_number: bool = True, pages: int) -> tuple[DrawFn, Callable[[int], Stream]]:
    """What stamp_pdf draws: a function drawing one page's footer on a reportlab canvas
    (canvas, width, height, page, pages), and one giving page i's QR as the Form XObject
    (in module units) that the footer draws under the name _QR_NAME. `pages`: the
    document's page count (its last page's URL is the longest it carries)."""
    number = _one_line(number, "number")
    label = _one_line(label, "label")
    verify_url = _one_line(verify_url, "verify_url")
    if not verify_url.startswith(("https://", "http://")) or " " in verify_url:
        raise StampError("verify_url must be an http(s) URL")
    # The longest page URL a document carries, its last page's, decides whether it fits
    # (that symbol is encoded once, for the check and the page); each other page's own
    # symbol may be smaller (fewer digits), and is drawn at the same size.
    forms: dict[int, tuple[Stream, int]] = {}

    def qr(i: int) -> tuple[Stream, int]:
        if i not in forms:
            forms[i] = _qr_form(page_url(verify_url, i))
        return forms[i]

    qr(pages)  # refuse a URL too long for the QR before anything is drawn
    text = f"{label}: {number}"

    def draw(c: rl_canvas.Canvas, w: float, h: float, i: int, n: int) -> None:
        font = _font("regular")
        qr_x = w - SIDE - QR_SIZE
        # The page's QR (drawn in module units), with its white quiet zone.
        module = QR_SIZE / qr(i)[1]
        c.addLiteral(f"q {_f(module)} 0 0 {_f(module)} {_f(qr_x)} {_f(QR_BOTTOM)} cm {_QR_NAME} Do Q")
        c.setFillColorRGB(0, 0, 0)
        # "Hal. i/n" right-aligned just left of the QR (not on page 1 when the office
        # numbers pages from the second), the caption under it.
        page_text = f"Hal. {i}/{n}" if i > 1 or first_page_number else ""
        right = qr_x - 0.5 * cm
        c.setFont(font, CAPTION_SIZE)
        c.drawRightString(right, CAPTION_BASELINE, CAPTION)
        c.setFont(font, TEXT_SIZE)
        if page_text:
            c.drawRightString(right, TEXT_BASELINE, page_text)
        # The number at the left; shrunk if it would run into "Hal. i/n" or the caption.
        used = max(pdfmetrics.stringWidth(page_text, font, TEXT_SIZE),
                   pdfmetrics.stringWidth(CAPTION, font, CAPTION_SIZE))
        room = right - used - 0.6 * cm - SIDE
        size = TEXT_SIZE
        width = pdfmetrics.stringWidth(text, font, size)
        if width > room:
            size = max(TEXT_MIN_SIZE, size * room / width)
        c.setFont(font, size)
        c.drawString(SIDE, TEXT_BASELINE, text)

    return draw, lambda i: qr(i)[0]


def sample_pdf(pdf: bytes, *, number: str = "CONTOH", first_page_number: bool = True) -> tuple[bytes, int]:
    """A sample letter's stamp (the office's set-up is incomplete): "CONTOH — BELUM
    BERLAKU" across every page, and in the band "Nomor: CONTOH" and "Hal. i/n", with no
    QR code: a sample verifies nothing. Returns ``(pdf, page count)``."""
    number = _one_line(number, "number")

    def draw(c: rl_canvas.Canvas, w: float, h: float, i: int, n: int) -> None:
        _diagonal(c, w, h, SAMPLE_LABEL, SAMPLE_COLOR, SAMPLE_ALPHA, fill=0.5)
        font = _font("regular")
        c.setFillColorRGB(0, 0, 0)
        c.setFont(font, TEXT_SIZE)
        c.drawString(SIDE, TEXT_BASELINE, f"Nomor: {number}")
        if i > 1 or first_page_number:
            c.drawRightString(w - SIDE, TEXT_BASELINE, f"Hal. {i}/{n}")
        c.setFont(_font("bold"), TEXT_SIZE)
        c.drawCentredString(w / 2, CAPTION_BASELINE + 0.3 * cm, SAMPLE_LABEL)

    return _overlay(pdf, draw, artifact=b"/Artifact <</Type /Pagination /Subtype /Watermark>> BDC")


def _diagonal(c: rl_canvas.Canvas, w: float, h: float, label: str, color, alpha: float,
              fill: float = 0.62) -> None:
    """`label` large and semi-transparent along the page's diagonal, read as one word.

    Text extractors split diagonal text into fragments ("BA", "T", "AL"), so the visible
    glyphs carry an empty /ActualText, and the same word is laid once more, horizontally
    and invisibly (render mode 3, as an OCR layer) across the middle of the page."""
    font = _font("bold")
    diag = math.hypot(w, h)
    unit = max(pdfmetrics.stringWidth(label, font, 1.0), 1e-6)
    size = min(fill * diag / unit, 0.2 * diag)
    c.addLiteral("/Span <</ActualText ()>> BDC")
    c.saveState()
    c.setFillColorRGB(*color)
    c.setFillAlpha(alpha)
    c.translate(w / 2, h / 2)
    c.rotate(math.degrees(math.atan2(h, w)))
    c.setFont(font, size)
    c.drawCentredString(0, -0.36 * size, label)
    c.restoreState()
    c.addLiteral("EMC")
    flat = min(0.6 * w / unit, size)
    c.saveState()  # the invisible render mode must not outlive this text
    t = c.beginText()
    t.setTextRenderMode(3)
    t.setFont(font, flat)
    t.setTextOrigin((w - unit * flat) / 2, h / 2 - 0.36 * flat)
    t.textOut(label)
    c.drawText(t)
    c.restoreState()


def void_pdf(pdf: bytes, *, reason_label: str = "BATAL") -> bytes:
    """A large diagonal, semi-transparent ``reason_label`` across every page (for serving a
    voided document; the stored original is never changed)."""
    label = _one_line(reason_label, "reason_label")

    def draw(c: rl_canvas.Canvas, w: float, h: float, i: int, n: int) -> None:
        _diagonal(c, w, h, label, VOID_COLOR, VOID_ALPHA)

    out, _n = _overlay(pdf, draw, artifact=b"/Artifact <</Type /Pagination /Subtype /Watermark>> BDC")
    return out


# --- internals ---------------------------------------------------------------------------


def _one_line(value: str, what: str) -> str:
    if not isinstance(value, str):
        raise StampError(f"{what} must be a string")
    value = " ".join(value.split())
    if not value:
        raise StampError(f"{what} is empty")
    if len(value) > 300:
        raise StampError(f"{what} is too long")
    return value


def _f(x: float) -> str:
    """A compact PDF number."""
    s = f"{x:.4f}".rstrip("0").rstrip(".")
    return s if s not in ("", "-0") else "0"


_QR_NAME = "/PulangQR"


def _qr_form(url: str) -> tuple[Stream, int]:
    """The QR of ``url`` as a Form XObject in module units: the symbol spans (0, 0)–(n, n),
    its quiet zone is painted white around it, and the dark modules are one path with one
    ``re`` per horizontal run. Returns the stream and n.

    zxing-cpp encodes it (in C++, choosing the mask by the standard's penalty rules in about
    0.2 ms; segno's pure-Python mask choice took 5–10 ms, once a page now)."""
    try:
        symbol = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level=QR_ERROR)
    except (ValueError, RuntimeError) as exc:
        raise StampError("verify_url is too long for a QR code") from exc
    image = memoryview(symbol.to_image(scale=1, add_quiet_zones=False))
    n = image.shape[0]
    if QR_SIZE / n < QR_MIN_MODULE:
        raise StampError(f"verify_url is too long for a {QR_SIZE / cm:.1f} cm QR code")
    rows = image.tobytes()
    q = QR_QUIET
    ops = [f"1 1 1 rg {-q} {-q} {n + 2 * q} {n + 2 * q} re f 0 0 0 rg"]
    for r in range(n):
        y = n - 1 - r
        for run in _DARK_RUN.finditer(rows, r * n, (r + 1) * n):  # 0x00: a dark module
            ops.append(f"{run.start() - r * n} {y} {run.end() - run.start()} 1 re")
    ops.append("f")
    form = Stream(_form_dict((-q, -q, n + q, n + q), DictionaryObject()), "\n".join(ops).encode("ascii"))
    return form, n


_DARK_RUN = re.compile(rb"\x00+")


def _form_dict(bbox: Sequence[float], resources: DictionaryObject) -> DictionaryObject:
    return DictionaryObject({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(FloatObject(v) for v in bbox),
        NameObject("/Resources"): resources,
    })


_PDF_ERRORS = (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError)


def _reader(pdf: bytes) -> PdfReader:
    if not isinstance(pdf, (bytes, bytearray, memoryview)):
        raise StampError("pdf must be bytes")
    try:
        reader = PdfReader(io.BytesIO(bytes(pdf)))
        if reader.is_encrypted:
            raise StampError("the PDF is encrypted")
        if len(reader.pages) == 0:
            raise StampError("the PDF has no pages")
    except StampError:
        raise
    except _PDF_ERRORS as exc:
        raise StampError(f"not a readable PDF: {exc.__class__.__name__}") from exc
    return reader


@dataclass(frozen=True)
class _Geometry:
    """Where a page is shown: its visible box and rotation, as the reader sees it."""

    width: float   # as displayed (after /Rotate)
    height: float
    matrix: tuple[float, float, float, float, float, float]  # displayed → default user space


def _geometry(page: DictionaryObject) -> _Geometry:
    # Read the boxes directly: pypdf's page.cropbox getter writes the box into the page.
    for key in ("/CropBox", "/MediaBox"):
        box = get_resolved(page, key)
        if isinstance(box, ArrayObject) and len(box) == 4:
            break
    else:
        raise StampError("a page has no usable /MediaBox")
    xa, ya, xb, yb = (float(v.get_object()) for v in box)
    x0, y0, w, h = min(xa, xb), min(ya, yb), abs(xb - xa), abs(yb - ya)
    rot = int(get_resolved(page, "/Rotate") or 0) % 360
    if rot == 90:
        return _Geometry(h, w, (0, 1, -1, 0, x0 + w, y0))
    if rot == 180:
        return _Geometry(w, h, (-1, 0, 0, -1, x0 + w, y0 + h))
    if rot == 270:
        return _Geometry(h, w, (0, -1, 1, 0, x0, y0 + h))
    return _Geometry(w, h, (1, 0, 0, 1, x0, y0))


DrawFn = Callable[[rl_canvas.Canvas, float, float, int, int], None]


def _draw_overlays(geoms: Sequence[_Geometry], draw: DrawFn) -> PdfReader:
    """One small reportlab PDF with one overlay page per input page (fonts shared)."""
    buf = io.BytesIO()
    with _draw_lock:  # reportlab's font objects keep per-document state
        # initialFontName: otherwise every page selects an unembedded Helvetica (/F1).
        # pageCompression=0: streams are compressed as they are written out, the (nearly
        # always identical) font program once per process.
        c = rl_canvas.Canvas(
            buf, invariant=1, pageCompression=0, initialFontName=_font("regular"), initialFontSize=8
        )
        n = len(geoms)
        for i, g in enumerate(geoms, start=1):
            c.setPageSize((g.width, g.height))
            draw(c, g.width, g.height, i, n)
            c.showPage()
        c.save()
    return PdfReader(io.BytesIO(buf.getvalue()))


# --- writing: an incremental update (pdf_update.py) ---------------------------------------
#
# The stamped file is the original, byte for byte, followed by an incremental update holding
# the new objects and the rewritten page dictionaries. Only the page dictionaries and their
# resources are parsed: a tagged LibreOffice letter's structure tree and content streams are
# never read, so the cost does not grow with the letter's complexity (a full pypdf rewrite
# costs 3–13 ms for a one- to two-page tagged letter).


_SUBSET_TAG = re.compile(r"^/[A-Z]{6}\+")


def _retag_subset_fonts(up: Update) -> None:
    """Name the imported font subsets by their content.

    reportlab tags every document's subsets "AAAAAA+", "AAAAAB+"…, and LibreOffice numbers
    its own the same way, so a letter set in Liberation Sans (Arial) could otherwise hold
    two different subsets both named "AAAAAA+LiberationSans", which some viewers and
    printers mix up. Equal names now mean equal font programs.
    """
    # .get() on the update's own dictionaries returns references unresolved (dict.get),
    # which resolve() then looks up among the update's objects.
    for obj in up.objects():
        if not (isinstance(obj, DictionaryObject) and obj.get("/Type") == "/Font"):
            continue
        base = str(obj.get("/BaseFont", ""))
        desc = up.resolve(obj.get("/FontDescriptor"))
        if not _SUBSET_TAG.match(base) or not isinstance(desc, DictionaryObject):
            continue
        program = up.resolve(desc.get("/FontFile2"))
        data = program.data if isinstance(program, Stream) else b""
        digest = hashlib.sha256(data + base[8:].encode()).digest()
        name = NameObject("/" + "".join(chr(65 + b % 26) for b in digest[:6]) + "+" + base[8:])
        obj[NameObject("/BaseFont")] = name
        desc[NameObject("/FontName")] = name


_WRAP_OPEN = b"q\n"


def _overlay(pdf: bytes, draw: DrawFn, *, artifact: bytes) -> tuple[bytes, int]:
    """Draw ``draw``'s overlay over every page (the watermarks; the footer goes through
    stamp_many, whose pages each name their own QR)."""
    opened = _Opened(pdf)
    overlay = _draw_overlays(opened.geoms, draw)
    return _apply(opened, list(overlay.pages), artifact=artifact)


class _Opened:
    """A PDF about to be stamped: its incremental update, pages and their geometry."""

    def __init__(self, pdf: bytes):
        reader = _reader(pdf)
        try:
            self.up = Update(pdf, reader)
        except _PDF_ERRORS as exc:
            raise StampError(f"not a readable PDF: {exc.__class__.__name__}") from exc
        self.pages = list(self.up.reader.pages)
        self.geoms = [_geometry(p) for p in self.pages]


def _apply(opened: _Opened, overlay_pages: list, *, artifact: bytes,
           per_page: Callable[[int], dict[str, Stream]] | None = None) -> tuple[bytes, int]:
    """Put one overlay page over each page (see _overlay); the stamped PDF and its pages."""
    up, pages, geoms = opened.up, opened.pages, opened.geoms
    opener = up.add(Stream(DictionaryObject(), _WRAP_OPEN))

    for i, (page, g, ov_page) in enumerate(zip(pages, geoms, overlay_pages), start=1):
        imported = up.import_(ov_page.raw_get("/Resources") if "/Resources" in ov_page else DictionaryObject())
        res = up.resolve(imported)
        if per_page is not None:  # this page's own resources (reportlab may share them)
            res = DictionaryObject(res)
            xobjects = DictionaryObject(up.resolve(res.get("/XObject")) or {})
            xobjects.update((NameObject(k), up.add(v)) for k, v in per_page(i).items())
            res[NameObject("/XObject")] = xobjects
            imported = up.add(res)
        res_ref = imported
        content = ov_page.get_contents()
        form = up.add(Stream(
            _form_dict((0, 0, g.width, g.height), res_ref),
            content.get_data() if content is not None else b"",
        ))

        new_page = DictionaryObject(page)
        name = _add_xobject(new_page, form)
        m = " ".join(_f(v) for v in g.matrix)
        closer = b"".join([
            b"\nQ\n", artifact, b"\nq ", m.encode(), b" cm ", name.encode(), b" Do Q\nEMC\n",
        ])
        raw = page.raw_get("/Contents") if "/Contents" in page else None
        if raw is None:
            old: list = []
        elif isinstance(raw, IndirectObject) and isinstance(raw.get_object(), ArrayObject):
            old = list(raw.get_object())
        elif isinstance(raw, ArrayObject):
            old = list(raw)
        else:
            old = [raw]
        new_page[NameObject("/Contents")] = ArrayObject(
            [opener, *old, up.add(Stream(DictionaryObject(), closer))]
        )
        up.replace(page.indirect_reference, new_page)

    _retag_subset_fonts(up)
    pdf_meta.agree(up)  # /Info and XMP: neutral, and the same (PDF/A-2b)
    return up.write(), len(pages)


def _add_xobject(page: DictionaryObject, form: IndirectObject) -> str:
    """Put ``form`` into a private copy of the page's resources under a fresh name."""
    res = get_resolved(page, "/Resources")  # pypdf copies inherited resources onto the pages it reads
    res = DictionaryObject(res) if res is not None else DictionaryObject()
    xobjects = get_resolved(res, "/XObject")
    xobjects = DictionaryObject(xobjects) if xobjects is not None else DictionaryObject()
    k = 0
    while f"/PulangStamp{k}" in xobjects:
        k += 1
    name = f"/PulangStamp{k}"
    xobjects[NameObject(name)] = form
    res[NameObject("/XObject")] = xobjects
    page[NameObject("/Resources")] = res
    return name
