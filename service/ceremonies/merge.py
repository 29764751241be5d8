"""Joining many stamped PDFs into one, with bookmarks, quickly.

pdfium (C) copies the pages: three times quicker than pypdf, which clones every page's
resources in Python. pdfium is not thread-safe, so a Merger holds the process's pdfium
lock from its first page to the written result.

pdfium cannot write bookmarks, so they are added as a small incremental update
(letters/pdf_update.py, which the stamp uses too): new outline objects and a new
catalog pointing at them, after pdfium's file.
"""

import io
from dataclasses import dataclass, field

import pypdfium2 as pdfium
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from ..letters.pdf_update import Update, strictly_first
from ..letters.pdftext import PDFIUM

A4 = (595.28, 841.89)


@dataclass
class _Mark:
    title: str
    page: int
    children: list = field(default_factory=list)


class Merger:
    def __init__(self):
        PDFIUM.acquire()
        self._doc = pdfium.PdfDocument.new()
        self._sources: list = []
        self._marks: list[_Mark] = []

    @property
    def pages(self) -> int:
        return len(self._doc)

    def add(self, pdf) -> int:
        """Append every page of `pdf` (bytes or a pdfium document); returns its first page."""
        source = pdf if isinstance(pdf, pdfium.PdfDocument) else self.open(pdf)
        start = len(self._doc)
        self._doc.import_pages(source)
        return start

    def open(self, pdf: bytes) -> "pdfium.PdfDocument":
        """A source kept open until the result is written (a letter printed twice is
        opened once)."""
        source = pdfium.PdfDocument(pdf)
        self._sources.append(source)
        return source

    def blank(self) -> None:
        # By index: loading the page to ask its size parses it (and keeps it until freed).
        width, height = self._doc.get_page_size(len(self._doc) - 1) if len(self._doc) else A4
        self._doc.new_page(width, height)

    def mark(self, title: str, page: int, parent: _Mark | None = None) -> _Mark:
        item = _Mark(title, page)
        (parent.children if parent is not None else self._marks).append(item)
        return item

    def write(self) -> bytes:
        out = io.BytesIO()
        try:
            self._doc.save(out)
        finally:
            self.close()
        return with_outline(out.getvalue(), self._marks)

    def close(self) -> None:
        """Free pdfium's memory and its lock (write() does this; call it after a failure)."""
        if self._doc is None:
            return
        for source in self._sources:
            source.close()
        self._doc.close()
        self._doc = None
        PDFIUM.release()


def with_outline(pdf: bytes, marks: list[_Mark]) -> bytes:
    """`pdf` plus an incremental update that gives it these bookmarks (top-level ones
    with children shown closed: one line per person in the viewer's panel)."""
    if not marks:
        return pdf
    return strictly_first(pdf, lambda reader: _outline(Update(pdf, reader), marks))


def _outline(up: Update, marks: list[_Mark]) -> bytes:
    pages = page_refs(up.reader, up.original)

    def attach(parent_ref: IndirectObject, parent: DictionaryObject, items: list[_Mark]) -> None:
        objs = [DictionaryObject() for _ in items]
        refs = [up.add(obj) for obj in objs]
        for i, (item, ref, obj) in enumerate(zip(items, refs, objs)):
            obj[NameObject("/Title")] = TextStringObject(item.title)
            obj[NameObject("/Parent")] = parent_ref
            obj[NameObject("/Dest")] = ArrayObject([pages[item.page], NameObject("/Fit")])
            if i:
                obj[NameObject("/Prev")] = refs[i - 1]
            if i + 1 < len(refs):
                obj[NameObject("/Next")] = refs[i + 1]
            if item.children:
                attach(ref, obj, item.children)
                obj[NameObject("/Count")] = NumberObject(-len(item.children))  # closed
        parent[NameObject("/First")] = refs[0]
        parent[NameObject("/Last")] = refs[-1]

    outlines = DictionaryObject({NameObject("/Type"): NameObject("/Outlines")})
    outlines_ref = up.add(outlines)
    attach(outlines_ref, outlines, marks)
    outlines[NameObject("/Count")] = NumberObject(len(marks))
    catalog = up.catalog()
    catalog[NameObject("/Outlines")] = outlines_ref
    catalog[NameObject("/PageMode")] = NameObject("/UseOutlines")
    return up.write()


def page_refs(reader, pdf: bytes) -> list[IndirectObject]:
    """The references of the pages, in order. pdfium writes a new document's page tree
    flat, the root's /Kids being the pages themselves: then only that node is read, not
    every page as pypdf's `reader.pages` does (0.3 s for 800 pages). A kid is known to be
    a page, not a node, by its bytes holding no /Kids (a node must have them). Any other
    shape of tree goes pypdf's way."""
    root = reader.trailer["/Root"]["/Pages"]
    kids = root.get("/Kids")
    if isinstance(kids, ArrayObject) and len(kids) == root.get("/Count"):
        refs = [kid for kid in kids if isinstance(kid, IndirectObject)]
        if len(refs) == len(kids) and all(_leaf(reader, pdf, ref) for ref in refs):
            return refs
    return [page.indirect_reference for page in reader.pages]


def _leaf(reader, pdf: bytes, ref: IndirectObject) -> bool:
    offset = reader.xref.get(ref.generation, {}).get(ref.idnum)
    if offset is None:  # in an object stream, or not in the table: not known this way
        return False
    end = pdf.find(b"endobj", offset)
    return end > 0 and b"/Kids" not in pdf[offset:end]
