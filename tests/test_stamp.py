"""service.letters.stamp on real files: reportlab-made PDFs and real LibreOffice PDF/A-2b output,
checked with the tools a person would use (pdftotext, pdftoppm + zbarimg, qpdf, pdffonts).

Needs Debian's poppler-utils, zbar-tools, libreoffice-writer (soffice) and fonts-liberation2;
qpdf is used when installed.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject, NumberObject
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from service.letters.stamp import BAND, StampError, page_count, stamp_many, stamp_pdf, void_pdf

NUMBER = "460/013/DINSOS/VII/2024"
URL = "https://pulang.dinsos.example.go.id/v/q7Xk2mP9vR4tB8nL3wZ5"
PDFA_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'

for tool, package in [("pdftotext", "poppler-utils"), ("pdftoppm", "poppler-utils"),
                      ("pdffonts", "poppler-utils"), ("zbarimg", "zbar-tools")]:
    if shutil.which(tool) is None:  # fail loudly: a skipped check would hide a missing install
        raise RuntimeError(f"{tool} is needed by tests/test_stamp.py: apt-get install {package}")


# --- helpers ------------------------------------------------------------------------------


def pdftotext(pdf: bytes, *args: str) -> str:
    out = subprocess.run(["pdftotext", *args, "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def page_text(pdf: bytes, page: int) -> str:
    return pdftotext(pdf, "-f", str(page), "-l", str(page))


def words(text: str) -> str:
    return " ".join(text.split())


def decode_qr(pdf: bytes, tmp_path: Path, page: int = 1, dpi: int = 200) -> list[str]:
    pdf_path = tmp_path / f"qr-{page}-{dpi}.pdf"
    pdf_path.write_bytes(pdf)
    prefix = tmp_path / f"qr-{page}-{dpi}"
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-f", str(page), "-l", str(page),
                    "-singlefile", str(pdf_path), str(prefix)], check=True)
    out = subprocess.run(["zbarimg", "--raw", "-q", f"{prefix}.png"], capture_output=True)
    return [line for line in out.stdout.decode("utf-8").splitlines() if line]


def word_boxes(pdf: bytes, page: int) -> tuple[float, float, list[tuple[str, float, float, float, float]]]:
    """Words of one page with their boxes, in displayed coordinates (y down), via pdftotext -bbox."""
    html = pdftotext(pdf, "-bbox", "-f", str(page), "-l", str(page))
    m = re.search(r'<page width="([\d.]+)" height="([\d.]+)">', html)
    assert m, html
    boxes = [
        (w, float(x0), float(y0), float(x1), float(y1))
        for x0, y0, x1, y1, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', html
        )
    ]
    return float(m.group(1)), float(m.group(2)), boxes


def fonts(pdf: bytes) -> list[list[str]]:
    """pdffonts' rows: name, type…, encoding, emb, sub, uni, object, generation."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        out = subprocess.run(["pdffonts", f.name], capture_output=True, check=True).stdout.decode()
    return [line.split() for line in out.splitlines()[2:]]


def unembedded(pdf: bytes) -> set[str]:
    return {row[0] for row in fonts(pdf) if row[-5] != "yes"}


