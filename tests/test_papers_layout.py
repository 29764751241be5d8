"""The layout matrix (issue 11 item 2): no page holds only signatures, no list is cut at
its tail, and the stamp's band stays free of text, for every built-in paper over a
matrix of sizes: rosters and ceremony reports of 1 to 40 women, receipts of 1 to 8 aid
items, pledges and release reports likewise, with the longest names and addresses the
forms accept mixed in; on the default layout and on F4 in Arial 12 with wider margins.

Each kind's letters are rendered into ONE combined Word file, converted ONCE by the
session's LibreOffice pool and cut at their bookmarks (the print job's own path,
service/letters/combine.py and split.py), so the whole matrix costs a handful of
conversions. Pages are read back with pdfium.
"""

import datetime as dt
import io
from collections import Counter
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from service.letters import layout
from service.letters.combine import combined_template
from service.letters.pdftext import PDFIUM, page_texts
from service.letters.prepare import prepared
from service.letters.render import render_docx
from service.letters.sample import aid_item, case, case_document, ceremony_context, settings
from service.letters.split import split
from service.letters.stamp import BAND, stamp_pdf
from service.records import office
from service.records.kinds import AID_KINDS

pytestmark = pytest.mark.slow

# The longest values the forms and the API accept (records/cases.py, records/office.py).
LONG_NAME = 200
LONG_ADDRESS = 500
LONG_REGION = 100
LONG_DESCRIPTION = 200
LONG_SOURCE = 200

HEAD_NIP = "NIP. 19680512 199403 2 004"
# What only a signature block prints: the officials' NIPs (the office's and the
# ceremony's), the woman's signing lines.
SIGNATURE_MARKS = (HEAD_NIP, "NIP. 19850722 201001 2 015", "NIP. 19900315 201503 1 002",
                   "Yang menerima,", "Yang membuat pernyataan,",
                   "NIP. 19751120 200003 1 002", "NIP. 19720915 199803 1 004")


def _filler(token: str, length: int, word: str) -> str:
    """`token` then words to exactly `length` characters: a value as long as a form
    takes, findable by its token on whatever page it lands."""
    text = token
    while len(text) + len(word) + 1 <= length:
        text += " " + word
    rest = length - len(text)
    return text + (" " + word[:rest - 1] if rest > 1 else "x" * rest)


def woman(n: int, *, long: bool, items: list[dict]) -> dict:
    token = f"Pm{n:02d}"
    if long:
        name = _filler(token, LONG_NAME, "Nurhayati")
        address = _filler(f"Jl{n:02d}", LONG_ADDRESS, "Kelurahan")
        region = _filler("Kabupaten", LONG_REGION, "Timur")
    else:
        name, address, region = f"{token} Sulastri", f"Dusun Krajan RT {n:03d}", "Banyuwangi, Jawa Timur"
    return case(name, f"35101545068900{n % 100:02d}", "Banyuwangi", dt.date(1989, 6, 5), address,
                region, f"JMB-2024-{n:04d}", items,
                notes=_filler("Ket", 300, "didampingi") if long else "")


def items(count: int, *, long: bool, funds=("apbd",)) -> list[dict]:
    kinds = list(AID_KINDS)
    out = []
    for i in range(count):
        kind = kinds[i % len(kinds)]
        fund = "apbn" if kind == "kemensos_transfer" else funds[i % len(funds)]
        description = _filler(f"It{i + 1:02d}", LONG_DESCRIPTION if long else 40, "peralatan")
        source = _filler("APBD", LONG_SOURCE, "Kota") if long else "APBD Kota Jambi"
        out.append(aid_item(kind, 1_250_000 + 1000 * i, source, description, fund=fund))
    return out


def _tokens(entries: list[dict]) -> list[str]:
    return [e["description"].split()[0] for e in entries]


