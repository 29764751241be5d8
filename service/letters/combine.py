"""A "combined" Word template: the office's template body repeated once per record, so that
one docxtpl pass and one LibreOffice conversion make a whole group of letters.

    {%p for rec in records %}{%p with full_name=rec['full_name'], … %}
        <the template's body; its first paragraph holds the bookmark pulangR<n>>
        <a paragraph carrying a copy of the body's section properties>   (not after the last)
    {%p endwith %}{%p endfor %}
    <the body's section properties>

Each record is its own section with the template's page setup, starting on a new page
and numbering its pages from 1, so it lays out exactly as it would alone. LibreOffice
turns each bookmark into a PDF named destination (bookmark names use only letters and
digits, which it leaves unescaped), and split.py cuts the PDF there.

Not every template can be combined: list numbering (it would run on from one letter into
the next) and page-count fields (they would count the whole group) make the batch fall
back to one conversion per letter. The result is cached under run/templates/ by the
template's hash.
"""

import hashlib
import os
import re
import uuid
import zipfile
from pathlib import Path

BOOKMARK = "pulangR"  # + the record's 1-based position in the group
_BOOKMARK_ID = 900_000  # + position; far above the ids Word gives its own bookmarks

_BODY = re.compile(r"(<w:body>)(.*)(<w:sectPr[ >].*?</w:sectPr>)\s*(</w:body>)", re.S)
_PARA_OPEN = re.compile(r"<w:p(?:\s[^>]*)?>(?:<w:pPr>.*?</w:pPr>)?", re.S)
_PARA = re.compile(r"<w:p(?:\s[^>]*)?>.*?</w:p>|<w:p(?:\s[^>]*)?/>", re.S)
# The paragraph that ends a record's section. Alone, a letter whose body ends in a table
# has no paragraph after it (LibreOffice drops Word's trailing one); this one must not take
# room either, or a letter that fills its last page would spill a blank page: its line is
# 0.05 pt high and its mark 1 pt.
_BREAK = ('<w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="1" w:lineRule="exact"/>'
          '<w:rPr><w:sz w:val="2"/><w:szCs w:val="2"/></w:rPr>{section}</w:pPr></w:p>')
# The sectPr children that follow pgNumType in the schema's order.
_AFTER_PGNUM = ("<w:cols", "<w:formProt", "<w:vAlign", "<w:noEndnote", "<w:titlePg",
                "<w:textDirection", "<w:bidi", "<w:rtlGutter", "<w:docGrid",
                "<w:printerSettings", "</w:sectPr>")


class NotCombinable(Exception):
    """This template can't be repeated in one document without changing what it prints."""


def combined_template(template: Path, keys: list[str], cache_dir: Path) -> Path:
    """The combined version of `template` for records with these context keys (cached)."""
    digest = hashlib.sha256(Path(template).read_bytes()).hexdigest()
    tag = hashlib.sha256(" ".join(sorted(keys)).encode()).hexdigest()[:12]
    out = Path(cache_dir) / f"{digest[:32]}-{tag}.docx"
    if out.exists():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")  # threads and processes race here
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        _check(src)
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "word/document.xml":
                data = combine_xml(data.decode("utf-8"), sorted(keys)).encode("utf-8")
            dst.writestr(info, data)
    os.replace(tmp, out)
    return out


def combine_xml(xml: str, keys: list[str]) -> str:
    m = _BODY.search(xml)
    if m is None:
        raise NotCombinable("the document has no body section properties")
    body, sect = m.group(2), m.group(3)
    if "pulangR" in body:
        raise NotCombinable("the template already holds a bookmark of ours")
    first = next((p for p in _PARA.finditer(body) if "{%" not in p.group(0)), None)
    if first is None:
        raise NotCombinable("the template has no paragraph to hold a bookmark")
    opening = _PARA_OPEN.match(body, first.start())
    mark = (f'<w:bookmarkStart w:id="{{{{ {_BOOKMARK_ID} + loop.index }}}}" '
            f'w:name="{BOOKMARK}{{{{ loop.index }}}}"/>'
            f'<w:bookmarkEnd w:id="{{{{ {_BOOKMARK_ID} + loop.index }}}}"/>')
    body = body[:opening.end()] + mark + body[opening.end():]
    section = _own_section(sect)
    bound = ", ".join(f"{k}=rec['{k}']" for k in keys)
    combined = (
        _tag("{%p for rec in records %}") + _tag(f"{{%p with {bound} %}}") + body
        + _tag("{%p if not loop.last %}") + _BREAK.format(section=section)
        + _tag("{%p endif %}") + _tag("{%p endwith %}") + _tag("{%p endfor %}") + section
    )
    return xml[:m.start(2)] + combined + xml[m.end(3):]


def _tag(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def _own_section(sect: str) -> str:
    """The section properties for one record: a new page, page numbers from 1."""
    sect = re.sub(r"<w:type\b[^>]*/>", "", sect)
    sect = re.sub(r"<w:pgNumType\b[^>]*/>", "", sect)
    head = re.match(r"<w:sectPr[^>]*>((?:<w:(?:headerReference|footerReference)\b[^>]*/>)*)", sect)
    sect = sect[:head.end()] + '<w:type w:val="nextPage"/>' + sect[head.end():]
    at = min(i for i in (sect.find(t) for t in _AFTER_PGNUM) if i >= 0)
    return sect[:at] + '<w:pgNumType w:start="1"/>' + sect[at:]


def _check(docx: zipfile.ZipFile) -> None:
    names = docx.namelist()
    parts = [n for n in names if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n)]
    for name in parts:
        xml = docx.read(name).decode("utf-8", "replace")
        if re.search(r"\b(NUMPAGES|SECTIONPAGES)\b", xml):
            raise NotCombinable("the template counts pages with a field")
    body = docx.read("word/document.xml").decode("utf-8", "replace")
    if "<w:numPr>" in body or "<w:numPr " in body:
        raise NotCombinable("the template uses list numbering")
    if "word/styles.xml" in names:
        numbered = _numbered_styles(docx.read("word/styles.xml").decode("utf-8", "replace"))
        used = set(re.findall(r'<w:pStyle w:val="([^"]+)"', body))
        if used & numbered:
            raise NotCombinable("the template uses a numbered paragraph style")


def _numbered_styles(styles: str) -> set[str]:
    """Paragraph styles that number their paragraphs, directly or through basedOn."""
    own, parent = set(), {}
    for m in re.finditer(r'<w:style\b[^>]*w:styleId="([^"]+)"[^>]*>(.*?)</w:style>', styles, re.S):
        style_id, inner = m.group(1), m.group(2)
        if "<w:numPr" in inner and not re.search(r'<w:numId w:val="0"', inner):
            own.add(style_id)
        based = re.search(r'<w:basedOn w:val="([^"]+)"', inner)
        if based:
            parent[style_id] = based.group(1)
    numbered = set()
    for style_id in set(parent) | own:
        seen, s = set(), style_id
        while s is not None and s not in seen:
            if s in own:
                numbered.add(style_id)
                break
            seen.add(s)
            s = parent.get(s)
    return numbered
