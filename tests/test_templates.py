"""The default Word templates (templates/*.docx, built by tools.build_templates).

They must fill with the product's context under a strict renderer, print names exactly
as typed, say the letter number and the amounts in figures and words, lay out as the
office expects (A4, one page for a pledge or a receipt, a roster of 20 in two pages) and
leave the bottom 3 cm of every page empty for the stamp.
"""

import datetime as dt
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image
from pypdf import PdfReader

from service.letters.render import RenderError, render_docx
from service.letters.sample import (
    aid_item,
    case,
    case_document,
    ceremony_context,
    sample_case_context,
    sample_ceremony_context,
)
from service.records.formats import terbilang
from service.records.kinds import CASE_KINDS, CEREMONY_KINDS
from tools.build_templates import TEMPLATES, build_all

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_DIR = ROOT / "templates"
KINDS = CASE_KINDS + CEREMONY_KINDS

NAME = 'Siti & <Aminah> "Ina"'
CASE_NUMBER = "400/013/DINSOS/2024"
CEREMONY_NUMBER = "400/014/DINSOS/2024"
A4 = (595.3, 841.9)

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TAG = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}")

needs_office = pytest.mark.skipif(
    not (shutil.which("soffice") and shutil.which("pdftotext") and shutil.which("pdftoppm")),
    reason="needs LibreOffice and poppler-utils")


# --- contexts ------------------------------------------------------------------------

AID = [
    aid_item("business_capital", 3_000_000, "APBD Kota Jambi", "Modal usaha warung kelontong"),
    aid_item("ticket", 1_750_000, "APBD Kota Jambi", "Tiket bus ke Banyuwangi"),
    aid_item("living_allowance", 2_250_000, "APBD Kota Jambi", "Jatah hidup 3 bulan"),
]


def person(aid=AID, **changes) -> dict:
    """The sample woman under a name that needs escaping, with three aid items (APBD)."""
    found = case(NAME, "3510154506890003", "Banyuwangi", dt.date(1989, 6, 5),
                 "Dusun Krajan RT 002 RW 001, Desa Kedungringin, Kecamatan Muncar",
                 "Banyuwangi, Jawa Timur", "JMB-2024-0013", list(aid),
                 notes="Didampingi pekerja sosial sampai ke terminal.")
    found.update(changes)
    return found


def case_context(kind: str = "pledge", aid=AID) -> dict:
    return case_document(person(aid), kind)


ROSTER_NAMES = [
    NAME, "Sulastri", "Nur Hayati", "Siti Aminnah", "Maria Goreti Lawa", "Rina Marlina",
    "Dewi Lestari", "Yuliani", "Sri Wahyuni", "Ernawati", "Kartini", "Nurhasanah",
    "Fitriani", "Agustina Ndun", "Wartini", "Suryani", "Lilis Suryani",
    "Indah Permatasari", "Ratna Sari", "Yohana Bria",
]
REGIONS = ["Banyuwangi, Jawa Timur", "Surabaya, Jawa Timur", "Indramayu, Jawa Barat",
           "Kota Kupang, NTT", "Kota Jambi, Jambi"]


def roster_context() -> dict:
    """A ceremony of 20 women, the first with the hard name and NIK 1571...0001."""
    people = []
    for n, name in enumerate(ROSTER_NAMES):
        nik = "" if n == 3 else f"1571{n % 8 + 1:02d}{41 + n:02d}0{n % 9 + 1}9{n % 10}{n + 1:04d}"
        items = [
            aid_item("business_capital", 3_000_000, "APBD Kota Jambi"),
            aid_item("ticket", 1_500_000 if n % 2 else 2_000_000, "APBD Kota Jambi"),
            aid_item("kemensos_transfer", 2_250_000, "Kementerian Sosial RI"),
        ]
        people.append(case(name, nik, "Jambi", None, "", REGIONS[n % len(REGIONS)],
                           f"JMB-2024-{n + 1:04d}", items))
    return ceremony_context(people, number=CEREMONY_NUMBER)


def text_of(pdf: Path) -> str:
    out = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True,
                         text=True).stdout
    return " ".join(out.split())


# --- one LibreOffice run for every PDF the tests read ----------------------------------

