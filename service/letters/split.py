"""Cutting a combined PDF back into one PDF per letter, at the named destinations its
bookmarks became, and checking every piece before it is archived.

A piece passes when it has at least one page, no page without text (a stray blank page
means a break went wrong), its own letter number in its text and not the next letter's
(the cut is in the right place). Text comes from pdfium (C, outside the GIL).
"""

import io
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from .combine import BOOKMARK
from .pdf_update import strictly_first
from .pdftext import page_texts

# Catalog entries that make a piece the same kind of file as the whole (PDF/A-2b): its
# output intent and XMP metadata. The structure tree is not carried over: it describes
# the whole group, and PDF/A-2b does not require one.
_CATALOG_KEYS = ("/OutputIntents", "/Metadata", "/Lang")


class SplitError(Exception):
    """The combined PDF does not cut cleanly into the expected letters."""


@dataclass
class Piece:
    pdf: bytes
    pages: int
    text: str


def split(pdf: bytes, markers: list[str]) -> list[Piece]:
    """One piece per marker (the letter numbers, in record order), or SplitError. The
    PDF is read strictly first (pdf_update.strictly_first)."""
    return strictly_first(pdf, lambda reader: _split(reader, pdf, markers))


def _split(reader: PdfReader, pdf: bytes, markers: list[str]) -> list[Piece]:
    starts = _starts(reader, len(markers))
    texts = page_texts(pdf)
    if len(texts) != len(reader.pages):
        raise SplitError("pdfium and pypdf disagree on the page count")
    bounds = list(zip(starts, starts[1:] + [len(reader.pages)]))
    squeezed = [_squeeze(m) for m in markers]
    pieces = []
    for i, (first, end) in enumerate(bounds):
        own = texts[first:end]
        _verify(i, own, squeezed)
        writer = PdfWriter()
        for n in range(first, end):
            writer.add_page(reader.pages[n])
        root = reader.trailer["/Root"]
        for key in _CATALOG_KEYS:
            if key in root:
                writer._root_object[NameObject(key)] = root.raw_get(key).clone(writer)
        out = io.BytesIO()
        writer.write(out)
        pieces.append(Piece(out.getvalue(), end - first, "\n".join(own)))
    return pieces


def _starts(reader: PdfReader, count: int) -> list[int]:
    named = reader.named_destinations
    starts = []
    for i in range(1, count + 1):
        dest = named.get(f"/{BOOKMARK}{i}")
        if dest is None:
            raise SplitError(f"record {i} has no destination")
        starts.append(reader.get_destination_page_number(dest))
    if starts[0] != 0 or any(b <= a for a, b in zip(starts, starts[1:])):
        raise SplitError("the records' first pages are not in order")
    return starts


def _squeeze(text: str) -> str:
    return "".join(text.split())


def _verify(i: int, texts: list[str], markers: list[str]) -> None:
    if any(not _squeeze(t) for t in texts):
        raise SplitError(f"record {i + 1} has a blank page")
    whole = _squeeze("".join(texts))
    if markers[i] not in whole:
        raise SplitError(f"record {i + 1} does not show its letter number")
    if i + 1 < len(markers) and markers[i + 1] in whole:
        raise SplitError(f"record {i + 1} runs into the next record")
