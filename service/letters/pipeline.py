"""The order of work for one document:

    reserve number (row 'pending') → render (docxtpl) → convert (LibreOffice)
    → stamp (pypdf) → store (atomic file) → record (row 'valid', old one superseded,
    both queued for the index in the same transaction) → index (Whoosh: the record
    layer's outbox, drained off the request path; service/records/indexing.py)

A failure before the record step marks the row 'failed' with the reason, so its number
stays accounted for and is never handed out again. A crash anywhere leaves a state that
`pulang doctor` recognises and repairs.
"""

import datetime as dt
import secrets
import threading
import uuid

from .. import faults
from ..clock import now_iso, office_today
from ..db import write_transaction
from ..errors import Conflict, InvalidInput, PulangError
from ..records import numbering, office, samples, templates
from ..records.cases import aid_items, get_case
from ..records.documents import get_document, mark_valid
from ..records.kinds import CASE_KINDS
from ..records.storage import relative_path, sha256_bytes, write_atomic
from . import facts, layout
from .context import document_context, refuse_receipt
from .pdftext import extract_text
from .prepare import prepared
from .render import About, render_docx
from .sandbox import Limits
from .stamp import sample_pdf, stamp_pdf


def reserve(db, *, kind: str, case_id: int | None, template: dict, settings: dict,
            user: dict | None, issued_on: dt.date, facts: str | None = None) -> dict:
    """Take the next letter number and record the pending document in one transaction."""
    with write_transaction(db):
        doc_id = take_number(db, kind=kind, case_id=case_id, template=template,
                             settings=settings, user=user, issued_on=issued_on, facts=facts)
    return get_document(db, doc_id, include_failed=True)


def take_number(db, *, kind: str, case_id: int | None, template: dict, settings: dict,
                user: dict | None, issued_on: dt.date, supersedes: int | None = None,
                facts: str | None = None) -> int:
    """Inside a write transaction: the next number of `kind` and its pending row; returns
    the row's id. Batches call this many times in one transaction. What the new document
    replaces is the case's valid one of that kind unless `supersedes` says otherwise.
    `facts`: what it states (service/letters/facts.py), to tell later if it holds old data."""
    now = now_iso()
    counter = numbering.counter_name(settings.get("number_register", "per_kind"), kind)
    seq = numbering.next_value(db, counter, issued_on.year)
    number = numbering.format_number(
        settings["number_patterns"][kind], seq=seq, kind=kind,
        code=settings["number_codes"][kind], unit=settings["office"]["unit"], on=issued_on)
    previous = supersedes
    if case_id is not None and previous is None:
        row = db.execute("SELECT id FROM documents WHERE case_id = ? AND kind = ? AND status = 'valid'",
                         [case_id, kind]).fetchone()
        previous = row[0] if row else None
    if db.execute("SELECT 1 FROM documents WHERE number = ?", [number]).fetchone():
        raise Conflict(f"letter number {number} is already in use; check the office's "
                       "letter-number patterns and codes", fields={"kind": "number already used"})
    return db["documents"].insert({
        "case_id": case_id, "kind": kind, "number": number, "year": issued_on.year,
        "seq": seq, "token": secrets.token_urlsafe(18), "issued_on": issued_on.isoformat(),
        "template_version": template["version"], "template_sha256": template["sha256"],
        "status": "pending", "supersedes_id": previous, "facts": facts,
        "created_by": user["id"] if user else None, "created_at": now, "updated_at": now,
    }).last_pk


def finish(db, doc: dict, pdf: bytes, pages: int, archive) -> dict:
    """Store the stamped PDF, then mark the row valid (and what it replaces superseded);
    the index learns of both, with the letter's text, once that commits."""
    text = extract_text(pdf)
    path = store(doc, pdf, archive)
    faults.point("after_write")
    with write_transaction(db):
        faults.point("before_commit")
        mark_valid(db, doc, sha256=sha256_bytes(pdf), pages=pages, path=path, text=text)
    faults.point("after_commit")
    return get_document(db, doc["id"])


def store(doc: dict, pdf: bytes, archive) -> str:
    """Write the document's file (once, atomically); returns its path in the archive."""
    path = relative_path(doc["id"])
    write_atomic(archive / path, pdf)
    return path


def fail(db, doc: dict, exc: BaseException) -> None:
    reason = exc.message if isinstance(exc, PulangError) else type(exc).__name__
    db["documents"].update(doc["id"], {"status": "failed", "error": reason[:500],
                                       "updated_at": now_iso()})


