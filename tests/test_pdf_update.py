"""service.letters.pdf_update, the one way Pulang changes a finished PDF: read back with
pypdf (strict) and checked by qpdf. The stamp's own tests (tests/test_stamp.py) cover it
on real LibreOffice PDF/A files; these cover what the stamp does not use: the catalog,
the information dictionary, a file without one, chained updates, and the merged print
job's bookmarks."""

import io
import shutil
import subprocess

import pytest
import pypdfium2 as pdfium
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

from service.ceremonies.merge import Merger, page_refs
from service.letters.pdf_update import Stream, Update
from tests.test_stamp import assert_valid, reportlab_pdf


def last_section(pdf: bytes) -> bytes:
    """The bytes of the last cross-reference section (from its startxref offset)."""
    offset = int(pdf[pdf.rindex(b"startxref") + 9:].split()[0])
    return pdf[offset:offset + 200]


def test_info_and_catalog_are_replaced_and_the_original_kept():
    src = reportlab_pdf(2)
    up = Update(src)
    producer = PdfReader(io.BytesIO(src)).metadata.producer
    up.info()[NameObject("/Title")] = TextStringObject("Surat pernyataan")
    up.catalog()[NameObject("/PageMode")] = NameObject("/UseNone")
    assert up.catalog() is up.catalog()  # one copy, however often asked for
    out = up.write()

    assert out.startswith(src) and out.count(b"%%EOF") == src.count(b"%%EOF") + 1
    assert_valid(out, 2, src)
    reader = PdfReader(io.BytesIO(out), strict=True)
    assert reader.metadata.title == "Surat pernyataan"
    assert reader.metadata.producer == producer  # the rest of /Info is kept
    assert reader.trailer["/Root"]["/PageMode"] == "/UseNone"
    assert "Surat uji halaman 2 dari 2" in reader.pages[1].extract_text()