@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    if not (shutil.which("soffice") and shutil.which("pdftotext")):
        pytest.skip("needs LibreOffice and poppler-utils")
    work = tmp_path_factory.mktemp("templates")
    jobs = {kind: case_context(kind) for kind in CASE_KINDS}
    jobs["transfer_receipt"] = case_context(
        "transfer_receipt", AID + [aid_item("kemensos_transfer", 5_050_000, "Kementerian Sosial RI")])
    jobs.update({kind: roster_context() for kind in CEREMONY_KINDS})
    # The amount in words of a thousands group of one: 1.001.000 is "satu juta seribu".
    jobs["aid_receipt_seribu"] = case_context(
        "aid_receipt", [aid_item("transport", 1_001_000, "APBD", "Transportasi")])
    docx = []
    for name, context in jobs.items():
        out = work / f"{name}.docx"
        render_docx(TEMPLATE_DIR / f"{name.split('_seribu')[0]}.docx", context, out)
        docx.append(out)
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(work / 'profile').as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(work), *map(str, docx)],
                   check=True, capture_output=True, timeout=600)
    result = {path.stem: path.with_suffix(".pdf") for path in docx}
    missing = [name for name, pdf in result.items() if not pdf.exists()]
    assert not missing, f"LibreOffice made no PDF for {missing}"
    return result


# --- the templates as files ----------------------------------------------------------

def test_the_templates_are_what_the_maker_builds(tmp_path):
    """templates/ is up to date with tools/build_templates.py, and building is
    deterministic (the same bytes, hence the same hash, every time)."""
    first = build_all(tmp_path / "a")
    second = build_all(tmp_path / "b")
    assert sorted(p.name for p in first) == sorted(TEMPLATES) == sorted(f"{k}.docx" for k in KINDS)
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes(), f"{a.name} is not deterministic"
        # Compare what is inside: another zlib may compress the same parts differently.
        assert docx_parts(TEMPLATE_DIR / a.name) == docx_parts(a), \
            f"templates/{a.name} is stale: run python -m tools.build_templates templates/"


def docx_parts(path: Path) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(path) as docx:
        return [(name, docx.read(name)) for name in docx.namelist()]


@pytest.mark.parametrize("kind", KINDS)
def test_no_tag_is_split_across_runs(kind):
    """Each Jinja tag sits inside one run, as Word shows it: docxtpl would otherwise have
    to guess, and an edit in Word could break it."""
    with zipfile.ZipFile(TEMPLATE_DIR / f"{kind}.docx") as docx:
        root = etree.fromstring(docx.read("word/document.xml"))
    tags = 0
    for paragraph in root.iter(f"{W}p"):
        runs = ["".join(t.text or "" for t in run.iter(f"{W}t"))
                for run in paragraph.iter(f"{W}r")]
        for run in runs:
            for opening, closing in (("{{", "}}"), ("{%", "%}")):
                assert run.count(opening) == run.count(closing), f"{kind}: split tag in {run!r}"
        for tag in TAG.findall("".join(runs)):
            tags += 1
            assert any(tag in run for run in runs), f"{kind}: {tag!r} spans several runs"
    assert tags > 10


def test_templates_are_plain_word_files():
    """Real tables and paragraphs only: no text boxes, frames or fields to trip a clerk."""
    for kind in KINDS:
        with zipfile.ZipFile(TEMPLATE_DIR / f"{kind}.docx") as docx:
            xml = docx.read("word/document.xml").decode()
        for thing in ("<w:txbxContent", "<w:framePr", "<v:textbox", "<w:fldSimple", "<wps:"):
            assert thing not in xml, f"{kind} contains {thing}"
        assert "<w:tbl>" in xml


# --- rendering -----------------------------------------------------------------------

def contexts_for(kind: str) -> list[dict]:
    """The sample context, and a sparse one (no NIK, no birth date, no aid, no notes)."""
    if kind in CASE_KINDS:
        sparse = case_document(case("Sulastri", "", "", None, "", "", "JMB-1", []), kind)
        return [sample_case_context(kind), sparse]
    sparse = ceremony_context([case("Sulastri", "", "", None, "", "", "JMB-1", [])])
    return [sample_ceremony_context(), sparse]


@pytest.mark.parametrize("kind", KINDS)
def test_every_template_renders_strictly(kind, tmp_path):
    """render_docx is strict (StrictUndefined): a template that renders uses no name
    outside the context contract, and leaves no tag behind."""
    for n, context in enumerate(contexts_for(kind)):
        out = tmp_path / f"{kind}-{n}.docx"
        render_docx(TEMPLATE_DIR / f"{kind}.docx", context, out)
        with zipfile.ZipFile(out) as docx:
            xml = docx.read("word/document.xml").decode()
        assert not TAG.search(xml), f"{kind}: a tag was left in the letter"
        assert "{{" not in xml and "{%" not in xml


