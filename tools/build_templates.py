"""Build the product's default Word templates with python-docx.

    .venv/bin/python -m tools.build_templates templates/

writes pledge.docx, aid_receipt.docx, transfer_receipt.docx, release_report.docx,
aid_roster.docx and ceremony_report.docx. The files are plain Word documents a clerk can
open and edit: real tables (no text boxes, no frames), the Normal style in Arial 11 pt,
Jinja tags for docxtpl each typed in a single run. See docs/templates.md for the
variables, the filters and the layout rules with their sources.

Page layout (Permendagri 1/2023's pedoman; the office's layout settings are applied over
it when a letter is made, service/letters/layout.py): A4 (the roster landscape), margins
3 cm left for binding, 2 cm right and top, and 3 cm at the bottom, which stays empty: the
stamp (letter number, "Hal. i/n", QR code) is drawn there after conversion.

No page holds only signatures and no list is cut at its tail: every signature block is
in a table row that cannot split, and the closing lines before it, the total and the
last two rows of each list are kept with what follows (keep with next, keep lines
together): the loops repeat all rows but the last two, then the last two in a row of
their own that is kept with the next.

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

FONT = "Arial"
FONT_SIZE = Pt(11)
LANGUAGE = "id-ID"
A4_SHORT, A4_LONG = Cm(21), Cm(29.7)
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP = Cm(3), Cm(2), Cm(2)
MARGIN_BOTTOM = Cm(3)  # kept empty for the stamp
PORTRAIT_WIDTH = A4_SHORT - MARGIN_LEFT - MARGIN_RIGHT  # 16 cm of text
LANDSCAPE_WIDTH = A4_LONG - MARGIN_LEFT - MARGIN_RIGHT  # 24.7 cm of text

SIGNATURE_GAP = Cm(1.8)  # room to sign above a printed name
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
    """Arial 11 pt, single spacing, no space between paragraphs, Indonesian."""
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for child in list(rpr):
        rpr.remove(child)
    rpr.append(_element("w:rFonts", ascii=FONT, hAnsi=FONT, cs=FONT, eastAsia=FONT))
    rpr.append(_element("w:sz", val=int(FONT_SIZE.pt * 2)))
    rpr.append(_element("w:szCs", val=int(FONT_SIZE.pt * 2)))
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
         left=None, hanging=None, keep: bool = False, color=None, exact=None,
         together: bool = False) -> Paragraph:
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
    if together:
        fmt.keep_together = True
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


def numbered(doc, statements, *, left=Cm(1.0), hanging=Cm(0.6), after: float = 2,
             keep_last: int = 0) -> None:
    """1., 2., ... with a hanging indent (typed numbers: nothing renumbers by surprise);
    the last `keep_last` kept with what follows."""
    for n, text in enumerate(statements, start=1):
        para(doc, f"{n}.\t", text, align=JUSTIFY, left=left, hanging=hanging, after=after,
             keep=n > len(statements) - keep_last, together=True)


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


# --- keeping things together ---------------------------------------------------------

def keep_row(row) -> None:
    """Keep a table row on the page of the paragraph or row after it (every paragraph of
    the row keeps with the next, as Word and LibreOffice read it)."""
    for cell in row.cells:
        for p in cell.paragraphs:
            p.paragraph_format.keep_with_next = True


def list_tables(box, widths, loop: str, seq: str, fill, *, header=None, **options):
    """A list as two tables: every entry of `seq` but the last two in the first (under
    its header row, which repeats on each page), the last two in the second, their rows
    kept with what follows. Returns the second table, for a total row.

    Two tables, not one: LibreOffice keeps the last rows of a table with the next
    paragraph only at the table's first page break, so a list's tail could be cut from
    the signatures on its third page; a table of its own is moved whole. A 1 pt line,
    kept with the next, separates them (Word would join two adjacent tables), and the
    second table has no top border, so on paper they read as one table.

    `fill(row)` fills one repeated row; `header(row)` fills the header row, if any;
    `loop` is "item in" style text ("case in")."""
    first = table(box, widths, rows=1 if header else 0, **options)
    if header:
        head = first.rows[0]
        header(head)
        row_options(head, header=True)
        keep_row(head)  # never alone at a page's foot
    else:
        tag_paragraph(box, f"{{%p if {seq}|length > 2 %}}")
        first = table(box, widths, rows=0, **options)
    loop_row(first, f"{{%tr for {loop} {seq}[:-2] %}}")
    fill(first.add_row())
    loop_row(first, "{%tr endfor %}")
    if not header:
        tag_paragraph(box, "{%p endif %}")
    spacer(box, 1).paragraph_format.keep_with_next = True
    last = table(box, widths, rows=0, **options)
    if options.get("borders", True):
        tblPr = last._tbl.tblPr
        _put(tblPr, _borders("w:tblBorders", ["left", "bottom", "right", "insideH", "insideV"]),
             _TBLPR_ORDER)
    loop_row(last, f"{{%tr for {loop} {seq}[-2:] %}}")
    row = last.add_row()
    fill(row)
    keep_row(row)
    loop_row(last, "{%tr endfor %}")
    return last


# --- letter parts --------------------------------------------------------------------

def letterhead(doc, width=PORTRAIT_WIDTH) -> None:
    """Kop surat (Permendagri 1/2023): the lambang daerah on the left, the office centred
    in capitals, the office's own logo (optional) on the right, a double rule under it."""
    side = Cm(2.6)
    t = table(doc, [side, width - 2 * side, side], borders=False)
    emblem, text, logo = t.rows[0].cells
    for cell in t.rows[0].cells:
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
    para(emblem, "{{ office_logo }}", align=CENTER)
    para(text, b("{{ office.region|upper }}"), align=CENTER, size=Pt(14))
    para(text, b("{{ office.name|upper }}"), align=CENTER, size=Pt(16))
    para(text, "{{ office.address }}", align=CENTER, size=Pt(10))
    para(text, "{% if office.phone %}Telepon {{ office.phone }}{% endif %}"
               "{% if office.phone and office.email %}, {% endif %}"
               "{% if office.email %}Pos-el: {{ office.email }}{% endif %}",
         align=CENTER, size=Pt(10))
    para(logo, "{{ unit_logo }}", align=CENTER)
    rule(doc)


