"""Lists the office takes away as XLSX or CSV: cases, aid, documents. NIKs are masked
unless the full list was asked for by a role allowed it (the caller checks and audits).

Any text that came from a person typing it and starts with =, +, -, @, a tab or a
carriage return gets a leading apostrophe: Excel and LibreOffice would otherwise run it
as a formula (`=HYPERLINK(...)` in a name field is a known way to exfiltrate a sheet).
"""

import csv
import io

from openpyxl import Workbook

from ..records.formats import nik_mask

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

LISTS = {
    "cases": (["case_number", "full_name", "nik", "birth_place", "birth_date", "origin_region",
               "facility", "status", "created_at"],
              "SELECT cases.case_number, cases.full_name, cases.nik, cases.birth_place, "
              "cases.birth_date, cases.origin_region, facilities.name, cases.status, cases.created_at "
              "FROM cases JOIN facilities ON facilities.id = cases.facility_id "
              "WHERE cases.status != 'anonymised' ORDER BY cases.id"),
    "aid": (["case_number", "full_name", "nik", "kind", "amount", "source", "description", "created_at"],
            "SELECT cases.case_number, cases.full_name, cases.nik, aid_items.kind, aid_items.amount, "
            "aid_items.source, aid_items.description, aid_items.created_at FROM aid_items "
            "JOIN cases ON cases.id = aid_items.case_id WHERE cases.status != 'anonymised' "
            "ORDER BY aid_items.id"),
    "documents": (["number", "kind", "case_number", "issued_on", "status", "template_version", "sha256"],
                  "SELECT documents.number, documents.kind, cases.case_number, documents.issued_on, "
                  "documents.status, documents.template_version, documents.sha256 "
                  "FROM listed_documents AS documents LEFT JOIN cases ON cases.id = documents.case_id "
                  "WHERE cases.id IS NULL OR cases.status != 'anonymised' ORDER BY documents.id"),
}
FORMATS = ("xlsx", "csv")


def neutralise(value):
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def rows(db, what: str, *, full_nik: bool) -> tuple[list[str], list[list]]:
    header, sql = LISTS[what]
    nik_at = header.index("nik") if "nik" in header else None
    out = []
    for row in db.execute(sql):
        row = list(row)
        if nik_at is not None and row[nik_at] and not full_nik:
            row[nik_at] = nik_mask(row[nik_at])
        out.append([neutralise(cell) for cell in row])
    return header, out


def to_csv(header, body) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(body)
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def to_xlsx(header, body) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(header)
    for row in body:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