def bare_pdf() -> bytes:
    """One empty page, no /Info, no /ID: the least a PDF can be."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << >> >>"]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 4\n0000000000 65535 f\r\n"
    out += b"".join(b"%010d 00000 n\r\n" % o for o in offsets)
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def test_a_file_without_info_gets_one():
    src = bare_pdf()
    assert "/Info" not in PdfReader(io.BytesIO(src), strict=True).trailer

    up = Update(src)
    up.info()[NameObject("/Title")] = TextStringObject("Kosong")
    out = up.write()
    reader = PdfReader(io.BytesIO(out), strict=True)
    assert reader.metadata.title == "Kosong"
    assert_valid(out, 1, src)


def test_updates_chain_and_new_objects_resolve():
    src = reportlab_pdf(1)
    first = Update(src)
    note = first.add(Stream(DictionaryObject(), b"catatan pertama"))
    first.catalog()[NameObject("/PulangNote")] = note
    assert first.resolve(note).data == b"catatan pertama"
    once = first.write()

    second = Update(once)
    second.info()[NameObject("/Title")] = TextStringObject("Dua kali")
    twice = second.write()

    assert twice.startswith(once) and once.startswith(src)
    reader = PdfReader(io.BytesIO(twice), strict=True)
    assert reader.trailer["/Root"]["/PulangNote"].get_data() == b"catatan pertama"
    assert reader.metadata.title == "Dua kali"
    assert b"/Prev %d" % int(once[once.rindex(b"startxref") + 9:].split()[0]) in twice[len(once):]
    assert_valid(twice, 1, src)


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf makes the cross-reference-stream input")
def test_after_a_cross_reference_stream_the_update_is_a_stream(tmp_path):
    plain, packed = tmp_path / "plain.pdf", tmp_path / "packed.pdf"
    plain.write_bytes(reportlab_pdf(2))
    subprocess.run(["qpdf", "--object-streams=generate", str(plain), str(packed)], check=True)
    src = packed.read_bytes()
    up = Update(src)
    up.info()[NameObject("/Title")] = TextStringObject("Aliran")
    out = up.write()
    assert b"/XRef" in last_section(out)  # never a table after a stream
    assert PdfReader(io.BytesIO(out), strict=True).metadata.title == "Aliran"
    assert_valid(out, 2, src)


def test_merged_pdf_carries_its_bookmarks():
    merger = Merger()
    try:
        firsts = [merger.add(reportlab_pdf(pages)) for pages in (1, 2, 1)]
        merger.blank()
    except BaseException:
        merger.close()
        raise
    woman = merger.mark("Sulastri", firsts[0])
    merger.mark("Surat pernyataan", firsts[0], woman)
    merger.mark("Berita acara", firsts[1], woman)
    merger.mark("Daftar penerima", firsts[2])
    out = merger.write()

    reader = PdfReader(io.BytesIO(out), strict=True)
    assert len(reader.pages) == 5
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [(i.title, reader.get_destination_page_number(i)) for i in top] == \
        [("Sulastri", 0), ("Daftar penerima", 3)]
    kids = reader.outline[1]
    assert [(k.title, reader.get_destination_page_number(k)) for k in kids] == \
        [("Surat pernyataan", 0), ("Berita acara", 1)]
    assert reader.trailer["/Root"]["/PageMode"] == "/UseOutlines"
    assert out.count(b"%%EOF") == 2  # pdfium's file, then the bookmarks' update
    assert_valid(out, 5, reportlab_pdf(1))


def test_page_refs_reads_a_flat_tree_and_walks_any_other():
    """The merged print's bookmarks need every page's reference: pdfium's flat tree is
    read from its root node alone, a nested tree (pypdf writes one) the long way, and
    both give the pages in order."""
    merger = Merger()
    for size in (1, 3, 2):
        one = PdfWriter()
        for _ in range(size):
            one.add_blank_page(595, 842)
        out = io.BytesIO()
        one.write(out)
        merger.add(out.getvalue())
    merger.blank()
    pdf = io.BytesIO()
    merger._doc.save(pdf)
    merger.close()
    flat = pdf.getvalue()
    reader = PdfReader(io.BytesIO(flat))
    assert page_refs(reader, flat) == [p.indirect_reference for p in reader.pages]
    assert len(page_refs(reader, flat)) == 7

    # A tree with an intermediate node holding one page: as many kids as pages at the
    # root, but the node's bytes hold /Kids, so the tree is walked.
    nested = PdfWriter()
    for _ in range(2):
        nested.add_blank_page(595, 842)
    root = nested._root_object["/Pages"]
    kids = root["/Kids"]
    node = DictionaryObject({NameObject("/Type"): NameObject("/Pages"),
                             NameObject("/Kids"): ArrayObject(kids[1:]),
                             NameObject("/Count"): NumberObject(1),
                             NameObject("/Parent"): root.indirect_reference})
    node_ref = nested._add_object(node)
    for kid in kids[1:]:
        kid.get_object()[NameObject("/Parent")] = node_ref
    root[NameObject("/Kids")] = ArrayObject([kids[0], node_ref])
    out = io.BytesIO()
    nested.write(out)
    data = out.getvalue()
    reader = PdfReader(io.BytesIO(data))
    refs = page_refs(reader, data)
    assert refs == [p.indirect_reference for p in reader.pages]
    assert len(refs) == 2 and node_ref.idnum not in [r.idnum for r in refs]
    assert len(pdfium.PdfDocument(data)) == 2


def test_names_are_written_as_pypdf_writes_them():
    """pdf_update remembers each name's bytes (pypdf's renumber is a per-character loop):
    the same bytes as pypdf's own, escapes and all, the first time and from memory."""
    from service.letters import pdf_update

    names = ["/Type", "/pulangR12", "/A#B", "/With Space", "/(x)[y]", "/Ünï", "/Tab\there",
             "/BAAAAA+LiberationSans-Bold", "/%comment"]
    for name in names:
        expected = pdf_update._RENUMBER(NameObject(name))
        assert NameObject(name).renumber() == expected
        assert NameObject(name).renumber() == expected  # now remembered
        out = io.BytesIO()
        NameObject(name).write_to_stream(out)
        assert out.getvalue() == expected
    assert NameObject("/With Space").renumber() == b"/With#20Space"
    assert NameObject("/Ünï").renumber() == b"/#C3#9Cn#C3#AF"


def test_names_remembered_are_bounded(monkeypatch):
    """A hostile file's endless made-up names do not grow the memory past its bound."""
    from service.letters import pdf_update

    monkeypatch.setattr(pdf_update, "_NAME_BYTES", {})
    monkeypatch.setattr(pdf_update, "_NAME_BYTES_MAX", 10)
    for i in range(50):
        assert NameObject(f"/N{i}").renumber() == f"/N{i}".encode()
    assert len(pdf_update._NAME_BYTES) == 10
