"""The cover sheet of a print job (reportlab): the ceremony, the counts, and the contents
with the page each woman's papers start on, so a clerk finds them in the stack. Each of
its pages carries a small QR saying "a cover sheet" (scans/codes.py COVER_CODE), so that
a cover scanned with the signed stack is set aside rather than sent to the review tray."""

import functools
import io
import os

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import cm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from ..records.formats import tanggal_hari
from ..records.kinds import DOCUMENT_KINDS, KIND_LABELS
from ..scans.codes import COVER_CODE

_FONT_DIRS = ("/usr/share/fonts/truetype/liberation2", "/usr/share/fonts/truetype/liberation",
              "/usr/share/fonts/truetype/dejavu")
_FILES = {"regular": ("LiberationSans-Regular.ttf", "DejaVuSans.ttf"),
          "bold": ("LiberationSans-Bold.ttf", "DejaVuSans-Bold.ttf")}
LEFT, RIGHT, TOP, BOTTOM = 2.5 * cm, 2 * cm, 2 * cm, 2.5 * cm
LINE = 0.55 * cm


@functools.cache
def _font(weight: str) -> str:
    """A TrueType font (embedded, so names print as typed, whatever their letters)."""
    for name in _FILES[weight]:
        for folder in _FONT_DIRS:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                pdfmetrics.registerFont(TTFont(f"PulangCover-{weight}", path))
                return f"PulangCover-{weight}"
    raise RuntimeError("no TrueType font for the cover sheet: install fonts-liberation2")


class _Sheet:
    def __init__(self, footer: str):
        self.buf = io.BytesIO()
        self.c = canvas.Canvas(self.buf, pagesize=A4, invariant=1)
        self.width, self.height = A4
        self.y = self.height - TOP
        self.footer = footer
        self.pages = 1

    def line(self, text: str, *, size=10.0, bold=False, indent=0.0, gap=LINE) -> None:
        font = _font("bold" if bold else "regular")
        for part in simpleSplit(text, font, size, self.width - LEFT - RIGHT - indent) or [""]:
            self.room(gap)
            self.c.setFont(font, size)
            self.c.drawString(LEFT + indent, self.y, part)
            self.y -= gap

    def row(self, cells: list[tuple[float, str, str]], *, bold=False) -> None:
        """cells: (x from the left margin, text, 'l' or 'r' alignment)."""
        self.room(LINE)
        self.c.setFont(_font("bold" if bold else "regular"), 9.5)
        for x, text, align in cells:
            draw = self.c.drawRightString if align == "r" else self.c.drawString
            draw(LEFT + x, self.y, text)
        self.y -= LINE

    def room(self, needed: float) -> None:
        if self.y - needed < BOTTOM:
            self._foot()
            self.c.showPage()
            self.pages += 1
            self.y = self.height - TOP

    def _foot(self) -> None:
        self.c.setFont(_font("regular"), 8)
        self.c.drawString(LEFT, 1.5 * cm, f"{self.footer} · Hal. sampul {self.pages}")
        _cover_code(self.c, self.width - RIGHT - 1.6 * cm, 0.8 * cm, 1.6 * cm)

    def done(self) -> bytes:
        self._foot()
        self.c.save()
        return self.buf.getvalue()


def _cover_code(c: canvas.Canvas, x: float, y: float, size: float) -> None:
    """The QR that marks a page as a cover sheet (with its quiet zone, `size` wide)."""
    renderPDF.draw(_cover_drawing(size), c, x, y)


@functools.cache
def _cover_drawing(size: float) -> Drawing:
    """Drawn once per process: encoding the QR in reportlab's pure Python took 40 ms, and
    a cover is drawn twice per job (its draft counts its pages) with a code on each page."""
    widget = QrCodeWidget(COVER_CODE, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget.draw())  # the modules as shapes, not the widget that encodes again
    return drawing


def _fit(text: str, width: float, size: float = 9.5) -> str:
    font = _font("regular")
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text + "…"


def draw(ceremony: dict, job: dict, settings: dict, plan: list[dict], *, offset: int,
         audit_anchor: str = "") -> bytes:
    """The cover; `offset` is the number of pages it (with its duplex blank) takes, which
    shifts every page number in the contents. `audit_anchor` ("HASH:COUNT", the audit
    log's head when the job was assembled) is printed small: a paper copy outside the
    server that `pulang audit verify --anchor` can later hold the log to."""
    options = job["options"]
    sheet = _Sheet(f"Pekerjaan cetak #{job['id']}")
    office = settings["office"]
    sheet.line(" · ".join(p for p in (office['region'], office['name']) if p), size=9)
    sheet.y -= 0.3 * cm
    sheet.line("BERKAS CETAK PELEPASAN", size=15, bold=True, gap=0.8 * cm)
    sheet.line(ceremony["title"], size=11, bold=True, gap=0.6 * cm)
    sheet.line(f"Hari, tanggal: {tanggal_hari(ceremony['date'])}")
    sheet.line(f"Tempat: {ceremony['place']}")
    people = sorted({e["no"] for e in plan if e["no"] is not None})
    total = offset + (plan[-1]["page"] + plan[-1]["pages"] if plan else 0)
    sheet.line(f"Penerima: {len(people)} orang · urutan menurut "
               f"{'nama' if options['order'] == 'name' else 'tujuan'} · cetak bolak-balik: "
               f"{'ya' if options['duplex'] else 'tidak'} · jumlah halaman: {total}")
    if audit_anchor:
        sheet.line(f"Jangkar log audit: {audit_anchor}", size=7)
    sheet.y -= 0.4 * cm

    sheet.row([(0, "Dokumen", "l"), (10 * cm, "Jumlah", "r"), (12.5 * cm, "Salinan", "r"),
               (15.5 * cm, "Halaman", "r")], bold=True)
    for kind in DOCUMENT_KINDS:
        letters = [e for e in plan if e["doc"]["kind"] == kind]
        if letters:
            sheet.row([(0, KIND_LABELS[kind], "l"),
                       (10 * cm, str(len({e["doc"]["id"] for e in letters})), "r"),
                       (12.5 * cm, str(letters[0]["copies"]), "r"),
                       (15.5 * cm, str(sum(e["pages"] for e in letters)), "r")])
    sheet.y -= 0.4 * cm

    sheet.line("DAFTAR ISI", size=11, bold=True, gap=0.7 * cm)
    sheet.row([(0, "No", "l"), (1.2 * cm, "Nama", "l"), (10 * cm, "Tujuan / dokumen", "l"),
               (16.4 * cm, "Hal.", "r")], bold=True)
    seen = set()
    for entry in plan:
        if entry["no"] is None:
            if entry["copy"] == 1:
                sheet.row([(1.2 * cm, _fit(KIND_LABELS[entry["doc"]["kind"]], 8.5 * cm), "l"),
                           (10 * cm, entry["doc"]["number"], "l"),
                           (16.4 * cm, str(offset + entry["page"] + 1), "r")])
            continue
        if entry["no"] in seen:
            continue
        seen.add(entry["no"])
        name = entry["person"].split(". ", 1)[1]
        sheet.row([(0, f"{entry['no']}.", "l"), (1.2 * cm, _fit(name, 8.5 * cm), "l"),
                   (10 * cm, _fit(entry.get("destination") or "", 5.8 * cm), "l"),
                   (16.4 * cm, str(offset + entry["page"] + 1), "r")])
    return sheet.done()