def title(doc, text: str) -> None:
    """The document's title, centred, bold and underlined, with its number under it."""
    para(doc, bu(text), align=CENTER, before=8, size=Pt(13), keep=True)
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


def signature(cell, heading, official: str | None = None, *, name: str | None = None,
              meterai: str | None = None, align=CENTER) -> None:
    """A signature block (Permendagri 1/2023 Pasal 44): heading lines ending with the
    jabatan, room to sign (or a meterai box when `meterai`, a condition, holds), the name
    bold and underlined with its gelar, then the pangkat/golongan and "NIP. …" when the
    official (`official`: "officials.head" …) has them. `name`: a name without rank or
    NIP (the woman herself)."""
    for line in heading:
        para(cell, line, align=align)
    name = name or f"{{{{ {official}.name }}}}"
    if meterai:
        tag_paragraph(cell, f"{{%p if {meterai} %}}")
        spacer(cell, 3)
        meterai_box(cell)
        para(cell, bu(name), align=align, before=2)
        tag_paragraph(cell, "{%p else %}")
    para(cell, bu(name), align=align, before=SIGNATURE_GAP.pt)
    if meterai:
        tag_paragraph(cell, "{%p endif %}")
    if official:
        tag_paragraph(cell, f"{{%p if {official}.rank %}}")
        para(cell, f"{{{{ {official}.rank }}}}", align=align)
        tag_paragraph(cell, "{%p endif %}")
        tag_paragraph(cell, f"{{%p if {official}.nip %}}")
        para(cell, f"NIP. {{{{ {official}.nip|nip }}}}", align=align)
        tag_paragraph(cell, "{%p endif %}")