def assert_valid(pdf: bytes, pages: int, src: bytes) -> None:
    """pypdf reads it strictly, qpdf finds nothing wrong, and every font it adds is embedded."""
    reader = PdfReader(io.BytesIO(pdf), strict=True)
    assert len(reader.pages) == pages
    for p in reader.pages:  # every content stream and resource resolves
        p.get_contents()
        p["/Resources"].get_object()
    if shutil.which("qpdf"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(pdf)
            f.flush()
            out = subprocess.run(["qpdf", "--check", f.name], capture_output=True)
        text = (out.stdout + out.stderr).decode()
        assert out.returncode == 0, text
        assert "No syntax or stream encoding errors" in text, text
        assert "WARNING" not in text.upper(), text
    assert unembedded(pdf) == unembedded(src)  # PDF/A: the stamp's fonts are embedded


def reportlab_pdf(pages: int, *, rotate: int = 0, messy_state: bool = False) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for i in range(1, pages + 1):
        c.setFont("Times-Roman", 12)
        c.drawString(72, 760, f"Surat uji halaman {i} dari {pages}")
        c.drawString(72, 740, "Demikian surat pernyataan ini saya buat dengan sebenarnya.")
        if messy_state:
            # Content that ends with its graphics state changed (no q/Q): scaled, moved up,
            # filling red. Without the q…Q wrap the stamp would land scaled and off the page.
            c.addLiteral("3 0 0 3 100 400 cm 1 0 0 rg 0 0 20 20 re f")
        c.showPage()
    c.save()
    pdf = buf.getvalue()
    if not rotate:
        return pdf
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    for page in writer.pages:
        page[NameObject("/Rotate")] = NumberObject(rotate)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- LibreOffice fixtures ------------------------------------------------------------------


def _letter_docx(path: Path, *, pages: int, seq: int) -> None:
    import docx
    from docx.shared import Cm

    d = docx.Document()
    s = d.sections[0]
    s.page_width, s.page_height = Cm(21), Cm(29.7)
    s.top_margin, s.bottom_margin = Cm(2.5), Cm(3)  # the templates keep the bottom 3 cm free
    s.left_margin, s.right_margin = Cm(2.5), Cm(2)
    for p in range(1, pages + 1):
        # Shaped like a pledge letter (a tagged PDF gets a structure element per paragraph and
        # table cell), and fitting one page above the free bottom band.
        d.add_paragraph("SURAT PERNYATAAN")
        d.add_paragraph(f"Lembar {p} dari {pages}, surat uji {seq:03d}.")
        d.add_paragraph("Yang bertanda tangan di bawah ini:")
        table = d.add_table(rows=4, cols=2)
        for row, (key, value) in zip(table.rows, [("Nama", "Contoh Penerima"), ("NIK", "-"),
                                                  ("Tempat/Tgl. Lahir", "Jambi, 1 Januari 1990"),
                                                  ("Alamat Asal", "Kota Jambi")]):
            row.cells[0].text, row.cells[1].text = key, value
        for k in range(1, 9):
            d.add_paragraph(f"{k}. Saya akan mengikuti bimbingan dan pembinaan dari Dinas Sosial.")
        d.add_paragraph(
            "Demikian surat pernyataan ini saya buat dengan sebenarnya tanpa paksaan dari pihak manapun."
        )
        if p < pages:
            d.add_page_break()
    d.save(str(path))


@pytest.fixture(scope="session")
def lo_pdfs(tmp_path_factory) -> dict[str, bytes]:
    """Real LibreOffice PDF/A-2b files, converted in one soffice call with an isolated profile:
    "one" (1 page) and "three" (3 pages). (Stamping's speed is measured by
    bench/stamp_bench.py, not here.)"""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise RuntimeError("soffice is needed by tests/test_stamp.py: apt-get install libreoffice-writer")
    src = tmp_path_factory.mktemp("lo-src")
    out = tmp_path_factory.mktemp("lo-out")
    profile = tmp_path_factory.mktemp("lo-profile")
    names = {"one": 1, "three": 3}
    for seq, (name, pages) in enumerate(names.items()):
        _letter_docx(src / f"{name}.docx", pages=pages, seq=seq)
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", PDFA_FILTER, "--outdir", str(out), *sorted(str(p) for p in src.glob("*.docx"))],
        check=True, capture_output=True, timeout=300,
    )
    pdfs = {name: (out / f"{name}.pdf").read_bytes() for name in names}
    assert b"pdfaid" in pdfs["one"]  # really PDF/A
    return pdfs


# --- stamp_pdf ------------------------------------------------------------------------------


