"""Retention: closing a case, and anonymising a closed one once the retention period
(`PULANG_RETENTION_YEARS`, default 5) has passed since it was closed.

Anonymising replaces the personal fields, destroys the PDFs of her letters, and keeps
her aid receipts unchanged as the auditors' record of public money: they stay on disk
(their sha256 still matches, so the verification page and `pulang doctor` hold), out of
search, and readable only by roles with `audit.read`. Every document row stays, so no
letter number ever disappears from the register. See docs/decisions.md (issue 5).
"""

import datetime as dt

from ..clock import now_iso, office_today
from ..db import write_transaction
from ..errors import Conflict
from . import indexing
from .cases import get_case
from .storage import relative_path

KEPT_KINDS = ("aid_receipt",)  # kept for audit (BPK, Inspektorat) when a case is anonymised


def masked_name(full_name: str) -> str:
    """'Siti Aminah' -> 'S*** A***': initials only, without the length of each word."""
    return " ".join(f"{word[0]}***" for word in full_name.split()) or "***"


def close_case(db, case_id: int) -> dict:
    case = get_case(db, case_id)
    if case["status"] == "closed":
        raise Conflict("the case is already closed", fields={"status": "closed"})
    with write_transaction(db):
        db["cases"].update(case_id, {"status": "closed", "closed_at": now_iso(),
                                     "updated_at": now_iso()})
    return get_case(db, case_id)


def eligible_on(case: dict, years: int) -> dt.date | None:
    """The first day the case may be anonymised, or None while it is not closed."""
    if case["status"] != "closed" or not case.get("closed_at"):
        return None
    closed = dt.datetime.fromisoformat(case["closed_at"]).date()
    try:
        return closed.replace(year=closed.year + years)
    except ValueError:  # closed on 29 February
        return closed.replace(year=closed.year + years, day=28)


def anonymise_case(db, archive, case_id: int, *, years: int) -> dict:
    """Anonymise a closed case past its retention period. Returns counts (no names).
    Her entries leave the index, and the ceremony papers that list her leave full-text
    search (they stay as aid records), before this returns (indexing.py's outbox, so a
    crash after the commit still gets them out)."""
    case = get_case(db, case_id)
    first_day = eligible_on(case, years)
    if first_day is None:
        raise Conflict("only a closed case can be anonymised", fields={"status": case["status"]})
    if office_today() < first_day:
        raise Conflict(f"the retention period ({years} years after closing) ends on "
                       f"{first_day.isoformat()}", fields={"status": "retention period not over"},
                       eligible_on=first_day.isoformat())
    now = now_iso()
    with write_transaction(db):
        docs = list(db.query(
            "SELECT id, kind, path FROM listed_documents WHERE case_id = ? "
            "AND destroyed_at IS NULL", [case_id]))
        destroyed = [d for d in docs if d["kind"] not in KEPT_KINDS]
        for doc in destroyed:
            db["documents"].update(doc["id"], {"path": None, "destroyed_at": now, "updated_at": now})
        db["cases"].update(case_id, {
            "full_name": masked_name(case["full_name"]), "nik": None, "birth_place": "",
            "birth_date": None, "origin_address": "", "notes": "", "status": "anonymised",
            "anonymised_at": now, "updated_at": now})
        listing = [row[0] for row in db.execute(
            "SELECT documents.id FROM document_cases JOIN listed_documents AS documents "
            "ON documents.id = document_cases.document_id WHERE document_cases.case_id = ? "
            "AND documents.case_id IS NULL", [case_id])]
        indexing.queue(db, cases=[case_id], documents=[d["id"] for d in docs] + listing, wait=True)
    # After the commit: a crash here leaves files that `pulang doctor --repair` deletes.
    for doc in destroyed:
        (archive / relative_path(doc["id"])).unlink(missing_ok=True)
    return {"case_id": case_id, "case_number": case["case_number"], "status": "anonymised",
            "destroyed": len(destroyed), "kept_for_audit": len(docs) - len(destroyed)}


def kept_receipt(db, doc_id: int) -> dict:
    """A receipt kept from an anonymised case (for auditors), or NotFound."""
    from ..errors import NotFound
    rows = list(db.query(
        "SELECT documents.* FROM listed_documents AS documents JOIN cases "
        "ON cases.id = documents.case_id WHERE documents.id = ? AND cases.status = 'anonymised' "
        f"AND documents.kind IN ({', '.join('?' for _ in KEPT_KINDS)}) "
        "AND documents.destroyed_at IS NULL", [doc_id, *KEPT_KINDS]))
    if not rows:
        raise NotFound("no such kept document")
    return rows[0]