def signature_rows(doc, rows: int = 1, width=PORTRAIT_WIDTH, *, before: float = 12,
                   centred_last: bool = False):
    """The signature area: one table of `rows` rows of two blocks each, every row unable
    to split and kept with the next; the last row one centred block if `centred_last`.
    Returns the rows' cells. The spacer before it is kept with it."""
    spacer(doc, before).paragraph_format.keep_with_next = True
    t = table(doc, [width / 2, width / 2], rows=rows, borders=False)
    for row in t.rows:
        row_options(row)
    if centred_last:
        merge_row(t.rows[-1])
    return t


def keep_signature_rows(t) -> None:
    """Once filled: every row but the last kept with the next (one block of signatures)."""
    for row in t.rows[:-1]:
        keep_row(row)


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


def aid_table(doc, items: str = "aid_items", total: str = "aid_total", size=Pt(10),
              width=PORTRAIT_WIDTH) -> None:
    """The itemised aid (No, Jenis Bantuan, Keterangan, Sumber Dana, Jumlah) and a total
    row. An item without a description prints nothing in its cell."""
    widths = [Cm(0.9), Cm(3.4), width - Cm(11.0), Cm(3.6), Cm(3.1)]

    def header(row):
        cells_text(row, ["No", "Jenis Bantuan", "Keterangan", "Sumber Dana", "Jumlah"],
                   bold=True, align=CENTER, size=size, fill=HEADER_FILL)

    def fill(row):
        row_options(row)
        cells_text(row, ["{{ item.no }}", "{{ item.label }}", "{{ item.description }}",
                         "{{ item.source }}", "{{ item.amount|rupiah }}"], size=size)
        row.cells[0].paragraphs[0].alignment = CENTER
        row.cells[4].paragraphs[0].alignment = RIGHT

    t = list_tables(doc, widths, "item in", items, fill, header=header, borders=True,
                    pad=Cm(0.12))
    total_row = t.add_row()
    row_options(total_row)
    label = total_row.cells[0].merge(total_row.cells[3])
    para(label, b("JUMLAH"), align=RIGHT, size=size)
    para(total_row.cells[4], b(f"{{{{ {total}|rupiah }}}}"), align=RIGHT, size=size)
    keep_row(total_row)


def closing(doc, text: str) -> None:
    """The closing sentence: never split, and on the page of the signatures."""
    para(doc, text, align=JUSTIFY, before=8, keep=True, together=True)


def lead(doc, *parts, before: float = 6, after: float = 4) -> Paragraph:
    """A sentence that introduces what follows (a list, a table): kept with it."""
    return para(doc, *parts, align=JUSTIFY, before=before, after=after, keep=True, together=True)


# --- the six templates ---------------------------------------------------------------

def identity(box, extra=(), *, indent=Cm(0.6)):
    """Her identity block: a row only for what is recorded (an empty field prints no
    line, never a "-")."""
    rows = [
        ("Nama", [b("{{ full_name }}")], None),
        ("NIK", ["{{ nik }}"], "nik"),
        ("Tempat/Tanggal Lahir",
         ["{{ birth_place }}{% if birth_place and birth_date %}, {% endif %}"
          "{% if birth_date %}{{ birth_date|tanggal }}{% endif %}"], "birth_place or birth_date"),
        ("Alamat Asal", ["{{ origin_address }}"], "origin_address"),
        ("Daerah Asal", ["{{ origin_region }}"], "origin_region"),
        *extra,
    ]
    return field_rows(box, rows, indent=indent)


def field_rows(box, rows, *, width=PORTRAIT_WIDTH, label=Cm(4.6), indent=Cm(0.6)):
    """Aligned "Label : value" lines as a borderless table. Each row is (label, parts,
    condition or None): a row with a condition prints only when it holds."""
    t = table(box, [label, Cm(0.5), width - indent - label - Cm(0.5)], rows=0,
              borders=False, indent=indent)
    for name, parts, when in rows:
        if when:
            loop_row(t, f"{{%tr if {when} %}}")
        row = t.add_row()
        row_options(row)
        para(row.cells[0], name)
        para(row.cells[1], ":")
        para(row.cells[2], *parts)
        if when:
            loop_row(t, "{%tr endif %}")
    return t


