"""Build the product's default Word templates with python-docx.

    .venv/bin/python -m tools.build_templates templates/

writes pledge.docx, aid_receipt.docx, release_report.docx, aid_roster.docx and
ceremony_report.docx. The files are plain Word documents a clerk can open and edit:
real tables (no text boxes, no frames), the Normal style in Times New Roman 12 pt,
Jinja tags for docxtpl each typed in a single run. See docs/templates.md for the
variables and filters.

Page layout: A4 (the roster landscape), margins 2.5 cm left, 2 cm right and top, and 3 cm
at the bottom, which stays empty: the stamp (letter number, "Hal. i/n", QR code) is drawn
there after conversion.

The output is deterministic (fixed document properties and zip timestamps), so rebuilding
an unchanged template gives a byte-identical file with the same hash.
"""

import argparse
import datetime as dt
import io
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

FONT = "Times New Roman"
FONT_SIZE = Pt(12)
LANGUAGE = "id-ID"
A4_SHORT, A4_LONG = Cm(21), Cm(29.7)
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP = Cm(2.5), Cm(2), Cm(2)
MARGIN_BOTTOM = Cm(3)  # kept empty for the stamp
PORTRAIT_WIDTH = A4_SHORT - MARGIN_LEFT - MARGIN_RIGHT  # 16.5 cm of text
LANDSCAPE_WIDTH = A4_LONG - MARGIN_LEFT - MARGIN_RIGHT  # 25.2 cm of text

SIGNATURE_GAP = Cm(2.0)  # room to sign above a printed name
HEADER_FILL = "D9D9D9"
GREY = RGBColor(0x80, 0x80, 0x80)
FIXED_TIME = dt.datetime(2024, 1, 1, 0, 0, 0)

CENTER = WD_ALIGN_PARAGRAPH.CENTER
RIGHT = WD_ALIGN_PARAGRAPH.RIGHT
JUSTIFY = WD_ALIGN_PARAGRAPH.JUSTIFY

# Child order the OOXML schema requires (Word refuses files that break it).
_TBLPR_ORDER = ("w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual",
                "w:tblStyleRowBandSize", "w:tblStyleColBandSize", "w:tblW", "w:jc",
                "w:tblCellSpacing", "w:tblInd", "w:tblBorders", "w:shd", "w:tblLayout",
                "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")
_TCPR_ORDER = ("w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders",
               "w:shd", "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
               "w:hideMark")
_PPR_ORDER = ("w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr",
              "w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd",
              "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
              "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
              "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
              "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
              "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl",
              "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange")


# --- low-level XML -------------------------------------------------------------------

def _element(tag: str, **attrs) -> OxmlElement:
    el = OxmlElement(tag)
    for name, value in attrs.items():
        el.set(qn(f"w:{name}"), str(value))
    return el


def _put(parent, child, order) -> None:
    """Replace `parent`'s child of the same tag by `child`, keeping the schema's order."""
    tag = child.tag
    for old in parent.findall(tag):
        parent.remove(old)
    name = next(n for n in order if qn(n) == tag)
    parent.insert_element_before(child, *order[order.index(name) + 1:])


def _borders(tag: str, edges, val: str = "single", size: int = 4) -> OxmlElement:
    box = _element(tag)
    for edge in edges:
        if val == "nil":
            box.append(_element(f"w:{edge}", val="nil"))
        else:
            box.append(_element(f"w:{edge}", val=val, sz=size, space=0, color="auto"))
    return box


def _twips(length) -> int:
    return int(round(length / 635))  # EMU → twentieths of a point


# --- document ------------------------------------------------------------------------

def new_document(title: str, *, landscape: bool = False) -> Document:
    """An empty A4 document with the house style and fixed properties."""
    doc = Document()
    section = doc.sections[0]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = A4_LONG, A4_SHORT
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = A4_SHORT, A4_LONG
    section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
    section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
    section.header_distance, section.footer_distance = Cm(1.25), Cm(1.25)
    _house_style(doc)
    _word_2013_mode(doc)
    _drop_thumbnail(doc)
    props = doc.core_properties
    props.title = title
    props.subject = "Templat surat Pulang"
    props.author = props.last_modified_by = "Pulang"
    props.comments = "Dibuat oleh tools.build_templates; lihat docs/templates.md"
    props.keywords = ""
    props.category = ""
    props.created = props.modified = FIXED_TIME
    props.revision = 1
    return doc


