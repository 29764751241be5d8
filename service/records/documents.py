"""Document records: reading them, recording a made letter valid (and what it replaces
superseded), voiding. Every change of status reaches the search index (indexing.py)."""

from ..clock import now_iso
from ..db import write_transaction
from ..errors import Conflict, InvalidInput, NotFound
from . import indexing
from . import validate as v
from .kinds import LISTED, LISTS_ANONYMISED


def get_document(db, doc_id, *, include_failed: bool = False) -> dict:
    """A document anyone with document.read may open: not one of an anonymised case, nor
    a roster or report that lists an anonymised woman (those are the auditors',
    retention.kept_document)."""
    rows = list(db.query(
        "SELECT documents.* FROM documents LEFT JOIN cases ON cases.id = documents.case_id "
        "WHERE documents.id = ? AND (cases.id IS NULL OR cases.status != 'anonymised') "
        f"AND NOT {LISTS_ANONYMISED}", [doc_id]))
    if not rows or (rows[0]["status"] not in LISTED and not include_failed):
        raise NotFound("no such document")
    return rows[0]


def case_documents(db, case_id: int) -> list[dict]:
    """The case's own letters and the ceremony documents (roster, report) listing her,
    but not those that list an anonymised woman too (kept for the auditors)."""
    return list(db.query(
        "SELECT * FROM listed_documents AS documents WHERE (case_id = ? OR id IN "
        "(SELECT document_id FROM document_cases WHERE case_id = ?)) "
        f"AND NOT {LISTS_ANONYMISED} ORDER BY id DESC", [case_id, case_id]))


def by_token(db, token: str) -> dict | None:
    """The document a QR code names. One destroyed by retention comes back with status
    'destroyed' and no hash: it is no longer valid (before issue 10 it still said so)."""
    rows = list(db.query("SELECT * FROM listed_documents WHERE token = ?", [token]))
    if not rows:
        return None
    doc = rows[0]
    if doc["destroyed_at"]:
        doc = dict(doc, status="destroyed", sha256=None)
    return doc


def successor(db, doc_id: int) -> tuple | None:
    """(id, number) of the listed document that replaced this one, if any."""
    return db.execute("SELECT id, number FROM listed_documents WHERE supersedes_id = ?",
                      [doc_id]).fetchone()


def void(db, doc_id: int, reason, user: dict) -> dict:
    try:
        reason = v.text(reason, max_len=500, required=True)
    except v.FieldError as exc:
        raise InvalidInput("a reason is needed to void a document", fields={"reason": str(exc)}) from None
    with write_transaction(db):
        doc = get_document(db, doc_id)
        if doc["status"] != "valid":
            raise Conflict(f"only a valid document can be voided; this one is {doc['status']}",
                           fields={"status": doc["status"]})
        db["documents"].update(doc_id, {"status": "void", "void_reason": reason,
                                        "updated_at": now_iso()})
        indexing.queue(db, documents=[doc_id])
    return get_document(db, doc_id)


def mark_valid(db, doc: dict, *, sha256: str, pages: int, path: str, text: str,
               held: str | None = None) -> None:
    """Inside a write transaction: the stored letter's row becomes valid and what it
    replaces superseded; both go to the index, the new one with its `text` (`held`: a
    print job indexes its letters itself, at its end)."""
    # One statement: sqlite-utils' update() reads the table's shape and the row first,
    # three queries per letter, 300 in a print job's last chunk before it can finish.
    if db.execute("UPDATE documents SET sha256 = ?, pages = ?, path = ?, status = 'valid', "
                  "updated_at = ? WHERE id = ?",
                  [sha256, pages, path, now_iso(), doc["id"]]).rowcount != 1:
        raise LookupError(f"document {doc['id']} is not in the archive")
    changed = [doc["id"]]
    if doc["supersedes_id"] and db.execute(
            "UPDATE documents SET status = 'superseded', updated_at = ? "
            "WHERE id = ? AND status = 'valid'", [now_iso(), doc["supersedes_id"]]).rowcount:
        changed.append(doc["supersedes_id"])
    indexing.queue(db, documents=changed, texts={doc["id"]: text}, held=held)


def public_view(doc: dict, base_url: str) -> dict:
    """The API's view of a document."""
    return {
        "id": doc["id"], "case_id": doc["case_id"], "kind": doc["kind"],
        "number": doc["number"], "sha256": doc["sha256"], "pages": doc["pages"],
        "status": doc["status"], "template_version": doc["template_version"],
        "issued_on": doc["issued_on"], "created_at": doc["created_at"],
        "supersedes_id": doc["supersedes_id"], "void_reason": doc["void_reason"],
        "pdf_url": f"/api/v1/documents/{doc['id']}/pdf",
        "verify_url": f"{base_url}/v/{doc['token']}",
    }