def build_pledge() -> Document:
    """Surat Pernyataan: the Penerima Manfaat's pledge, signed over a meterai (UU 10/2020
    Pasal 3: a statement)."""
    doc = new_document("Surat Pernyataan")
    letterhead(doc)
    title(doc, "SURAT PERNYATAAN")
    lead(doc, "Yang bertanda tangan di bawah ini:", before=0)
    identity(doc)
    lead(doc, "Dengan ini menyatakan dengan sesungguhnya bahwa saya:")
    numbered(doc, [
        "Tidak akan kembali ke dalam praktik prostitusi atau eksploitasi seksual dalam "
        "bentuk apa pun dan di tempat mana pun;",
        "Bersedia mengikuti bimbingan, pembinaan, dan pelatihan keterampilan yang "
        "diberikan oleh pemerintah;",
        "Kembali ke daerah asal{% if origin_region %} ({{ origin_region }}){% endif %} "
        "atas kemauan dan kesadaran saya sendiri;",
        "Akan menggunakan bantuan yang saya terima{% if aid_list %} ({{ aid_list }})"
        "{% endif %} sesuai dengan peruntukannya dan tidak memindahtangankannya kepada "
        "pihak lain; dan",
        "Apabila di kemudian hari saya melanggar pernyataan ini, saya bersedia menerima "
        "sanksi sesuai dengan ketentuan peraturan perundang-undangan, termasuk "
        "mengembalikan bantuan yang telah saya terima.",
    ], keep_last=2)
    closing(doc, "Demikian surat pernyataan ini saya buat dengan sebenarnya tanpa paksaan "
                 "dari pihak mana pun.")
    t = signature_rows(doc, rows=2, centred_last=True)
    left, right = t.rows[0].cells
    signature(left, ["", "Saksi,", "{{ officials.witness.title }},"], "officials.witness")
    signature(right, [place_and_date(), "Yang membuat pernyataan,", ""], name="{{ full_name }}",
              meterai="meterai")
    centre = t.rows[1].cells[0]
    centre_block = table(centre, [PORTRAIT_WIDTH / 4, PORTRAIT_WIDTH / 2, PORTRAIT_WIDTH / 4],
                         borders=False)
    signature(centre_block.rows[0].cells[1], ["Mengetahui,", "{{ officials.head.title }},"],
              "officials.head")
    keep_signature_rows(t)
    return doc


def build_aid_receipt() -> Document:
    """Kuitansi: the office's own money (APBD) paid to one woman by its treasurer, in
    the form a treasurer and an auditor accept. Money paid into her account by another
    budget is listed apart, outside the total, or has its own receipt."""
    doc = new_document("Kuitansi")
    letterhead(doc)
    title(doc, "KUITANSI")
    field_rows(doc, [
        ("Sudah terima dari", ["{{ receipt.payer }}"], None),
        ("Uang sejumlah", [b("{{ aid_total|rupiah_lengkap }}"),
                           i(" ({{ aid_total|terbilang }} rupiah)")], None),
        ("Untuk pembayaran", ["Bantuan pemulangan dan pemberdayaan sosial bagi Penerima "
                              "Manfaat atas nama {{ full_name }}{% if nik %} (NIK {{ nik }})"
                              "{% endif %}, dengan rincian sebagai berikut:"], None),
    ], indent=Cm(0))
    spacer(doc, 4).paragraph_format.keep_with_next = True
    aid_table(doc)
    tag_paragraph(doc, "{%p if receipt.listed_items %}")
    lead(doc, "Bantuan berikut disalurkan melalui rekening penerima, tidak dibayarkan oleh "
              "Bendahara Pengeluaran, dan tidak termasuk dalam jumlah kuitansi ini:", before=8)
    aid_table(doc, items="receipt.listed_items", total="receipt.listed_total")
    tag_paragraph(doc, "{%p endif %}")
    t = signature_rows(doc, rows=2)
    signature(t.rows[0].cells[1], [place_and_date(), "Yang menerima,", ""],
              name="{{ full_name }}", meterai="meterai")
    for cell in t.rows[1].cells:
        spacer(cell, 14)  # the payer's blocks apart from the recipient's
    signature(t.rows[1].cells[0], ["Setuju dibayar,", "Pengguna Anggaran,"], "officials.head")
    signature(t.rows[1].cells[1], ["Lunas dibayar,", "{{ officials.treasurer.title }},"],
              "officials.treasurer")
    keep_signature_rows(t)
    return doc


