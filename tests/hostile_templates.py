"""A corpus of hostile Word templates, each what an attacker with an admin's upload right
(or a careless template author) could hand the service, built from the product's own
pledge so that everything else about it is a good template.

Each entry: a name, its family (object escape, resource exhaustion, external reference,
metadata, error-message leak), how to build it, and what the upload must answer: the
problem code the refusal lists. tests/test_trust_templates.py uploads every one through
the API; docs/reliability.md lists them with the results.
"""

import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from xml.sax.saxutils import escape, quoteattr

import docx

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def pledge_with(*paragraphs: str) -> bytes:
    """The product's pledge with paragraphs typed at the end, as an admin would in Word."""
    document = docx.Document(str(TEMPLATES / "pledge.docx"))
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
    return out.getvalue()


def with_body_xml(xml: str, rels: str = "", data: bytes | None = None) -> bytes:
    """The pledge with raw WordprocessingML put before the body's section properties, and
    relationships added to the document's."""
    members = _members(data or pledge_with())
    body = members["word/document.xml"].decode()
    at = body.rindex("<w:sectPr")
    members["word/document.xml"] = (body[:at] + xml + body[at:]).encode()
    if rels:
        name = "word/_rels/document.xml.rels"
        members[name] = members[name].decode().replace("</Relationships>", rels + "</Relationships>").encode()
    return _zip(members)


def with_core_properties(title: str, creator: str) -> bytes:
    members = _members(pledge_with())
    core = members["docProps/core.xml"].decode()
    core = re.sub(r"<dc:title>.*?</dc:title>", f"<dc:title>{title}</dc:title>", core)
    core = re.sub(r"<dc:creator>.*?</dc:creator>", f"<dc:creator>{creator}</dc:creator>", core)
    members["docProps/core.xml"] = core.encode()
    return _zip(members)


def with_entity(file: str) -> bytes:
    """styles.xml declaring an entity that names a local file, and using it (XXE)."""
    members = _members(pledge_with())
    head, rest = members["word/styles.xml"].split(b"?>", 1)
    doctype = f'<!DOCTYPE w:styles [<!ENTITY x SYSTEM "file://{file}">]>'.encode()
    members["word/styles.xml"] = head + b"?>" + doctype + rest.replace(
        b"<w:docDefaults>", b"<w:docDefaults>&x;", 1)
    return _zip(members)


def simple_field(instruction: str) -> str:
    return (f"<w:p><w:fldSimple w:instr={quoteattr(instruction)}><w:r><w:t>isi</w:t></w:r>"
            "</w:fldSimple></w:p>")


def complex_field(*instruction_pieces: str) -> str:
    """A field as Word writes it: begin, the instruction split over runs, separate, end."""
    pieces = "".join(f'<w:r><w:instrText xml:space="preserve">{escape(p)}</w:instrText></w:r>'
                     for p in instruction_pieces)
    return ('<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>' + pieces
            + '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>isi</w:t></w:r>'
            '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>')


def linked_picture(url: str) -> bytes:
    """A picture "linked to file" (Insert Picture → Link to File): only its address is
    in the package; a reader fetches it to show the page."""
    rel = ('<Relationship Id="rIdLinked" Type="http://schemas.openxmlformats.org/officeDocument/'
           f'2006/relationships/image" Target="{url}" TargetMode="External"/>')
    drawing = (
        '<w:p><w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">'
        '<wp:extent cx="720000" cy="720000"/><wp:docPr id="4242" name="Gambar"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="4242" name="logo.png"/><pic:cNvPicPr/></pic:nvPicPr>'
        '<pic:blipFill><a:blip r:link="rIdLinked"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>'
        '<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="720000" cy="720000"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr></pic:pic>'
        '</a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>')
    return with_body_xml(drawing, rel)


@dataclass(frozen=True)
class Hostile:
    name: str
    family: str          # object escape, resource exhaustion, external reference, metadata
    build: Callable[[dict], bytes]   # given {"url": …, "file": …}: where it reaches
    code: str            # the problem the upload refusal lists
    sample: str = ""     # for render_failed: which sample run catches it (sparse, full)
    what: str = ""       # for render_failed: what the renderer says it was