def _drop_thumbnail(doc) -> None:
    """python-docx's blank document carries a preview picture of another document."""
    rels = doc.part.package.rels
    for rId, rel in list(rels.items()):
        if rel.reltype == RT.THUMBNAIL:
            del rels[rId]
            rels.related_parts.pop(rId, None)


def _word_2013_mode(doc) -> None:
    """Mark the file as a current Word document (not "Compatibility Mode")."""
    settings = doc.settings.element
    for setting in settings.iter(qn("w:compatSetting")):
        if setting.get(qn("w:name")) == "compatibilityMode":
            setting.set(qn("w:val"), "15")


def _house_style(doc) -> None:
    """Times New Roman 12 pt, single spacing, no space between paragraphs, Indonesian."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for child in list(rpr):
        rpr.remove(child)
    rpr.append(_element("w:rFonts", ascii=FONT, hAnsi=FONT, cs=FONT, eastAsia=FONT))
    rpr.append(_element("w:sz", val=24))
    rpr.append(_element("w:szCs", val=24))
    rpr.append(_element("w:lang", val=LANGUAGE, eastAsia=LANGUAGE, bidi="ar-SA"))
    ppr_default = defaults.find(qn("w:pPrDefault"))
    if ppr_default is None:
        ppr_default = _element("w:pPrDefault")
        defaults.append(ppr_default)
    for child in list(ppr_default):
        ppr_default.remove(child)
    ppr = _element("w:pPr")
    ppr.append(_element("w:spacing", after=0, line=240, lineRule="auto"))
    ppr_default.append(ppr)

    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = FONT_SIZE
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), FONT)
    fonts.set(qn("w:cs"), FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.0
    normal.paragraph_format.widow_control = True


# --- paragraphs ----------------------------------------------------------------------

def b(text: str) -> tuple[str, str]:
    """Bold text for `para`."""
    return text, "b"


def i(text: str) -> tuple[str, str]:
    """Italic text for `para`."""
    return text, "i"


def bu(text: str) -> tuple[str, str]:
    """Bold underlined text for `para`."""
    return text, "bu"


def _next_paragraph(box) -> Paragraph:
    """A new paragraph at the end of `box` (document or table cell). A cell's empty
    paragraph (the one a new cell has, or the one after a nested table) is reused."""
    if isinstance(box, _Cell):
        last = box._tc[-1]
        if last.tag == qn("w:p") and last.find(qn("w:r")) is None:
            return Paragraph(last, box)
    return box.add_paragraph()


def para(box, *parts, align=None, before: float = 0, after: float = 0, size=None,
         left=None, hanging=None, keep: bool = False, color=None, exact=None) -> Paragraph:
    """Add a paragraph made of `parts`: plain strings, or (text, "b"/"i"/"u"...) pairs
    from b(), i(), bu(). Each part is one run, so a Jinja tag inside a part is never
    split across runs."""
    p = _next_paragraph(box)
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    if before:
        fmt.space_before = Pt(before)
    if after:
        fmt.space_after = Pt(after)
    if left is not None:
        fmt.left_indent = left
    if hanging is not None:
        fmt.first_line_indent = -hanging
        fmt.tab_stops.add_tab_stop(left)
    if keep:
        fmt.keep_with_next = True
    if exact is not None:
        fmt.line_spacing = exact
    for part in parts or ("",):
        text, style = (part, "") if isinstance(part, str) else part
        run = p.add_run(text)
        run.bold = "b" in style or None
        run.italic = "i" in style or None
        run.underline = "u" in style or None
        if size is not None:
            run.font.size = size
        if color is not None:
            run.font.color.rgb = color
    return p


def spacer(box, points: float) -> Paragraph:
    """An empty paragraph exactly `points` high (vertical room between tables)."""
    return para(box, exact=Pt(points), size=Pt(2))


def rule(doc) -> Paragraph:
    """The thick-thin double line under the letterhead."""
    p = spacer(doc, 4)
    ppr = p._p.get_or_add_pPr()
    _put(ppr, _borders("w:pBdr", ["bottom"], val="thickThinSmallGap", size=24), _PPR_ORDER)
    return p


def numbered(doc, statements, *, left=Cm(1.0), hanging=Cm(0.6), after: float = 2) -> None:
    """1., 2., ... with a hanging indent (typed numbers: nothing renumbers by surprise)."""
    for n, text in enumerate(statements, start=1):
        para(doc, f"{n}.\t", text, align=JUSTIFY, left=left, hanging=hanging, after=after)


def tag_paragraph(box, tag: str) -> Paragraph:
    """A paragraph holding only a docxtpl paragraph tag ({%p if ... %}), in grey."""
    return para(box, tag, color=GREY, size=Pt(9))


# --- tables --------------------------------------------------------------------------

def table(box, widths, rows: int = 1, *, borders: bool = True, indent=None,
          align=None, pad=None):
    """A fixed-layout table with the given column widths, with or without grid lines."""
    widths = [Emu(_twips(w) * 635) for w in widths]  # whole twips, as Word stores them
    t = box.add_table(rows=rows, cols=len(widths))
    t.style = None
    t.autofit = False
    tblPr = t._tbl.tblPr
    _put(tblPr, _element("w:tblW", w=_twips(sum(widths)), type="dxa"), _TBLPR_ORDER)
    for column, width in zip(t.columns, widths):
        column.width = width
    for row in t.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width
    edges = ["top", "left", "bottom", "right", "insideH", "insideV"]
    _put(tblPr, _borders("w:tblBorders", edges, "single" if borders else "nil"), _TBLPR_ORDER)
    if indent is not None:
        _put(tblPr, _element("w:tblInd", w=_twips(indent), type="dxa"), _TBLPR_ORDER)
    if align is not None:
        t.alignment = align
    if borders or pad is not None:
        # a little air above and below the text of ruled cells; `pad` left and right
        mar = _element("w:tblCellMar")
        side = _twips(pad) if pad is not None else 108  # 108: Word's default
        vertical = 20 if borders else 0
        for edge, w in (("top", vertical), ("left", side), ("bottom", vertical),
                        ("right", side)):
            mar.append(_element(f"w:{edge}", w=w, type="dxa"))
        _put(tblPr, mar, _TBLPR_ORDER)
    return t


def merge_row(row):
    """Merge a row's cells into one and return it."""
    return row.cells[0].merge(row.cells[-1])


