"""Sample letters: what a letter would look like, made while the office's set-up is
incomplete (service/records/office.py REQUIRED).

A sample is not a document. It takes no letter number (its number field says
"CONTOH"), has no verification token and no QR code, and never enters the documents
table, so the register's rules (every number unique, never reused, every number
accounted for) are untouched by it. It is kept in `sample_letters` and
`samples/<id>.pdf` (named by its own id, never by a person) only long enough to be
looked at: a day, and not past the moment the office's set-up is complete. Samples of
a woman are removed with her case's other personal files (remove_for_case).
"""

import datetime as dt

from ..clock import now_iso
from ..errors import NotFound
from .storage import sha256_bytes, write_atomic

KEEP = dt.timedelta(days=1)
NUMBER = "CONTOH"


def relative_path(sample_id: int) -> str:
    return f"samples/{sample_id}.pdf"


def record(db, archive, *, case_id: int | None, kind: str, pdf: bytes, pages: int,
           user: dict | None) -> dict:
    """Keep a made sample: its row, then its file (a crash in between leaves a row
    without a file, which prune() removes)."""
    prune(db, archive)
    sample_id = db["sample_letters"].insert({
        "case_id": case_id, "kind": kind, "created_by": user["id"] if user else None,
        "created_at": now_iso()}).last_pk
    path = relative_path(sample_id)
    write_atomic(archive / path, pdf)
    db["sample_letters"].update(sample_id, {"path": path, "sha256": sha256_bytes(pdf), "pages": pages})
    db.commit()
    return get(db, sample_id)


def get(db, sample_id) -> dict:
    rows = list(db["sample_letters"].rows_where("id = ? AND path IS NOT NULL", [sample_id]))
    if not rows:
        raise NotFound("no such sample letter")
    return rows[0]


def _remove(db, archive, rows) -> int:
    for row in rows:
        (archive / relative_path(row["id"])).unlink(missing_ok=True)
        db["sample_letters"].delete(row["id"])
    db.commit()
    return len(rows)


def prune(db, archive, *, everything: bool = False) -> int:
    """Remove samples older than a day (all of them once the office is complete)."""
    if everything:
        rows = list(db["sample_letters"].rows)
    else:
        cutoff = (dt.datetime.now(dt.timezone.utc) - KEEP).isoformat(timespec="microseconds")
        rows = list(db["sample_letters"].rows_where("created_at < ? OR path IS NULL", [cutoff]))
    return _remove(db, archive, rows)


def remove_for_case(db, archive, case_id: int) -> int:
    """Her samples go when her case is anonymised (they print her name)."""
    return _remove(db, archive, list(db["sample_letters"].rows_where("case_id = ?", [case_id])))


def public_view(sample: dict, missing: list[str]) -> dict:
    """The API's answer for a sample, in the shape of a document's where it can be."""
    return {
        "id": sample["id"], "case_id": sample["case_id"], "kind": sample["kind"],
        "number": NUMBER, "status": "sample", "sample": True, "sha256": sample["sha256"],
        "pages": sample["pages"], "created_at": sample["created_at"],
        "pdf_url": f"/api/v1/samples/{sample['id']}/pdf", "verify_url": None,
        "missing": missing,
    }
