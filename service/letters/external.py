"""What in a .docx reaches outside the document: found before a template is kept or used.

LibreOffice, converting a letter, follows what the document tells it to: a picture
"linked" instead of embedded, a field that includes another file or a web page
(INCLUDEPICTURE, INCLUDETEXT, LINK, DDE, DDEAUTO; INCLUDE and IMPORT are their old names),
an embedded foreign document (altChunk). A template holding one makes the server fetch a
URL or read a local file (`file:///…/secret_key`) into a letter. None has a use in an
office's letters, so they are refused:

- relationships (every `*.rels` part) with TargetMode="External", except plain
  hyperlinks to http(s) or mailto addresses (a link in the PDF; nothing is fetched);
- fields of those types, written as simple fields (`w:fldSimple w:instr`) or as complex
  ones (`w:fldChar` begin … `w:instrText` … end, the instruction possibly split over
  several runs, fields possibly nested);
- `w:altChunk`;
- a DTD (`<!DOCTYPE`) in any XML part: its entities can name a local file or a URL, and
  Word never writes one.

The upload check reports them (office_tools/template_check.py); render.py refuses a
template holding one (the built-in files, and versions kept before this check existed)
and checks each rendered part again, since a template can assemble a field from pieces.
"""

from __future__ import annotations

import functools
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from . import safe_xml

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_LINK_SCHEMES = ("http://", "https://", "mailto:")
_FIELDS = re.compile(r"^\s*(INCLUDEPICTURE|INCLUDETEXT|INCLUDE|IMPORT|LINK|DDEAUTO|DDE)\b", re.I)
_HINT = re.compile(r"fldSimple|instrText|altChunk")


@dataclass(frozen=True)
class Reach:
    """One thing that reaches outside: `code` external_relationship, external_field,
    embedded_document or declared_entities; `part` the package part; `detail` what it names (a short excerpt
    of the template's own text, never letter data)."""

    code: str
    part: str
    detail: str


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def in_relationships(name: str, xml: bytes) -> list[Reach]:
    """External targets of one `*.rels` part, other than plain hyperlinks."""
    try:
        root = safe_xml.parse(xml)
    except etree.XMLSyntaxError:
        return []  # the part checks report a broken package
    found = []
    for rel in root.iter(_RELS):
        if (rel.get("TargetMode") or "").lower() != "external":
            continue
        target = rel.get("Target") or ""
        if rel.get("Type") == _HYPERLINK and target.lower().startswith(_LINK_SCHEMES):
            continue
        kind = (rel.get("Type") or "").rsplit("/", 1)[-1]
        found.append(Reach("external_relationship", name, _short(f"{kind} → {target}")))
    return found


def in_part(name: str, xml: bytes | str) -> list[Reach]:
    """Fields that include or link outside content, and altChunks, in one XML part."""
    if not _HINT.search(xml if isinstance(xml, str) else xml.decode("utf-8", "replace")):
        return []
    try:
        root = safe_xml.parse(xml.encode("utf-8") if isinstance(xml, str) else xml)
    except etree.XMLSyntaxError:
        return []
    found: list[Reach] = []

    def check(instruction: str) -> None:
        if _FIELDS.match(instruction):
            reach = Reach("external_field", name, _short(instruction))
            if reach not in found:
                found.append(reach)

    open_fields: list[list[str]] = []  # instruction text of each field begun, innermost last
    for el in root.iter(f"{W}fldSimple", f"{W}fldChar", f"{W}instrText", f"{W}altChunk"):
        if el.tag == f"{W}fldSimple":
            check(el.get(f"{W}instr") or "")
        elif el.tag == f"{W}instrText":
            if open_fields:
                open_fields[-1].append(el.text or "")
            else:
                check(el.text or "")
        elif el.tag == f"{W}altChunk":
            found.append(Reach("embedded_document", name, "altChunk"))
        else:
            kind = el.get(f"{W}fldCharType")
            if kind == "begin":
                open_fields.append([])
            elif kind in ("separate", "end") and open_fields:
                check("".join(open_fields[-1]))
                if kind == "end":
                    open_fields.pop()
    for left in open_fields:  # a field never closed still runs in some readers
        check("".join(left))
    return found


def in_docx(archive: zipfile.ZipFile) -> list[Reach]:
    """Everything in the package that reaches outside."""
    found = []
    for name in sorted(archive.namelist()):
        if not name.endswith((".rels", ".xml")):
            continue
        data = archive.read(name)
        if b"<!DOCTYPE" in data:
            found.append(Reach("declared_entities", name, "<!DOCTYPE>"))
        elif name.endswith(".rels"):
            found += in_relationships(name, data)
        elif name.startswith("word/"):
            found += in_part(name, data)
    return found


@functools.lru_cache(maxsize=128)
def _file(path: str, size: int, mtime_ns: int) -> tuple[Reach, ...]:
    with zipfile.ZipFile(path) as archive:
        return tuple(in_docx(archive))


def in_file(path: Path) -> tuple[Reach, ...]:
    """in_docx of a template file, remembered while the file is unchanged."""
    st = Path(path).stat()
    return _file(str(path), st.st_size, st.st_mtime_ns)