def shade(cell, fill: str = HEADER_FILL) -> None:
    _put(cell._tc.get_or_add_tcPr(), _element("w:shd", val="clear", color="auto", fill=fill),
         _TCPR_ORDER)


def row_options(row, *, header: bool = False, keep: bool = True, height=None) -> None:
    """Repeat the row on each page (`header`), never split it over two pages (`keep`)."""
    trPr = row._tr.get_or_add_trPr()
    if keep:
        trPr.append(_element("w:cantSplit"))
    if header:
        trPr.append(_element("w:tblHeader"))
    if height is not None:
        row.height = height
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST


def cells_text(row, texts, *, bold=False, align=None, size=None, fill=None, middle=True):
    """Fill a row's cells, one text per cell: a string, a b()/i() pair or a list of them."""
    for cell, text in zip(row.cells, texts):
        parts = text if isinstance(text, list) else [text]
        if bold:
            parts = [b(p) if isinstance(p, str) else p for p in parts]
        para(cell, *parts, align=align, size=size)
        if fill:
            shade(cell, fill)
        if middle:
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def loop_row(t, tag: str, size=None):
    """A row holding only a docxtpl row tag ({%tr for ... %} / {%tr endfor %}); the row
    itself disappears from the letter."""
    row = t.add_row()
    cell = merge_row(row)
    para(cell, tag, color=GREY, size=size or Pt(9))
    return row


def field_rows(box, rows, *, width=PORTRAIT_WIDTH, label=Cm(4.6), indent=Cm(0.6)):
    """Aligned "Label : value" lines (an identity block) as a borderless table."""
    t = table(box, [label, Cm(0.5), width - indent - label - Cm(0.5)], rows=len(rows),
              borders=False, indent=indent)
    for row, (name, *value) in zip(t.rows, rows):
        para(row.cells[0], name)
        para(row.cells[1], ":")
        para(row.cells[2], *value)
    return t


# --- letter parts --------------------------------------------------------------------

