"""Taking a chunk's letters back, on the server (the last of a chunk's three parts, after
prepare.py and letters/bulk.py), whether they were made in this process or by a print
worker on another machine:

    the claim still holds (else LeaseLost: a late answer from a worker whose lease ran
    out is refused, its letters made again by whoever holds the chunk now)
    → exactly the chunk's pending letters came back → each PDF checked: a PDF, pages,
    its own letter number in its text, the sha256 of what arrived (a remote worker's
    PDFs are read here, in a stamping process: their text is what the index gets)
    → files stored → in ONE transaction: the claim checked again, every letter marked
    valid (queued for the index, held for the job: job_index.py) and the chunk done

Returns how many letter chunks of the job are left: 0 means the caller assembles.
"""

import logging
import time

from .. import faults
from ..db import write_transaction
from ..errors import PulangError
from ..letters import pipeline, processes
from ..letters.chunk import MadeLetter
from ..records.documents import get_document, mark_valid
from ..records.storage import relative_path, sha256_bytes
from . import printjobs

log = logging.getLogger(__name__)


class LeaseLost(PulangError):
    """The chunk is no longer this claim's: done, taken over, or its job ended."""

    status = 409
    code = "lease_lost"


class Rejected(PulangError):
    """What came back is not the chunk's letters."""

    status = 422
    code = "result_rejected"


def pending(db, job_id: int, chunk: str) -> list[dict]:
    """The chunk's letters still to be made (their rows are 'pending'), in order."""
    docs = [get_document(db, item["document_id"], include_failed=True)
            for item in printjobs.items(db, job_id, chunk=chunk) if item["document_id"]]
    return [doc for doc in docs if doc["status"] == "pending"]


def accept(runtime, db, job_id: int, chunk: str, lease: str, made: list[MadeLetter], *,
           timings: dict | None = None) -> int | None:
    """Check, store and record the chunk's letters; returns the letter chunks left (None:
    the chunk was done already). Raises LeaseLost or Rejected (nothing recorded then)."""
    timings = {} if timings is None else timings
    started = time.perf_counter()
    if not printjobs.holds(db, job_id, chunk, lease):
        raise LeaseLost("this chunk is no longer yours", fields={"lease": "expired or taken over"})
    docs = pending(db, job_id, chunk)
    if [m.doc_id for m in made] != [d["id"] for d in docs]:
        raise Rejected("the letters returned are not the chunk's",
                       fields={"letters": f"expected {len(docs)} letters in the chunk's order"})
    unread = [m for m in made if m.text is None]
    if unread:  # made elsewhere: the server reads the pages and text itself
        for m, (pages, text) in zip(unread, processes.run(processes.read_each, [m.pdf for m in unread])):
            if pages != m.pages:
                raise Rejected("a letter's page count is wrong",
                               fields={"letters": f"document {m.doc_id}: {pages} pages, said {m.pages}"})
            m.text = text
    for doc, m in zip(docs, made):
        _verify(doc, m)
    timings["verify_s"] = time.perf_counter() - started

    started = time.perf_counter()
    archive = runtime.settings.archive
    paths = []
    for doc, m in zip(docs, made):
        # A pending row's file can only be left by an attempt killed before it recorded
        # the row valid: nothing refers to it, so it is replaced, not trusted.
        (archive / relative_path(doc["id"])).unlink(missing_ok=True)
        paths.append(pipeline.store(doc, m.pdf, archive))
    faults.point("batch_after_write")
    host, pid = _worker_of(lease)
    with write_transaction(db):
        if not printjobs.holds(db, job_id, chunk, lease):  # taken over while we stored
            raise LeaseLost("this chunk is no longer yours", fields={"lease": "taken over"})
        for doc, m, path in zip(docs, made, paths):
            mark_valid(db, doc, sha256=sha256_bytes(m.pdf), pages=m.pages, path=path,
                       text=m.text, held=printjobs.index_hold(job_id))
        left = printjobs.finish_chunk_in(db, job_id, chunk, pid=pid, host=host)
    faults.point("batch_after_commit")
    timings["store_s"] = time.perf_counter() - started
    return left


def _verify(doc: dict, m: MadeLetter) -> None:
    def reject(reason: str):
        raise Rejected("a returned letter failed its check",
                       fields={"letters": f"document {doc['id']}: {reason}"})
    if not m.pdf.startswith(b"%PDF-"):
        reject("not a PDF")
    if m.sha256 is not None and m.sha256 != sha256_bytes(m.pdf):
        reject("its sha256 does not match what arrived")
    if m.pages < 1:
        reject("no pages")
    if "".join(doc["number"].split()) not in "".join((m.text or "").split()):
        reject("its text does not show its letter number")


def _worker_of(lease: str) -> tuple[str, int]:
    """The host and pid a lease names (leases.owner())."""
    host, pid, *_ = lease.rsplit(":", 3)
    return host, int(pid) if pid.isdigit() else 0
