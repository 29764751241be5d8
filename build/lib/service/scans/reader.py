"""Reading an upload: each page's codes are read and the page is filed.

    page → read its codes (codes.py) → decide:
      one of our codes, a valid document, a page it has, no signed copy yet
                               → store the page, attach it as that page's signed copy
      a page that already has its signed copy (the same page again)
                               → a repeat: not stored
      a print job's cover sheet → skipped: not stored
      anything else (no code, another QR, an unknown code, a void or superseded
      document, a page number it lacks, codes of two documents, an old QR without page
      number on a longer document)
                               → the review tray, unless the very same pixels are
                                 already on file (then a repeat: not stored)

Each page is recorded in its own transaction together with the upload's progress, so a
crash loses at most the page being read: the task runs again (the consumer re-queues
unfinished uploads when it starts) and skips the pages already recorded. Every attached
page is audited as `scan.attach`; the audit entry holds ids only.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass

from ..clock import now_iso
from ..db import write_transaction
from ..records import audit, indexing, signed_copies
from . import codes as page_codes
from . import uploads
from .pages import Page, read_pages

log = logging.getLogger(__name__)


@dataclass
class Decision:
    state: str                 # attached, tray, repeat, skipped
    reason: str | None = None
    document_id: int | None = None
    page: int | None = None
    same_as: int | None = None
    rotation: int = 0


def read_upload(runtime, scan_id: int) -> None:
    """File every page of upload `scan_id` (the background task's body)."""
    db = runtime.db()
    try:
        scan = uploads.claim(db, scan_id)
        if scan is None:
            return
        done = {row["position"] for row in uploads.page_rows(db, scan_id)}
        position = 0
        try:
            for path, kind in uploads.incoming_files(runtime.settings, scan_id):
                for page in read_pages(path, kind):
                    position += 1
                    if position not in done:
                        _file_page(runtime, db, scan_id, position, page)
        except Exception as exc:  # a file that pdfium or Pillow cannot read after all
            log.error("upload %d failed at page %d: %s", scan_id, position + 1, type(exc).__name__)
            uploads.finish(db, scan_id, error=f"page {position + 1} could not be read ({type(exc).__name__})",
                           held=held(scan_id))
        else:
            uploads.finish(db, scan_id, held=held(scan_id))
        shutil.rmtree(uploads.incoming_dir(runtime.settings, scan_id), ignore_errors=True)
    finally:
        db.close()


def held(scan_id: int) -> str:
    """What the index outbox calls an upload's newly signed letters until it is done."""
    return f"scan:{scan_id}"


def decide(db, reading: page_codes.Reading, fingerprint: str) -> Decision:
    ours = [c for c in reading.codes if c.token is not None]
    if not ours:
        if reading.codes:  # only a cover sheet's code
            return Decision("skipped", "cover", rotation=reading.codes[0].rotation)
        return _tray_or_repeat(db, "foreign_code" if reading.foreign else "no_code", fingerprint)
    if len(ours) > 1:
        return _tray_or_repeat(db, "several_codes", fingerprint)
    code = ours[0]
    rows = list(db.query("SELECT id, status, pages FROM listed_documents WHERE token = ?", [code.token]))
    if not rows:
        return _tray_or_repeat(db, "unknown_code", fingerprint)
    doc = rows[0]
    if doc["status"] != "valid":
        return _tray_or_repeat(db, doc["status"], fingerprint, rotation=code.rotation)
    page = code.page if code.page is not None else (1 if doc["pages"] == 1 else None)
    if page is None:
        return _tray_or_repeat(db, "page_unknown", fingerprint, rotation=code.rotation)
    if page > (doc["pages"] or 0):
        return _tray_or_repeat(db, "unknown_code", fingerprint)
    on_file = signed_copies.copy_of(db, doc["id"], page)
    if on_file is not None:
        return Decision("repeat", document_id=doc["id"], page=page, same_as=on_file["id"])
    return Decision("attached", document_id=doc["id"], page=page, rotation=code.rotation)


def _tray_or_repeat(db, reason: str, fingerprint: str, rotation: int = 0) -> Decision:
    """The tray, unless the same pixels are on file already (uploaded before)."""
    row = db.execute("SELECT id FROM scan_pages WHERE fingerprint = ? AND state != 'repeat' "
                     "ORDER BY id LIMIT 1", [fingerprint]).fetchone()
    if row is not None:
        return Decision("repeat", reason, same_as=row[0])
    return Decision("tray", reason, rotation=rotation)


def _file_page(runtime, db, scan_id: int, position: int, page: Page) -> None:
    try:
        reading = page_codes.read(page.image)
    except Exception as exc:  # the decoder failed on this page: a clerk looks at it
        log.warning("upload %d page %d: decoder failed (%s)", scan_id, position, type(exc).__name__)
        reading = page_codes.Reading((), 0)
    decision = decide(db, reading, page.fingerprint)
    rel = sha = None
    if decision.state in ("attached", "tray"):
        rel = signed_copies.page_path(scan_id, position)
        sha = signed_copies.store(runtime.settings.archive, rel, page.keep(decision.rotation))
    now = now_iso()
    with write_transaction(db):
        if decision.state == "attached":
            # Another upload may have filed this page meanwhile: decided again under the lock.
            on_file = signed_copies.copy_of(db, decision.document_id, decision.page)
            if on_file is not None:
                decision = Decision("repeat", document_id=decision.document_id,
                                    page=decision.page, same_as=on_file["id"])
        page_id = db["scan_pages"].insert({
            "scan_id": scan_id, "position": position, "fingerprint": page.fingerprint,
            "state": "tray" if decision.state == "attached" else decision.state,
            "reason": decision.reason, "document_id": decision.document_id, "page": decision.page,
            "same_as": decision.same_as,
            "path": rel if decision.state in ("attached", "tray") else None,
            "sha256": sha if decision.state in ("attached", "tray") else None,
            "created_at": now, "updated_at": now}).last_pk
        if decision.state == "attached":
            signed_copies.attach(db, page_id, decision.document_id, decision.page, user=None,
                                 held=held(scan_id))
        db.execute("UPDATE scans SET done = max(done, ?), updated_at = ? WHERE id = ?",
                   [position, now, scan_id])
    if decision.state == "repeat" and rel is not None:
        (runtime.settings.archive / rel).unlink(missing_ok=True)
    if decision.state == "attached":
        audit.record(db, "scan.attach", target_type="document", target_id=decision.document_id,
                     detail={"scan_id": scan_id, "scan_page": position, "page": decision.page,
                             "by": "code"})