def test_three_reportlab_pages_carry_number_and_page_numbers(tmp_path):
    src = reportlab_pdf(3)
    out, n = stamp_pdf(src, number=NUMBER, verify_url=URL)
    assert n == 3
    assert_valid(out, 3, src)
    text = pdftotext(out)
    for i in (1, 2, 3):
        assert f"Surat uji halaman {i} dari 3" in text
        page = words(page_text(out, i))
        assert f"Nomor: {NUMBER}" in page
        assert f"Hal. {i}/3" in page
        assert "Pindai untuk verifikasi" in page
    assert "Demikian surat pernyataan ini saya buat dengan sebenarnya." in text
    assert decode_qr(out, tmp_path, page=1) == [f"{URL}/1"]
    assert decode_qr(out, tmp_path, page=3) == [f"{URL}/3"]


def test_many_letters_stamped_together_each_get_their_own_stamp(tmp_path):
    """stamp_many (a print job's letters, one overlay document for the group): each
    letter carries its own number, its own "Hal. i/n" and its own QR, as stamp_pdf gives."""
    letters = [(reportlab_pdf(3), {"number": "400/001/DINSOS/2026", "verify_url": URL + "a"}),
               (reportlab_pdf(1), {"number": "400/002/DINSOS/2026", "verify_url": URL + "b",
                                   "first_page_number": False}),
               (reportlab_pdf(2), {"number": "400/003/DINSOS/2026", "verify_url": URL + "c"})]
    together = stamp_many(letters)
    assert [n for _, n in together] == [3, 1, 2]
    for (src, options), (out, n) in zip(letters, together):
        alone, _ = stamp_pdf(src, **options)
        assert_valid(out, n, src)
        assert [page_text(out, i) for i in range(1, n + 1)] == \
            [page_text(alone, i) for i in range(1, n + 1)]
        for i in range(1, n + 1):
            page = words(page_text(out, i))
            assert f"Nomor: {options['number']}" in page
            assert (f"Hal. {i}/{n}" in page) == (i > 1 or options.get("first_page_number", True))
        assert decode_qr(out, tmp_path, page=n) == [f"{options['verify_url']}/{n}"]


def test_one_reportlab_page(tmp_path):
    src = reportlab_pdf(1)
    out, n = stamp_pdf(src, number=NUMBER, verify_url=URL, label="No.")
    assert n == 1 == page_count(out)
    assert_valid(out, 1, src)
    text = words(pdftotext(out))
    assert f"No.: {NUMBER}" in text and "Hal. 1/1" in text
    assert decode_qr(out, tmp_path) == [f"{URL}/1"]


def test_stamp_sits_in_the_bottom_band(tmp_path):
    out, _ = stamp_pdf(reportlab_pdf(1), number=NUMBER, verify_url=URL)
    width, height, boxes = word_boxes(out, 1)
    stamp_words = [b for b in boxes if b[0] in ("Nomor:", NUMBER, "Hal.", "1/1", "Pindai", "verifikasi")]
    assert len(stamp_words) == 6
    for word, x0, y0, x1, y1 in stamp_words:
        assert y0 > height - BAND and y1 < height - 0.4 * 72 / 2.54, word  # inside band, printable
        assert 0.5 * 72 / 2.54 < x0 < x1 < width - 0.5 * 72 / 2.54, word
    number_box = next(b for b in boxes if b[0] == NUMBER)
    page_box = next(b for b in boxes if b[0] == "1/1")
    assert number_box[3] < page_box[1]  # number at the left, page number to its right


def test_libreoffice_pdfa_one_page(lo_pdfs, tmp_path):
    src = lo_pdfs["one"]
    out, n = stamp_pdf(src, number=NUMBER, verify_url=URL)
    assert n == 1
    assert_valid(out, 1, src)
    text = words(pdftotext(out))
    assert words(pdftotext(src)) in text  # the original text layer, whole and in order
    assert f"Nomor: {NUMBER}" in text and "Hal. 1/1" in text
    assert decode_qr(out, tmp_path) == [f"{URL}/1"]
    # Still what LibreOffice made: header, PDF/A identification, output intent, metadata.
    r_src, r_out = PdfReader(io.BytesIO(src)), PdfReader(io.BytesIO(out))
    assert out[:8] == src[:8]
    root = r_out.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>2</pdfaid:part>" in xmp
    assert xmp == r_src.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert "/OutputIntents" in root and "/StructTreeRoot" in root
    assert r_out.metadata.producer == r_src.metadata.producer  # Info stays in step with XMP
    assert r_out.trailer["/ID"][0] == r_src.trailer["/ID"][0]


