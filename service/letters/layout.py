"""The office's page layout (records/office.py "layout": paper, margins, font), applied to
a template once before letters are filled from it (prepare.py): every section gets the
paper size (its orientation kept) and the margins, and the document's default font and
the Normal style get the office's font and size. So one template serves an office on A4 and one on F4, in Arial
12 or Times New Roman 11, as their pedoman says.

The bottom margin is never set below the stamp's band (stamp.BAND): that band is where
the letter number, "Hal. i/n" and the QR code are drawn after conversion, and body text
must never reach it. Sizes set on single runs (a table in 10 pt) are left alone.
"""

from lxml import etree

from .stamp import BAND

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
PAPERS_CM = {"A4": (21.0, 29.7), "F4": (21.5, 33.0)}
BAND_CM = BAND / 72 * 2.54


def _tw(cm: float) -> str:
    return str(round(cm / 2.54 * 1440))  # twips


def q(tag: str) -> str:
    """A WordprocessingML element's or attribute's name as lxml writes it ("{ns}sectPr")."""
    return f"{{{W}}}{tag}"


def first_page_number(context: dict) -> bool:
    """Whether the stamp numbers a letter's first page: the pedoman numbers pages from the
    second, an office may number all of them (a context without a layout: all)."""
    return (context.get("layout") or {}).get("page_numbers", "all") == "all"


def set_page(document, layout: dict) -> None:
    """Every section of `document` (word/document.xml, parsed) on the office's paper and margins."""
    short, long_ = PAPERS_CM.get(layout.get("paper", "A4"), PAPERS_CM["A4"])
    for sect in document.iter(q("sectPr")):
        size = sect.find(q("pgSz"))
        if size is None:
            size = etree.SubElement(sect, q("pgSz"))
        landscape = (size.get(q("orient")) == "landscape"
                     or int(size.get(q("w"), "0") or 0) > int(size.get(q("h"), "0") or 0))
        width, height = (long_, short) if landscape else (short, long_)
        size.set(q("w"), _tw(width))
        size.set(q("h"), _tw(height))
        margins = sect.find(q("pgMar"))
        if margins is None:
            margins = etree.SubElement(sect, q("pgMar"))
        margins.set(q("left"), _tw(layout.get("margin_left_cm", 3.0)))
        margins.set(q("right"), _tw(layout.get("margin_right_cm", 2.0)))
        margins.set(q("top"), _tw(layout.get("margin_top_cm", 2.0)))
        bottom = int(margins.get(q("bottom"), "0") or 0)
        margins.set(q("bottom"), str(max(bottom, int(_tw(BAND_CM)))))


def set_font(styles, layout: dict) -> None:
    """The document default and Normal style (word/styles.xml, parsed) in the office's font and size."""
    font = layout.get("font")
    size = layout.get("font_size")
    targets = [styles.find(f"{q('docDefaults')}/{q('rPrDefault')}/{q('rPr')}")]
    for style in styles.iter(q("style")):
        if style.get(q("styleId")) == "Normal":
            rpr = style.find(q("rPr"))
            if rpr is None:
                rpr = etree.SubElement(style, q("rPr"))
            targets.append(rpr)
    for rpr in targets:
        if rpr is None:
            continue
        if font:
            fonts = rpr.find(q("rFonts"))
            if fonts is None:
                fonts = etree.Element(q("rFonts"))
                rpr.insert(0, fonts)
            for attr in ("ascii", "hAnsi", "cs", "eastAsia"):
                fonts.set(q(attr), font)
            for attr in ("asciiTheme", "hAnsiTheme", "cstheme", "eastAsiaTheme"):
                fonts.attrib.pop(q(attr), None)
        if size:
            for tag in ("sz", "szCs"):
                el = rpr.find(q(tag))
                if el is None:
                    el = etree.Element(q(tag))
                    later = next((c for c in rpr if etree.QName(c).localname in _AFTER_SZ), None)
                    if later is not None:
                        later.addprevious(el)
                    else:
                        rpr.append(el)
                el.set(q("val"), str(int(size * 2)))


# Children of w:rPr that the schema puts after w:sz and w:szCs (Word refuses other orders).
_AFTER_SZ = {"szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl",
             "cs", "em", "lang", "eastAsianLayout", "specVanish", "oMath"}
