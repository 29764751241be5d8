"""Importing a case list in the browser: upload a sheet, check the column mapping and
every row's problems, then confirm. Nothing is written before the clerk confirms.

Between the preview and the confirmation the sheet waits in the archive's scratch folder
under a random name held only in the clerk's session (it holds names and NIKs: never in
a URL, deleted once imported or replaced)."""

import os
import secrets

from flask import Blueprint, Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField

from ..http.responses import import_report
from ..http.messages import describe
from ..http.support import get_db, log, runtime
from ..http.views import import_summary
from ..office_tools import import_flow, imports
from ..office_tools.problems import Problem, Refused
from ..office_tools.zipsafe import read_upload
from .auth import requires

bp = Blueprint("imports", __name__, url_prefix="/imports")
_SESSION_KEY = "import_upload"


class UploadForm(FlaskForm):
    file = FileField(_l("Berkas daftar (.xlsx atau .csv)"),
                     description=_l("Baris pertama berisi judul kolom, misalnya Nama, NIK, Tempat Lahir, "
                                    "Tanggal Lahir, Alamat Asal, Daerah Asal, Lokasi."),
                     render_kw={"accept": ".xlsx,.csv"})


def _scratch(token: str):
    return runtime().settings.tmp_dir / f"import-{token}.bin"


def _keep(data: bytes) -> None:
    _forget()
    token = secrets.token_hex(16)
    fd = os.open(_scratch(token), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    session[_SESSION_KEY] = token


def _kept() -> bytes | None:
    token = session.get(_SESSION_KEY)
    if not token or not all(c in "0123456789abcdef" for c in token):
        return None
    path = _scratch(token)
    return path.read_bytes() if path.is_file() else None


def _forget() -> None:
    token = session.pop(_SESSION_KEY, None)
    if token and all(c in "0123456789abcdef" for c in token):
        _scratch(token).unlink(missing_ok=True)


def _problems(exc: Refused):
    return [(describe(p), p.where) for p in exc.problems]


@bp.get("")
@requires("import")
def index():
    return render_template("web/imports.html", form=UploadForm(formdata=None), problems=())


@bp.post("")
@requires("import")
def upload():
    form = UploadForm()
    try:
        data = read_upload(request.files.get("file"))
        headers, mapping, preview = import_flow.prepare(get_db(), data)
    except Refused as exc:
        return render_template("web/imports.html", form=form, problems=_problems(exc)), exc.status
    _keep(data)
    log("import.preview", detail={"rows": len(preview.rows)})
    return _preview_page(headers, mapping, preview)


def _preview_page(headers, mapping, preview, creating=(), changed_from=None):
    data = import_summary(preview, headers, mapping)
    by_row = {}
    for problem in data["problems"]:
        by_row.setdefault(problem["row"], []).append(problem)
    # What each unknown facility's tick adds: its rows whose only problem is that facility.
    new = {name.casefold(): name for name in preview.unknown_facilities}
    waiting = {}
    for row in preview.rows:
        if (row.clean and not row.duplicate and row.clean["facility"].casefold() in new
                and all(p.code == "unknown_facility" for p in row.errors)):
            name = new[row.clean["facility"].casefold()]
            waiting[name] = waiting.get(name, 0) + 1
    chosen = {name.casefold() for name in creating}
    return render_template("web/imports_preview.html", data=data, rows=preview.rows, by_row=by_row,
                           fields=imports.FIELDS, creating={n for n in data["unknown_facilities"]
                                                            if n.casefold() in chosen},
                           waiting=waiting, changed_from=changed_from,
                           duplicate_reason={"same_nik": describe(Problem("same_nik")),
                                             "similar_name_same_birth_date":
                                                 describe(Problem("similar_name_same_birth_date"))})


def _mapping_from_form(headers) -> dict:
    chosen = {}
    for i, header in enumerate(headers):
        value = request.form.get(f"map-{i}", "")
        if value in imports.FIELDS:
            chosen[header] = value
    return chosen


@bp.post("/confirm")
@requires("import")
def confirm():
    data = _kept()
    if data is None:
        flash(_("Berkas unggahan sudah tidak ada. Unggah lagi."), "warning")
        return redirect(url_for("imports.index"))
    db = get_db()
    headers, _mapping, _preview = import_flow.prepare(db, data)
    mapping = _mapping_from_form(headers)
    creating = request.form.getlist("create_facility")
    headers, mapping, preview = import_flow.prepare(db, data, mapping, creating)
    if request.form.get("action") != "commit":
        return _preview_page(headers, mapping, preview, creating)
    # The button said how many rows it imports; if the choices sent with it give another
    # number (a box ticked after the last check), show the new count rather than import
    # something else than what the clerk read.
    expected = request.form.get("expected", "")
    if not expected.isdigit() or int(expected) != len(preview.good):
        return _preview_page(headers, mapping, preview, creating,
                             changed_from=int(expected) if expected.isdigit() else None)
    report = import_flow.confirm(db, preview, headers, mapping, current_user.row, log)
    _forget()
    return render_template("web/imports_done.html", report=report)


@bp.get("/contoh-daftar-impor.xlsx")
@requires("import")
def sample():
    """A sheet with the expected columns and one invented row, to fill in."""
    return Response(imports.sample_sheet(), headers={
        "Cache-Control": "no-store",
        "Content-Disposition": 'attachment; filename="contoh-daftar-impor.xlsx"'},
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.get("/<int:report_id>/report.csv")
@requires("import")
def report(report_id):
    return import_report(report_id)
