"""Reading an uploaded list: an .xlsx (openpyxl, after the zip checks) or a CSV in
whatever delimiter and encoding an office PC wrote it (Excel saves ";" in Indonesian
locales, and cp1252 unless told otherwise). Gives the header row and the data rows with
their row numbers as the clerk sees them in Excel."""

import csv
import io

from openpyxl import load_workbook

from .problems import Problem, Refused
from .zipsafe import ZIP_MAGIC, open_zip

MAX_ROWS = 20_000


def _text_of(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise Refused([Problem("not_sheet")])  # a binary file (old .xls, a picture…)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Refused([Problem("not_sheet")])


def _csv_rows(data: bytes) -> list[list]:
    text = _text_of(data)
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return list(csv.reader(io.StringIO(text), dialect))


def _xlsx_rows(data: bytes) -> list[list]:
    archive, duplicates = open_zip(data, required=("[Content_Types].xml", "xl/workbook.xml"),
                                   not_a="not_sheet")
    archive.close()
    if duplicates:
        raise Refused(duplicates)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = book.active
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_ROWS + 1:
                break
        book.close()
        return rows
    except Exception:  # openpyxl raises many kinds for a damaged workbook
        raise Refused([Problem("not_sheet")]) from None


def read(data: bytes) -> tuple[list[str], list[tuple[int, list]]]:
    """(headers, [(row number in the sheet, cells)]); empty rows are left out."""
    rows = _xlsx_rows(data) if data.startswith(ZIP_MAGIC) else _csv_rows(data)
    numbered = [(no, row) for no, row in enumerate(rows, start=1)
                if any(cell not in (None, "") and str(cell).strip() for cell in row)]
    if not numbered:
        raise Refused([Problem("no_rows")])
    (_, header), body = numbered[0], numbered[1:]
    if len(body) > MAX_ROWS:
        raise Refused([Problem("too_large", args={"mb": 10})], status=413)
    headers = [str(cell).strip() if cell is not None else "" for cell in header]
    return headers, body