def letterhead(doc, width=PORTRAIT_WIDTH) -> None:
    """Kop surat: the logo on the left, the office centred, a double rule under it."""
    side = Cm(2.8)
    t = table(doc, [side, width - 2 * side, side], borders=False)
    logo, text, _ = t.rows[0].cells
    for cell in t.rows[0].cells:
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    para(logo, "{{ office_logo }}", align=CENTER)
    para(text, b("{{ office.parent }}"), align=CENTER, size=Pt(14))
    para(text, b("{{ office.name }}"), align=CENTER, size=Pt(17))
    para(text, "{{ office.address }}", align=CENTER, size=Pt(11))
    para(text, "{% if office.phone %}Telepon {{ office.phone }}{% endif %}"
               "{% if office.phone and office.email %}, {% endif %}"
               "{% if office.email %}Pos-el: {{ office.email }}{% endif %}",
         align=CENTER, size=Pt(11))
    rule(doc)


def title(doc, text: str) -> None:
    """The document's title, centred, bold and underlined, with its number under it."""
    para(doc, bu(text), align=CENTER, before=10, size=Pt(14))
    para(doc, "Nomor: {{ number }}", align=CENTER, after=10)


def meterai_box(cell, width=Cm(3.0), height=Cm(1.75)) -> None:
    """A dashed box where the stamp-duty stamp (meterai) is stuck and signed across."""
    box = table(cell, [width], borders=False, align=WD_TABLE_ALIGNMENT.CENTER)
    _put(box._tbl.tblPr, _borders("w:tblBorders", ["top", "left", "bottom", "right"],
                                  val="dashed", size=4), _TBLPR_ORDER)
    row = box.rows[0]
    row.height = height
    row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
    inner = row.cells[0]
    inner.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    para(inner, "METERAI", align=CENTER, size=Pt(8), color=GREY)
    para(inner, "10.000", align=CENTER, size=Pt(8), color=GREY)


def signature(cell, heading, name: str, nip: str | None = None, *, meterai=False,
              align=CENTER) -> None:
    """A signature block: heading lines, room to sign (or a meterai box), the name bold
    and underlined, and "NIP. ..." when `nip` (a variable name) is set."""
    for line in heading:
        para(cell, line, align=align)
    if meterai:
        spacer(cell, 4)
        meterai_box(cell)
        para(cell, bu(name), align=align, before=2)
    else:
        para(cell, bu(name), align=align, before=SIGNATURE_GAP.pt)
    if nip:
        para(cell, f"{{% if {nip} %}}NIP. {{{{ {nip} }}}}{{% endif %}}", align=align)


def signature_table(doc, width=PORTRAIT_WIDTH, *, before: float = 12):
    """Two signature columns side by side; returns (left cell, right cell)."""
    spacer(doc, before).paragraph_format.keep_with_next = True
    t = table(doc, [width / 2, width / 2], borders=False)
    row_options(t.rows[0])
    return t.rows[0].cells


def centred_signature(doc, heading, name, nip, width=PORTRAIT_WIDTH, before: float = 8):
    """One signature block in the middle of the page (the "Mengetahui," official)."""
    spacer(doc, before).paragraph_format.keep_with_next = True
    t = table(doc, [width / 4, width / 2, width / 4], borders=False)
    row_options(t.rows[0])
    signature(t.rows[0].cells[1], heading, name, nip)


def staggered_signature(cell, number: str, size=None, dots: int = 10) -> None:
    """A numbered dotted line to sign on, left for odd numbers and right for even ones,
    as Indonesian attendance lists and rosters do."""
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    tag_paragraph(cell, f"{{%p if {number} is odd %}}")
    line = f"{{{{ {number} }}}}. " + "." * dots
    para(cell, line, size=size)
    tag_paragraph(cell, "{%p else %}")
    para(cell, line, size=size, align=RIGHT)
    tag_paragraph(cell, "{%p endif %}")


def place_and_date() -> str:
    return "{{ office.city }}, {{ date|tanggal }}"