@pytest.mark.parametrize("kind", KINDS)
def test_a_missing_value_is_an_error_not_a_blank(kind, tmp_path):
    context = contexts_for(kind)[0]
    del context["number"]
    with pytest.raises(RenderError):
        render_docx(TEMPLATE_DIR / f"{kind}.docx", context, tmp_path / "out.docx")



def test_a_line_break_in_a_value_is_a_line_break_in_the_letter(tmp_path):
    """An address typed on two lines keeps its break (docxtpl's listing step, which
    render.py skips only for a part with no tab, newline, \\a or \\f at all)."""
    def document_xml(context) -> str:
        out = tmp_path / "out.docx"
        render_docx(TEMPLATE_DIR / "pledge.docx", context, out)
        with zipfile.ZipFile(out) as docx:
            return docx.read("word/document.xml").decode()

    text_with_break = re.compile(r"<w:t[ >][^<]*[\t\n]")
    plain = document_xml(case_document(person(), "pledge"))
    broken = document_xml(case_document(
        person(origin_address="Dusun Krajan RT 002 RW 001\nDesa Kedungringin"), "pledge"))
    assert '</w:t><w:br/><w:t xml:space="preserve">Desa Kedungringin' in broken
    assert broken.count("<w:br/>") == plain.count("<w:br/>") + 1
    assert not text_with_break.search(plain) and not text_with_break.search(broken)

def test_the_logo_goes_in_the_letterhead(tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (60, 80), "darkgreen").save(logo)
    for kind in KINDS:
        out = tmp_path / f"{kind}.docx"
        render_docx(TEMPLATE_DIR / f"{kind}.docx", contexts_for(kind)[0], out, logo=logo)
        with zipfile.ZipFile(out) as docx:
            assert any(name.startswith("word/media/") for name in docx.namelist())
            assert "<w:drawing>" in docx.read("word/document.xml").decode()


# --- on paper ------------------------------------------------------------------------

SIGNED_HEAD = ["Dra. Hj. Rosmawati, M.Si.", "Pembina Utama Muda (IV/c)", "NIP. 19680512 199403 2 004"]
EXPECTED = {
    "pledge": [NAME, CASE_NUMBER, "SURAT PERNYATAAN", "Yang bertanda tangan di bawah ini:",
               "3510154506890003", "Banyuwangi, 5 Juni 1989",
               "Dengan ini menyatakan dengan sesungguhnya bahwa saya:",
               "Tidak akan kembali ke dalam praktik prostitusi atau eksploitasi seksual dalam "
               "bentuk apa pun dan di tempat mana pun;",
               "atas kemauan dan kesadaran saya sendiri", "modal usaha Rp3.000.000",
               "Demikian surat pernyataan ini saya buat dengan sebenarnya tanpa paksaan dari "
               "pihak mana pun.", "Jambi, 31 Juli 2024", "METERAI 10.000", "Saksi,",
               "Pekerja Sosial Ahli Pertama,", "Penata Muda (III/a)", "NIP. 19900315 201503 1 002",
               "Mengetahui,", *SIGNED_HEAD],
    "aid_receipt": [NAME, CASE_NUMBER, "KUITANSI",
                    "Sudah terima dari", "Bendahara Pengeluaran Dinas Sosial Kota Jambi",
                    "Uang sejumlah", "Rp7.000.000,00 (tujuh juta rupiah)",
                    "Modal usaha", "Tiket pulang", "Jatah hidup", "Rp3.000.000", "Rp1.750.000",
                    "Rp2.250.000", "Rp7.000.000", "Untuk pembayaran", "Yang menerima,",
                    "METERAI 10.000", "Setuju dibayar,", "Pengguna Anggaran,", "Lunas dibayar,",
                    "Bendahara Pengeluaran,", "Yuliana Sari, S.E.", "NIP. 19850722 201001 2 015",
                    *SIGNED_HEAD],
    "transfer_receipt": [NAME, CASE_NUMBER, "TANDA TERIMA BANTUAN",
                         "menyatakan telah menerima bantuan dari Kementerian Sosial RI yang "
                         "disalurkan melalui rekening atas nama saya sebesar Rp5.050.000,00 "
                         "(lima juta lima puluh ribu rupiah)", "Bantuan Kemensos",
                         "Yang menerima,", "METERAI 10.000", *SIGNED_HEAD],
    "aid_receipt_seribu": ["Rp1.001.000,00 (satu juta seribu rupiah)"],
    "release_report": [NAME, CASE_NUMBER, "BERITA ACARA PELEPASAN",
                       "Pada hari ini Rabu, tanggal tiga puluh satu bulan Juli tahun dua ribu dua "
                       "puluh empat, bertempat di Aula Rumah Dinas Wali Kota Jambi",
                       "Banyuwangi, Jawa Timur", "Rp3.000.000", "Penerima Manfaat,",
                       "Keterangan: Didampingi pekerja sosial sampai ke terminal.",
                       "Saksi,", "NIP. 19900315 201503 1 002", *SIGNED_HEAD],
    "aid_roster": [NAME, CEREMONY_NUMBER, "DAFTAR PENERIMA BANTUAN", "1571********0001",
                   "Modal Usaha", "Tiket Pulang", "Bantuan Kemensos", "Rp3.000.000", "JUMLAH",
                   "Bendahara Pengeluaran", "NIP. 19850722 201001 2 015", *SIGNED_HEAD],
    "ceremony_report": [NAME, CEREMONY_NUMBER, "BERITA ACARA PELEPASAN",
                        "Pada hari ini Rabu, tanggal tiga puluh satu bulan Juli tahun dua ribu "
                        "dua puluh empat, bertempat di", "Penjabat Wali Kota Jambi",
                        "sebanyak 20 (dua puluh) orang Penerima Manfaat", "Kota Kupang, NTT",
                        "Rp7.250.000", "Pejabat yang hadir", *SIGNED_HEAD],
}


