"""A template made ready for letters, once: the office's page layout applied (layout.py)
and what no letter uses left out, cached by the template's bytes and the layout.

Letters are then rendered from this copy, so the work is done once per template and
layout instead of once per letter (it used to unzip, rewrite and rezip every rendered
letter). What is left out changes nothing on paper, and makes every letter cheaper to
fill, to zip and, above all, for LibreOffice to open (docs/decisions.md, "Templates made
ready once", has the measurements):

- **styles no part of the document refers to.** Word and python-docx give every file
  about 160 styles (350 KB); a letter uses a handful. A style is kept when any part
  names it (w:pStyle, w:rStyle, w:tblStyle, a numbering's style link, …), when it is a
  default, or when a kept style names it (basedOn, next, link). LibreOffice imports every
  style it is given, and that import was half its time to open a letter.
- **latent styles**: Word's menu of styles it could add, nothing LibreOffice reads.
- **stylesWithEffects.xml** (Word 2010's copy of the styles, 440 KB), which no one
  reads but every save rezipped.

A style id written by the template's own tags (`w:val="{{ … }}"`) would not be seen as
used; contexts are plain data and no built-in template does that.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
import zipfile
from pathlib import Path

from lxml import etree

from . import layout, safe_xml
from .layout import q

# Any element whose name holds "Style" and whose w:val names a style: pStyle, rStyle,
# tblStyle, numStyleLink, styleLink, clickAndTypeStyle, defaultTableStyle …
_NAMED = re.compile(rb'<w:\w*Style\w*\b[^>]*?\bw:val="([^"]+)"')
_EFFECTS = "word/stylesWithEffects.xml"


def prepared(template: Path, page_layout: dict, cache_dir: Path) -> Path:
    """The ready copy of `template` for `page_layout` (made on first use, then cached)."""
    data = Path(template).read_bytes()
    key = hashlib.sha256(data + json.dumps(page_layout or {}, sort_keys=True).encode())
    out = Path(cache_dir) / f"ready-{key.hexdigest()[:32]}.docx"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")  # threads and processes race here
    try:
        with zipfile.ZipFile(template) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info, content in _ready(src, page_layout or {}):
                dst.writestr(info, content)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _ready(src: zipfile.ZipFile, page_layout: dict) -> list[tuple[zipfile.ZipInfo, bytes]]:
    parts = {info.filename: (info, src.read(info.filename)) for info in src.infolist()}
    changed = {}
    if "word/document.xml" in parts and page_layout:
        document = safe_xml.parse(parts["word/document.xml"][1])
        layout.set_page(document, page_layout)
        changed["word/document.xml"] = document
    if "word/styles.xml" in parts:
        styles = safe_xml.parse(parts["word/styles.xml"][1])
        if page_layout:
            layout.set_font(styles, page_layout)
        _slim(styles, [data for name, (_, data) in parts.items()
                       if name.endswith(".xml") and name != "word/styles.xml"])
        changed["word/styles.xml"] = styles
    ready = []
    for name, (info, data) in parts.items():
        if name == _EFFECTS:
            continue
        if name in changed:
            data = etree.tostring(changed[name], xml_declaration=True, encoding="UTF-8",
                                  standalone=True)
        elif name in ("[Content_Types].xml", "word/_rels/document.xml.rels"):
            data = _unlisted(data)
        ready.append((info, data))
    return ready


def _slim(styles, others: list[bytes]) -> None:
    """Leave out the styles nothing refers to, and the latent styles."""
    by_id = {s.get(q("styleId")): s for s in styles.iter(q("style"))}
    used = {name.decode() for data in others for name in _NAMED.findall(data)}
    used |= {sid for sid, s in by_id.items() if s.get(q("default")) in ("1", "true", "on")}
    todo = list(used)
    while todo:
        style = by_id.get(todo.pop())
        if style is None:  # named, but not in styles.xml
            continue
        for tag in ("basedOn", "next", "link"):
            named = style.find(q(tag))
            if named is not None and named.get(q("val")) not in used:
                used.add(named.get(q("val")))
                todo.append(named.get(q("val")))
    for sid, style in by_id.items():
        if sid not in used:
            style.getparent().remove(style)
    for latent in styles.findall(q("latentStyles")):
        styles.remove(latent)


def _unlisted(data: bytes) -> bytes:
    """The content types or relationships without stylesWithEffects.xml."""
    return re.sub(rb'<(?:Override|Relationship)\b[^>]*stylesWithEffects\.xml"[^>]*/>', b"", data)
