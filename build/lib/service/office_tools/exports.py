"""Lists the office takes away as XLSX or CSV: cases, aid, documents. NIKs are masked
unless the full list was asked for by a role allowed it (the caller checks and audits).

Any text that came from a person typing it and starts with =, +, -, @, a tab or a
carriage return gets a leading apostrophe: Excel and LibreOffice would otherwise run it
as a formula (`=HYPERLINK(...)` in a name field is a known way to exfiltrate a sheet).
"""

import csv
import datetime as dt
import io

from openpyxl import Workbook

from .. import clock
from ..records.formats import ddmmyyyy, nik_mask
from ..records.kinds import AID_KINDS, CASE_STATUS_LABELS, KIND_LABELS, STATUS_LABELS


def office_zone():
    """The office's time zone (Asia/Jakarta, Makassar or Jayapura: the office's setting,
    service/clock.py)."""
    return clock.office_zone()


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


# For people (the export page): Indonesian headers, labels instead of codes, dates as
# dd/mm/yyyy and moments in the office's time zone. Scripts (the API) get the codes.
HEADERS = {
    "case_number": "Nomor kasus", "full_name": "Nama lengkap", "nik": "NIK",
    "birth_place": "Tempat lahir", "birth_date": "Tanggal lahir", "origin_region": "Daerah asal",
    "facility": "Lokasi", "status": "Status", "created_at": "Dicatat pada", "kind": "Jenis",
    "amount": "Jumlah (Rp)", "source": "Sumber dana", "description": "Keterangan",
    "number": "Nomor surat", "issued_on": "Tanggal surat", "template_version": "Versi templat",
    "sha256": "Sidik jari (SHA-256)",
}
FILE_NAMES = {"cases": "daftar-kasus", "aid": "daftar-bantuan", "documents": "daftar-surat"}


def _readable(what: str, column: str, value):
    if value in (None, ""):
        return value
    if column == "kind":
        return (AID_KINDS if what == "aid" else KIND_LABELS).get(value, value)
    if column == "status":
        return (CASE_STATUS_LABELS if what == "cases" else STATUS_LABELS).get(value, value)
    if column in ("birth_date", "issued_on"):
        return ddmmyyyy(value)
    if column == "created_at":
        return dt.datetime.fromisoformat(value).astimezone(office_zone()).strftime("%d/%m/%Y %H.%M")
    return value


def rows(db, what: str, *, full_nik: bool, readable: bool = False) -> tuple[list[str], list[list]]:
    header, sql = LISTS[what]
    nik_at = header.index("nik") if "nik" in header else None
    out = []
    for row in db.execute(sql):
        row = list(row)
        if nik_at is not None and row[nik_at] and not full_nik:
            row[nik_at] = nik_mask(row[nik_at])
        if readable:
            row = [_readable(what, column, cell) for column, cell in zip(header, row)]
        out.append([neutralise(cell) for cell in row])
    return ([HEADERS[c] for c in header] if readable else header), out


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
