"""Changes that must also reach the search index, shared by the pages and the API until
the record layer keeps the index current itself (issue 9, item 3)."""

from ..letters.pdftext import extract_text
from ..records import documents, retention
from ..records.cases import get_case
from .support import get_db, log, runtime


def void_document(db, doc_id: int, reason, user: dict) -> dict:
    """Void, then tell the index (search results show the status)."""
    doc = documents.void(db, doc_id, reason, user)
    if doc["case_id"]:
        text = extract_text((runtime().settings.archive / doc["path"]).read_bytes())
        runtime().submit_index([documents.index_entry(get_case(db, doc["case_id"]), doc, text)])
    return doc


def anonymise_case(case_id: int) -> dict:
    rt = runtime()
    rt.flush_index()  # nothing queued for her may land in the index after the deletion
    summary = retention.anonymise_case(get_db(), rt.settings.archive, rt.index, case_id,
                                       years=rt.settings.retention_years)
    log("case.anonymise", target_type="case", target_id=case_id,
        detail={"destroyed": summary["destroyed"], "kept_for_audit": summary["kept_for_audit"]})
    return summary
