"""A stamped PDF's metadata: the document information dictionary (/Info) and the XMP
packet say the same few neutral things.

LibreOffice writes both from the .docx's core properties, which render.py sets to fixed
values (title: the document kind, author: the office), never from the letter's data.
Cutting a combined PDF into letters (split.py, with pypdf) gives each piece a fresh
/Info (/Producer pypdf) while its XMP still says LibreOffice, which PDF/A-2b forbids
(ISO 19005-2, 6.6.2.3.1: each /Info entry must equal its XMP counterpart). So every
stamp (stamp.py) writes both afresh, from the XMP packet, keeping only:

    /Title        dc:title (x-default)      the document kind
    /Author       dc:creator (first)        the office
    /Creator      xmp:CreatorTool           LibreOffice's "Writer"
    /Producer     pdf:Producer              "LibreOffice 7.4"
    /CreationDate xmp:CreateDate
    /ModDate      xmp:ModifyDate            (when present)
                  pdfaid:part, pdfaid:conformance (the PDF/A claim)

Anything else either held (subject, keywords, description, custom properties) is
dropped: /Info is always written anew; the XMP packet only when it held something else
(LibreOffice's packet of a neutral .docx holds nothing else and stays as it was). A PDF
without an XMP packet (not LibreOffice's: tests' own) is left as it is. A new XMP stream
is written unfiltered, as PDF/A requires.
"""

from __future__ import annotations

import functools
import re
from xml.sax.saxutils import escape

from lxml import etree
from pypdf.generic import DictionaryObject, NameObject, create_string_object

from . import safe_xml
from .pdf_update import Stream, Update, get_resolved

__all__ = ["agree", "read_xmp"]

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NS = {
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}
_DATE = re.compile(r"^(\d{4})(?:-(\d\d)(?:-(\d\d)(?:T(\d\d):(\d\d)(?::(\d\d)(?:\.\d+)?)?"
                   r"(Z|[+-]\d\d:\d\d)?)?)?)?$")


_KEPT = {"dc": ("title", "creator"), "xmp": ("CreatorTool", "CreateDate", "ModifyDate"),
         "pdf": ("Producer",), "pdfaid": ("part", "conformance")}
_KEPT_NAMES = {f"{{{NS[prefix]}}}{name}" for prefix, names in _KEPT.items() for name in names}


@functools.lru_cache(maxsize=32)
def read_xmp(packet: bytes) -> tuple[dict[str, str], bool]:
    """The properties kept (see the module docstring), by XMP name ("dc:title"), and
    whether the packet holds any other property. (Remembered: a print job's letters,
    cut from one PDF, share one packet; callers must not change the dict.)"""
    root = safe_xml.parse(packet, remove_blank_text=True)
    found: dict[str, str] = {}
    other = False
    for desc in root.iter(f"{{{RDF}}}Description"):
        names = [el.tag for el in desc if isinstance(el.tag, str)]
        names += [a for a in desc.attrib if not a.startswith(f"{{{RDF}}}")]
        other = other or any(name not in _KEPT_NAMES for name in names)
        for prefix, kept in _KEPT.items():
            uri = NS[prefix]
            for name in kept:
                key = f"{prefix}:{name}"
                if key in found:
                    continue
                value = desc.get(f"{{{uri}}}{name}")
                el = desc.find(f"{{{uri}}}{name}")
                if el is not None:
                    items = el.findall(f".//{{{RDF}}}li")
                    if items:
                        default = [li for li in items
                                   if li.get("{http://www.w3.org/XML/1998/namespace}lang") == "x-default"]
                        value = (default or items)[0].text
                    else:
                        value = el.text
                if value and value.strip():
                    found[key] = value.strip()
    return found, other


def _pdf_date(xmp_date: str) -> str | None:
    """2024-07-31T10:05:00+07:00 → D:20240731100500+07'00' (ISO 32000-1, 7.9.4)."""
    m = _DATE.match(xmp_date)
    if not m:
        return None
    year, month, day, hour, minute, second, zone = m.groups()
    text = "D:" + year + "".join(part or "" for part in (month, day, hour, minute, second))
    if zone == "Z":
        text += "Z"
    elif zone:
        text += f"{zone[0]}{zone[1:3]}'{zone[4:6]}'"
    return text


def _packet(props: dict[str, str]) -> bytes:
    def simple(prefix, name):
        value = props.get(f"{prefix}:{name}")
        return f"<{prefix}:{name}>{escape(value)}</{prefix}:{name}>" if value else ""

    def description(prefix, body):
        return (f'<rdf:Description rdf:about="" xmlns:{prefix}="{NS[prefix]}">{body}'
                "</rdf:Description>\n") if body else ""

    dc = ""
    if props.get("dc:title"):
        dc += ('<dc:title><rdf:Alt><rdf:li xml:lang="x-default">'
               f'{escape(props["dc:title"])}</rdf:li></rdf:Alt></dc:title>')
    if props.get("dc:creator"):
        dc += f'<dc:creator><rdf:Seq><rdf:li>{escape(props["dc:creator"])}</rdf:li></rdf:Seq></dc:creator>'
    body = (
        description("pdfaid", simple("pdfaid", "part") + simple("pdfaid", "conformance"))
        + description("dc", dc)
        + description("pdf", simple("pdf", "Producer"))
        + description("xmp", simple("xmp", "CreatorTool") + simple("xmp", "CreateDate")
                      + simple("xmp", "ModifyDate"))
    )
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
            f'<rdf:RDF xmlns:rdf="{RDF}">\n{body}</rdf:RDF>\n</x:xmpmeta>\n'
            '<?xpacket end="w"?>').encode("utf-8")


def _info(props: dict[str, str]) -> DictionaryObject:
    info = DictionaryObject()
    for key, prop in (("/Title", "dc:title"), ("/Author", "dc:creator"),
                      ("/Creator", "xmp:CreatorTool"), ("/Producer", "pdf:Producer")):
        if props.get(prop):
            info[NameObject(key)] = create_string_object(props[prop])
    for key, prop in (("/CreationDate", "xmp:CreateDate"), ("/ModDate", "xmp:ModifyDate")):
        date = _pdf_date(props.get(prop, ""))
        if date:
            info[NameObject(key)] = create_string_object(date)
    return info


def agree(up: Update) -> None:
    """Write the update's /Info and XMP packet from the PDF's XMP packet (see above)."""
    catalog = up.reader.trailer["/Root"]
    metadata = get_resolved(catalog, "/Metadata")
    if metadata is None:
        return
    try:
        props, other = read_xmp(metadata.get_data())
    except (etree.XMLSyntaxError, ValueError):
        props, other = {}, True  # a broken packet is replaced: nothing left to disagree
    if other:  # LibreOffice's packet from render.py's neutral properties holds no other
        up.catalog()[NameObject("/Metadata")] = up.add(Stream(
            DictionaryObject({NameObject("/Type"): NameObject("/Metadata"),
                              NameObject("/Subtype"): NameObject("/XML")}),
            _packet(props), compress=False))
    up.set_info(_info(props))