def test_libreoffice_pdfa_three_pages(lo_pdfs, tmp_path):
    src = lo_pdfs["three"]
    out, n = stamp_pdf(src, number=NUMBER, verify_url=URL)
    assert n == 3 == page_count(src) == page_count(out)
    assert_valid(out, 3, src)
    for i in (1, 2, 3):
        page = words(page_text(out, i))
        assert page.startswith(words(page_text(src, i)))  # the original page's text, whole
        assert f"Lembar {i} dari 3" in page
        assert f"Nomor: {NUMBER}" in page and f"Hal. {i}/3" in page
    assert "Hal. 1/3" in pdftotext(out) and "Hal. 3/3" in pdftotext(out)
    assert decode_qr(out, tmp_path, page=1) == [f"{URL}/1"]


def test_original_content_streams_are_kept_byte_for_byte(lo_pdfs):
    src = lo_pdfs["three"]
    out, _ = stamp_pdf(src, number=NUMBER, verify_url=URL)
    for p_src, p_out in zip(PdfReader(io.BytesIO(src)).pages, PdfReader(io.BytesIO(out)).pages):
        streams = [s.get_object() for s in p_out.raw_get("/Contents")]
        assert streams[0].get_data().strip() == b"q"
        original = p_src["/Contents"].get_object()
        originals = original if isinstance(original, list) else [original]
        assert [s.get_object()._data for s in originals] == [s._data for s in streams[1:-1]]
        tail = streams[-1].get_data()
        assert tail.lstrip().startswith(b"Q") and b"/Artifact" in tail and b" Do " in tail


def test_a_second_engine_reads_it_too(lo_pdfs, tmp_path):
    """PDFium (Chrome's engine, via pypdfium2) renders and reads the updated file as poppler does."""
    import pypdfium2 as pdfium

    voided = void_pdf(stamp_pdf(lo_pdfs["three"], number=NUMBER, verify_url=URL)[0])
    doc = pdfium.PdfDocument(voided)
    assert len(doc) == 3
    page = doc[2]
    text = words(page.get_textpage().get_text_range())
    assert "Lembar 3 dari 3" in text and f"Nomor: {NUMBER}" in text and "Hal. 3/3" in text
    assert "BATAL" in text
    page.render(scale=200 / 72).to_pil().save(tmp_path / "pdfium.png")
    out = subprocess.run(["zbarimg", "--raw", "-q", str(tmp_path / "pdfium.png")], capture_output=True)
    assert out.stdout.decode().split() == [f"{URL}/3"]
    doc.close()


def test_output_is_the_original_plus_an_incremental_update(lo_pdfs):
    src = lo_pdfs["one"]
    out, _ = stamp_pdf(src, number=NUMBER, verify_url=URL)
    assert out.startswith(src)  # the original, byte for byte; its hash still verifies the prefix
    assert out.count(b"%%EOF") == src.count(b"%%EOF") + 1
    voided = void_pdf(out)
    assert voided.startswith(out)


@pytest.mark.skipif(shutil.which("qpdf") is None, reason="qpdf makes the cross-reference-stream input")
def test_input_with_cross_reference_streams(tmp_path):
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(reportlab_pdf(3))
    packed = tmp_path / "packed.pdf"
    subprocess.run(["qpdf", "--object-streams=generate", str(plain), str(packed)], check=True)
    src = packed.read_bytes()
    assert b"/XRef" in src and b"/ObjStm" in src
    out, n = stamp_pdf(src, number=NUMBER, verify_url=URL)
    assert n == 3 and out.startswith(src)
    assert_valid(out, 3, src)
    assert "Hal. 3/3" in page_text(out, 3) and "Surat uji halaman 3 dari 3" in page_text(out, 3)
    assert decode_qr(out, tmp_path) == [f"{URL}/1"]


