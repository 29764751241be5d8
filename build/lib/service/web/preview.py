"""The first page of a PDF as a PNG, for the document page.

PDFium is not thread-safe and waitress serves requests from several threads, so renders
take turns behind the process-wide PDFium lock that text extraction and the print jobs'
merging hold too (a render takes a few tens of milliseconds).
"""

import io

import pypdfium2 as pdfium

from ..letters.pdftext import PDFIUM

WIDTH = 900  # pixels: sharp on a 1366-wide screen, small enough to send quickly


def first_page_png(pdf: bytes, width: int = WIDTH) -> bytes:
    out = io.BytesIO()
    with PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            page = document[0]
            bitmap = page.render(scale=width / page.get_width())
            # The PIL image shares the bitmap's memory: encode before the document closes.
            bitmap.to_pil().save(out, format="PNG", optimize=True)
        finally:
            document.close()
    return out.getvalue()
