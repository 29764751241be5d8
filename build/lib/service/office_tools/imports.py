"""Importing cases from a sheet: map its columns to case fields, check every row with
the same rules as the case form (service.records.cases), find likely duplicates within the sheet
and against the archive, and, only when the clerk confirms, add the good rows in one
transaction and keep a report of what was added and what was skipped and why.

Duplicates are "same NIK", or "a similar name with the same birth date": names compared
after the search package's spelling normalisation (Nurhayati = Nur Hayati, Aminnah =
Aminah), then by difflib's ratio, which catches a dropped or swapped letter.
"""

import datetime as dt
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field

from openpyxl.utils.datetime import from_excel

from ..clock import now_iso
from ..db import write_transaction
from ..errors import InvalidInput
from ..records import cases
from ..search import name_key
from .problems import Problem

FIELDS = ("full_name", "nik", "birth_place", "birth_date", "origin_address", "origin_region",
          "facility", "notes")
_ALIASES = {
    "full_name": ("nama", "namalengkap", "namapenerima", "name", "fullname"),
    "nik": ("nik", "noktp", "nomorktp", "nonik", "nomornik", "nomorindukkependudukan"),
    "birth_place": ("tempatlahir", "birthplace", "placeofbirth"),
    "birth_date": ("tanggallahir", "tgllahir", "tgllhr", "birthdate", "dateofbirth"),
    "origin_address": ("alamat", "alamatasal", "address", "originaddress"),
    "origin_region": ("daerahasal", "asal", "kotaasal", "originregion", "region"),
    "facility": ("lokasi", "fasilitas", "facility", "location", "tempat"),
    "notes": ("catatan", "keterangan", "notes", "note"),
}
_BY_ALIAS = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
_MONTHS = {m: i for i, names in enumerate([
    ("januari", "january", "jan"), ("februari", "february", "feb", "pebruari"),
    ("maret", "march", "mar"), ("april", "apr"), ("mei", "may"), ("juni", "june", "jun"),
    ("juli", "july", "jul"), ("agustus", "august", "agu", "aug", "agt"),
    ("september", "sep", "sept"), ("oktober", "october", "okt", "oct"),
    ("november", "nov", "nop", "nopember"), ("desember", "december", "des", "dec")], start=1)
    for m in names}
SIMILAR = 0.85


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def header_key(headers: list[str]) -> str:
    """The sheet layout's fingerprint: remembered mappings are found by it."""
    return hashlib.sha256(json.dumps([_key(h) for h in headers]).encode()).hexdigest()


def guess_mapping(db, headers: list[str]) -> dict[str, str]:
    """{header: field}: the one remembered for this layout, else the usual names."""
    row = db.execute("SELECT mapping FROM import_mappings WHERE header_key = ?",
                     [header_key(headers)]).fetchone()
    if row:
        return json.loads(row[0])
    mapping, taken = {}, set()
    for header in headers:
        name = _BY_ALIAS.get(_key(header))
        if name and name not in taken:
            mapping[header], _ = name, taken.add(name)
    return mapping


def remember_mapping(db, headers: list[str], mapping: dict) -> None:
    db["import_mappings"].upsert({"header_key": header_key(headers), "updated_at": now_iso(),
                                  "mapping": json.dumps(mapping, ensure_ascii=False)},
                                 pk="header_key")


def check_mapping(mapping) -> dict[str, str]:
    if not isinstance(mapping, dict) or not all(
            isinstance(k, str) and v in FIELDS + ("",) for k, v in mapping.items()):
        raise InvalidInput("mapping must be an object of column header to case field",
                           fields={"mapping": f"fields are: {', '.join(FIELDS)}"})
    return {k: v for k, v in mapping.items() if v}