def test_malformed_end_of_file_is_rewritten_first(tmp_path):
    good = reportlab_pdf(2)
    at = good.rindex(b"startxref")
    broken = good[:at] + b"startxref\n123\n%%EOF\n"  # points nowhere: pypdf repairs when reading
    out, n = stamp_pdf(broken, number=NUMBER, verify_url=URL)
    assert n == 2
    assert_valid(out, 2, good)
    assert "Hal. 2/2" in page_text(out, 2) and "Surat uji halaman 2 dari 2" in page_text(out, 2)


def test_inherited_page_attributes(tmp_path):
    """/Resources, /MediaBox and /Rotate given once on the page tree, not on the pages, the
    last two as indirect objects."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(reportlab_pdf(2))))
    tree = writer.root_object["/Pages"].get_object()
    first = writer.pages[0]
    tree[NameObject("/Resources")] = first["/Resources"]
    tree[NameObject("/MediaBox")] = writer._add_object(first["/MediaBox"])  # and indirect
    tree[NameObject("/Rotate")] = writer._add_object(NumberObject(90))
    for page in writer.pages:
        for key in ("/Resources", "/MediaBox", "/Rotate"):
            if key in page:
                del page[key]
    buf = io.BytesIO()
    writer.write(buf)
    src = buf.getvalue()
    out, _ = stamp_pdf(src, number=NUMBER, verify_url=URL)
    assert_valid(out, 2, src)
    for i in (1, 2):
        text = page_text(out, i)
        assert f"Surat uji halaman {i} dari 2" in text and f"Hal. {i}/2" in text
    width, _h, boxes = word_boxes(out, 2)
    hal = next(b for b in boxes if b[0] == "2/2")
    assert hal[2] > width - BAND  # at the bottom of the page as shown (landscape)
    assert decode_qr(out, tmp_path, page=2) == [f"{URL}/2"]


def test_original_graphics_state_cannot_leak_into_the_stamp(tmp_path):
    src = reportlab_pdf(1, messy_state=True)
    out, _ = stamp_pdf(src, number=NUMBER, verify_url=URL)
    assert_valid(out, 1, src)
    _w, height, boxes = word_boxes(out, 1)
    hal = next(b for b in boxes if b[0] == "Hal.")
    assert hal[2] > height - BAND
    assert decode_qr(out, tmp_path) == [f"{URL}/1"]


@pytest.mark.parametrize("rotate", [90, 270])
def test_rotated_pages_are_stamped_at_the_displayed_bottom(rotate, tmp_path):
    src = reportlab_pdf(2, rotate=rotate)
    out, _ = stamp_pdf(src, number=NUMBER, verify_url=URL)
    assert_valid(out, 2, src)
    width, _height, boxes = word_boxes(out, 2)
    shown_height = width  # pdftotext gives the unrotated page size, but displayed word boxes
    assert max(b[3] for b in boxes) > width  # so the page is shown landscape
    hal = next(b for b in boxes if b[0] == "2/2")
    assert hal[2] > shown_height - BAND and hal[3] - hal[1] > hal[4] - hal[2]  # low, and upright
    body = next(b for b in boxes if b[0] == "Surat")
    assert body[4] - body[2] > body[3] - body[1]  # while the page's own text runs sideways
    assert decode_qr(out, tmp_path, page=2) == [f"{URL}/2"]


def test_the_stamp_adds_only_number_page_and_caption():
    """Privacy: the stamp's text layer is exactly the number, the page numbers and the caption."""
    src = reportlab_pdf(2)
    out, _ = stamp_pdf(src, number=NUMBER, verify_url=URL)
    before, after = pdftotext(src).split(), pdftotext(out).split()
    added = list(after)
    for w in before:
        added.remove(w)
    assert sorted(added) == sorted(
        ["Nomor:", NUMBER, "Hal.", "1/2", "Pindai", "untuk", "verifikasi",
         "Nomor:", NUMBER, "Hal.", "2/2", "Pindai", "untuk", "verifikasi"]
    )
    assert URL.encode() not in out  # the URL lives only in the QR's modules, not as a link or text