def build_transfer_receipt() -> Document:
    """Tanda Terima Bantuan melalui Rekening: money of another budget (Kemensos, APBN)
    paid into her account; the office's treasurer did not pay it and does not sign."""
    doc = new_document("Tanda Terima Bantuan")
    letterhead(doc)
    title(doc, "TANDA TERIMA BANTUAN")
    lead(doc, "Yang bertanda tangan di bawah ini:", before=0)
    identity(doc)
    lead(doc, "menyatakan telah menerima bantuan{% if receipt.source %} dari "
              "{{ receipt.source }}{% endif %} yang disalurkan melalui rekening atas nama "
              "saya sebesar {{ aid_total|rupiah_lengkap }} ({{ aid_total|terbilang }} "
              "rupiah), dengan rincian sebagai berikut:")
    aid_table(doc)
    closing(doc, "Bantuan tersebut tidak dibayarkan oleh {{ receipt.payer }}. Demikian tanda "
                 "terima ini saya buat dengan sebenarnya.")
    t = signature_rows(doc)
    signature(t.rows[0].cells[0], ["", "Mengetahui,", "{{ officials.head.title }},"],
              "officials.head")
    signature(t.rows[0].cells[1], [place_and_date(), "Yang menerima,", ""],
              name="{{ full_name }}", meterai="meterai")
    return doc


def build_release_report() -> Document:
    """Berita Acara Pelepasan of one woman: a release that happened (recorded on her case
    or by her ceremony), on that day and at that place."""
    doc = new_document("Berita Acara Pelepasan")
    letterhead(doc)
    title(doc, "BERITA ACARA PELEPASAN")
    lead(doc, "Pada hari ini {{ release.date|hari }}, {{ release.date|tanggal_kata }}, "
              "bertempat di {{ release.place }}, kami yang bertanda tangan di bawah ini "
              "telah melepas dan memulangkan Penerima Manfaat berikut ke daerah asalnya:",
         before=0)
    identity(doc, extra=[
        ("Dilepas dari", ["{{ facility }}"], None),
        ("Tujuan Pemulangan", ["{{ release.destination }}"], "release.destination"),
    ])
    tag_paragraph(doc, "{%p if aid_items %}")
    lead(doc, "Kepada Penerima Manfaat telah diserahkan bantuan sebagai berikut:")
    aid_table(doc)
    tag_paragraph(doc, "{%p endif %}")
    tag_paragraph(doc, "{%p if notes %}")
    para(doc, "Keterangan: {{ notes }}", align=JUSTIFY, before=6, keep=True, together=True)
    tag_paragraph(doc, "{%p endif %}")
    closing(doc, "Demikian berita acara ini dibuat dengan sebenarnya untuk dapat "
                 "dipergunakan sebagaimana mestinya.")
    t = signature_rows(doc, rows=2, centred_last=True)
    signature(t.rows[0].cells[0], ["Penerima Manfaat,", ""], name="{{ full_name }}")
    signature(t.rows[0].cells[1], ["Yang menyerahkan,", "{{ officials.head.title }},"],
              "officials.head")
    centre = t.rows[1].cells[0]
    block = table(centre, [PORTRAIT_WIDTH / 4, PORTRAIT_WIDTH / 2, PORTRAIT_WIDTH / 4],
                  borders=False)
    signature(block.rows[0].cells[1], ["Saksi,", "{{ officials.witness.title }},"],
              "officials.witness")
    keep_signature_rows(t)
    return doc


