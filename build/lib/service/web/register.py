"""The register of outgoing letters as a page and an export (number, date, kind, subject,
status; no name), for the office's buku agenda surat keluar."""

from flask import Blueprint, abort, render_template, request

from ..clock import office_today
from ..http.responses import export_file
from ..http.support import get_db, log
from ..office_tools.exports import FORMATS, neutralise, to_csv, to_xlsx
from ..records import register
from .auth import requires

bp = Blueprint("register", __name__, url_prefix="/register")


def _year() -> int:
    raw = request.args.get("year", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else office_today().year


@bp.get("")
@requires("document.read")
def index():
    db = get_db()
    year = _year()
    found = register.entries(db, year)
    log("register.read", detail={"year": year, "entries": len(found)})
    years = sorted(set(register.years(db)) | {office_today().year}, reverse=True)
    return render_template("web/register.html", year=year, years=years, entries=found,
                           formats=FORMATS)


@bp.get("/<int:year>.<fmt>")
@requires("document.read")
def export(year, fmt):
    if fmt not in FORMATS:
        abort(404)
    header, body = register.table(get_db(), year)
    body = [[neutralise(cell) for cell in row] for row in body]
    data = to_csv(header, body) if fmt == "csv" else to_xlsx(header, body)
    log("export", target_type="list", target_id="register", detail={"format": fmt, "rows": len(body),
                                                                     "year": year})
    return export_file(data, fmt, f"agenda-surat-keluar-{year}.{fmt}")
