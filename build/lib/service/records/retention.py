"""Retention: closing a case, and anonymising a closed one once the retention period
(`PULANG_RETENTION_YEARS`, default 5) has passed since it was closed.

Anonymising replaces the personal fields, destroys the PDFs of her letters, and keeps
her aid receipts unchanged as the auditors' record of public money: they stay on disk
(their sha256 still matches, so the verification page and `pulang doctor` hold), out of
search, and readable only by roles with `audit.read`. Every document row stays, so no
letter number ever disappears from the register. See docs/decisions.md (issue 5).

Forgotten means forgotten (issue 10, item 6): the merged print results of any job that
printed her (`prints/<id>.pdf`) are deleted, the job saying why; the ceremony rosters
and reports that list her are kept for the auditors like her receipts (out of search,
out of every list, `audit.read` only); the verification page says her destroyed letters
were destroyed under the retention policy. What is removed from disk is gathered by
`files_to_forget`, one query per kind of file: a new kind of file about a woman (the
scanned signed copies of issue 13) adds its query there.
"""

import datetime as dt

from ..clock import now_iso, office_today
from ..db import forget_old_pages, write_transaction
from ..errors import Conflict
from . import indexing, samples, signed_copies
from .cases import get_case
from .kinds import LISTS_ANONYMISED
from .storage import relative_path

# Kept for audit (BPK, Inspektorat) when a case is anonymised: receipts of public money,
# the kuitansi (APBD) and the transfer receipt (APBN).
KEPT_KINDS = ("aid_receipt", "transfer_receipt")
RESULT_REMOVED = "anonymisation"  # print_jobs.result_removed
RESULT_REMOVED_NOTE = "hasil dihapus karena anonimisasi"


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


def reopen_case(db, case_id: int) -> dict:
    """A closed case open again (closed by mistake, or she came back): its retention
    clock stops; Conflict unless it is closed."""
    case = get_case(db, case_id)
    if case["status"] != "closed":
        raise Conflict("only a closed case can be reopened", fields={"status": case["status"]})
    with write_transaction(db):
        db["cases"].update(case_id, {"status": "open", "closed_at": None, "updated_at": now_iso()})
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
    Her entries leave the index, and the ceremony papers that list her leave search
    (they stay as aid records, for auditors), before this returns (indexing.py's outbox,
    so a crash after the commit still gets them out). Files go after the commit: a crash
    in between leaves files that `pulang doctor --repair` deletes."""
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
        forget = files_to_forget(db, case_id)
        docs = list(db.query(
            "SELECT id, kind, path FROM listed_documents WHERE case_id = ? "
            "AND destroyed_at IS NULL", [case_id]))
        destroyed = [d for d in docs if d["kind"] not in KEPT_KINDS]
        for doc in destroyed:
            db["documents"].update(doc["id"], {"path": None, "destroyed_at": now, "updated_at": now})
        signed_copies.forget_files(db, [d["id"] for d in destroyed])
        jobs = _remove_print_results(db, case_id, now)
        db["cases"].update(case_id, {
            "full_name": masked_name(case["full_name"]), "nik": None, "birth_place": "",
            "birth_date": None, "origin_address": "", "notes": "", "paper_notes": "",
            "status": "anonymised",
            "anonymised_at": now, "updated_at": now})
        listing = [row[0] for row in db.execute(
            "SELECT documents.id FROM document_cases JOIN listed_documents AS documents "
            "ON documents.id = document_cases.document_id WHERE document_cases.case_id = ? "
            "AND documents.case_id IS NULL", [case_id])]
        indexing.queue(db, cases=[case_id], documents=[d["id"] for d in docs] + listing, wait=True)
    for rel in forget:
        (archive / rel).unlink(missing_ok=True)
    samples.remove_for_case(db, archive, case_id)  # sample letters print her name too
    forget_old_pages(db)
    return {"case_id": case_id, "case_number": case["case_number"], "status": "anonymised",
            "destroyed": len(destroyed), "kept_for_audit": len(docs) - len(destroyed),
            "print_results_removed": jobs}


def files_to_forget(db, case_id: int) -> list[str]:
    """Inside the anonymising transaction: every file in the archive (paths relative to
    it) that holds her name or NIK and goes: her letters but the kept receipts, and the
    merged print results of every job that printed her, and the scanned signed copies of
    those letters (issue 13; a kept receipt keeps its own). A new kind of file about a
    woman adds its query here."""
    ids = [row[0] for row in db.execute(
        "SELECT id FROM listed_documents WHERE case_id = ? AND destroyed_at IS NULL "
        f"AND kind NOT IN ({', '.join('?' for _ in KEPT_KINDS)})", [case_id, *KEPT_KINDS])]
    letters = [relative_path(i) for i in ids] + signed_copies.files_of(db, ids)
    prints = [row[0] for row in db.execute(_JOBS_WITH_HER + " AND result_path IS NOT NULL",
                                           [case_id])]
    return letters + prints


# A print job printed her if she was among its cases (a roster-only job lists her too).
_JOBS_WITH_HER = ("SELECT result_path FROM print_jobs WHERE EXISTS (SELECT 1 FROM "
                  "json_each(print_jobs.options, '$.case_ids') WHERE value = ?)")


def _remove_print_results(db, case_id: int, now: str) -> int:
    """Her print jobs lose their result (the file goes after the commit) and say why; one
    still working stops, as a failed job, before it merges her papers."""
    where = "EXISTS (SELECT 1 FROM json_each(print_jobs.options, '$.case_ids') WHERE value = ?)"
    db.execute(f"UPDATE print_jobs SET state = 'failed', error = ?, finished_at = ?, updated_at = ? "
               f"WHERE state IN ('queued', 'running') AND {where}",
               [RESULT_REMOVED_NOTE, now, now, case_id])
    return db.execute(
        f"UPDATE print_jobs SET result_path = NULL, result_removed = ?, result_removed_at = ?, "
        f"updated_at = ? WHERE result_path IS NOT NULL AND {where}",
        [RESULT_REMOVED, now, now, case_id]).rowcount


def kept_document(db, doc_id: int) -> dict:
    """A document kept for the auditors after an anonymisation, or NotFound: a receipt of
    an anonymised case, or a ceremony roster or report that lists an anonymised woman."""
    from ..errors import NotFound
    rows = list(db.query(
        "SELECT documents.* FROM listed_documents AS documents LEFT JOIN cases "
        "ON cases.id = documents.case_id WHERE documents.id = ? AND documents.destroyed_at IS NULL "
        "AND ((cases.status = 'anonymised' "
        f"AND documents.kind IN ({', '.join('?' for _ in KEPT_KINDS)})) "
        f"OR (documents.case_id IS NULL AND {LISTS_ANONYMISED}))", [doc_id, *KEPT_KINDS]))
    if not rows:
        raise NotFound("no such kept document")
    return rows[0]
