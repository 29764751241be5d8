"""A document's signed copy as one PDF: the pages that came back, in page order (pdfium
joins the stored one-page files; nothing is re-rendered)."""

import io

import pypdfium2 as pdfium

from ..errors import NotFound
from ..letters.pdftext import PDFIUM
from ..records import signed_copies


def signed_copy_pdf(archive, db, doc: dict) -> bytes:
    """The signed pages of `doc` joined; NotFound when none came back (or their files
    were removed with an anonymised case's letters)."""
    rows = [r for r in signed_copies.signed_pages(db, doc["id"]) if r["path"]]
    if not rows:
        raise NotFound("no signed page of this document has come back")
    return join([archive / r["path"] for r in rows])


def join(paths) -> bytes:
    with PDFIUM:
        out = pdfium.PdfDocument.new()
        sources = []
        try:
            for path in paths:
                source = pdfium.PdfDocument(str(path))
                sources.append(source)
                out.import_pages(source)
            buf = io.BytesIO()
            out.save(buf)
            return buf.getvalue()
        finally:
            for source in sources:
                source.close()
            out.close()
