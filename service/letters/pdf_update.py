"""Incremental updates of a PDF (ISO 32000-1 §7.5.6): the original file byte for byte,
followed by new and replaced objects, a cross-reference section for just those, and a
trailer whose /Prev points back at the original's.

Everything in Pulang that changes a finished PDF goes through here: the stamp (number,
pages, QR, BATAL) and the merged print job's bookmarks. An update never rewrites what
it does not change, so a stored letter's bytes stay the prefix of its stamped file, and
the cost does not grow with the letter's complexity: only the objects a caller asks for
are parsed (a tagged LibreOffice letter's structure tree and content streams never are).
PDF/A-2 allows incremental updates; the new cross-reference section has the same form
as the original's (a table after a table, a stream after a stream), so a file never
mixes the two.

    up = Update(pdf)                    # reads pdf (or reuse a PdfReader of it)
    ref = up.add(Stream(dict, data))    # a new object; streams are compressed on write
    up.replace(page.indirect_reference, new_page)
    up.catalog()[NameObject("/Outlines")] = ...   # the catalog, replaced
    up.info()[NameObject("/Producer")] = ...      # the document information dictionary
    up.set_info(DictionaryObject(...))            # … or a new one, the old not read
    out = up.write()                    # pdf + the update

pypdf's object classes do the parsing and serialising; a file whose end is malformed
(pypdf repaired it while reading) or a hybrid-reference file is first rewritten whole by
pypdf, and the update follows that clean copy. pypdf's own `PdfWriter(incremental=True)`
reads, copies and hashes every object of the file to find what changed: stamping a
one-page LibreOffice letter that way took 3.4 times as long (bench/stamp_bench.py,
docs/decisions.md, issue 9).
"""
from __future__ import annotations

import functools
import hashlib
import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from pypdf import PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
)

T = TypeVar("T")

__all__ = ["PdfUpdateError", "Stream", "Update", "get_resolved", "strictly_first"]

# pypdf writes every name (every dictionary key) through NameObject.renumber, a loop over
# its characters in Python: 62,000 calls for a print job's 302 letters (cut and stamped),
# over fewer than a hundred distinct names, and about a tenth of that work. A name's
# bytes depend on its text alone, so they are remembered, for as many names as a
# letter's files hold; past that bound (a hostile file's made-up names) they are not.
_RENUMBER = NameObject.renumber
_NAME_BYTES: dict[str, bytes] = {}
_NAME_BYTES_MAX = 4096


def _renumber(name: NameObject) -> bytes:
    written = _NAME_BYTES.get(name)
    if written is None:
        written = _RENUMBER(name)
        if len(_NAME_BYTES) < _NAME_BYTES_MAX:
            _NAME_BYTES[str(name)] = written
    return written


NameObject.renumber = _renumber


class PdfUpdateError(ValueError):
    """The PDF could not be made ready for an incremental update."""


@dataclass
class Stream:
    """A stream to write: its dictionary (without /Length or /Filter) and its decoded data.
    Written compressed (Flate), unless `compress` is False (PDF/A's XMP metadata stream
    must not be filtered)."""

    dict: DictionaryObject
    data: bytes
    compress: bool = True


