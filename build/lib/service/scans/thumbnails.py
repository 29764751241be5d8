"""Small pictures of stored scanned pages, for the review tray: rendered from the page's
file when asked (nothing more is stored), as PNG. The caller serves them only to
signed-in staff, never cached (they show a person's papers)."""

import io

import pypdfium2 as pdfium

from ..letters.pdftext import PDFIUM

WIDTH = 360  # pixels


def thumbnail(pdf_path, width: int = WIDTH) -> bytes:
    """The first page of a stored page's PDF, `width` pixels wide, greyscale PNG."""
    with PDFIUM:
        doc = pdfium.PdfDocument(str(pdf_path))
        try:
            page = doc[0]
            w, _h = page.get_size()
            # rotation=0: pdfium applies the page's /Rotate itself
            image = page.render(scale=width / max(w, 1), grayscale=True).to_pil()
            page.close()
        finally:
            doc.close()
    buf = io.BytesIO()
    image.save(buf, "PNG", optimize=False)
    return buf.getvalue()
