"""Joining many stamped PDFs into one, with bookmarks, quickly.

pdfium (C) copies the pages: three times quicker than pypdf, which clones every page's
resources in Python. pdfium is not thread-safe, so a Merger holds the process's pdfium
lock from its first page to the written result.

pdfium cannot write bookmarks, so they are added as a small incremental update: new
outline objects, a new catalog pointing at them, a cross-reference section for just
those, and a trailer whose /Prev points back at pdfium's. pypdf's object classes do the
serialising.
"""

import io
import re
from dataclasses import dataclass, field

import pypdfium2 as pdfium
from pypdf import PdfReader
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

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
        width, height = self._doc[len(self._doc) - 1].get_size() if len(self._doc) else A4
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
    reader = PdfReader(io.BytesIO(pdf))
    pages = [page.indirect_reference for page in reader.pages]
    trailer = reader.trailer
    root_ref = trailer.raw_get("/Root")
    size = int(trailer["/Size"])
    objects: dict[int, DictionaryObject] = {}

    def new(obj: DictionaryObject) -> IndirectObject:
        nonlocal size
        objects[size] = obj
        size += 1
        return IndirectObject(size - 1, 0, None)

    def attach(parent_ref: IndirectObject, parent: DictionaryObject, items: list[_Mark]) -> None:
        refs = [new(DictionaryObject()) for _ in items]
        for i, (item, ref) in enumerate(zip(items, refs)):
            obj = objects[ref.idnum]
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
    outlines_ref = new(outlines)
    attach(outlines_ref, outlines, marks)
    outlines[NameObject("/Count")] = NumberObject(len(marks))
    catalog = DictionaryObject(reader.trailer["/Root"])
    catalog[NameObject("/Outlines")] = outlines_ref
    catalog[NameObject("/PageMode")] = NameObject("/UseOutlines")

    body = bytearray(pdf if pdf.endswith(b"\n") else pdf + b"\n")
    offsets = {}
    for number, obj in [(root_ref.idnum, catalog), *objects.items()]:
        offsets[number] = len(body)
        body += f"{number} 0 obj\n".encode()
        buf = io.BytesIO()
        obj.write_to_stream(buf)
        body += buf.getvalue() + b"\nendobj\n"
    xref_at = len(body)
    first_new = min(objects)
    body += b"xref\n"
    body += f"{root_ref.idnum} 1\n{offsets[root_ref.idnum]:010d} 00000 n\r\n".encode()
    body += f"{first_new} {len(objects)}\n".encode()
    body += b"".join(f"{offsets[n]:010d} 00000 n\r\n".encode() for n in sorted(objects))
    new_trailer = DictionaryObject({NameObject("/Size"): NumberObject(size),
                                    NameObject("/Root"): root_ref,
                                    NameObject("/Prev"): NumberObject(_last_startxref(pdf))})
    for key in ("/Info", "/ID"):
        if key in trailer:
            new_trailer[NameObject(key)] = trailer.raw_get(key)
    buf = io.BytesIO()
    new_trailer.write_to_stream(buf)
    body += b"trailer\n" + buf.getvalue() + f"\nstartxref\n{xref_at}\n%%EOF\n".encode()
    return bytes(body)


def _last_startxref(pdf: bytes) -> int:
    found = re.findall(rb"startxref\s+(\d+)", pdf[-1024:])
    if not found:
        raise ValueError("no startxref at the end of the merged PDF")
    return int(found[-1])
