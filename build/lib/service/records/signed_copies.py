"""Signed copies: the scanned pages that came back signed, each the copy of one page of
one document (issue 13).

A page's file is its own one-page PDF under the archive's scans/ folder, named by the
upload's id and the page's place in it (never by a person), written once, 0600, and
recorded with its sha256; the generated PDF of the document is never touched. A document
is *signed* once every one of its pages has a signed copy: `documents.signed_at` is set
in the transaction that attaches the last of them, and the index learns of it (search's
"belum ditandatangani" filter).

The rows live in `scan_pages` (service/scans/ reads uploads into them); this module owns
what a signed copy is, so retention, backups and the document views ask here.
"""

from pathlib import Path

from ..clock import now_iso
from . import indexing
from .storage import sha256_bytes, write_atomic


def page_path(scan_id: int, position: int) -> str:
    """scans/000/12-3.pdf: page 3 of upload 12 (a thousand uploads a folder)."""
    return f"scans/{scan_id // 1000:03d}/{scan_id}-{position}.pdf"


def store(archive: Path, rel: str, data: bytes) -> str:
    """Write a scanned page's file once, atomically (0600); returns its sha256. A file
    left by a crash before its row was recorded is replaced: no row refers to it."""
    path = archive / rel
    try:
        write_atomic(path, data)
    except FileExistsError:
        path.unlink()
        write_atomic(path, data)
    return sha256_bytes(data)


def attach(db, page_id: int, document_id: int, page: int, *, user: dict | None,
           held: str | None = None) -> bool:
    """Inside a write transaction: scan page `page_id` becomes the signed copy of page
    `page` of the document. Returns whether that made the document signed. The caller
    has checked that the page has no signed copy yet (the unique index would refuse).
    `held`: the index learns of a newly signed document when the caller releases it
    (an upload, once it has read all its pages: one index commit, not one a letter)."""
    now = now_iso()
    db.execute(
        "UPDATE scan_pages SET state = 'attached', reason = NULL, document_id = ?, page = ?, "
        "attached_by = ?, attached_at = ?, updated_at = ? WHERE id = ?",
        [document_id, page, user["id"] if user else None, now, now, page_id])
    pages = db.execute("SELECT pages FROM documents WHERE id = ?", [document_id]).fetchone()[0]
    if signed_count(db, document_id) < (pages or 0):
        return False
    db.execute("UPDATE documents SET signed_at = ?, updated_at = ? WHERE id = ? AND signed_at IS NULL",
               [now, now, document_id])
    indexing.queue(db, documents=[document_id], held=held)
    return True


def signed_count(db, document_id: int) -> int:
    return db.execute("SELECT count(*) FROM scan_pages WHERE document_id = ? AND state = 'attached'",
                      [document_id]).fetchone()[0]


def copy_of(db, document_id: int, page: int) -> dict | None:
    """The signed copy of a document's page, if it came back."""
    rows = list(db.query("SELECT * FROM scan_pages WHERE document_id = ? AND page = ? "
                         "AND state = 'attached'", [document_id, page]))
    return rows[0] if rows else None


def signed_pages(db, document_id: int) -> list[dict]:
    """The document's signed copies, by page."""
    return list(db.query("SELECT * FROM scan_pages WHERE document_id = ? AND state = 'attached' "
                         "ORDER BY page", [document_id]))


def status(db, doc: dict) -> dict:
    """{signed, signed_pages, pages, signed_at} of a document row."""
    return statuses(db, [doc])[doc["id"]]


def statuses(db, docs: list[dict]) -> dict[int, dict]:
    """status() of many document rows at once, by id."""
    ids = [d["id"] for d in docs]
    counts: dict[int, int] = {}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        counts.update(db.execute(
            f"SELECT document_id, count(*) FROM scan_pages WHERE state = 'attached' "
            f"AND document_id IN ({','.join('?' * len(part))}) GROUP BY document_id", part).fetchall())
    return {d["id"]: {"signed": d.get("signed_at") is not None,
                      "signed_pages": counts.get(d["id"], 0),
                      "pages": d["pages"] or 0,
                      "signed_at": d.get("signed_at")} for d in docs}


def files_of(db, document_ids: list[int]) -> list[str]:
    """The stored files of these documents' signed copies (paths in the archive)."""
    if not document_ids:
        return []
    return [row[0] for row in db.execute(
        f"SELECT path FROM scan_pages WHERE document_id IN ({','.join('?' * len(document_ids))}) "
        "AND path IS NOT NULL", document_ids)]


def forget_files(db, document_ids: list[int]) -> None:
    """Inside a write transaction (anonymisation, records/retention.py, which deletes the
    files after the commit): the signed copies of these documents lose their files; the
    record that the page came back signed, and its hash, stay, as the document's row does."""
    if document_ids:
        db.execute(f"UPDATE scan_pages SET path = NULL, updated_at = ? WHERE document_id IN "
                   f"({','.join('?' * len(document_ids))})", [now_iso(), *document_ids])


def stored_files(db) -> list[tuple[str, str]]:
    """(path, sha256) of every scanned page kept on disk: signed copies and pages waiting
    in the review tray (what a backup copies)."""
    return [(row[0], row[1]) for row in db.execute(
        "SELECT path, sha256 FROM scan_pages WHERE path IS NOT NULL ORDER BY id")]