CORPUS = [
    # --- object escape: the attack, and the classic ones -------------------------
    Hostile("logo_replace_pic", "object escape", lambda t: pledge_with(
        "{% if office_logo %}{{ office_logo.tpl.replace_pic('x', '" + t["file"] + "') }}{% endif %}"),
        "render_failed", "full"),
    Hostile("logo_save", "object escape", lambda t: pledge_with(
        "{% if office_logo %}{{ office_logo.tpl.save('" + t["file"] + ".docx') }}{% endif %}"),
        "render_failed", "full"),
    Hostile("class_mro_subclasses", "object escape", lambda t: pledge_with(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}"), "render_failed", "sparse"),
    Hostile("str_format_walk", "object escape", lambda t: pledge_with(
        "{{ '{0.__class__.__init__.__globals__}'.format(full_name) }}"), "render_failed", "sparse"),
    Hostile("cycler_globals", "object escape", lambda t: pledge_with(
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}"), "render_failed", "sparse"),
    Hostile("loop_internals", "object escape", lambda t: pledge_with(
        "{% for item in aid_items %}{{ loop._iterator }}{% endfor %}"), "render_failed", "sparse"),
    Hostile("mutate_context", "object escape", lambda t: pledge_with(
        "{{ aid_items.append(aid_items) }}{{ office.update({'name': 'X'}) }}"), "render_failed", "sparse"),
    Hostile("format_filter", "object escape", lambda t: pledge_with(
        "{{ '%s'|format(full_name) }}"), "unknown_filter"),
    Hostile("unescaped_value", "object escape", lambda t: pledge_with(
        "{{ full_name|safe }}"), "unknown_filter"),
    # --- resource exhaustion -------------------------------------------------------------
    Hostile("nested_ranges", "resource exhaustion", lambda t: pledge_with(
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}"),
        "render_failed", "sparse", "loops"),
    Hostile("big_range", "resource exhaustion", lambda t: pledge_with(
        "{% for i in range(100000000) %}{% endfor %}"), "render_failed", "sparse", "value"),
    Hostile("string_times", "resource exhaustion", lambda t: pledge_with(
        "{{ 'A' * 30000000 }}"), "render_failed", "sparse", "value"),
    Hostile("power", "resource exhaustion", lambda t: pledge_with(
        "{{ 7 ** 300000 }}"), "render_failed", "sparse", "value"),
    Hostile("center_width", "resource exhaustion", lambda t: pledge_with(
        "{{ full_name|center(1000000000) }}"), "render_failed", "sparse", "value"),
    Hostile("printf_width", "resource exhaustion", lambda t: pledge_with(
        "{{ '%0999999999d' % 1 }}"), "render_failed", "sparse", "value"),
    Hostile("doubling", "resource exhaustion", lambda t: pledge_with(
        "{% set ns = namespace(s=full_name) %}{% for i in range(64) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"), "render_failed", "sparse", "value"),
    Hostile("macro_bomb", "resource exhaustion", lambda t: pledge_with(
        "{% macro m(n) %}{% if n %}{{ m(n - 1) }}{{ m(n - 1) }}{% endif %}{% endmacro %}{{ m(40) }}"),
        "render_failed", "sparse", "time"),
    Hostile("only_with_notes", "resource exhaustion", lambda t: pledge_with(
        "{% if notes %}{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}"
        "{% endfor %}{% endif %}"), "render_failed", "full", "loops"),
    # --- external references --------------------------------------------------------------
    Hostile("includepicture_url", "external reference", lambda t: with_body_xml(
        simple_field(f' INCLUDEPICTURE "{t["url"]}" \\d ')), "external_field"),
    Hostile("includetext_file", "external reference", lambda t: with_body_xml(
        complex_field(" INCLUDE", f'TEXT "file://{t["file"]}" ')), "external_field"),
    Hostile("linked_picture", "external reference", lambda t: linked_picture(t["url"]),
            "external_relationship"),
    Hostile("dde_auto", "external reference", lambda t: with_body_xml(
        simple_field('DDEAUTO c:\\\\windows\\\\system32\\\\cmd.exe "/k calc"')), "external_field"),
    Hostile("link_field", "external reference", lambda t: with_body_xml(
        complex_field(f' LINK Excel.Sheet.12 "{t["file"]}" "Sheet1" \\a ')), "external_field"),
    Hostile("tag_built_field", "external reference", lambda t: with_body_xml(
        complex_field("{{ 'INCLUDE' }}", f'PICTURE "{t["url"]}" \\d ')), "render_failed", "sparse",
        "outside"),
    Hostile("entity_file", "external reference", lambda t: with_entity(t["file"]),
            "declared_entities"),
    # --- metadata -------------------------------------------------------------------------
    Hostile("name_in_properties", "metadata", lambda t: with_core_properties(
        "{{ full_name }}", "{{ nik }}"), "template_in_properties"),
    # --- error-message leak: passes both samples, fails on one woman's data ----------------
    Hostile("fails_for_one_woman", "error-message leak", lambda t: pledge_with(
        "{% if birth_place == 'Ngawi' %}Nomor urut {{ full_name|romawi }}{% endif %}"), ""),
]
# The error-message leak's woman: born in Ngawi, so her name goes through int().
LEAK_CASE = {"full_name": "Wulan Sekarsari", "nik": "3521014107900002", "birth_place": "Ngawi",
             "birth_date": "1990-07-01", "facility": "Payo Sigadung"}