@needs_office
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_letter_says_what_it_must(pdfs, name):
    text = text_of(pdfs[name])
    for phrase in EXPECTED[name]:
        assert phrase in text, f"{name}: {phrase!r} not in the PDF text"
    assert "{{" not in text and "{%" not in text and "&amp;" not in text


@needs_office
def test_terbilang_says_seribu(pdfs):
    assert "satu juta satu ribu" not in text_of(pdfs["aid_receipt_seribu"])


@needs_office
@pytest.mark.parametrize("kind", CEREMONY_KINDS)
def test_the_ceremony_lists_everyone_with_totals(pdfs, kind):
    context = roster_context()
    text = text_of(pdfs[kind])
    for name in ROSTER_NAMES:
        assert name in text
    grand_total = context["grand_total"]
    assert f"Rp{grand_total:,}".replace(",", ".") in text
    assert f"{terbilang(grand_total)} rupiah" in text


@needs_office
def test_the_roster_masks_every_nik(pdfs):
    text = text_of(pdfs["aid_roster"])
    for person in roster_context()["cases"]:
        if person["nik"]:
            assert person["nik"] not in text
            assert person["nik_masked"] in text


@needs_office
@pytest.mark.parametrize("kind", ["pledge", "aid_receipt", "transfer_receipt", "aid_receipt_seribu"])
def test_pledge_and_receipt_are_one_a4_page(pdfs, kind):
    reader = PdfReader(pdfs[kind])
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=1)


@needs_office
def test_a_roster_of_twenty_fits_two_landscape_pages(pdfs):
    reader = PdfReader(pdfs["aid_roster"])
    assert len(reader.pages) <= 2
    for page in reader.pages:
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A4[::-1], abs=1)


@needs_office
@pytest.mark.parametrize("kind", ["release_report", "ceremony_report"])
def test_reports_are_a4_portrait(pdfs, kind):
    for page in PdfReader(pdfs[kind]).pages:
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=1)


@needs_office
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_bottom_3_cm_stay_empty_for_the_stamp(pdfs, name, tmp_path):
    """Nothing (text, rule or table line) is printed in the bottom 3 cm of any page."""
    dpi = 50
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-png", str(pdfs[name]),
                    str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert pages
    for png in pages:
        image = Image.open(png).convert("L")
        strip = round((3.0 - 0.05) / 2.54 * dpi)  # 3 cm, less half a millimetre
        bottom = image.crop((0, image.height - strip, image.width, image.height))
        assert bottom.getextrema()[0] >= 250, f"{name}: {png.name} prints in the bottom 3 cm"
