"""Word template versions in the browser (admin): download the current file, upload a
new version and read what is wrong with it, compare its preview with the current one,
activate it (or an older one again), and look up the names a template may use."""

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField

from ..http.messages import describe
from ..http.responses import template_docx
from ..http.support import get_db, log, runtime
from ..office_tools import catalogue
from ..office_tools import template_versions as versions
from ..office_tools.problems import Refused
from ..office_tools.zipsafe import read_upload
from ..records.kinds import DOCUMENT_KINDS
from .auth import requires
from .forms import choices
from .i18n import KIND_LABELS
from .preview import first_page_png

bp = Blueprint("templates_admin", __name__, url_prefix="/admin/templates")


class UploadForm(FlaskForm):
    kind = SelectField(_l("Jenis surat"), choices=choices((k, KIND_LABELS[k]) for k in DOCUMENT_KINDS))
    file = FileField(_l("Berkas Word (.docx)"),
                     description=_l("Paling besar 10 MB. Berkas diperiksa dulu; belum dipakai sebelum diaktifkan."),
                     render_kw={"accept": ".docx"})


def _index(form=None, problems=(), status=200):
    db = get_db()
    kinds = [(kind, versions.versions(db, kind)) for kind in DOCUMENT_KINDS]
    return render_template("web/admin/templates.html", kinds=kinds, problems=problems,
                           form=form or UploadForm(formdata=None)), status


@bp.get("")
@requires("template.manage")
def index():
    return _index()


@bp.post("/upload")
@requires("template.manage")
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _index(form, status=400)
    kind = form.kind.data
    try:
        data = read_upload(request.files.get("file"))
        row = versions.upload(runtime(), get_db(), kind, data, current_user_row())
    except Refused as exc:
        log("template.refused", target_type="template", target_id=kind,
            detail={"problems": sorted({p.code for p in exc.problems})})
        problems = [(describe(p), p.where) for p in exc.problems]
        return _index(form, problems, status=exc.status)
    if row["existing"]:
        flash(_("Berkas ini sama persis dengan versi %(version)s; tidak ada versi baru yang dibuat.",
                version=row["version"]), "info")
        return redirect(url_for("templates_admin.version", kind=kind, version=row["version"]))
    log("template.upload", target_type="template", target_id=kind,
        detail={"version": row["version"], "sha256": row["sha256"]})
    flash(_("Templat diterima sebagai versi %(version)s. Bandingkan pratinjaunya, lalu aktifkan.",
            version=row["version"]), "success")
    for warning in row.get("warnings", []):
        flash(describe(warning) + f" ({warning.where})", "warning")
    return redirect(url_for("templates_admin.version", kind=kind, version=row["version"]))


def current_user_row():
    from flask_login import current_user
    return current_user.row


@bp.get("/<kind>/<int:version>")
@requires("template.manage")
def version(kind, version):
    db = get_db()
    row = versions.get_version(db, kind, version)
    active = next((r for r in versions.versions(db, kind) if r["active"]), None)
    return render_template("web/admin/template_version.html", row=row, active=active,
                           kind=kind)


@bp.get("/<kind>/<int:version>/preview.png")
@requires("template.manage")
def preview(kind, version):
    row = versions.get_version(get_db(), kind, version)
    png = first_page_png(versions.preview_pdf(runtime(), row))
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.get("/<kind>/<int:version>/docx")
@requires("template.manage")
def download(kind, version):
    return template_docx(kind, version)


@bp.post("/<kind>/<int:version>/activate")
@requires("template.manage")
def activate(kind, version):
    if FlaskForm().validate_on_submit():
        versions.activate(get_db(), kind, version)
        log("template.activate", target_type="template", target_id=kind, detail={"version": version})
        flash(_("Versi %(version)s sekarang dipakai untuk surat baru.", version=version), "success")
    return redirect(url_for("templates_admin.version", kind=kind, version=version))


@bp.get("/variables")
@requires("template.manage")
def variables():
    return render_template("web/admin/template_variables.html",
                           case_vars=catalogue.variables("case"),
                           ceremony_vars=catalogue.variables("ceremony"),
                           filters=catalogue.filters())
