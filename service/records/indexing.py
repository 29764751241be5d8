"""Keeping the search index current: the index outbox.

A record write that changes what search finds (a case created, edited, imported or
anonymised; a letter made, voided or superseded) adds rows to `index_outbox` in the same
transaction as the change: "case 12", "document 40, with its text". The rows are drained
into the index afterwards, and deleted only once the index has committed them, so a
crash between the commit and the index loses nothing, and no caller has to remember to
tell the index. Who drains: the service's index writer thread (woken after each such
commit, and every few seconds for rows other processes left), or, where there is none
(the CLI, a print-job worker, tests), the runtime at once after the commit.

A drain writes the present state, read from the database while it holds the index's
write lock, not the state at the time a row was written: an anonymised woman leaves the
index even if an older row asked to add her, draining a row twice is harmless, and two
drainers (the service and a worker process) cannot overwrite a newer state with an older
one. A document's text is given when the letter is made; a later change of its status
keeps the text the index holds.

A print job's letters are `held` for the job, which drains them itself (drain(...,
held=...)): from when its last chunk is claimed, and the rest at its end
(ceremonies/job_index.py); a failed job releases them to the ordinary drain.
"""

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping

from .. import faults
from ..db import after_commit, write_transaction
from ..search import IndexEntry
from .kinds import LISTS_ANONYMISED

BATCH = 2000  # rows per index commit
_listeners: dict[str, Callable] = {}  # database path → what to call after its commits

CASES = ("SELECT cases.*, facilities.name AS facility FROM cases JOIN facilities "
         "ON facilities.id = cases.facility_id WHERE cases.status != 'anonymised'")
# Listed documents the index should hold: not destroyed by retention, not of an
# anonymised case (her kept receipts stay out of search), not a roster or report that
# lists an anonymised woman (kept for the auditors too: retention.LISTS_ANONYMISED).
DOCUMENTS = ("SELECT documents.* FROM listed_documents AS documents LEFT JOIN cases "
             "ON cases.id = documents.case_id WHERE documents.destroyed_at IS NULL "
             "AND (cases.id IS NULL OR cases.status != 'anonymised') "
             f"AND NOT {LISTS_ANONYMISED}")


def queue(db, *, cases: Iterable[int] = (), documents: Iterable[int] = (),
          texts: Mapping[int, str] | None = None, held: str | None = None,
          wait: bool = False) -> None:
    """Inside the write transaction of a change: the index is to catch up with these
    cases and documents (`texts`: a new letter's text by document id). `wait`: the
    caller's answer waits until the index has it (anonymisation: her name must be out
    of search when the clerk is told it is)."""
    if not db.conn.in_transaction:
        raise RuntimeError("queue index updates inside the change's write transaction")
    texts = texts or {}
    rows = [{"case_id": c, "held": held} for c in cases]
    rows += [{"document_id": d, "text": texts.get(d), "held": held} for d in documents]
    if not rows:
        return
    db["index_outbox"].insert_all(rows, columns={"case_id": int, "document_id": int,
                                                 "text": str, "held": str})
    if held is None:
        db._pulang_index_wait = getattr(db, "_pulang_index_wait", False) or wait
        after_commit(db, _committed)


def release(db, held: str) -> None:
    """Inside a write transaction: what was held for `held` goes to the ordinary drain."""
    if db.execute("UPDATE index_outbox SET held = NULL WHERE held = ?", [held]).rowcount:
        after_commit(db, _committed)


def listen(db_path, listener) -> None:
    """Call listener(db, wait) after every commit in this process, on any connection to
    the database at `db_path`, that queued index work: the runtime that owns the
    archive's index wakes its writer thread, or drains at once. One per database."""
    _listeners[os.path.realpath(db_path)] = listener


def unlisten(db_path, listener) -> None:
    if _listeners.get(os.path.realpath(db_path)) == listener:
        del _listeners[os.path.realpath(db_path)]


def _committed(db) -> None:
    faults.point("before_index")  # committed, not yet in the index: the outbox has it
    wait, db._pulang_index_wait = getattr(db, "_pulang_index_wait", False), False
    if not hasattr(db, "_pulang_path"):
        db._pulang_path = os.path.realpath(db.execute("PRAGMA database_list").fetchone()[2])
    listener = _listeners.get(db._pulang_path)
    if listener is not None:
        listener(db, wait)