def aid_table(doc, size=Pt(11)) -> None:
    """The itemised aid of one case (No, Jenis Bantuan, Keterangan, Sumber Dana, Jumlah),
    a total row, and the total in words."""
    widths = [Cm(1.0), Cm(2.9), Cm(4.9), Cm(4.9), Cm(2.8)]
    t = table(doc, widths, borders=True, pad=Cm(0.12))
    header = t.rows[0]
    row_options(header, header=True)
    cells_text(header, ["No", "Jenis Bantuan", "Keterangan", "Sumber Dana", "Jumlah"],
               bold=True, align=CENTER, size=size, fill=HEADER_FILL)
    loop_row(t, "{%tr for item in aid_items %}")
    row = t.add_row()
    row_options(row)
    cells_text(row, ["{{ loop.index }}", "{{ item.label }}", "{{ item.description or \"-\" }}",
                     "{{ item.source or \"-\" }}", "{{ item.amount|rupiah }}"], size=size)
    row.cells[0].paragraphs[0].alignment = CENTER
    row.cells[4].paragraphs[0].alignment = RIGHT
    # Each amount also in words, as auditors read receipts line by line.
    para(row.cells[2], i("({{ item.amount|terbilang }} rupiah)"), size=Pt(9))
    loop_row(t, "{%tr endfor %}")
    total = t.add_row()
    row_options(total)
    label = total.cells[0].merge(total.cells[3])
    para(label, b("JUMLAH"), align=RIGHT, size=size)
    para(total.cells[4], b("{{ aid_total|rupiah }}"), align=RIGHT, size=size)
    para(doc, "Terbilang: ", i("{{ aid_total|terbilang }} rupiah"), before=4)


def closing(doc, text: str) -> None:
    para(doc, text, align=JUSTIFY, before=8)


# --- the five templates --------------------------------------------------------------

IDENTITY = [
    ("Nama", b("{{ full_name }}")),
    ("NIK", "{{ nik or \"-\" }}"),
    ("Tempat/Tanggal Lahir", "{{ birth_place or \"-\" }}, {{ birth_date|tanggal }}"),
    ("Alamat Asal", "{{ origin_address or \"-\" }}"),
    ("Daerah Asal", "{{ origin_region or \"-\" }}"),
]


def build_pledge() -> Document:
    """Surat Pernyataan: the woman's pledge, signed over a meterai."""
    doc = new_document("Surat Pernyataan")
    letterhead(doc)
    title(doc, "SURAT PERNYATAAN")
    para(doc, "Yang bertanda tangan di bawah ini:", after=4)
    field_rows(doc, IDENTITY)
    para(doc, "Dengan ini menyatakan dengan sesungguhnya bahwa saya:", before=6, after=4)
    numbered(doc, [
        "Tidak akan kembali melakukan kegiatan prostitusi/pekerja seks komersial dalam "
        "bentuk apa pun dan di tempat mana pun;",
        "Bersedia mengikuti bimbingan, pembinaan dan pelatihan keterampilan yang diberikan "
        "oleh pemerintah;",
        "Kembali ke daerah asal ({{ origin_region or \"-\" }}) atas kemauan dan kesadaran "
        "saya sendiri;",
        "Akan menggunakan bantuan yang saya terima{% if aid_items %} ("
        "{% for item in aid_items %}{{ item.label|lower }} {{ item.amount|rupiah }}"
        "{% if not loop.last %}, {% endif %}{% endfor %}){% endif %} sesuai dengan "
        "peruntukannya dan tidak memindahtangankannya kepada pihak lain;",
        "Apabila di kemudian hari saya melanggar pernyataan ini, saya bersedia menerima "
        "sanksi sesuai dengan ketentuan peraturan perundang-undangan yang berlaku, "
        "termasuk mengembalikan bantuan yang telah saya terima.",
    ])
    closing(doc, "Demikian surat pernyataan ini saya buat dengan sebenarnya tanpa paksaan "
                 "dari pihak manapun.")
    left, right = signature_table(doc)
    signature(left, ["", "Saksi,"], "{{ officials.witness.name }}",
              "officials.witness.nip")
    signature(right, [place_and_date(), "Yang membuat pernyataan,"], "{{ full_name }}",
              meterai=True)
    centred_signature(doc, ["Mengetahui,", "{{ officials.head.title }},"],
                      "{{ officials.head.name }}", "officials.head.nip")
    return doc