def _subset_fonts(pdf: bytes) -> dict[str, set[bytes]]:
    """BaseFont name → the font programs embedded under that name (fonts of the pages and of
    their Form XObjects)."""
    found: dict[str, set[bytes]] = {}

    def walk(res, seen):
        res = res.get_object()
        for font in (res.get("/Font") or {}).values():
            font = font.get_object()
            desc = font.get("/FontDescriptor")
            if desc is not None and "/FontFile2" in desc.get_object():
                data = desc.get_object()["/FontFile2"].get_object().get_data()
                found.setdefault(str(font["/BaseFont"])[1:], set()).add(hashlib.sha256(data).digest())
        for xo in (res.get("/XObject") or {}).values():
            if xo.idnum not in seen and "/Resources" in xo.get_object():
                seen.add(xo.idnum)
                walk(xo.get_object()["/Resources"], seen)

    for page in PdfReader(io.BytesIO(pdf)).pages:
        walk(page["/Resources"], set())
    return found


def test_font_subsets_are_named_by_their_content(lo_pdfs):
    """reportlab names its subsets "AAAAAA+…", "AAAAAB+…" in every document, as LibreOffice
    numbers its own: the stamp's subsets are renamed by a hash of the font program, so two
    different subsets never share a name."""
    once, _ = stamp_pdf(lo_pdfs["one"], number=NUMBER, verify_url=URL)
    # Non-ASCII characters make reportlab open a second subset.
    twice, _ = stamp_pdf(once, number="460/014/DINSOS/VII/2024 – ralat №2", verify_url=URL)
    voided = void_pdf(twice)
    names = _subset_fonts(voided)
    ours = [n for n in names if "Liberation" in n or "DejaVu" in n]
    # Regular ASCII (reportlab's first subset always holds all of ASCII, so both stamps share
    # it, rightly under one name), regular extra (– №), and the watermark's bold.
    assert len(ours) == 3, names
    assert not any(n.startswith(("AAAAAA+", "AAAAAB+")) for n in ours), ours
    for name, programs in names.items():
        assert len(programs) == 1, name  # one name, one font program
    assert "ralat №2" in pdftotext(voided)
    assert_valid(voided, 1, lo_pdfs["one"])
    again, _ = stamp_pdf(lo_pdfs["one"], number=NUMBER, verify_url=URL)
    assert _subset_fonts(again) == _subset_fonts(once)  # deterministic


def test_bad_input_is_refused():
    with pytest.raises(StampError):
        stamp_pdf(b"not a pdf", number=NUMBER, verify_url=URL)
    with pytest.raises(StampError):
        stamp_pdf(reportlab_pdf(1), number="  ", verify_url=URL)
    with pytest.raises(StampError):
        stamp_pdf(reportlab_pdf(1), number=NUMBER, verify_url="javascript:alert(1)")
    with pytest.raises(StampError):
        stamp_pdf(reportlab_pdf(1), number=NUMBER, verify_url="https://x.example/" + "a" * 200)
    with pytest.raises(StampError):
        void_pdf(b"%PDF-1.4 truncated")
    with pytest.raises(StampError):
        page_count(b"")


def test_long_numbers_still_fit_beside_the_page_number():
    long_number = "460/0137/DINSOS-PEMBERDAYAAN-SOSIAL/REHSOS/VII/2024"
    out, _ = stamp_pdf(reportlab_pdf(1), number=long_number, verify_url=URL)
    _w, _h, boxes = word_boxes(out, 1)
    number_box = next(b for b in boxes if b[0] == long_number)
    hal_box = next(b for b in boxes if b[0] == "Hal.")
    assert number_box[3] < hal_box[1]


