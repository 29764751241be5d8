"""Bulk letters: one combined conversion split at named destinations gives exactly the
letters one-by-one conversion gives; a template that can't be combined, or a combined
PDF that fails the check, falls back to one conversion per letter. Real LibreOffice."""

import copy
import datetime as dt
import io
import shutil
from concurrent.futures import ThreadPoolExecutor

import docx
import pytest
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from service.clock import now_iso
from service.letters import bulk, pipeline
from service.letters.chunk import ChunkInput, LetterInput
from service.letters.combine import NotCombinable, combined_template
from service.letters.render import render_docx
from service.letters.sample import aid_item, case, case_document, ceremony_context, people
from service.letters.split import SplitError, split
from service.records import office, templates
from service.records.kinds import DOCUMENT_KINDS
from tests.helpers import pdftotext
from tests.test_ceremonies_data import make_cases

TEMPLATES = {k: f"templates/{k}.docx" for k in DOCUMENT_KINDS}


def _plain(context: dict) -> dict:
    """A context as the print job renders it: the images are added by render_docx."""
    for name in ("office_logo", "unit_logo"):
        context.pop(name)
    return context


def _case_contexts(kind: str = "pledge") -> list[dict]:
    women = people()
    women[1]["full_name"] = 'Siti & <Aminah> "Ina"'
    return [_plain(case_document(person, kind, number=f"400/{i + 1:03d}/DINSOS/2024"))
            for i, person in enumerate(women)]


def _full_receipts() -> list[dict]:
    """Receipts that fill their page to the last line, where a break that takes any room
    spills a blank page (the bench's data found the first; the default office settings
    make the letterhead one line shorter than the sample's)."""
    items = [("kemensos_transfer", 6_000_000), ("living_allowance", 1_800_000),
             ("equipment", 850_000), ("ticket", 1_750_000), ("business_capital", 3_000_000)]
    out = []
    for n, extra in enumerate([[], [("transport", 250_000)]]):
        person = case("Maria Wulandari", "5371026201940067", "Kota Kupang", dt.date(1994, 1, 22),
                      "RT 007 RW 002, Desa Sukamaju", "Kota Kupang, NTT", "JMB-2026-0067",
                      [aid_item(k, a, "APBD Kota Jambi") for k, a in items + extra])
        out.append(_plain(case_document(person, "aid_receipt",
                                        number=f"900/{46 + n:03d}/DINSOS/2024")))
    return out


def _ceremony_contexts() -> list[dict]:
    women = people()
    many = [dict(copy.deepcopy(women[i % 5]), full_name=f"Penerima {i}") for i in range(34)]
    return [_plain(ceremony_context(women, number="900/001/DINSOS/2024")),
            _plain(ceremony_context(many, number="900/002/DINSOS/2024"))]  # several pages


def _pages_text(pdf: bytes) -> list[str]:
    return [page.rstrip() for page in pdftotext(pdf).split("\f")][:-1]


@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_combined_letters_equal_letters_made_alone(kind, converter_pool, tmp_path):
    contexts = _ceremony_contexts() if kind in ("aid_roster", "ceremony_report") else _case_contexts(kind)
    if kind == "aid_receipt":
        contexts += _full_receipts()
    combined = combined_template(TEMPLATES[kind], sorted(contexts[0]), tmp_path / "cache")
    render_docx(combined, {"records": contexts}, tmp_path / "all.docx")
    converter_pool.convert(tmp_path / "all.docx", tmp_path / "all.pdf", bookmarks=True)
    pieces = split((tmp_path / "all.pdf").read_bytes(), [c["number"] for c in contexts])
    assert len(pieces) == len(contexts)

    def made_alone(i: int) -> bytes:
        render_docx(TEMPLATES[kind], contexts[i], tmp_path / f"{i}.docx")
        converter_pool.convert(tmp_path / f"{i}.docx", tmp_path / f"{i}.pdf")
        return (tmp_path / f"{i}.pdf").read_bytes()

    with ThreadPoolExecutor(converter_pool.size) as ex:  # every worker of the pool
        alones = list(ex.map(made_alone, range(len(contexts))))
    for i, (context, piece, alone) in enumerate(zip(contexts, pieces, alones)):
        assert _pages_text(piece.pdf) == _pages_text(alone), f"letter {i} differs"
        assert piece.pages == len(_pages_text(alone))
        assert context["number"] in " ".join(piece.text.split())
    if kind == "aid_roster":
        assert pieces[1].pages > 1  # a record of several pages split whole


def test_split_refuses_a_cut_in_the_wrong_place(converter_pool, tmp_path):
    contexts = _case_contexts()[:3]
    combined = combined_template(TEMPLATES["pledge"], sorted(contexts[0]), tmp_path)
    render_docx(combined, {"records": contexts}, tmp_path / "all.docx")
    converter_pool.convert(tmp_path / "all.docx", tmp_path / "all.pdf", bookmarks=True)
    data = (tmp_path / "all.pdf").read_bytes()
    numbers = [c["number"] for c in contexts]
    with pytest.raises(SplitError, match="letter number"):
        split(data, [numbers[1], numbers[0], numbers[2]])
    with pytest.raises(SplitError, match="no destination"):
        split(data, numbers + ["400/099/DINSOS/2024"])