def build_aid_receipt() -> Document:
    """Tanda Terima Bantuan (kuitansi): what one woman received, item by item."""
    doc = new_document("Tanda Terima Bantuan")
    letterhead(doc)
    title(doc, "TANDA TERIMA BANTUAN")
    field_rows(doc, [
        ("Telah terima dari", "{{ office.name }} {{ office.parent }}"),
        ("Nama Penerima", b("{{ full_name }}")),
        ("NIK", "{{ nik or \"-\" }}"),
        ("Alamat Asal", "{{ origin_address or \"-\" }}, {{ origin_region or \"-\" }}"),
        ("Uang sejumlah", b("{{ aid_total|rupiah }}")),
    ], indent=Cm(0))
    para(doc, "dengan rincian sebagai berikut:", before=6, after=4)
    aid_table(doc)
    spacer(doc, 6)
    field_rows(doc, [
        ("Untuk pembayaran", "Bantuan pemulangan ke daerah asal dan pemberdayaan sosial "
                             "bagi penerima manfaat {{ facility }} (nomor kasus "
                             "{{ case_number }})."),
    ], indent=Cm(0))
    left, right = signature_table(doc)
    signature(left, ["Lunas dibayar,", "{{ officials.treasurer.title }},"],
              "{{ officials.treasurer.name }}", "officials.treasurer.nip")
    signature(right, [place_and_date(), "Yang menerima,"], "{{ full_name }}", meterai=True)
    centred_signature(doc, ["Mengetahui/Setuju dibayar,", "{{ officials.head.title }},"],
                      "{{ officials.head.name }}", "officials.head.nip")
    return doc


def build_release_report() -> Document:
    """Berita Acara Pelepasan for one woman: who, from where to where, with what aid."""
    doc = new_document("Berita Acara Pelepasan")
    letterhead(doc)
    title(doc, "BERITA ACARA PELEPASAN")
    para(doc, "Pada hari ini {{ release.date|tanggal_hari }} bertempat di "
              "{{ release.place }}, telah dilaksanakan pelepasan/pemulangan penerima "
              "manfaat {{ facility }} ke daerah asal, dengan identitas sebagai berikut:",
         align=JUSTIFY, after=4)
    field_rows(doc, IDENTITY + [
        ("Nomor Kasus", "{{ case_number }}"),
        ("Dipulangkan dari", "{{ facility }}"),
        ("Tujuan Pemulangan", "{{ release.destination or \"-\" }}"),
    ])
    para(doc, "Kepada yang bersangkutan telah diserahkan bantuan sebagai berikut:",
         align=JUSTIFY, before=6, after=4)
    aid_table(doc)
    tag_paragraph(doc, "{%p if notes %}")
    para(doc, "Catatan: {{ notes }}", align=JUSTIFY, before=4)
    tag_paragraph(doc, "{%p endif %}")
    closing(doc, "Demikian berita acara ini dibuat dengan sebenarnya untuk dapat "
                 "dipergunakan sebagaimana mestinya.")
    left, right = signature_table(doc)
    signature(left, ["", "Yang menyerahkan,", "{{ officials.head.title }},"],
              "{{ officials.head.name }}", "officials.head.nip")
    signature(right, [place_and_date(), "Yang dipulangkan,", ""], "{{ full_name }}")
    return doc


def _ceremony_lines(doc, width) -> None:
    field_rows(doc, [
        ("Kegiatan", "{{ ceremony.title }}"),
        ("Hari/Tanggal", "{{ ceremony.date|tanggal_hari }}"),
        ("Tempat", "{{ ceremony.place }}"),
    ], width=width, label=Cm(3.2), indent=Cm(0))


def _amount(expr: str) -> str:
    """An amount in a roster cell: "-" for zero."""
    return f"{{{{ {expr}|rupiah if {expr} else \"-\" }}}}"


