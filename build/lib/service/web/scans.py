"""Pages for the signed paper coming back (issue 13): "Unggah hasil pindai" (upload what
the office scanner produced, then watch it being read), the review tray (a page without
a usable code: find its document by name or number and assign it, or discard it), and
the downloads of a signed copy and of a ceremony's evidence pack.

The work is done by service.scans and service/http/signed.py (the API runs the same
functions); this module turns forms into their input and answers into pages. The search
for a tray page's document is POSTed, like the search page's, so a name typed in the box
never sits in a URL.
"""

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..errors import Conflict, InvalidInput, NotFound
from ..http import signed
from ..http.support import get_db, log, runtime
from ..scans import tray, uploads
from .auth import requires
from .i18n import reasons

bp = Blueprint("scans", __name__)

REASON_LABELS = {
    "no_code": _l("Tidak ada kode QR yang terbaca"),
    "foreign_code": _l("Kode QR bukan dari Pulang"),
    "unknown_code": _l("Kode QR tidak dikenal (tidak ada surat atau halaman seperti itu)"),
    "void": _l("Surat sudah dibatalkan"),
    "superseded": _l("Surat sudah diganti dengan yang baru"),
    "page_unknown": _l("Kode QR lama tanpa nomor halaman"),
    "several_codes": _l("Ada kode beberapa surat pada satu halaman"),
    "unreadable": _l("Halaman tidak dapat dibaca"),
    "cover": _l("Sampul berkas cetak"),
}


STATE_LABELS = {
    "queued": _l("Menunggu"),
    "running": _l("Sedang dibaca"),
    "done": _l("Selesai"),
    "failed": _l("Gagal"),
}


@bp.app_context_processor
def _labels():
    return {"SCAN_REASONS": REASON_LABELS, "SCAN_STATES": STATE_LABELS}


@bp.get("/scans")
@requires("scan.upload")
def index(problems=None, status=200):
    db = get_db()
    recent = [uploads.summary(db, row[0]) for row in db.execute(
        "SELECT id FROM scans ORDER BY id DESC LIMIT 10")]
    return render_template("web/scans.html", recent=recent, in_tray=tray.count(db),
                           problems=problems or {}), status


@bp.post("/scans")
@requires("scan.upload")
def upload():
    try:
        scan = signed.accept_upload(current_user.row)
    except InvalidInput as exc:
        return index(problems=reasons(exc.fields), status=exc.status)
    return redirect(url_for("scans.view", scan_id=scan["id"]))


@bp.get("/scans/<int:scan_id>")
@requires("scan.upload")
def view(scan_id):
    return render_template("web/scan.html", scan=uploads.summary(get_db(), scan_id))


@bp.get("/scans/<int:scan_id>/progress")
@requires("scan.upload")
def progress(scan_id):
    """What the progress bar polls: counts, page numbers and reason codes, no names."""
    return jsonify(uploads.summary(get_db(), scan_id))


@bp.get("/scans/tray")
@requires("scan.review")
def tray_index():
    db = get_db()
    pages = tray.waiting(db)
    log("scan.tray", detail={"pages": len(pages)})
    return render_template("web/scan_tray.html", pages=pages, total=tray.count(db))


@bp.route("/scans/pages/<int:page_id>", methods=["GET", "POST"])
@requires("scan.review")
def tray_page(page_id, problems=None, status=200):
    """One tray page: its picture and reason, a search for its document (POST), and the
    documents found, each with a form to assign the page to one of its pages."""
    db = get_db()
    row = tray.get(db, page_id)
    query = request.form.get("q", "") if request.method == "POST" else ""
    found = tray.candidates(db, runtime().index, query) if query.strip() else None
    if found is not None:
        log("scan.tray_search", detail={"results": len(found)})
    return render_template("web/scan_page.html", page=row, query=query, found=found,
                           problems=problems or {}), status


@bp.post("/scans/pages/<int:page_id>/assign")
@requires("scan.review")
def assign(page_id):
    db = get_db()
    try:
        row = tray.assign(db, page_id, request.form.get("document_id"), request.form.get("page"),
                          current_user.row)
    except (InvalidInput, Conflict) as exc:
        return tray_page(page_id, problems=reasons(exc.fields), status=exc.status)
    log("scan.attach", target_type="document", target_id=row["document_id"],
        detail={"scan_id": row["scan_id"], "scan_page": row["position"], "page": row["page"],
                "by": "clerk"})
    flash(_("Halaman disimpan sebagai salinan bertanda tangan halaman %(page)s.", page=row["page"]),
          "success")
    return redirect(url_for("scans.tray_index"))


@bp.post("/scans/pages/<int:page_id>/discard")
@requires("scan.review")
def discard(page_id):
    row = tray.discard(get_db(), runtime().settings.archive, page_id)
    log("scan.discard", target_type="scan", target_id=row["scan_id"],
        detail={"scan_page": row["position"], "reason": row["reason"]})
    flash(_("Halaman dibuang."), "success")
    return redirect(url_for("scans.tray_index"))


@bp.get("/scans/pages/<int:page_id>/thumbnail.png")
@requires("scan.review")
def thumbnail(page_id):
    return signed.thumbnail(page_id)


@bp.get("/documents/<int:doc_id>/signed.pdf")
@requires("document.read")
def signed_copy(doc_id):
    try:
        return signed.signed_copy(doc_id)
    except NotFound:
        flash(_("Belum ada halaman bertanda tangan yang kembali untuk surat ini."), "warning")
        return redirect(url_for("documents.view", doc_id=doc_id))


@bp.get("/ceremonies/<int:ceremony_id>/evidence.pdf")
@requires("evidence.read")
def evidence(ceremony_id):
    return signed.evidence_pack(ceremony_id, current_user.row["role"])