def _case_letters(kind: str, office_settings: dict, counts=range(1, 9)) -> list[tuple[dict, dict]]:
    """(context, its lists) for one woman's papers of 1 to 8 items, short and longest.
    Lists: `lists`, every list's tokens in order; `final`, what must share the page of
    the signatures (the list, or the statements, right above them)."""
    letters = []
    for count in counts:
        for long in (False, True):
            found = items(count, long=long)
            if kind == "transfer_receipt":
                found = [dict(i, fund="apbn") for i in found]
            person = woman(count, long=long, items=found)
            context = case_document(person, kind, number=f"400/{len(letters) + 1:03d}/DINSOS/2024",
                                    office_settings=office_settings)
            if kind == "pledge":
                final = ["Akan menggunakan bantuan", "Apabila di kemudian hari"]
                lists = [final]
            else:
                lists = [_tokens(context["aid_items"])]
                if kind == "aid_receipt" and context["receipt"]["listed_items"]:
                    lists.append(_tokens(context["receipt"]["listed_items"]))
                final = lists[-1]
            letters.append((context, {"lists": lists, "final": final}))
    return letters


def _ceremony_letters(kind: str, office_settings: dict, sizes=range(1, 41)) -> list[tuple[dict, dict]]:
    letters = []
    for size in sizes:
        women = [woman(n, long=n % 3 == 0, items=items(3 + n % 3, long=False)) for n in range(1, size + 1)]
        context = ceremony_context(women, office_settings=office_settings,
                                   number=f"400/{size:03d}/DINSOS/2024")
        names = [w["full_name"].split()[0] for w in women]
        if kind == "ceremony_report":
            kinds = [f"{c['no']}. {c['label']}" for c in context["aid_columns"]]
            letters.append((context, {"lists": [names, kinds], "final": kinds}))
        else:
            letters.append((context, {"lists": [names], "final": names}))
    return letters


def _plain(context: dict) -> dict:
    for name in ("office_logo", "unit_logo"):
        context.pop(name, None)
    return context


def _made(converter_pool, tmp_path, kind: str, letters, page_layout: dict):
    """Render `letters` of `kind` into one combined file, convert once, cut: the pieces."""
    contexts = [_plain(context) for context, _ in letters]
    ready = prepared(Path(f"templates/{kind}.docx"), page_layout, tmp_path / "cache")
    combined = combined_template(ready, sorted(contexts[0]), tmp_path / "cache")
    docx = tmp_path / f"{kind}.docx"
    render_docx(combined, {"records": contexts}, docx)
    pdf = tmp_path / f"{kind}.pdf"
    converter_pool.convert(docx, pdf, bookmarks=True)
    pieces = split(pdf.read_bytes(), [c["number"] for c in contexts])
    assert len(pieces) == len(contexts)
    return pieces


LAYOUTS = {
    "default": office.DEFAULTS["layout"],
    "f4-arial12": {**office.DEFAULTS["layout"], "paper": "F4", "font_size": 12,
                   "margin_left_cm": 3.5, "margin_top_cm": 2.5},
}
# The whole matrix on the default layout; on the other, the sizes around page breaks.
SIZES = {"default": (range(1, 41), range(1, 9)),
         "f4-arial12": ((1, 2, 3, 4, 6, 7, 8, 12, 19, 26, 40), (1, 3, 5, 8))}
KINDS = ("pledge", "aid_receipt", "transfer_receipt", "release_report", "aid_roster",
         "ceremony_report")


@pytest.fixture(scope="module", params=list(LAYOUTS))
def matrix(request, converter_pool, tmp_path_factory):
    """{kind: [(context, lists, piece)]} for one layout: every kind's letters made."""
    page_layout = LAYOUTS[request.param]
    sizes, counts = SIZES[request.param]
    office_settings = settings(layout=page_layout)
    work = tmp_path_factory.mktemp(f"matrix-{request.param}")
    made = {}
    for kind in KINDS:
        letters = (_ceremony_letters(kind, office_settings, sizes)
                   if kind in ("aid_roster", "ceremony_report")
                   else _case_letters(kind, office_settings, counts))
        pieces = _made(converter_pool, work, kind, letters, page_layout)
        made[kind] = [(context, lists, piece) for (context, lists), piece in zip(letters, pieces)]
    return request.param, made


def _pages(piece) -> list[str]:
    return [" ".join(text.split()) for text in page_texts(piece.pdf)]


def _page_of(pages: list[str], token: str) -> int:
    hits = [n for n, text in enumerate(pages) if token in text]
    assert hits, f"{token} is on no page"
    return hits[-1]