# Letters take turns for their Python work in this process (render; stamp, text and
# store), while LibreOffice converts outside it. Python runs one thread at a time: with
# every letter in flight rendering or stamping at once, a clerk's search waited its turn
# behind all of them (bench/load.py: search p95 1.1 s once letters got cheap enough for
# 10 a second). One at a time, a search waits for one letter's step at most.
_TURN = threading.Lock()


def generate_case_document(runtime, db, case_id: int, kind: str, user: dict | None) -> dict:
    """Make one of her letters. While the office's set-up is incomplete it is a sample
    (records/samples.py: no number, no QR, "CONTOH — BELUM BERLAKU" on every page), and
    the answer has status "sample"."""
    if kind not in CASE_KINDS:
        raise InvalidInput("unknown document kind",
                           fields={"kind": f"must be one of: {', '.join(CASE_KINDS)}"})
    case = get_case(db, case_id)
    settings = office.get_all(db)
    if kind in ("aid_receipt", "transfer_receipt"):
        refuse_receipt(settings, kind, aid_items(db, case_id))
    template = templates.active(db, kind)
    issued_on = office_today()
    sample = not office.complete(settings)
    # The context first: a release report without a recorded release is refused before
    # a number is taken.
    context = document_context(db, case, settings, kind=kind, number=samples.NUMBER,
                               issued_on=issued_on, sample=sample)
    if sample:
        return _sample(runtime, db, case_id, kind, template, context, user, settings)
    # A full converter queue refuses before a number is taken; once let in, the letter
    # holds its place until it converts (given back if it fails before).
    with runtime.admit() as place:
        doc = reserve(db, kind=kind, case_id=case_id, template=template, settings=settings,
                      user=user, issued_on=issued_on, facts=facts.dumps(facts.of(context, kind)))
        return _make(runtime, db, doc, template, context, settings, place)


def _make(runtime, db, doc: dict, template: dict, context: dict, settings: dict, place) -> dict:
    """Render, convert, stamp and store the letter whose number `doc` holds; any failure
    marks its row 'failed'."""
    context["number"] = doc["number"]
    scratch = runtime.settings.tmp_dir / uuid.uuid4().hex
    docx, raw_pdf = scratch.with_suffix(".docx"), scratch.with_suffix(".pdf")
    try:
        with _TURN:
            render(runtime, template, context, docx,
                   About(doc["kind"], template["version"], (doc["id"],), settings["office"]["name"]))
        faults.point("after_render")
        runtime.convert(docx, raw_pdf, place=place)
        faults.point("after_convert")
        base = office.public_base_url(settings, runtime.settings.base_url)
        with _TURN:
            stamped, pages = stamp_pdf(raw_pdf.read_bytes(), number=doc["number"],
                                       verify_url=f"{base}/v/{doc['token']}",
                                       first_page_number=layout.first_page_number(context))
            faults.point("after_stamp")
            doc = finish(db, doc, stamped, pages, runtime.settings.archive)
    except BaseException as exc:
        fail(db, doc, exc)
        raise
    finally:
        docx.unlink(missing_ok=True)
        raw_pdf.unlink(missing_ok=True)
    return doc


def render(runtime, template: dict, context: dict, docx, about: About) -> None:
    """Fill the template (in the sandbox, within its time budget), with the office's logos
    and its page layout."""
    ready = prepared(templates.resolve(runtime.settings, template), context.get("layout") or {},
                     runtime.template_cache)
    render_docx(ready, context, docx, **logos(runtime), about=about,
                limits=Limits(seconds=runtime.settings.render_seconds))


def logos(runtime) -> dict:
    """The letterhead's images, when uploaded: the lambang daerah (left) and the
    office's own logo (right)."""
    return {"logo": runtime.logo(), "unit_logo": runtime.unit_logo()}


def _sample(runtime, db, case_id, kind, template, context, user, settings) -> dict:
    scratch = runtime.settings.tmp_dir / uuid.uuid4().hex
    docx, raw_pdf = scratch.with_suffix(".docx"), scratch.with_suffix(".pdf")
    try:
        render(runtime, template, context, docx,
               About(kind, template["version"], (), settings["office"]["name"]))
        runtime.convert(docx, raw_pdf)
        pdf, pages = sample_pdf(raw_pdf.read_bytes(), number=samples.NUMBER,
                                first_page_number=layout.first_page_number(context))
    finally:
        docx.unlink(missing_ok=True)
        raw_pdf.unlink(missing_ok=True)
    made = samples.record(db, runtime.settings.archive, case_id=case_id, kind=kind, pdf=pdf,
                          pages=pages, user=user)
    return {**made, "status": "sample", "number": samples.NUMBER,
            "missing": office.missing(settings)}
