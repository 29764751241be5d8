"""The pages of an upload: what staff sent (multi-page PDFs from the office scanner, JPEG
or PNG photos from a phone) checked before it is queued, then each page turned into the
greyscale image its codes are read from and the one-page PDF that is kept.

Uploads are hostile input. A file is refused with a 4xx naming the field and the reason
when it is not a PDF, JPEG or PNG by its first bytes, is encrypted or unreadable, has no
pages, or is too large: bytes (MAX_FILE_BYTES; the request as a whole, MAX_UPLOAD_BYTES),
pages (MAX_PAGES over the upload) or pixels (MAX_IMAGE_PIXELS: Pillow is told so
before it decodes anything, which is what stops a decompression bomb). A PDF page is
rendered at READ_DPI, but never to more than MAX_RENDER_PIXELS, whatever size the page
claims to be.

The page kept is the scanner's own page, not a re-rendering: a PDF page is copied by
pdfium into a document of its own (its annotations, which could carry actions, left
behind), a JPEG is embedded as it came (no re-encoding), a PNG as pixels. A page whose code
says it lies upside down or sideways is kept with /Rotate set so that it shows upright.

pdfium is not thread-safe: every call holds the process's PDFIUM lock
(letters/pdftext.py), one page at a time, so a print job's merge is never held up for a
whole upload.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageOps

from ..errors import InvalidInput
from ..letters.pdftext import PDFIUM

MAX_FILE_BYTES = 150 * 1024 * 1024
MAX_UPLOAD_BYTES = 300 * 1024 * 1024
MAX_PAGES = 1000                   # over one upload
MAX_IMAGE_PIXELS = 50_000_000      # a 48-megapixel phone photo still fits
READ_DPI = 200
MAX_RENDER_PIXELS = 12_000_000     # about A4 at 350 dpi
A4_WIDTH_PT = 595.28
_MAGIC = {b"%PDF-": "pdf", b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png"}


class UploadTooLarge(InvalidInput):
    """An upload beyond the limits (bytes, pages, pixels)."""

    status = 413
    code = "too_large"


@dataclass(frozen=True)
class Upload:
    kind: str   # pdf, jpeg, png
    pages: int


def kind_of(head: bytes) -> str | None:
    return next((kind for magic, kind in _MAGIC.items() if head.startswith(magic)), None)


def inspect(path: Path, field: str = "file") -> Upload:
    """Check one uploaded file; raises InvalidInput (400) or UploadTooLarge (413) naming
    `field` and saying why."""
    size = path.stat().st_size
    if size == 0:
        raise InvalidInput("the file is empty", fields={field: "is empty"})
    if size > MAX_FILE_BYTES:
        raise UploadTooLarge("the file is too large", fields={
            field: f"is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB"})
    with open(path, "rb") as fh:
        kind = kind_of(fh.read(16))
    if kind is None:
        raise InvalidInput("not a PDF, JPEG or PNG", fields={field: "must be a PDF, JPEG or PNG file"})
    if kind == "pdf":
        return Upload(kind, _pdf_pages(path, field))
    _open_image(path, kind, field).close()
    return Upload(kind, 1)


def _pdf_pages(path: Path, field: str) -> int:
    with PDFIUM:
        try:
            doc = pdfium.PdfDocument(str(path))
        except pdfium.PdfiumError as exc:
            why = "is encrypted" if "password" in str(exc).lower() else "is not a readable PDF"
            raise InvalidInput(f"the PDF {why[3:]}", fields={field: why}) from None
        try:
            n = len(doc)
        finally:
            doc.close()
    if n == 0:
        raise InvalidInput("the PDF has no pages", fields={field: "has no pages"})
    if n > MAX_PAGES:
        raise UploadTooLarge("the PDF has too many pages", fields={
            field: f"has {n} pages; at most {MAX_PAGES} an upload"})
    return n


def _open_image(path: Path, kind: str, field: str) -> Image.Image:
    """The image, opened but not decoded, after its size was checked."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path, formats=["JPEG" if kind == "jpeg" else "PNG"])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadTooLarge("the image has too many pixels", fields={
            field: f"has more than {MAX_IMAGE_PIXELS // 1_000_000} million pixels"}) from None
    except (OSError, ValueError, SyntaxError):
        raise InvalidInput("not a readable image", fields={field: f"is not a readable {kind.upper()}"}) from None
    if image.width * image.height > MAX_IMAGE_PIXELS:
        image.close()
        raise UploadTooLarge("the image has too many pixels", fields={
            field: f"has more than {MAX_IMAGE_PIXELS // 1_000_000} million pixels"})
    return image


# --- reading the pages ----------------------------------------------------------------


@dataclass
class Page:
    """One page: `image` (greyscale) to read its codes from, `fingerprint` (sha256 of its
    pixels: the same page uploaded again has the same), and keep(rotation) giving the
    one-page PDF to store, turned by `rotation` degrees clockwise."""

    image: Image.Image
    fingerprint: str
    _keep: object

    def keep(self, rotation: int = 0) -> bytes:
        return self._keep(rotation)