def _ceremony_lines(doc, width) -> None:
    field_rows(doc, [
        ("Kegiatan", ["{{ ceremony.title }}"], None),
        ("Hari, Tanggal", ["{{ ceremony.date|tanggal_hari }}"], None),
        ("Tempat", ["{{ ceremony.place }}"], None),
    ], width=width, label=Cm(3.2), indent=Cm(0))


def _amount(expr: str) -> str:
    """An amount in a roster cell: empty for zero."""
    return f"{{{{ {expr}|rupiah if {expr} else \"\" }}}}"


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

    size = Pt(9)
    unit = width / 9  # 3 tag columns of the loop + Jumlah + Tanda Tangan, and the 4 before
    fixed = [Cm(0.8), Cm(3.5), Cm(3.2)]  # No, Nama, NIK (a masked NIK on one line)
    widths = fixed + [4 * unit - sum(fixed)] + [unit] * 5
    loop_start = "{%tc for col in aid_columns %}"
    loop_end = "{%tc endfor %}"

    def header(row):
        cells_text(row, ["No", "Nama", "NIK", "Asal", loop_start, "{{ col.header }}",
                         loop_end, "Jumlah", "Tanda Tangan"],
                   bold=True, align=CENTER, size=size, fill=HEADER_FILL)

    def fill(row):
        row_options(row, height=Cm(0.8))
        cells_text(row, ["{{ case.no }}", "{{ case.full_name }}", "{{ case.nik_masked }}",
                         "{{ case.origin_region }}", loop_start,
                         _amount("case.aid_by_kind[col.kind]"), loop_end,
                         "{{ case.aid_total|rupiah }}"], size=size)
        for n in (0, 2):
            row.cells[n].paragraphs[0].alignment = CENTER
        for n in (5, 7):
            row.cells[n].paragraphs[0].alignment = RIGHT
        staggered_signature(row.cells[8], "case.no", size=size, dots=16)

    t = list_tables(doc, widths, "case in", "cases", fill, header=header, borders=True,
                    pad=Cm(0.1))

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
    keep_row(total)

    para(doc, "Terbilang: ", i("{{ grand_total|terbilang }} rupiah"), before=4, keep=True,
         together=True)
    tag_paragraph(doc, "{%p if transfer_total %}")
    para(doc, "Dari jumlah tersebut, {{ transfer_total|rupiah }} ({{ transfer_total|terbilang }} "
              "rupiah) adalah bantuan APBN (Kementerian Sosial) yang disalurkan melalui "
              "rekening penerima, tidak dibayarkan oleh Bendahara Pengeluaran.",
         align=JUSTIFY, before=2, keep=True, together=True)
    tag_paragraph(doc, "{%p endif %}")
    t = signature_rows(doc, width=width, before=8)
    signature(t.rows[0].cells[0], ["", "Mengetahui,", "{{ officials.head.title }},"],
              "officials.head")
    signature(t.rows[0].cells[1], [place_and_date(), "", "{{ officials.treasurer.title }},"],
              "officials.treasurer")
    return doc


