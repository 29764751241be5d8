"""Uploads of scanned pages: accepting the files (checked, kept 0600 under the archive
until read), the upload's state and progress, and what became of each page.

An upload is `queued` until the background task takes it (`running`), then `done` or
`failed`. Its files wait in scans/incoming/<id>/ (named by position, never by what the
browser called them) and are deleted once every page is filed: what is kept is each page
on its own (records/signed_copies.py).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

from ..clock import now_iso
from ..db import write_transaction
from ..errors import InvalidInput, NotFound
from ..records import indexing
from . import pages as page_files
from .pages import MAX_PAGES, UploadTooLarge

MAX_FILES = 50

# Why a page is not attached, for the API (codes) and the pages (labels, web/i18n).
REASONS = ("no_code", "foreign_code", "unknown_code", "void", "superseded", "page_unknown",
           "several_codes", "unreadable")


def incoming_dir(settings, scan_id: int) -> Path:
    return settings.archive / "scans" / "incoming" / str(scan_id)


def accept(settings, db, files: list, user: dict | None) -> dict:
    """Check and keep the uploaded files (werkzeug FileStorage, or anything with
    .save(path)); record the upload, queued. Raises InvalidInput/UploadTooLarge naming
    the field `file` (with the file's place in the upload when there are several)."""
    files = [f for f in files if f is not None and getattr(f, "filename", "x") != ""]
    if not files:
        raise InvalidInput("no file was sent", fields={"file": "is required"})
    if len(files) > MAX_FILES:
        raise UploadTooLarge("too many files", fields={"file": f"at most {MAX_FILES} files an upload"})
    staging = settings.tmp_dir / f"scan-{uuid.uuid4().hex}"
    staging.mkdir(mode=0o700, parents=True)
    try:
        total = 0
        kinds = []
        for n, storage in enumerate(files, start=1):
            path = _save(storage, staging, n)
            try:
                upload = page_files.inspect(path)
            except InvalidInput as exc:
                if len(files) > 1:  # the field is "file" for each; its place goes in the reason
                    exc.fields = {"file": f"file {n}: {exc.fields['file']}"}
                raise
            total += upload.pages
            kinds.append(upload.kind)
            path.rename(path.with_name(f"{n}.{upload.kind}"))
        if total > MAX_PAGES:
            raise UploadTooLarge("too many pages", fields={
                "file": f"{total} pages; at most {MAX_PAGES} an upload"})
        now = now_iso()
        with write_transaction(db):
            scan_id = db["scans"].insert({
                "state": "queued", "files": len(files), "pages": total, "done": 0,
                "created_by": user["id"] if user else None, "created_at": now,
                "updated_at": now}).last_pk
        target = incoming_dir(settings, scan_id)
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return get(db, scan_id)


def _save(storage, folder: Path, n: int) -> Path:
    """The upload's bytes in a 0600 file of ours (mkstemp), never under its own name."""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f"{n}-", suffix=".part")
    os.close(fd)
    storage.save(tmp)
    return Path(tmp)


def incoming_files(settings, scan_id: int) -> list[tuple[Path, str]]:
    """(path, kind) of an upload's files, in the order received."""
    folder = incoming_dir(settings, scan_id)
    if not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.suffix in (".pdf", ".jpeg", ".png") and p.stem.isdigit()]
    return [(p, p.suffix[1:]) for p in sorted(found, key=lambda p: int(p.stem))]


def get(db, scan_id: int) -> dict:
    rows = list(db.query("SELECT * FROM scans WHERE id = ?", [scan_id]))
    if not rows:
        raise NotFound("no such upload")
    return rows[0]


def claim(db, scan_id: int) -> dict | None:
    """Mark an upload running (again, after a crash); None when it is finished."""
    with write_transaction(db):
        changed = db.execute(
            "UPDATE scans SET state = 'running', started_at = coalesce(started_at, ?), updated_at = ? "
            "WHERE id = ? AND state IN ('queued', 'running')", [now_iso(), now_iso(), scan_id]).rowcount
    return get(db, scan_id) if changed else None


def finish(db, scan_id: int, *, error: str | None = None, held: str | None = None) -> None:
    """The upload is done (or failed); the letters it made signed go to the index now."""
    now = now_iso()
    with write_transaction(db):
        db.execute("UPDATE scans SET state = ?, error = ?, finished_at = ?, updated_at = ? WHERE id = ?",
                   ["failed" if error else "done", error, now, now, scan_id])
        if held is not None:
            indexing.release(db, held)


def unfinished(db) -> list[int]:
    return [row[0] for row in db.execute(
        "SELECT id FROM scans WHERE state IN ('queued', 'running') ORDER BY id")]


def page_rows(db, scan_id: int) -> list[dict]:
    return list(db.query("SELECT * FROM scan_pages WHERE scan_id = ? ORDER BY position", [scan_id]))


def summary(db, scan_id: int) -> dict:
    """What the API and the progress bar show: {id, state, pages, matched, unmatched:
    [{page, reason}], skipped, progress, error}. A page is matched when it is (or repeats)
    a signed copy on file; a cover sheet is skipped; every other page is unmatched, with
    the reason it went to the review tray (or would have, had it not been there already)."""
    scan = get(db, scan_id)
    rows = page_rows(db, scan_id)
    originals = {}
    repeat_of = [r["same_as"] for r in rows if r["state"] == "repeat" and r["same_as"]]
    if repeat_of:
        originals = {row["id"]: row for row in db.query(
            f"SELECT id, state, reason FROM scan_pages WHERE id IN ({','.join('?' * len(repeat_of))})",
            repeat_of)}
    matched, skipped, unmatched = 0, 0, []
    for row in rows:
        state, reason = row["state"], row["reason"]
        if state == "repeat" and row["same_as"] in originals:
            original = originals[row["same_as"]]
            state = original["state"]
            reason = reason or original["reason"]
        if state == "attached":
            matched += 1
        elif state == "skipped":
            skipped += 1
        else:
            unmatched.append({"page": row["position"], "reason": reason or "no_code",
                              "in_tray": row["state"] == "tray"})
    return {"id": scan["id"], "state": scan["state"], "pages": scan["pages"], "matched": matched,
            "unmatched": unmatched, "skipped": skipped,
            "progress": round(scan["done"] / scan["pages"], 3) if scan["pages"] else 0.0,
            "error": scan["error"], "created_at": scan["created_at"],
            "finished_at": scan["finished_at"]}
