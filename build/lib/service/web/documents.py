"""A document's page (metadata, first-page preview, download, void). Each read, preview
and download is audited with the document id only."""

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.users import usernames
from ..errors import Conflict, InvalidInput
from ..http.responses import letter_pdf, pdf_bytes, sample_letter
from ..http.support import get_db, log
from ..records import documents as records
from ..records import samples, signed_copies
from ..records.cases import get_case
from .auth import requires
from .forms import VoidForm
from .i18n import reasons
from .preview import first_page_png

bp = Blueprint("documents", __name__)


@bp.get("/documents/<int:doc_id>")
@requires("document.read")
def view(doc_id, void_form: VoidForm | None = None):
    db = get_db()
    doc = records.get_document(db, doc_id)
    case = get_case(db, doc["case_id"]) if doc["case_id"] else None
    log("document.read", target_type="document", target_id=doc_id)
    return render_template("web/document.html", doc=doc, case=case, users=usernames(db),
                           signed=signed_copies.status(db, doc),
                           successor=records.successor(db, doc_id),
                           void_form=void_form or VoidForm(formdata=None))


@bp.get("/documents/<int:doc_id>/preview.png")
@requires("document.read")
def preview(doc_id):
    doc = records.get_document(get_db(), doc_id)
    png = first_page_png(pdf_bytes(doc))
    log("document.preview", target_type="document", target_id=doc_id)
    return Response(png, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.get("/documents/<int:doc_id>/pdf")
@requires("document.read")
def pdf(doc_id):
    """Opens in the browser's viewer, to print."""
    doc = records.get_document(get_db(), doc_id)
    log("document.download", target_type="document", target_id=doc_id, detail={"as": "inline"})
    return letter_pdf(doc)


@bp.get("/documents/<int:doc_id>/download")
@requires("document.read")
def download(doc_id):
    doc = records.get_document(get_db(), doc_id)
    log("document.download", target_type="document", target_id=doc_id, detail={"as": "attachment"})
    return letter_pdf(doc, "attachment")


@bp.get("/samples/<int:sample_id>.pdf")
@requires("document.read")
def sample(sample_id):
    """A sample letter made while the office's set-up is incomplete (no number, no QR)."""
    found = samples.get(get_db(), sample_id)
    log("sample.download", target_type="sample", target_id=sample_id)
    return sample_letter(found)


@bp.post("/documents/<int:doc_id>/void")
@requires("document.void")
def void(doc_id):
    form = VoidForm()
    if not form.validate_on_submit():
        return view(doc_id, void_form=form), 400
    try:
        doc = records.void(get_db(), doc_id, form.reason.data, current_user.row)
    except InvalidInput as exc:
        form.reason.errors = list(reasons(exc.fields).values())
        return view(doc_id, void_form=form), 400
    except Conflict:
        flash(_("Dokumen ini sudah tidak sah, jadi tidak dapat dibatalkan lagi."), "error")
        return redirect(url_for("documents.view", doc_id=doc_id))
    log("document.void", target_type="document", target_id=doc_id)
    flash(_("Dokumen %(number)s dibatalkan.", number=doc["number"]), "success")
    return redirect(url_for("documents.view", doc_id=doc_id))
