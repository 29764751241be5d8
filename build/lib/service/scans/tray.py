"""The review tray: scanned pages whose code is missing, unreadable, unknown, or names a
void or superseded document. A clerk finds the document the page belongs to (by the
woman's name or the letter number) and assigns the page to one of its pages, or discards
the page (its file is deleted; the record that it was uploaded stays, so the same page
uploaded again does not come back to the tray)."""

from __future__ import annotations

from ..clock import now_iso
from ..db import write_transaction
from ..errors import Conflict, InvalidInput, NotFound
from ..records import signed_copies
from ..records import validate as v
from ..records.kinds import KIND_LABELS, LISTS_ANONYMISED

# Valid documents a clerk may file a page with: not kept for the auditors after an
# anonymisation (her receipts, papers that list her).
_NOT_KEPT = ("(documents.case_id IS NULL OR documents.case_id NOT IN "
             f"(SELECT id FROM cases WHERE status = 'anonymised')) AND NOT {LISTS_ANONYMISED} ")
_OPEN = ("SELECT documents.* FROM listed_documents AS documents WHERE documents.status = 'valid' "
         f"AND {_NOT_KEPT}")


def waiting(db, *, limit: int = 200) -> list[dict]:
    """The pages in the tray, oldest first."""
    return list(db.query(
        "SELECT scan_pages.id, scan_pages.scan_id, scan_pages.position, scan_pages.reason, "
        "scan_pages.created_at FROM scan_pages WHERE state = 'tray' ORDER BY id LIMIT ?", [limit]))


def count(db) -> int:
    return db.execute("SELECT count(*) FROM scan_pages WHERE state = 'tray'").fetchone()[0]


def get(db, page_id: int, *, state: str | None = "tray") -> dict:
    rows = list(db.query("SELECT * FROM scan_pages WHERE id = ?", [page_id]))
    if not rows or (state is not None and rows[0]["state"] != state):
        raise NotFound("no such page in the review tray")
    return rows[0]


def assign(db, page_id: int, document_id, page, user: dict) -> dict:
    """The tray page becomes the signed copy of `page` of the document. 400 for a
    document or page number that is not one; 409 when the document is not valid or the
    page has its signed copy already."""
    problems: dict[str, str] = {}
    document_id = _number(document_id, "document_id", 2**62, problems)
    page = _number(page, "page", 10_000, problems)
    if problems:
        raise InvalidInput("which document and page?", fields=problems)
    with write_transaction(db):
        row = get(db, page_id)
        docs = list(db.query("SELECT documents.id, documents.status, documents.pages FROM "
                             f"listed_documents AS documents WHERE documents.id = ? AND {_NOT_KEPT}",
                             [document_id]))
        if not docs:
            raise InvalidInput("no such document", fields={"document_id": "no such document"})
        doc = docs[0]
        if doc["status"] != "valid":
            raise Conflict(f"the document is {doc['status']}; assign the page to the one that "
                           "replaced it", fields={"document_id": doc["status"]})
        if page > (doc["pages"] or 0):
            raise InvalidInput("the document has fewer pages", fields={
                "page": f"must be from 1 to {doc['pages']}"})
        if signed_copies.copy_of(db, document_id, page) is not None:
            raise Conflict("that page already has its signed copy",
                           fields={"page": "already signed"})
        signed_copies.attach(db, row["id"], document_id, page, user=user)
    return get(db, page_id, state="attached")


def _number(value, name: str, maximum: int, problems: dict) -> int | None:
    """A whole number from JSON or a form field (digits)."""
    if value is None or value == "":
        problems[name] = "is required"
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    try:
        return v.whole_number(value, minimum=1, maximum=maximum)
    except v.FieldError as exc:
        problems[name] = str(exc)
        return None


def discard(db, archive, page_id: int) -> dict:
    """The tray page is thrown away: its file is deleted once the change is recorded."""
    with write_transaction(db):
        row = get(db, page_id)
        db.execute("UPDATE scan_pages SET state = 'discarded', path = NULL, updated_at = ? "
                   "WHERE id = ?", [now_iso(), page_id])
    if row["path"]:
        (archive / row["path"]).unlink(missing_ok=True)
    return row


def candidates(db, index, query: str, *, limit: int = 30) -> list[dict]:
    """Valid documents a tray page could belong to: by letter number (a part of it), or
    by the woman's name (the search index, forgiving of spelling) and then her letters,
    newest first, and after them the ceremony papers that list her. Each: {id, kind, kind_label, number, pages,
    signed_pages, issued_on, full_name, case_number}."""
    query = " ".join((query or "").split())[:200]
    if not query:
        return []
    found = list(db.query(
        _OPEN + "AND documents.number LIKE ? ESCAPE '\\' ORDER BY documents.id DESC LIMIT ?",
        ["%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%", limit]))
    if len(found) < limit:
        case_ids = [hit.case_id for hit in index.search(query, page=1, pagelen=10).results if hit.case_id]
        if case_ids:
            marks = ",".join("?" * len(case_ids))
            seen = {d["id"] for d in found}
            found += [d for d in db.query(
                _OPEN + f"AND (documents.case_id IN ({marks}) OR documents.id IN "
                f"(SELECT document_id FROM document_cases WHERE case_id IN ({marks}))) "
                "ORDER BY documents.case_id IS NULL, documents.id DESC LIMIT ?",
                [*case_ids, *case_ids, limit])
                if d["id"] not in seen][:limit - len(found)]
    states = signed_copies.statuses(db, found)
    names = _case_names(db, [d["case_id"] for d in found if d["case_id"]])
    return [{"id": d["id"], "kind": d["kind"], "kind_label": KIND_LABELS.get(d["kind"], d["kind"]),
             "number": d["number"], "pages": d["pages"], "issued_on": d["issued_on"],
             "signed_pages": states[d["id"]]["signed_pages"], "case_id": d["case_id"],
             **names.get(d["case_id"], {"full_name": "", "case_number": ""})} for d in found]


def _case_names(db, ids: list[int]) -> dict[int, dict]:
    if not ids:
        return {}
    return {row["id"]: {"full_name": row["full_name"], "case_number": row["case_number"]}
            for row in db.query(f"SELECT id, full_name, case_number FROM cases WHERE id IN "
                                f"({','.join('?' * len(ids))}) AND status != 'anonymised'", ids)}