def parse_date(value) -> str | None:
    """An ISO date from a real Excel date, "1990-07-01", "01/07/1990" or "1 Juli 1990"."""
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return from_excel(value).date().isoformat()  # a date cell read as its serial
    text = str(value).strip().lower()
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            y, m, d = map(int, text.split("-"))
        elif re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", text):
            d, m, y = map(int, re.split(r"[/.-]", text))  # Indonesian order: day first
        elif match := re.fullmatch(r"(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})", text):
            d, m, y = int(match[1]), _MONTHS[match[2]], int(match[3])
        else:
            raise ValueError(text)
        return dt.date(y, m, d).isoformat()
    except (ValueError, KeyError):
        raise ValueError("unreadable date") from None


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a NIK typed as a number comes back as 3.51e15
    return str(value).strip()


@dataclass
class Row:
    number: int
    clean: dict | None = None
    typed: dict = field(default_factory=dict)       # the cells as read, for a bad row's who
    errors: list = field(default_factory=list)      # (field, Problem)
    warnings: list = field(default_factory=list)
    duplicate: dict | None = None


@dataclass
class Preview:
    rows: list[Row]
    unknown_facilities: list[str]   # every facility the sheet names that is not recorded yet,
                                    # ticked for creation or not (the page keeps the choice)

    @property
    def good(self) -> list[Row]:
        return [r for r in self.rows if r.clean and not r.errors and not r.duplicate]


def _reason_problem(name: str, why: str) -> Problem:
    if why == "is required":
        return Problem("required", where=name)
    if name == "nik":
        return Problem("nik_invalid", where=name, args={"detail": why})
    return Problem("invalid", where=name, args={"detail": why})


def analyse(db, headers: list[str], body: list[tuple[int, list]], mapping: dict,
            create_facilities=()) -> Preview:
    columns = {headers.index(h): f for h, f in mapping.items() if h in headers}
    facilities = {r[0].casefold() for r in db.execute("SELECT name FROM facilities")}
    allowed_new = {name.casefold() for name in create_facilities}
    existing_nik, existing_by_birth = {}, {}
    for case_id, nik, name, born in db.execute(
            "SELECT id, nik, full_name, birth_date FROM cases WHERE status != 'anonymised'"):
        if nik:
            existing_nik.setdefault(nik, case_id)
        if born:
            existing_by_birth.setdefault(born, []).append((case_id, name_key(name)))
    sheet_nik, sheet_by_birth, unknown = {}, {}, []
    rows = []
    for number, cells in body:
        row = Row(number)
        rows.append(row)
        data = {f: _cell(cells[i]) if i < len(cells) else "" for i, f in columns.items()}
        row.typed = {k: data.get(k, "") for k in ("full_name", "nik", "facility")}
        date_column = next((i for i, f in columns.items() if f == "birth_date"), None)
        if date_column is not None:
            try:
                data["birth_date"] = parse_date(cells[date_column] if date_column < len(cells) else None) or ""
            except ValueError:
                row.errors.append(Problem("bad_date", where="birth_date"))
                data.pop("birth_date")
        try:
            clean, warnings = cases.check_new_case(data)
        except InvalidInput as exc:
            row.errors += [_reason_problem(name, why) for name, why in exc.fields.items()
                           if name in FIELDS]
            continue
        if row.errors:
            continue
        row.clean = clean
        if warnings:
            row.warnings.append(Problem("nik_birth_date", where="nik"))
        if clean["facility"].casefold() not in facilities:
            # Listed whether or not it is ticked for creation, so that the choice stays
            # on the page and is sent again with the confirmation.
            if clean["facility"].casefold() not in {u.casefold() for u in unknown}:
                unknown.append(clean["facility"])
            if clean["facility"].casefold() not in allowed_new:
                row.errors.append(Problem("unknown_facility", where="facility",
                                          args={"name": clean["facility"]}))
        row.duplicate = _duplicate(row, clean, existing_nik, existing_by_birth, sheet_nik, sheet_by_birth)
        if clean.get("nik"):
            sheet_nik.setdefault(clean["nik"], number)
        if clean.get("birth_date"):
            sheet_by_birth.setdefault(clean["birth_date"], []).append((number, name_key(clean["full_name"])))
    return Preview(rows, unknown)