def waiting(db, held: str | None = None) -> int:
    """Rows waiting to be drained (for `held`, or the ordinary ones)."""
    return db.execute("SELECT count(*) FROM index_outbox WHERE held IS ?", [held]).fetchone()[0]


def newest(db) -> int:
    """The id of the newest waiting row (0 if none): a rebuild that starts reading the
    database after this covers every change up to it."""
    return db.execute("SELECT coalesce(max(id), 0) FROM index_outbox WHERE held IS NULL").fetchone()[0]


def forget(db, upto: int) -> None:
    """Drop the waiting rows up to `upto`: a rebuild from the database has covered them."""
    with write_transaction(db):
        db.execute("DELETE FROM index_outbox WHERE held IS NULL AND id <= ?", [upto])


def drain(db, index, *, held: str | None = None) -> int:
    """Bring the index up to date with the rows waiting (or those held for `held`), one
    commit per BATCH rows, then delete the rows drained. Returns how many."""
    drained = 0
    while waiting(db, held):
        ids: list[int] = []

        def changes():
            rows = list(db.query("SELECT * FROM index_outbox WHERE held IS ? ORDER BY id LIMIT ?",
                                 [held, BATCH]))
            ids.extend(row["id"] for row in rows)
            return _changes(db, rows)

        index.update(changes)
        if not ids:
            break
        with write_transaction(db):
            db.execute(f"DELETE FROM index_outbox WHERE id IN ({','.join('?' * len(ids))})", ids)
        drained += len(ids)
    return drained


def _changes(db, rows: list[dict]) -> tuple[list[IndexEntry], list[int], list[int]]:
    """(entries to add or replace, document ids to delete, case ids to delete) that
    bring the index to the database's present state for these rows."""
    case_ids = {row["case_id"] for row in rows if row["case_id"] is not None}
    texts: dict[int, str | None] = {}
    for row in rows:
        if row["document_id"] is not None:  # a letter's text, from the row that made it
            texts[row["document_id"]] = row["text"] if row["text"] is not None \
                else texts.get(row["document_id"])
    docs = searchable_documents(db, texts)
    cases = searchable_cases(db, case_ids | {d["case_id"] for d in docs if d["case_id"]})
    entries = [index_entry(cases[c], None) for c in case_ids if c in cases]
    entries += [document_entry(db, doc, cases.get(doc["case_id"]), texts[doc["id"]]) for doc in docs]
    gone_docs = set(texts) - {doc["id"] for doc in docs}
    return entries, sorted(gone_docs), sorted(case_ids - set(cases))


def _in(column: str, ids) -> tuple[str, list]:
    ids = list(ids)
    return f" AND {column} IN ({','.join('?' * len(ids))})", ids


def searchable_cases(db, ids=None) -> dict[int, dict]:
    """The cases search should find (all, or those of `ids`), by id, with their facility."""
    if ids is not None and not ids:
        return {}
    where, params = _in("cases.id", ids) if ids is not None else ("", [])
    return {case["id"]: case for case in db.query(CASES + where, params)}


def searchable_documents(db, ids=None) -> list[dict]:
    """The documents search should find (all, or those of `ids`)."""
    if ids is not None and not ids:
        return []
    where, params = _in("documents.id", ids) if ids is not None else ("", [])
    return list(db.query(DOCUMENTS + where, params))


def index_entry(case: dict | None, doc: dict | None, text: str | None = "") -> IndexEntry:
    """A case entry (doc None) or a document entry, as the search index stores it."""
    entry = IndexEntry(
        case_id=case["id"] if case else 0,
        case_number=case["case_number"] if case else "",
        full_name=case["full_name"] if case else "",
        nik=(case["nik"] or "") if case else "",
        facility=case["facility"] if case else "",
        origin_region=case["origin_region"] if case else "",
    )
    if doc is not None:
        entry.doc_id = doc["id"]
        entry.kind = doc["kind"]
        entry.number = doc["number"]
        entry.created_at = dt.datetime.fromisoformat(doc["created_at"])
        entry.status = doc["status"]
        entry.signed = doc.get("signed_at") is not None
        entry.text = text
    return entry


def document_entry(db, doc: dict, case: dict | None, text: str | None) -> IndexEntry:
    """A document's entry (`text` None keeps the text the index holds). A roster or
    ceremony report that lists an anonymised woman is not among the searchable
    documents at all (DOCUMENTS)."""
    return index_entry(case, doc, text)