def build_aid_roster() -> Document:
    """Daftar Penerima Bantuan: one line per woman, one column per aid kind, landscape.

    The aid columns repeat with docxtpl's {%tc for %}. docxtpl then adds or removes grid
    columns at the right-hand end of the table, so every column from the first aid
    column on has the same width (and the four before them average that width): the
    columns stay in place whatever the number of aid kinds.
    """
    width = LANDSCAPE_WIDTH
    doc = new_document("Daftar Penerima Bantuan", landscape=True)
    letterhead(doc, width)
    title(doc, "DAFTAR PENERIMA BANTUAN")
    _ceremony_lines(doc, width)
    spacer(doc, 6)

    size = Pt(10)
    unit = width / 9  # 3 tag columns of the loop + Jumlah + Tanda Tangan, and the 4 before
    fixed = [Cm(0.8), Cm(3.8), Cm(3.4)]
    widths = fixed + [4 * unit - sum(fixed)] + [unit] * 5
    t = table(doc, widths, borders=True, pad=Cm(0.1))
    loop_start = "{%tc for col in aid_columns %}"
    loop_end = "{%tc endfor %}"

    header = t.rows[0]
    row_options(header, header=True)
    cells_text(header, ["No", "Nama", "NIK", "Asal", loop_start, "{{ col.label }}",
                        loop_end, "Jumlah", "Tanda Tangan"],
               bold=True, align=CENTER, size=size, fill=HEADER_FILL)
    loop_row(t, "{%tr for case in cases %}")

    row = t.add_row()
    row_options(row, height=Cm(0.8))
    cells_text(row, ["{{ case.no }}", "{{ case.full_name }}", "{{ case.nik_masked }}",
                     "{{ case.origin_region or \"-\" }}", loop_start,
                     _amount("case.aid_by_kind[col.kind]"), loop_end,
                     "{{ case.aid_total|rupiah }}"], size=size)
    for n in (0, 2):
        row.cells[n].paragraphs[0].alignment = CENTER
    row.cells[2].paragraphs[0].runs[0].font.size = Pt(9)  # 16 characters on one line
    for n in (5, 7):
        row.cells[n].paragraphs[0].alignment = RIGHT
    staggered_signature(row.cells[8], "case.no", size=size)
    loop_row(t, "{%tr endfor %}")

    total = t.add_row()
    row_options(total)
    label = total.cells[0].merge(total.cells[3])
    para(label, b("JUMLAH"), align=CENTER, size=size)
    label.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    cells = total.cells  # merged cells repeat: the aid loop starts at index 4
    para(cells[4], loop_start, size=size)
    para(cells[5], b(_amount("totals_by_kind[col.kind]")), align=RIGHT, size=size)
    para(cells[6], loop_end, size=size)
    para(cells[7], b("{{ grand_total|rupiah }}"), align=RIGHT, size=size)
    for cell in cells[4:]:
        shade(cell)
    shade(label)

    para(doc, "Terbilang: ", i("{{ grand_total|terbilang }} rupiah"), before=4)
    left, right = signature_table(doc, width, before=8)
    signature(left, ["Mengetahui,", "{{ officials.head.title }},"],
              "{{ officials.head.name }}", "officials.head.nip")
    signature(right, [place_and_date(), "{{ officials.treasurer.title }},"],
              "{{ officials.treasurer.name }}", "officials.treasurer.nip")
    return doc


