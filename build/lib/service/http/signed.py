"""What the pages and the API both answer about the signed paper (issue 13): an upload
accepted, its summary, a tray page's thumbnail, a document's signed copy and a ceremony's
evidence pack. Every answer that shows a person's paper is served `no-store`, and the
downloads are audited here, so the two entry points cannot differ."""

from flask import Response, request

from ..auth.roles import allowed
from ..ceremonies import evidence
from ..ceremonies.returns import lists_anonymised
from ..errors import Forbidden, NotFound
from ..records import documents, signed_copies
from ..scans import thumbnails, tray, uploads
from ..scans.copies import signed_copy_pdf
from ..scans.pages import MAX_UPLOAD_BYTES
from ..scans.queue import scan_queue_for
from .support import get_db, log, runtime


def accept_upload(user: dict) -> dict:
    """The request's `file` parts (repeatable) as a new upload, queued for reading."""
    # Scans are larger than other uploads: this request may be (werkzeug then spools the
    # files to disk); anything beyond is a 413 before a byte is kept.
    request.max_content_length = MAX_UPLOAD_BYTES
    rt = runtime()
    db = get_db()
    scan = uploads.accept(rt.settings, db, request.files.getlist("file"), user)
    log("scan.upload", target_type="scan", target_id=scan["id"],
        detail={"files": scan["files"], "pages": scan["pages"]})
    scan_queue_for(rt).read(scan["id"])
    return scan


def _no_store(data: bytes, mimetype: str, filename: str | None = None) -> Response:
    headers = {"Cache-Control": "no-store"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return Response(data, mimetype=mimetype, headers=headers)


def thumbnail(page_id: int) -> Response:
    """A stored scanned page, small (tray pages, and pages attached from it). A page filed
    with a paper kept for the auditors after an anonymisation (her receipt, a roster
    listing her) is not shown: the picture names her."""
    db = get_db()
    row = tray.get(db, page_id, state=None)
    if row["document_id"] is not None:
        documents.get_document(db, row["document_id"])  # 404 for a paper kept for audit
    if not row["path"]:
        raise NotFound("this page is no longer kept")
    path = runtime().settings.archive / row["path"]
    if not path.is_file():
        raise NotFound("the page's file is missing; run `pulang doctor`")
    return _no_store(thumbnails.thumbnail(path), "image/png")


def signed_copy(doc_id: int) -> Response:
    """A document's signed copy (the pages that came back), audited as its own act."""
    db = get_db()
    doc = documents.get_document(db, doc_id)
    data = signed_copy_pdf(runtime().settings.archive, db, doc)
    log("document.signed_download", target_type="document", target_id=doc_id,
        detail={"pages": signed_copies.status(db, doc)["signed_pages"]})
    return _no_store(data, "application/pdf", f'{doc["kind"]}-{doc["id"]}-ditandatangani.pdf')


def evidence_pack(ceremony_id: int, role: str) -> Response:
    """A ceremony's evidence pack (berkas pertanggungjawaban), audited. Once a woman of
    it was anonymised, only the auditor may have it: her kept papers still name her."""
    db = get_db()
    if lists_anonymised(db, ceremony_id) and not allowed(role, "retention.read"):
        raise Forbidden("a woman of this ceremony was anonymised: only the auditor may "
                        "download its evidence pack")
    pack = evidence.build(runtime().settings, db, ceremony_id)
    log("ceremony.evidence", target_type="ceremony", target_id=ceremony_id,
        detail={"pages": pack.pages, "files": len(pack.manifest), "missing": pack.missing})
    return _no_store(pack.pdf, "application/pdf", f"berkas-pertanggungjawaban-{ceremony_id}.pdf")
