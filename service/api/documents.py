from flask import Response, g, jsonify

from ..errors import InvalidInput, NotFound
from ..http.support import get_db, log, runtime
from ..letters.pipeline import generate_case_document
from ..letters.stamp import void_pdf
from ..records import documents as records
from . import bp
from .auth import json_body, requires


@bp.post("/cases/<int:case_id>/documents")
@requires("document.create")
def create_document(case_id):
    db = get_db()
    kind = json_body().get("kind")
    if not isinstance(kind, str):
        raise InvalidInput("which document?", fields={"kind": "is required"})
    doc = generate_case_document(runtime(), db, case_id, kind, g.user)
    log("document.create", target_type="document", target_id=doc["id"],
        detail={"case_id": case_id, "kind": kind, "number": doc["number"]})
    return jsonify(records.public_view(doc, runtime().settings.base_url)), 201


@bp.get("/documents/<int:doc_id>")
@requires("document.read")
def get_document(doc_id):
    doc = records.get_document(get_db(), doc_id)
    log("document.read", target_type="document", target_id=doc_id)
    return jsonify(records.public_view(doc, runtime().settings.base_url))


def pdf_bytes(doc: dict) -> bytes:
    """The stored PDF, with BATAL drawn over it when void (the file itself never changes).
    Shared with the web pages (download and preview)."""
    path = runtime().settings.archive / doc["path"]
    if not path.is_file():
        raise NotFound("the document's file is missing; run `pulang doctor`")
    data = path.read_bytes()
    return void_pdf(data) if doc["status"] == "void" else data


def pdf_response(doc: dict) -> Response:
    response = Response(pdf_bytes(doc), mimetype="application/pdf")
    response.headers["Cache-Control"] = "no-store"
    # The file name says what it is, never whose it is.
    response.headers["Content-Disposition"] = f'inline; filename="{doc["kind"]}-{doc["id"]}.pdf"'
    return response


@bp.get("/documents/<int:doc_id>/pdf")
@requires("document.read")
def document_pdf(doc_id):
    doc = records.get_document(get_db(), doc_id)
    log("document.download", target_type="document", target_id=doc_id)
    return pdf_response(doc)


@bp.post("/documents/<int:doc_id>/void")
@requires("document.void")
def void_document(doc_id):
    doc = void_and_reindex(get_db(), doc_id, json_body().get("reason"), g.user)
    log("document.void", target_type="document", target_id=doc_id)
    return jsonify(records.public_view(doc, runtime().settings.base_url))


def void_and_reindex(db, doc_id: int, reason, user: dict) -> dict:
    """Void, then tell the index (search results show the status). Shared with the web."""
    doc = records.void(db, doc_id, reason, user)
    if doc["case_id"]:
        from ..letters.pdftext import extract_text
        from ..records.cases import get_case
        text = extract_text((runtime().settings.archive / doc["path"]).read_bytes())
        runtime().submit_index([records.index_entry(get_case(db, doc["case_id"]), doc, text)])
    return doc