def read_pages(path: Path, kind: str) -> Iterator[Page]:
    """The pages of an inspected file, in order."""
    if kind == "pdf":
        yield from _pdf_read(path)
    else:
        yield _image_read(path, kind)


def _fingerprint(image: Image.Image) -> str:
    digest = hashlib.sha256(f"{image.mode}:{image.width}x{image.height}:".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def _pdf_read(path: Path) -> Iterator[Page]:
    with PDFIUM:
        doc = pdfium.PdfDocument(str(path))
    try:
        for index in range(len(doc)):
            with PDFIUM:
                page = doc[index]
                image = _scanned_image(page)
                if image is None:
                    width, height = page.get_size()
                    scale = min(READ_DPI / 72, (MAX_RENDER_PIXELS / max(width * height, 1)) ** 0.5)
                    image = page.render(scale=scale, grayscale=True, draw_annots=False).to_pil()
                page.close()
            if image.mode != "L":
                image = image.convert("L")
            yield Page(image, _fingerprint(image), lambda rotation, i=index: _pdf_keep(doc, i, rotation))
    finally:
        with PDFIUM:
            doc.close()


def _scanned_image(page) -> Image.Image | None:
    """A scanner's page is one picture filling it: its pixels are read as they are,
    without rendering (a tenth of the time; measured in bench/scan_bench.py). None for
    any other page (turned, more than one object, a picture placed turned or mirrored,
    or larger than MAX_RENDER_PIXELS), which is rendered instead."""
    if page.get_rotation() != 0:
        return None
    objects = list(page.get_objects(max_depth=1))
    if len(objects) != 1 or objects[0].type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
        return None
    picture = objects[0]
    a, b, c, d, _e, _f = picture.get_matrix().get()
    width, height = picture.get_px_size()
    if b or c or a <= 0 or d <= 0 or width * height > MAX_RENDER_PIXELS:
        return None
    image = picture.get_bitmap(render=False).to_pil()
    # A copy of our own: the bitmap's memory is pdfium's and goes with the page.
    return image.copy() if image.mode == "L" else image.convert("L")


def _pdf_keep(doc, index: int, rotation: int) -> bytes:
    with PDFIUM:
        out = pdfium.PdfDocument.new()
        try:
            out.import_pages(doc, [index])
            page = out[0]
            for k in reversed(range(pdfium_c.FPDFPage_GetAnnotCount(page.raw))):
                pdfium_c.FPDFPage_RemoveAnnot(page.raw, k)
            page.set_rotation((page.get_rotation() + rotation) % 360)
            page.close()
            buf = io.BytesIO()
            out.save(buf)
            return buf.getvalue()
        finally:
            out.close()


_EXIF_TURN = {3: 180, 6: 90, 8: 270}  # EXIF orientation → clockwise turn to show it upright


def _image_read(path: Path, kind: str) -> Page:
    source = _open_image(path, kind, "file")
    try:
        turn = _EXIF_TURN.get(source.getexif().get(0x0112, 1), 0)
        upright = ImageOps.exif_transpose(source)
        image = upright.convert("L")
    finally:
        source.close()
    return Page(image, _fingerprint(image), lambda rotation: _image_keep(path, kind, turn, rotation))


def _image_keep(path: Path, kind: str, turn: int, rotation: int) -> bytes:
    """A one-page PDF showing the image: a JPEG as it came (pdfium embeds its bytes), a
    PNG as pixels. The page is A4-wide unless the image says a credible resolution."""
    with Image.open(path) as image:
        width_px, height_px = image.size
        dpi = image.info.get("dpi", (0, 0))[0] or 0
        pixels = None if kind == "jpeg" else (image.convert("RGB") if image.mode not in ("L", "RGB") else image.copy())
    scale = 72 / dpi if 100 <= dpi <= 1200 and 3 * 72 <= width_px * 72 / dpi <= 17 * 72 else A4_WIDTH_PT / width_px
    with PDFIUM:
        out = pdfium.PdfDocument.new()
        try:
            obj = pdfium.PdfImage.new(out)
            if kind == "jpeg":
                obj.load_jpeg(str(path), inline=True)
            else:
                bitmap = pdfium.PdfBitmap.from_pil(pixels)
                obj.set_bitmap(bitmap)
                bitmap.close()
            w, h = width_px * scale, height_px * scale
            obj.set_matrix(pdfium.PdfMatrix().scale(w, h))
            page = out.new_page(w, h)
            page.insert_obj(obj)
            page.gen_content()
            page.set_rotation((turn + rotation) % 360)
            page.close()
            buf = io.BytesIO()
            out.save(buf)
            return buf.getvalue()
        finally:
            out.close()
