"""Dignity and spelling over every built-in template's output (issue 11 items 6 and 9):
each paper rendered with the invented sample (full and sparse, receipts listed and
separate), converted by LibreOffice, and its text read back.

The stigmatising words are listed here, in the test, not imported from the product: a
shorter list in service/office_tools/wording.py cannot make this test pass."""

import re
from pathlib import Path

import pytest

from service.letters.render import render_docx
from service.letters.sample import aid_item, case, case_document, ceremony_context, people, settings
from service.office_tools import wording
from service.records.kinds import CASE_KINDS, CEREMONY_KINDS
from service.letters.pdftext import extract_text

pytestmark = pytest.mark.slow

# Words no paper she carries or signs may use (DOMAIN.md, Dignity).
STIGMA = ["pekerja seks komersial", "pekerja seks", "psk", "wts", "tuna susila",
          "wanita tuna susila", "pelacur", "pelacuran", "lonte", "sundal", "lokalisasi",
          "eks lokalisasi", "yang dipulangkan", "prostitusi/pekerja"]

# (what must not be printed, why) and (what must be, why): PUEBI/EYD and the kuitansi.
NEVER = [
    (r"\bmanapun\b", '"mana pun" is written apart (PUEBI, partikel pun)'),
    (r"\bapapun\b", '"apa pun" is written apart'),
    (r"\bkemensos\b", '"Kemensos" keeps its capitals'),
    (r"\bRp\s\d", "no space after Rp"),
    (r"\bRp\.", "no dot after Rp"),
    (r"\s-\s", 'an empty field prints nothing, not "-"'),
    (r"\bTanda tangan\b|\bJenis bantuan\b|\bSumber dana\b|\bDaerah asal\b|\bModal usaha\s+Tiket",
     "headers in title case"),
    (r"\{\{|\{%|&amp;", "no tag or escaped text left"),
]
ALWAYS = {
    "pledge": [("bimbingan, pembinaan, dan pelatihan", "serial comma"),
               ("Rp1.750.000, dan bantuan Kemensos Rp5.050.000", "serial comma, Kemensos"),
               ("tanpa paksaan dari pihak mana pun.", "mana pun")],
    "aid_receipt": [(r"Rp4\.750\.000,00 \(empat juta tujuh ratus lima puluh ribu rupiah\)",
                     "Rp…,00 and the amount in words on a kuitansi"),
                    ("Setuju dibayar", "the kuitansi form"), ("Pengguna Anggaran", "the kuitansi form")],
    "transfer_receipt": [(r"Rp5\.050\.000,00 \(lima juta lima puluh ribu rupiah\)", "Rp…,00")],
    "aid_roster": [("Modal Usaha", "title case"), ("Tanda Tangan", "title case"),
                   ("Bantuan Kemensos", "Kemensos")],
    "ceremony_report": [(r"sebanyak 5 \(lima\) orang Penerima Manfaat", "counts in words")],
    "release_report": [("Penerima Manfaat,", "she signs as Penerima Manfaat")],
}


def _contexts() -> dict[str, dict]:
    """Every built-in paper with the sample (and sparse data, and both receipt modes)."""
    out = {}
    for kind in CASE_KINDS:
        out[kind] = case_document(people()[0], kind)
        sparse = case("Sulastri", "", "", None, "", "", "JMB-1", [aid_item("ticket", 1_500_000, "", "")])
        out[f"{kind}-sparse"] = case_document(sparse, kind)
    separate = settings(receipts={"transfers": "separate"})
    out["aid_receipt-separate"] = case_document(people()[0], "aid_receipt", office_settings=separate)
    for kind in CEREMONY_KINDS:
        out[kind] = ceremony_context(people())
        out[f"{kind}-sparse"] = ceremony_context([case("Sulastri", "", "", None, "", "", "JMB-1", [])])
    return out


@pytest.fixture(scope="module")
def texts(converter_pool, tmp_path_factory) -> dict[str, str]:
    work = tmp_path_factory.mktemp("wording")
    out = {}
    for name, context in _contexts().items():
        kind = name.split("-")[0]
        docx, pdf = work / f"{name}.docx", work / f"{name}.pdf"
        render_docx(f"templates/{kind}.docx", context, docx)
        converter_pool.convert(docx, pdf)
        # pdfium's reading order keeps a wrapped table header ("Tanda / Tangan") together.
        out[name] = " ".join(extract_text(pdf.read_bytes()).split())
    return out


def test_every_built_in_paper_is_rendered(texts):
    assert {name.split("-")[0] for name in texts} == set(CASE_KINDS + CEREMONY_KINDS)


@pytest.mark.parametrize("word", STIGMA)
def test_no_paper_uses_a_stigmatising_word(texts, word):
    for name, text in texts.items():
        assert not re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE), f"{name}: {word!r}"


@pytest.mark.parametrize("pattern, why", NEVER)
def test_spelling_never(texts, pattern, why):
    for name, text in texts.items():
        found = re.search(pattern, text)
        assert not found, f"{name}: {why}: {found.group(0)!r} in …{text[max(0, found.start() - 60):found.end() + 60]}…"


@pytest.mark.parametrize("kind", sorted(ALWAYS))
def test_spelling_always(texts, kind):
    for pattern, why in ALWAYS[kind]:
        assert re.search(pattern, texts[kind]), f"{kind}: {why}: {pattern!r} missing"


def test_the_product_list_catches_what_the_test_list_does():
    """The upload check's list warns about every word this test refuses."""
    for word in STIGMA:
        if word not in ("pekerja seks", "prostitusi/pekerja", "lokalisasi"):
            assert wording.stigmatising_words(f"Nama: {word.upper()} lama") == [word.upper()], word


def test_the_web_pages_use_no_stigmatising_word():
    """The pages staff read about her follow the same rule as her papers: every text of
    the web app (the catalogue's message ids), every page template, and the service's
    code, which writes the rest of what pages and papers say. The upload check's own
    list (office_tools/stigmatising-words.txt, data read by nothing that prints) is the
    one file left out."""
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "service"
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in STIGMA) + r")\b", re.IGNORECASE)
    with open(root / "translations" / "messages.pot", "rb") as f:
        texts = [(t, "catalogue") for m in read_po(f)
                 for t in (m.id if isinstance(m.id, tuple) else (m.id,)) if t]
    texts += [(p.read_text(), str(p.relative_to(root))) for p in (root / "html").rglob("*.html")]
    texts += [(p.read_text(), str(p.relative_to(root))) for p in root.rglob("*.py")]
    assert len(texts) > 600
    found = [(m.group(1), where) for text, where in texts for m in pattern.finditer(text)]
    assert found == []