class Update:
    """One incremental update of ``pdf``. ``reader`` may be a PdfReader of the same bytes
    (to save a second parse); after construction use ``self.reader`` and ``self.original``:
    a malformed file has been replaced by its clean rewrite."""

    def __init__(self, pdf: bytes, reader: PdfReader | None = None):
        pdf = bytes(pdf)
        reader = reader if reader is not None else PdfReader(io.BytesIO(pdf))
        last = _last_xref(pdf)
        if last is None or "/XRefStm" in reader.trailer:
            # Malformed end of file (pypdf repaired it while reading) or a hybrid file:
            # rewrite the whole file cleanly with pypdf first, then update that.
            clean = io.BytesIO()
            PdfWriter(clone_from=reader, keep_initial_header=True).write(clean)
            pdf = clean.getvalue()
            reader = PdfReader(io.BytesIO(pdf))
            last = _last_xref(pdf)
            if last is None:  # pragma: no cover - pypdf always writes a plain xref table
                raise PdfUpdateError("could not rewrite the PDF")
        self.original = pdf
        self.reader = reader
        self._xref_offset, self._xref_is_stream = last
        ids = [int(get_resolved(reader.trailer, "/Size") or 0)]
        for table in reader.xref.values():
            ids.extend(i + 1 for i in table)
        ids.extend(i + 1 for i in reader.xref_objStm)
        self._next_id = max(ids)
        self._objects: dict[int, tuple[int, object]] = {}  # id → (generation, object)
        self._imported: dict[int, IndirectObject] = {}
        self._info_ref = reader.trailer.raw_get("/Info") if "/Info" in reader.trailer else None

    # --- objects ---

    def add(self, obj: object) -> IndirectObject:
        """A new object (a pypdf object or a Stream); returns its reference. The object
        may still be changed until write()."""
        ref = IndirectObject(self._next_id, 0, None)
        self._next_id += 1
        self._objects[ref.idnum] = (0, obj)
        return ref

    def replace(self, ref: IndirectObject, obj: object) -> None:
        """Write ``obj`` in place of the original's object ``ref``."""
        self._objects[ref.idnum] = (ref.generation, obj)

    def resolve(self, obj):
        """The object of this update (new, imported or replaced) behind ``obj``, or ``obj``."""
        if isinstance(obj, IndirectObject) and obj.idnum in self._objects:
            return self._objects[obj.idnum][1]
        return obj

    def objects(self) -> Iterator[object]:
        """Every object this update will write."""
        return (obj for _gen, obj in self._objects.values())

    def import_(self, obj):
        """Copy an object of another PDF (e.g. an overlay drawn by reportlab) into this
        update, with everything it refers to, renumbered; returns the copy (a reference
        for an indirect object)."""
        if isinstance(obj, IndirectObject):
            done = self._imported.get(obj.idnum)
            if done is not None:
                return done
            ref = self.add(None)
            self._imported[obj.idnum] = ref
            self._objects[ref.idnum] = (0, self.import_(obj.get_object()))
            return ref
        if isinstance(obj, StreamObject):
            d = DictionaryObject(
                (k, self.import_(v)) for k, v in obj.items()
                if k not in ("/Length", "/Filter", "/DecodeParms")
            )
            return Stream(d, obj.get_data())
        if isinstance(obj, DictionaryObject):
            return DictionaryObject((k, self.import_(v)) for k, v in obj.items())
        if isinstance(obj, ArrayObject):
            return ArrayObject(self.import_(v) for v in obj)
        return obj

    def catalog(self) -> DictionaryObject:
        """The document catalog, as a copy this update writes in place of the original
        (the same copy on every call): set /Outlines, /Metadata, … on it."""
        return self._writable(self.reader.trailer.raw_get("/Root"))

    def info(self) -> DictionaryObject:
        """The document information dictionary, as a copy this update writes (a new one,
        pointed at by the new trailer, when the file has none)."""
        if self._info_ref is None:
            self._info_ref = self.add(DictionaryObject())
        return self._writable(self._info_ref)

    def set_info(self, info: DictionaryObject) -> None:
        """Write `info` as the document information dictionary, in place of the original's
        (which is not read)."""
        if self._info_ref is None:
            self._info_ref = self.add(info)
        else:
            self.replace(self._info_ref, info)

    def _writable(self, ref: IndirectObject) -> DictionaryObject:
        if ref.idnum not in self._objects:
            self.replace(ref, DictionaryObject(ref.get_object()))
        return self._objects[ref.idnum][1]

    # --- writing ---

    def write(self) -> bytes:
        """The original followed by this update."""
        out = io.BytesIO()
        out.write(self.original)
        if not self.original.endswith((b"\n", b"\r")):
            out.write(b"\n")
        offsets: dict[int, tuple[int, int]] = {}
        for idnum in sorted(self._objects):
            gen, obj = self._objects[idnum]
            offsets[idnum] = (out.tell(), gen)
            out.write(b"%d %d obj\n" % (idnum, gen))
            _serialize(obj, out)
            out.write(b"\nendobj\n")

        trailer = DictionaryObject()
        root = self.reader.trailer.raw_get("/Root")
        trailer[NameObject("/Root")] = root
        if self._info_ref is not None:
            trailer[NameObject("/Info")] = self._info_ref
        # /ID: the first string stays (the document is the same), the second is new (§14.4).
        old_id = get_resolved(self.reader.trailer, "/ID")
        new_half = hashlib.md5(out.getbuffer()[len(self.original):]).digest()
        first = _string_bytes(old_id[0]) if isinstance(old_id, list) and len(old_id) == 2 else new_half
        trailer[NameObject("/ID")] = ArrayObject([ByteStringObject(first), ByteStringObject(new_half)])
        trailer[NameObject("/Prev")] = NumberObject(self._xref_offset)

        xref_at = out.tell()
        if self._xref_is_stream:
            own = self._next_id
            offsets[own] = (xref_at, 0)
            trailer[NameObject("/Size")] = NumberObject(own + 1)
            width = max(4, (xref_at.bit_length() + 7) // 8)
            rows = b"".join(
                b"\x01" + off.to_bytes(width, "big") + gen.to_bytes(2, "big")
                for _id, (off, gen) in sorted(offsets.items())
            )
            trailer[NameObject("/Type")] = NameObject("/XRef")
            trailer[NameObject("/W")] = ArrayObject([NumberObject(1), NumberObject(width), NumberObject(2)])
            trailer[NameObject("/Index")] = ArrayObject(
                NumberObject(v) for start, count in _runs(sorted(offsets)) for v in (start, count)
            )
            out.write(b"%d 0 obj\n" % own)
            _serialize(Stream(trailer, rows), out)
            out.write(b"\nendobj\n")
        else:
            trailer[NameObject("/Size")] = NumberObject(self._next_id)
            out.write(b"xref\n")
            for start, count in _runs(sorted(offsets)):
                out.write(b"%d %d\n" % (start, count))
                for idnum in range(start, start + count):
                    off, gen = offsets[idnum]
                    out.write(b"%010d %05d n\r\n" % (off, gen))
            out.write(b"trailer\n")
            trailer.write_to_stream(out)
            out.write(b"\n")
        out.write(b"startxref\n%d\n%%%%EOF\n" % xref_at)
        return out.getvalue()


def strictly_first(pdf: bytes, work: Callable[[PdfReader], T]) -> T:
    """work(a reader of pdf), the reader strict; again with a lenient one if strict reading
    refuses the file at any point of the work. For files LibreOffice or pdfium wrote:
    pypdf's lenient mode reads the header of every object before anything else (30,000
    objects in 100 tagged letters, two thirds of the read)."""
    try:
        return work(PdfReader(io.BytesIO(pdf), strict=True))
    except PyPdfError:
        return work(PdfReader(io.BytesIO(pdf)))


def get_resolved(d: DictionaryObject, key: str):
    """``d[key]`` resolved, or None. (pypdf resolves references in ``d[key]``, not in ``d.get``.)"""
    return d[key] if key in d else None


def _string_bytes(s) -> bytes:
    """The bytes of a PDF string as pypdf read it (a TextStringObject keeps its original bytes)."""
    return bytes(getattr(s, "original_bytes", s))


def _runs(ids: list[int]) -> list[tuple[int, int]]:
    """Sorted ids as (first, count) runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for i in ids:
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    return runs


@functools.lru_cache(maxsize=16)
def _compressed(data: bytes) -> bytes:
    return zlib.compress(data, 9)


def _serialize(obj, out: io.BytesIO) -> None:
    if isinstance(obj, Stream):
        # Embedded font programs (/Length1) are nearly always the same bytes (the stamp's
        # first subset holds all of ASCII): compressed once per process. The rest is small.
        d = DictionaryObject(obj.dict)
        if not obj.compress:
            data = obj.data
        else:
            data = _compressed(obj.data) if "/Length1" in obj.dict else zlib.compress(obj.data, 6)
            d[NameObject("/Filter")] = NameObject("/FlateDecode")
        d[NameObject("/Length")] = NumberObject(len(data))
        d.write_to_stream(out)
        out.write(b"\nstream\n")
        out.write(data)
        out.write(b"\nendstream")
    else:
        obj.write_to_stream(out)


_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_XREF_TABLE = re.compile(rb"xref\s")
_XREF_STREAM = re.compile(rb"\d+\s+\d+\s+obj\s*<<(?:(?!>>).)*?/Type\s*/XRef", re.S)


def _last_xref(pdf: bytes) -> tuple[int, bool] | None:
    """(offset, is_stream) of the last cross-reference section, if the file's end is well formed."""
    m = _STARTXREF.search(pdf[-1024:])
    if m is None:
        return None
    off = int(m.group(1))
    if off <= 0 or off >= len(pdf):
        return None
    if _XREF_TABLE.match(pdf, off):
        return off, False
    if _XREF_STREAM.match(pdf[off:off + 4096]):
        return off, True
    return None