@pytest.mark.parametrize("kind", KINDS)
def test_no_page_holds_only_signatures(matrix, kind):
    """Every page with a signature block holds body text too: the last rows of the list
    right above the signatures (or the last statements of a pledge) are on it."""
    name, made = matrix
    for context, lists, piece in made[kind]:
        pages = _pages(piece)
        signed = [n for n, text in enumerate(pages) if any(mark in text for mark in SIGNATURE_MARKS)]
        assert signed, f"{name} {kind} {context['number']}: no signature block found"
        for n in signed:
            assert any(token in pages[n] for token in lists["final"]), (
                f"{name} {kind} {context['number']}: page {n + 1} of {len(pages)} holds "
                f"signatures without the body above them")


@pytest.mark.parametrize("kind", KINDS)
def test_no_list_is_cut_at_its_tail(matrix, kind):
    """The last two rows of every list share a page: a row never starts a page alone
    after the rest of its list."""
    name, made = matrix
    for context, lists, piece in made[kind]:
        pages = _pages(piece)
        for tokens in lists["lists"]:
            if len(tokens) > 1:
                assert _page_of(pages, tokens[-2]) == _page_of(pages, tokens[-1]), (
                    f"{name} {kind} {context['number']}: the last row of a list of "
                    f"{len(tokens)} sits alone on page {_page_of(pages, tokens[-1]) + 1}")


def test_the_matrix_has_the_sizes_it_claims(matrix):
    name, made = matrix
    sizes, counts = SIZES[name]
    assert [len(c["cases"]) for c, _, _ in made["aid_roster"]] == list(sizes)
    assert sorted({len(c["aid_items"]) for c, _, _ in made["transfer_receipt"]}) == list(counts)
    assert max(len(c["cases"][2]["full_name"]) for c, _, _ in made["aid_roster"][2:]) == LONG_NAME
    assert max(p.pages for _, _, p in made["aid_roster"]) > 3  # 40 women run over pages


@pytest.mark.parametrize("kind", KINDS)
def test_the_paper_is_the_layout_asked(matrix, kind):
    name, made = matrix
    width, height = [cm / 2.54 * 72 for cm in office.PAPERS[LAYOUTS[name]["paper"]]]
    if kind == "aid_roster":
        width, height = height, width
    _, _, piece = made[kind][0]
    with PDFIUM:
        document = pdfium.PdfDocument(piece.pdf)
        try:
            for page in document:
                assert page.get_width() == pytest.approx(width, abs=1.5)
                assert page.get_height() == pytest.approx(height, abs=1.5)
        finally:
            document.close()


def _chars_in_band(pdf: bytes) -> list[tuple[int, str]]:
    """(page, text) of every character whose box reaches into the stamp's band."""
    found = []
    with PDFIUM:
        document = pdfium.PdfDocument(pdf)
        try:
            for n, page in enumerate(document):
                text = page.get_textpage()
                for i in range(text.count_chars()):
                    left, bottom, right, top = text.get_charbox(i)
                    if bottom < BAND and top > 0 and text.get_text_range(i, 1).strip():
                        found.append((n, text.get_text_range(i, 1)))
        finally:
            document.close()
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_the_stamp_band_holds_the_stamp_and_nothing_else(matrix, kind):
    """Body text never enters the bottom band; stamped, the band holds only the letter
    number, "Hal. i/n" and the QR's caption (the QR itself is drawn inside the band)."""
    _, made = matrix
    for context, _, piece in made[kind][::5]:
        assert _chars_in_band(piece.pdf) == [], f"{kind} {context['number']}: text in the band"
        stamped, pages = stamp_pdf(piece.pdf, number=context["number"],
                                   verify_url="https://pulang.example.go.id/v/abcdefghijklmnopqrstuvwx",
                                   first_page_number=False)
        band = Counter(ch for _, ch in _chars_in_band(stamped) if ch.strip())
        expected = Counter(ch for i in range(1, pages + 1)
                           for ch in f"Nomor: {context['number']}" + (f"Hal. {i}/{pages}" if i > 1 else "")
                           + "Pindai untuk verifikasi" if ch.strip())
        assert band == expected, f"{kind} {context['number']}: the band holds {band - expected}"


def test_the_qr_fits_inside_the_band():
    from service.letters import stamp
    assert stamp.QR_BOTTOM + stamp.QR_SIZE < stamp.BAND
    assert stamp.TEXT_BASELINE + stamp.TEXT_SIZE < stamp.BAND
    assert layout.BAND_CM == pytest.approx(3.0)
    for paper in office.PAPERS:
        assert io is not None and paper in layout.PAPERS_CM
