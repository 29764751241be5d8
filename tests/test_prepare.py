"""A template made ready once (service/letters/prepare.py): the office's layout applied,
the styles nothing uses left out, and nothing else changed on paper."""

import re
import zipfile
from pathlib import Path

import docx as python_docx
import pypdfium2 as pdfium
import pytest

from service.letters.prepare import prepared
from service.letters.render import render_docx
from service.letters.sample import sample_case_context
from service.records import office

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _styles(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as z:
        return set(re.findall(r'w:styleId="([^"]+)"', z.read("word/styles.xml").decode()))


def _template(tmp_path: Path) -> Path:
    """python-docx's own template (about 160 styles, as Word gives), using a few of them:
    a heading (basedOn Normal, its own character style linked), a quote in the header."""
    doc = python_docx.Document()
    doc.add_paragraph("Surat Pernyataan", style="Heading 1")
    doc.add_paragraph("{{ full_name }}")
    doc.sections[0].header.paragraphs[0].text = "Kop"
    doc.sections[0].header.paragraphs[0].style = doc.styles["Quote"]
    path = tmp_path / "template.docx"
    doc.save(path)
    return path


def test_the_styles_a_template_uses_stay_and_the_rest_go(tmp_path):
    template = _template(tmp_path)
    before = _styles(template)
    ready = prepared(template, {}, tmp_path / "cache")
    after = _styles(ready)
    assert len(before) > 100
    # Used (document, header), their parents and links, and the defaults stay.
    assert {"Heading1", "Heading1Char", "Quote", "QuoteChar", "Normal",
            "DefaultParagraphFont", "TableNormal"} <= after
    assert "Title" in before and "Title" not in after
    assert len(after) < 20
    with zipfile.ZipFile(ready) as z:
        assert b"latentStyles" not in z.read("word/styles.xml")
        for listing in ("[Content_Types].xml", "word/_rels/document.xml.rels"):
            assert b"stylesWithEffects" not in z.read(listing)
    # Still a template that fills.
    out = tmp_path / "letter.docx"
    render_docx(ready, {"full_name": "Siti & <Aminah>"}, out)
    filled = python_docx.Document(out)
    assert filled.paragraphs[0].style.name == "Heading 1"
    assert filled.paragraphs[1].text == "Siti & <Aminah>"
    assert filled.sections[0].header.paragraphs[0].style.name == "Quote"


def test_word_2010s_copy_of_the_styles_goes_with_its_listings(tmp_path):
    """The built-in templates carry stylesWithEffects.xml (Word 2010's copy): it goes, and
    so do its content type and relationship, or Word would call the file damaged."""
    ready = prepared(Path("templates/pledge.docx"), {}, tmp_path)
    with zipfile.ZipFile("templates/pledge.docx") as z:
        assert "word/stylesWithEffects.xml" in z.namelist()
    with zipfile.ZipFile(ready) as z:
        assert "word/stylesWithEffects.xml" not in z.namelist()
        for listing in ("[Content_Types].xml", "word/_rels/document.xml.rels"):
            assert b"stylesWithEffects" not in z.read(listing)
        assert z.testzip() is None
    python_docx.Document(ready)  # opens


def test_made_once_per_template_and_layout(tmp_path):
    template = _template(tmp_path)
    a4 = office.DEFAULTS["layout"]
    f4 = {**a4, "paper": "F4"}
    first = prepared(template, a4, tmp_path / "cache")
    stamp = first.stat().st_mtime_ns
    assert prepared(template, a4, tmp_path / "cache") == first
    assert first.stat().st_mtime_ns == stamp  # not made again
    assert prepared(template, f4, tmp_path / "cache") != first
    edited = python_docx.Document(template)
    edited.add_paragraph("Tambahan")
    edited.save(template)
    assert prepared(template, a4, tmp_path / "cache") != first
    assert not list((tmp_path / "cache").glob(".*.tmp"))  # no half-written file left


def test_the_layout_is_in_the_ready_template(tmp_path):
    ready = prepared(_template(tmp_path), {**office.DEFAULTS["layout"], "paper": "F4",
                                           "font": "Arial", "font_size": 12}, tmp_path)
    doc = python_docx.Document(ready)
    section = doc.sections[0]
    assert round(section.page_width.cm, 1) == 21.5 and round(section.page_height.cm, 1) == 33.0
    assert doc.styles["Normal"].font.name == "Arial"
    assert doc.styles["Normal"].font.size.pt == 12


def test_an_entity_in_an_uploaded_template_is_not_expanded(tmp_path):
    """An office's template is untrusted input: an entity naming a local file must not
    bring that file's text into the letter."""
    secret = tmp_path / "secret.txt"
    secret.write_text("RAHASIA-SERVER")
    template = _template(tmp_path)
    evil = tmp_path / "evil.docx"
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(evil, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/styles.xml":
                head, rest = data.split(b"?>", 1)
                data = (head + b"?>" + f'<!DOCTYPE w:styles [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
                        .encode() + rest.replace(b"<w:docDefaults>", b"<w:docDefaults>&x;", 1))
            dst.writestr(info, data)
    ready = prepared(evil, office.DEFAULTS["layout"], tmp_path / "cache")
    with zipfile.ZipFile(ready) as z:
        assert b"RAHASIA-SERVER" not in b"".join(z.read(n) for n in z.namelist())


@pytest.mark.parametrize("kind", ["pledge", "aid_receipt", "release_report"])
def test_what_is_left_out_changes_nothing_on_paper(converter_pool, tmp_path, kind):
    """The same letter from the template as shipped and from its ready copy: the same
    pages, pixel for pixel."""
    context = sample_case_context(kind)
    context.pop("layout", None)  # the shipped template's own page setup on both sides
    pages = []
    for name, template in (("shipped", Path(f"templates/{kind}.docx")),
                           ("ready", prepared(Path(f"templates/{kind}.docx"), {}, tmp_path))):
        docx, pdf = tmp_path / f"{name}.docx", tmp_path / f"{name}.pdf"
        render_docx(template, context, docx)
        converter_pool.convert(docx, pdf)
        document = pdfium.PdfDocument(pdf.read_bytes())
        pages.append([page.render(scale=100 / 72).to_pil().tobytes() for page in document])
    assert len(pages[0]) >= 1
    assert pages[0] == pages[1]
