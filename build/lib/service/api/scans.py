"""Scanned signed papers over the API (issue 13; docs/api.md): uploads, their progress
and outcome, the review tray, a document's signed copy and a ceremony's evidence pack."""

from flask import g, jsonify, url_for

from ..http import signed
from ..http.support import get_db, log, runtime
from ..scans import tray, uploads
from . import bp
from .auth import json_body, requires


@bp.post("/scans")
@requires("scan.upload")
def upload_scans():
    scan = signed.accept_upload(g.user)
    return jsonify({"scan_id": scan["id"], "pages": scan["pages"],
                    "status_url": url_for("api.get_scan", scan_id=scan["id"])}), 202


@bp.get("/scans/<int:scan_id>")
@requires("scan.upload")
def get_scan(scan_id):
    return jsonify(uploads.summary(get_db(), scan_id))


@bp.get("/scans/tray")
@requires("scan.review")
def scan_tray():
    db = get_db()
    pages = [{"id": p["id"], "scan_id": p["scan_id"], "page": p["position"], "reason": p["reason"],
              "created_at": p["created_at"],
              "thumbnail_url": url_for("api.scan_thumbnail", page_id=p["id"])} for p in tray.waiting(db)]
    log("scan.tray", detail={"pages": len(pages)})
    return jsonify({"total": tray.count(db), "pages": pages})


@bp.get("/scans/pages/<int:page_id>/thumbnail.png")
@requires("scan.review")
def scan_thumbnail(page_id):
    return signed.thumbnail(page_id)


@bp.post("/scans/pages/<int:page_id>/assign")
@requires("scan.review")
def assign_scan_page(page_id):
    body = json_body()
    row = tray.assign(get_db(), page_id, body.get("document_id"), body.get("page"), g.user)
    log("scan.attach", target_type="document", target_id=row["document_id"],
        detail={"scan_id": row["scan_id"], "scan_page": row["position"], "page": row["page"],
                "by": "clerk"})
    return jsonify({"id": row["id"], "state": row["state"], "document_id": row["document_id"],
                    "page": row["page"]})


@bp.post("/scans/pages/<int:page_id>/discard")
@requires("scan.review")
def discard_scan_page(page_id):
    row = tray.discard(get_db(), runtime().settings.archive, page_id)
    log("scan.discard", target_type="scan", target_id=row["scan_id"],
        detail={"scan_page": row["position"], "reason": row["reason"]})
    return jsonify({"id": row["id"], "state": "discarded"})


@bp.get("/documents/<int:doc_id>/signed.pdf")
@requires("document.read")
def signed_copy(doc_id):
    return signed.signed_copy(doc_id)


@bp.get("/ceremonies/<int:ceremony_id>/evidence.pdf")
@requires("evidence.read")
def evidence_pack(ceremony_id):
    return signed.evidence_pack(ceremony_id, g.user["role"])
