from flask import g, jsonify

from ..errors import InvalidInput
from ..http.responses import letter_pdf
from ..http.support import get_db, log, runtime
from ..http.views import documents_view
from ..letters.pipeline import generate_case_document
from ..records import documents as records
from ..records import samples
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
    if doc["status"] == "sample":
        log("sample.create", target_type="sample", target_id=doc["id"],
            detail={"case_id": case_id, "kind": kind})
        return jsonify(samples.public_view(doc, doc["missing"])), 201
    log("document.create", target_type="document", target_id=doc["id"],
        detail={"case_id": case_id, "kind": kind, "number": doc["number"]})
    return jsonify(documents_view(db, [doc])[0]), 201


@bp.get("/documents/<int:doc_id>")
@requires("document.read")
def get_document(doc_id):
    db = get_db()
    doc = records.get_document(db, doc_id)
    log("document.read", target_type="document", target_id=doc_id)
    return jsonify(documents_view(db, [doc])[0])


@bp.get("/documents/<int:doc_id>/pdf")
@requires("document.read")
def document_pdf(doc_id):
    doc = records.get_document(get_db(), doc_id)
    log("document.download", target_type="document", target_id=doc_id)
    return letter_pdf(doc)


@bp.post("/documents/<int:doc_id>/void")
@requires("document.void")
def void_document(doc_id):
    db = get_db()
    doc = records.void(db, doc_id, json_body().get("reason"), g.user)
    log("document.void", target_type="document", target_id=doc_id)
    return jsonify(documents_view(db, [doc])[0])
