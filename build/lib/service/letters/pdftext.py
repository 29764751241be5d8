"""Text of a PDF for the index (pdfium: a few ms a page, far quicker than pypdf).

PDFium is not thread-safe: two threads inside it at once corrupt its state (documents
then fail to open with "data format error"). Every use of pypdfium2 in the process holds
PDFIUM; the lock is re-entrant so helpers can nest."""

import threading

import pypdfium2 as pdfium

PDFIUM = threading.RLock()


def page_texts(pdf: bytes) -> list[str]:
    with PDFIUM:
        doc = pdfium.PdfDocument(pdf)
        try:
            parts = []
            for page in doc:
                textpage = page.get_textpage()
                parts.append(textpage.get_text_range())
                textpage.close()
                page.close()
            return parts
        finally:
            doc.close()


def extract_text(pdf: bytes) -> str:
    return "\n".join(page_texts(pdf))