def build_ceremony_report() -> Document:
    """Berita Acara Pelepasan for a whole ceremony: who attended, who went home where,
    with how much aid."""
    width = PORTRAIT_WIDTH
    doc = new_document("Berita Acara Pelepasan")
    letterhead(doc)
    title(doc, "BERITA ACARA PELEPASAN")
    para(doc, "Pada hari ini {{ ceremony.date|tanggal_hari }} bertempat di "
              "{{ ceremony.place }}, telah dilaksanakan {{ ceremony.title }}, yang "
              "dihadiri oleh:", align=JUSTIFY, after=4)

    officials = table(doc, [Cm(0.8), Cm(6.2), width - Cm(7.6)], borders=False,
                      indent=Cm(0.6))
    tag = officials.rows[0]
    merge_row(tag)
    para(tag.cells[0], "{%tr for person in ceremony.officials %}", color=GREY, size=Pt(9))
    row = officials.add_row()
    cells_text(row, ["{{ loop.index }}.", b("{{ person.name }}"), "{{ person.title }}"],
               middle=False)
    loop_row(officials, "{%tr endfor %}")

    para(doc, "Dalam kegiatan tersebut telah dilepas dan dipulangkan ke daerah asal "
              "sebanyak {{ cases|length }} orang penerima manfaat, dengan rincian "
              "sebagai berikut:", align=JUSTIFY, before=6, after=4)
    size = Pt(11)
    widths = [Cm(0.9), Cm(4.4), Cm(4.2), Cm(4.2), Cm(2.8)]
    t = table(doc, widths, borders=True, pad=Cm(0.12))
    header = t.rows[0]
    row_options(header, header=True)
    cells_text(header, ["No", "Nama", "Daerah Asal", "Tujuan", "Bantuan"], bold=True,
               align=CENTER, size=size, fill=HEADER_FILL)
    loop_row(t, "{%tr for case in cases %}")
    row = t.add_row()
    row_options(row)
    cells_text(row, ["{{ case.no }}", "{{ case.full_name }}",
                     "{{ case.origin_region or \"-\" }}", "{{ case.destination or \"-\" }}",
                     "{{ case.aid_total|rupiah }}"], size=size)
    row.cells[0].paragraphs[0].alignment = CENTER
    row.cells[4].paragraphs[0].alignment = RIGHT
    loop_row(t, "{%tr endfor %}")
    total = t.add_row()
    row_options(total)
    label = total.cells[0].merge(total.cells[3])
    para(label, b("JUMLAH"), align=RIGHT, size=size)
    para(total.cells[4], b("{{ grand_total|rupiah }}"), align=RIGHT, size=size)
    para(doc, "Terbilang: ", i("{{ grand_total|terbilang }} rupiah"), before=4)

    para(doc, "Bantuan yang diserahkan menurut jenisnya:", before=8, after=4, keep=True)
    kinds = table(doc, [Cm(0.8), Cm(6.2), Cm(3.5)], borders=False, indent=Cm(0.6))
    tag = kinds.rows[0]
    merge_row(tag)
    para(tag.cells[0], "{%tr for col in aid_columns %}", color=GREY, size=Pt(9))
    row = kinds.add_row()
    cells_text(row, ["{{ loop.index }}.", "{{ col.label }}",
                     "{{ totals_by_kind[col.kind]|rupiah }}"], middle=False)
    row.cells[2].paragraphs[0].alignment = RIGHT
    loop_row(kinds, "{%tr endfor %}")

    closing(doc, "Demikian berita acara ini dibuat dengan sebenarnya untuk dapat "
                 "dipergunakan sebagaimana mestinya.")

    para(doc, "Pejabat yang hadir:", before=8, after=2, keep=True)
    signers = table(doc, [Cm(0.8), Cm(9.1), width - Cm(10.5)], borders=False,
                    indent=Cm(0.6))
    tag = signers.rows[0]
    merge_row(tag)
    para(tag.cells[0], "{%tr for person in ceremony.officials %}", color=GREY, size=Pt(9))
    row = signers.add_row()
    row_options(row, height=Cm(1.3))
    cells_text(row, ["{{ loop.index }}.", b("{{ person.name }}")], middle=False)
    para(row.cells[1], "{{ person.title }}")
    staggered_signature(row.cells[2], "loop.index", dots=20)
    loop_row(signers, "{%tr endfor %}")

    left, right = signature_table(doc)
    signature(left, ["", "Yang membuat berita acara,", "{{ officials.witness.title }},"],
              "{{ officials.witness.name }}", "officials.witness.nip")
    signature(right, [place_and_date(), "Mengetahui,", "{{ officials.head.title }},"],
              "{{ officials.head.name }}", "officials.head.nip")
    return doc


TEMPLATES = {
    "pledge.docx": build_pledge,
    "aid_receipt.docx": build_aid_receipt,
    "release_report.docx": build_release_report,
    "aid_roster.docx": build_aid_roster,
    "ceremony_report.docx": build_ceremony_report,
}


# --- saving --------------------------------------------------------------------------

def to_bytes(doc) -> bytes:
    """The .docx bytes with fixed zip timestamps, so the same template hashes the same."""
    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def build_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in TEMPLATES.items():
        path = out_dir / name
        tmp = path.with_suffix(".docx.tmp")
        tmp.write_bytes(to_bytes(build()))
        tmp.replace(path)
        written.append(path)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="Build Pulang's default Word templates.")
    parser.add_argument("out_dir", type=Path, nargs="?", default=Path("templates"),
                        help="where to write the .docx files (default: templates/)")
    args = parser.parse_args(argv)
    for path in build_all(args.out_dir):
        print(path)


if __name__ == "__main__":
    main()
