"""Retention under /api/v1: close a case, anonymise it after the retention period, and
the kept aid receipts of anonymised cases for auditors (service/records/retention.py)."""

from flask import jsonify

from ..http.responses import letter_pdf
from ..http.support import get_db, log, runtime
from ..records import retention
from . import bp
from .auth import requires


@bp.post("/cases/<int:case_id>/close")
@requires("case.close")
def close_case(case_id):
    case = retention.close_case(get_db(), case_id)
    log("case.close", target_type="case", target_id=case_id)
    return jsonify({"id": case["id"], "case_number": case["case_number"],
                    "status": case["status"], "closed_at": case["closed_at"]})


@bp.post("/cases/<int:case_id>/reopen")
@requires("case.close")
def reopen_case(case_id):
    case = retention.reopen_case(get_db(), case_id)
    log("case.reopen", target_type="case", target_id=case_id)
    return jsonify({"id": case["id"], "case_number": case["case_number"], "status": case["status"]})


@bp.post("/cases/<int:case_id>/anonymise")
@requires("case.anonymise")
def anonymise_case(case_id):
    settings = runtime().settings
    summary = retention.anonymise_case(get_db(), settings.archive, case_id,
                                       years=settings.retention_years)
    log("case.anonymise", target_type="case", target_id=case_id,
        detail={"destroyed": summary["destroyed"], "kept_for_audit": summary["kept_for_audit"]})
    return jsonify(summary)


@bp.get("/retention/documents/<int:doc_id>/pdf")
@requires("retention.read")
def kept_receipt_pdf(doc_id):
    doc = retention.kept_document(get_db(), doc_id)
    log("document.download", target_type="document", target_id=doc_id, detail={"kept": True})
    return letter_pdf(doc)
