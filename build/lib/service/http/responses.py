"""The downloads the pages and the API both answer with: a stored letter (BATAL drawn
over a void one), a print job's merged PDF, an exported list, a template's .docx and an
import's report. None may be cached (they hold names and NIKs), and each file is named
by what it is, never by whom it concerns. Downloads of people's data are audited here,
so the two entry points cannot differ in what they record."""

import re

from flask import Response, send_file

from ..auth.roles import allowed
from ..ceremonies.assemble import read_result
from ..errors import Forbidden, NotFound
from ..letters.stamp import void_pdf
from ..office_tools import exports
from ..office_tools import template_versions as versions
from ..office_tools.imports import report_csv
from ..office_tools.import_flow import report
from ..records.kinds import KIND_LABELS
from .messages import short
from .support import get_db, log, runtime

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
EXPORT_TYPES = {"csv": "text/csv",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def _download(data: bytes, mimetype: str, filename: str, disposition: str = "attachment") -> Response:
    return Response(data, mimetype=mimetype, headers={
        "Cache-Control": "no-store", "Content-Disposition": f'{disposition}; filename="{filename}"'})


def export_file(data: bytes, fmt: str, filename: str) -> Response:
    """An export (csv or xlsx) as an attachment, not cached."""
    return _download(data, EXPORT_TYPES[fmt], filename)


def pdf_bytes(doc: dict) -> bytes:
    """The stored PDF, with BATAL drawn over it when void (the file itself never changes)."""
    path = runtime().settings.archive / doc["path"]
    if not path.is_file():
        raise NotFound("the document's file is missing; run `pulang doctor`")
    data = path.read_bytes()
    return void_pdf(data) if doc["status"] == "void" else data


def slug(*parts: str) -> str:
    """surat-pernyataan-460-001-dinsos-vii-2026: lower case, a dash between words."""
    text = "-".join(str(p) for p in parts if p)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def letter_name(doc: dict) -> str:
    """A letter's file name: its kind and number in Indonesian, never whom it concerns."""
    return slug(KIND_LABELS.get(doc["kind"], doc["kind"]), doc["number"]) + ".pdf"


def letter_pdf(doc: dict, disposition: str = "inline") -> Response:
    """A letter's PDF: inline opens the browser's viewer (to print), attachment saves it."""
    return _download(pdf_bytes(doc), "application/pdf", letter_name(doc), disposition)


def sample_letter(sample: dict, disposition: str = "inline") -> Response:
    """A sample letter's PDF (office set-up incomplete), named by its own id."""
    path = runtime().settings.archive / (sample["path"] or "")
    if not sample["path"] or not path.is_file():
        raise NotFound("this sample letter is gone; make it again")
    return _download(path.read_bytes(), "application/pdf",
                     f'contoh-{sample["kind"]}-{sample["id"]}.pdf', disposition)


def print_result(job: dict) -> Response:
    """A finished print job's merged PDF, audited, named by the job's id."""
    try:
        data = read_result(runtime(), job)
    except FileNotFoundError:
        raise NotFound("the print file is missing; start the print again") from None
    log("print.download", target_type="print_job", target_id=job["id"])
    return _download(data, "application/pdf", f'berkas-cetak-pelepasan-{job["id"]}.pdf')


def export_list(what: str, fmt: str, full: bool, role: str, readable: bool = False) -> Response:
    """A list as CSV or XLSX; whole NIKs only for a role allowed them, audited as such.
    `readable`: Indonesian headers and labels, local times (the page); else the codes."""
    if what not in exports.LISTS or fmt not in exports.FORMATS:
        raise NotFound("no such list or format")
    if full and not allowed(role, "export.full"):
        raise Forbidden("only a supervisor or an admin may export whole NIKs")
    header, body = exports.rows(get_db(), what, full_nik=full, readable=readable)
    data = exports.to_csv(header, body) if fmt == "csv" else exports.to_xlsx(header, body)
    log("export.full" if full else "export", target_type="list", target_id=what,
        detail={"format": fmt, "rows": len(body)})
    name = exports.FILE_NAMES[what] + ("-nik-lengkap" if full else "")
    return _download(data, EXPORT_TYPES[fmt], f"{name}.{fmt}")


def template_docx(kind: str, version: int) -> Response:
    """A template version's .docx as an attachment."""
    row = versions.get_version(get_db(), kind, version)
    return send_file(versions.docx_path(runtime().settings, row), mimetype=DOCX, as_attachment=True,
                     download_name=f"templat-{slug(KIND_LABELS.get(kind, kind))}-v{version}.docx",
                     max_age=0)


def import_report(report_id: int) -> Response:
    """An import's kept report as CSV (row numbers and reasons, never names)."""
    return _download(report_csv(report(get_db(), report_id), say=short), "text/csv",
                     f"laporan-impor-{report_id}.csv")