def test_split_reads_leniently_what_strict_reading_refuses(converter_pool, tmp_path):
    """The combined PDF is read strictly first (quicker); a file strict reading refuses,
    here every cross-reference offset one line off, is cut into the same letters."""
    contexts = _case_contexts()[:3]
    combined = combined_template(TEMPLATES["pledge"], sorted(contexts[0]), tmp_path)
    render_docx(combined, {"records": contexts}, tmp_path / "all.docx")
    converter_pool.convert(tmp_path / "all.docx", tmp_path / "all.pdf", bookmarks=True)
    data = (tmp_path / "all.pdf").read_bytes()
    damaged = data.replace(b"\n", b"\n%every offset after this line is off\n", 1)
    with pytest.raises(PyPdfError):
        PdfReader(io.BytesIO(damaged), strict=True)
    numbers = [c["number"] for c in contexts]
    assert ([(p.pages, p.text) for p in split(damaged, numbers)]
            == [(p.pages, p.text) for p in split(data, numbers)])


def _numbered_template(path):
    document = docx.Document()
    document.add_paragraph("Surat {{ number }} untuk {{ full_name }}")
    document.add_paragraph("tidak akan kembali", style="List Number")
    document.save(path)


def _conditional_template(path):
    # The first plain paragraph (where the bookmark goes) only prints for women with a
    # NIK: a record without one loses its bookmark, and the check must notice.
    document = docx.Document()
    for text in ("{%p if nik %}", "NIK {{ nik }}", "{%p endif %}",
                 "Surat {{ number }} untuk {{ full_name }}"):
        document.add_paragraph(text)
    document.save(path)


def test_templates_that_cannot_be_combined_are_refused(tmp_path):
    _numbered_template(tmp_path / "numbered.docx")
    with pytest.raises(NotCombinable, match="number"):
        combined_template(tmp_path / "numbered.docx", ["full_name", "number"], tmp_path / "c")


@pytest.mark.parametrize("build, why", [
    pytest.param(_numbered_template, "NotCombinable", id="list-numbering"),
    pytest.param(_conditional_template, "SplitError", id="bookmark-lost"),
])
def test_fallback_one_by_one(build, why, runtime, db, client, staff, caplog, settings):
    case_ids = make_cases(client, staff, 3, tricky=True)
    (settings.office_templates_dir / "odd.docx").parent.mkdir(exist_ok=True)
    build(settings.office_templates_dir / "odd.docx")
    template = {"kind": "pledge", "version": 99, "sha256": "x" * 64, "path": "templates/odd.docx",
                "active": 0, "created_at": now_iso()}
    db["templates"].insert(template)
    settings_row = office.get_all(db)
    letters = []
    for i, case_id in enumerate(case_ids):
        doc = pipeline.reserve(db, kind="pledge", case_id=case_id, template=template,
                               settings=settings_row, user=None, issued_on=dt.date(2024, 7, 31))
        person = db["cases"].get(case_id)
        letters.append(LetterInput(doc["id"], doc["number"], doc["token"],
                                   {"full_name": person["full_name"], "number": doc["number"],
                                    "nik": person["nik"] if i != 1 else ""}))
    chunk = ChunkInput(job_id=0, chunk="pledge-1", kind="pledge", template_sha256="x" * 64,
                       base_url="http://pulang.test", letters=letters)
    timings = {}
    made = bulk.make(runtime.workshop(), templates.resolve(settings, template), chunk, timings=timings)
    assert timings["path"] == "one_by_one"
    assert why in caplog.text
    assert [m.doc_id for m in made] == [letter.doc_id for letter in letters]
    for letter, m in zip(letters, made):
        assert m.pages == 1
        text = " ".join(pdftotext(m.pdf).split())
        assert letter.context["full_name"] in text and letter.number in text
        assert letter.number in " ".join(m.text.split())
        assert "Hal. 1/1" in text  # stamped
    assert not list(settings.tmp_dir.iterdir())  # nothing of the letters left behind


def test_cache_is_reused_and_named_by_hash(tmp_path):
    first = combined_template(TEMPLATES["pledge"], ["a", "b"], tmp_path)
    again = combined_template(TEMPLATES["pledge"], ["b", "a"], tmp_path)
    other = combined_template(TEMPLATES["pledge"], ["a", "b", "c"], tmp_path)
    assert first == again != other
    assert "pledge" not in first.name  # named by content, like everything under run/
    shutil.rmtree(tmp_path)
    assert combined_template(TEMPLATES["pledge"], ["a", "b"], tmp_path).exists()