# --- void_pdf -------------------------------------------------------------------------------


def test_void_marks_every_page_and_keeps_the_text(lo_pdfs, tmp_path):
    stamped, _ = stamp_pdf(lo_pdfs["three"], number=NUMBER, verify_url=URL)
    voided = void_pdf(stamped)
    assert_valid(voided, 3, lo_pdfs["three"])
    for i in (1, 2, 3):
        page = page_text(voided, i)
        assert page.split().count("BATAL") == 1, page  # once, whole, not "BA" "T" "AL"
        assert f"Lembar {i} dari 3" in words(page) and f"Hal. {i}/3" in page
    for i in (1, 2, 3):
        assert words(page_text(stamped, i)) == words(page_text(voided, i).replace("BATAL", " "))
    assert decode_qr(voided, tmp_path) == [f"{URL}/1"]  # the watermark crosses the page, not the QR


def test_void_with_another_label():
    voided = void_pdf(reportlab_pdf(1), reason_label="DIGANTI")
    assert "DIGANTI" in pdftotext(voided).split()
    assert "Surat uji halaman 1 dari 1" in pdftotext(voided)


def test_void_is_semi_transparent_and_diagonal(tmp_path):
    voided = void_pdf(reportlab_pdf(1))
    src = tmp_path / "v.pdf"
    src.write_bytes(voided)
    subprocess.run(["pdftoppm", "-r", "30", "-png", "-singlefile", str(src), str(tmp_path / "v")], check=True)
    from PIL import Image

    img = Image.open(tmp_path / "v.png").convert("RGB")
    w, h = img.size
    # Light red: the watermark's red seen through its transparency on white paper (opaque,
    # it would be about (199, 13, 13)).
    reds = [(x, y) for y in range(h) for x in range(w)
            if (p := img.getpixel((x, y)))[0] > 220 and 150 < p[1] < 225 and abs(p[1] - p[2]) < 15]
    assert len(reds) > 0.03 * w * h  # large
    lower_left = sum(1 for x, y in reds if x < w / 3 and y > 2 * h / 3)
    upper_right = sum(1 for x, y in reds if x > 2 * w / 3 and y < h / 3)
    upper_left = sum(1 for x, y in reds if x < w / 3 and y < h / 3)
    assert lower_left > 0 and upper_right > 0 and upper_left < lower_left / 10  # ↗ diagonal


def test_each_page_has_its_own_qr_inside_the_band(tmp_path):
    """Issue 13: page i's QR holds the verify URL with /i, it reads at 150 dpi greyscale
    with the service's own reader, and neither it nor its white quiet zone reaches above
    the band (a page black down to the band's edge stays black there)."""
    from PIL import Image

    from service.scans import codes
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for _ in range(2):
        c.setFillGray(0)
        c.rect(0, BAND, A4[0], A4[1] - BAND, fill=1, stroke=0)
        c.showPage()
    c.save()
    out, _ = stamp_pdf(buf.getvalue(), number=NUMBER, verify_url=URL)
    (tmp_path / "p.pdf").write_bytes(out)
    subprocess.run(["pdftoppm", "-r", "150", "-gray", str(tmp_path / "p.pdf"), str(tmp_path / "p")], check=True)
    for i in (1, 2):
        image = Image.open(tmp_path / f"p-{i}.pgm")
        token = URL.rsplit("/", 1)[1]
        assert codes.read(image).codes == (codes.Code(token, i, 0),)
        assert decode_qr(out, tmp_path, page=i, dpi=150) == [f"{URL}/{i}"]
        above_band = round((A4[1] - BAND) * 150 / 72) - 2
        # (the last column is the page edge's partial pixel, white whatever is drawn)
        row = [image.getpixel((x, above_band)) for x in range(image.width // 2, image.width - 2)]
        assert max(row) < 60  # still the page's black: nothing painted over it