def _similar(a: str, b: str) -> bool:
    return a == b or difflib.SequenceMatcher(None, a, b).ratio() >= SIMILAR


def _duplicate(row, clean, existing_nik, existing_by_birth, sheet_nik, sheet_by_birth):
    nik = clean.get("nik")
    if nik and nik in existing_nik:
        return {"row": row.number, "existing_case_id": existing_nik[nik], "reason": "same_nik"}
    if nik and nik in sheet_nik:
        return {"row": row.number, "other_row": sheet_nik[nik], "reason": "same_nik"}
    born = clean.get("birth_date")
    if born:
        name = name_key(clean["full_name"])
        for case_id, other in existing_by_birth.get(born, ()):
            if _similar(name, other):
                return {"row": row.number, "existing_case_id": case_id,
                        "reason": "similar_name_same_birth_date"}
        for number, other in sheet_by_birth.get(born, ()):
            if _similar(name, other):
                return {"row": row.number, "other_row": number,
                        "reason": "similar_name_same_birth_date"}
    return None


def commit(db, preview: Preview, user: dict | None) -> tuple[list[int], dict]:
    """Add the good rows in one transaction; returns (new case ids, the kept report)."""
    outcomes, ids = [], []
    good = {id(row) for row in preview.good}
    with write_transaction(db):
        for row in preview.rows:
            if id(row) in good:
                clean = {k: v for k, v in row.clean.items() if k != "allow_duplicate"}
                case_id = cases.insert_case(db, clean, user)
                ids.append(case_id)
                outcomes.append({"row": row.number, "outcome": "added", "case_id": case_id})
            else:
                why = [p.code for p in row.errors] + ([row.duplicate["reason"]] if row.duplicate else [])
                outcomes.append({"row": row.number, "outcome": "skipped", "reasons": why})
        report = {"rows": len(preview.rows), "added": len(ids),
                  "skipped": len(preview.rows) - len(ids), "outcomes": outcomes}
        report_id = db["import_reports"].insert({
            "created_by": user["id"] if user else None, "created_at": now_iso(),
            "rows": report["rows"], "added": report["added"], "skipped": report["skipped"],
            "report": json.dumps(outcomes)}).last_pk
    report["id"] = report_id
    return ids, report


def report_csv(row: dict, say=str) -> str:
    """The kept report as CSV: row number, outcome, case id, the reasons as `say` words
    each code (a sentence for the office), and the codes themselves."""
    import csv
    import io
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["baris", "hasil", "kasus", "alasan", "kode"])
    for item in json.loads(row["report"]):
        codes = item.get("reasons", [])
        writer.writerow([item["row"], "ditambahkan" if item["outcome"] == "added" else "dilewati",
                         item.get("case_id", ""), "; ".join(say(code) for code in codes),
                         " ".join(codes)])
    return out.getvalue()


SAMPLE_HEADERS = {"full_name": "Nama Lengkap", "nik": "NIK", "birth_place": "Tempat Lahir",
                  "birth_date": "Tanggal Lahir", "origin_address": "Alamat Asal",
                  "origin_region": "Daerah Asal", "facility": "Lokasi", "notes": "Catatan"}


def sample_sheet() -> bytes:
    """An .xlsx with the columns an import recognises (the usual Indonesian headers) and
    one invented row showing how each is written; dates as text, day first."""
    import io

    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.title = "Daftar"
    sheet.append(list(SAMPLE_HEADERS.values()))
    sheet.append(["Contoh Nama Penerima", "3578064811920001", "Surabaya", "08/11/1992",
                  "Jl. Mawar No. 5, RT 02/RW 03", "Kota Surabaya, Jawa Timur",
                  "Rumah Singgah Dinas Sosial", "hapus baris contoh ini sebelum mengimpor"])
    for column, width in zip("ABCDEFGH", (28, 20, 16, 14, 34, 28, 30, 36)):
        sheet.column_dimensions[column].width = width
    for cell in sheet[2]:
        cell.number_format = "@"  # text, so the NIK keeps its 16 digits in Excel
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