def build_ceremony_report() -> Document:
    """Berita Acara Pelepasan for a whole ceremony: the event on its day, who went home
    where with how much aid; the officials present listed once, at the end, to sign."""
    width = PORTRAIT_WIDTH
    doc = new_document("Berita Acara Pelepasan")
    letterhead(doc)
    title(doc, "BERITA ACARA PELEPASAN")
    para(doc, "Pada hari ini {{ ceremony.date|hari }}, {{ ceremony.date|tanggal_kata }}, "
              "bertempat di {{ ceremony.place }}, telah dilaksanakan {{ ceremony.title }}"
              "{% if ceremony.officials %}, yang dihadiri oleh pejabat yang namanya tercantum "
              "pada bagian akhir berita acara ini{% endif %}.", align=JUSTIFY, after=4)
    lead(doc, "Dalam kegiatan tersebut telah dilepas dan dipulangkan ke daerah asal "
              "sebanyak {{ cases|length }} ({{ cases|length|terbilang }}) orang Penerima "
              "Manfaat, dengan rincian sebagai berikut:")
    size = Pt(10)
    widths = [Cm(0.9), Cm(4.6), Cm(3.9), Cm(3.9), Cm(2.7)]
    def header(row):
        cells_text(row, ["No", "Nama", "Daerah Asal", "Tujuan", "Bantuan"], bold=True,
                   align=CENTER, size=size, fill=HEADER_FILL)

    def fill(row):
        row_options(row)
        cells_text(row, ["{{ case.no }}", "{{ case.full_name }}", "{{ case.origin_region }}",
                         "{{ case.destination }}", "{{ case.aid_total|rupiah }}"], size=size)
        row.cells[0].paragraphs[0].alignment = CENTER
        row.cells[4].paragraphs[0].alignment = RIGHT

    t = list_tables(doc, widths, "case in", "cases", fill, header=header, borders=True,
                    pad=Cm(0.12))
    total = t.add_row()
    row_options(total)
    label = total.cells[0].merge(total.cells[3])
    para(label, b("JUMLAH"), align=RIGHT, size=size)
    para(total.cells[4], b("{{ grand_total|rupiah }}"), align=RIGHT, size=size)
    keep_row(total)
    para(doc, "Terbilang: ", i("{{ grand_total|terbilang }} rupiah"), before=4, keep=True,
         together=True)

    tag_paragraph(doc, "{%p if aid_columns %}")
    lead(doc, "Bantuan yang diserahkan menurut jenisnya:", before=8)
    def fill_kind(row):
        row_options(row)
        cells_text(row, ["{{ col.no }}.", "{{ col.label }}",
                         "{{ totals_by_kind[col.kind]|rupiah }}"], middle=False)
        row.cells[2].paragraphs[0].alignment = RIGHT

    list_tables(doc, [Cm(0.8), Cm(6.2), Cm(3.5)], "col in", "aid_columns", fill_kind,
                borders=False, indent=Cm(0.6))
    tag_paragraph(doc, "{%p endif %}")

    closing(doc, "Demikian berita acara ini dibuat dengan sebenarnya untuk dapat "
                 "dipergunakan sebagaimana mestinya.")

    tag_paragraph(doc, "{%p if ceremony.signers %}")
    lead(doc, "Pejabat yang hadir:", before=8, after=2)
    signers = table(doc, [Cm(0.8), Cm(9.4), width - Cm(10.2)], rows=0, borders=False,
                    indent=Cm(0))

    def fill_signer(row):
        row_options(row, height=Cm(1.3))
        cells_text(row, ["{{ person.no }}.", b("{{ person.name }}")], middle=False)
        para(row.cells[1], "{{ person.title }}")
        tag_paragraph(row.cells[1], "{%p if person.rank %}")
        para(row.cells[1], "{{ person.rank }}")
        tag_paragraph(row.cells[1], "{%p endif %}")
        tag_paragraph(row.cells[1], "{%p if person.nip %}")
        para(row.cells[1], "NIP. {{ person.nip|nip }}")
        tag_paragraph(row.cells[1], "{%p endif %}")
        staggered_signature(row.cells[2], "person.no", dots=20)

    # Every official's row is kept with the next: a short list (a ceremony has a handful of
    # officials), signed on the page of the report's own signatures.
    loop_row(signers, "{%tr for person in ceremony.signers %}")
    row = signers.add_row()
    fill_signer(row)
    keep_row(row)
    loop_row(signers, "{%tr endfor %}")
    tag_paragraph(doc, "{%p endif %}")

    t = signature_rows(doc)
    signature(t.rows[0].cells[0], ["", "Yang membuat berita acara,",
                                   "{{ officials.witness.title }},"], "officials.witness")
    signature(t.rows[0].cells[1], [place_and_date(), "Mengetahui,",
                                   "{{ officials.head.title }},"], "officials.head")
    return doc


TEMPLATES = {
    "pledge.docx": build_pledge,
    "aid_receipt.docx": build_aid_receipt,
    "transfer_receipt.docx": build_transfer_receipt,
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
