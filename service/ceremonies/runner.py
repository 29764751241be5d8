"""Running one chunk of a print job. Every step can be repeated after a crash without
making a second letter or taking a second number:

1. claim the chunk (lease);
2. reserve, in one transaction, the numbers of every letter of the chunk's kind in this
   job that has none yet (reusing a valid letter this ceremony made from the same data);
   the item rows record which letter each (case, kind) got;
3. make the chunk's letters still pending (service/letters/bulk.py); recording them
   valid queues them, with their texts, in the index outbox, held for the job;
4. mark the chunk done; the worker that finishes the last letter chunk drains what is
   held for the job into the index (one commit) and assembles the merged PDF.

Task payloads and log lines carry ids only.
"""

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ..db import write_transaction
from ..errors import PulangError
from ..letters import bulk, pipeline, processes
from ..records import office, templates
from ..records.documents import get_document
from . import assemble, leases, printjobs, records
from ..records.kinds import CEREMONY_KINDS
from .context import case_document, ceremony_document, fingerprint, issue_date

log = logging.getLogger(__name__)
_heartbeat = leases.Heartbeat(printjobs.renew)
# Set when the process shuts down: a chunk cut short then (its converter pool closing
# under it) is left to be resumed, not recorded as a failed job.
STOPPING = threading.Event()


class Busy(Exception):
    """A live worker holds `chunk`; try it again in `retry_in` seconds."""

    def __init__(self, chunk: str, retry_in: float):
        super().__init__(f"chunk busy for {retry_in:.0f} s")
        self.chunk = chunk
        self.retry_in = retry_in


def run_chunk(runtime, job_id: int, chunk: str, timings: dict | None = None) -> None:
    db = runtime.db()
    me = leases.owner()
    key = (runtime.settings.db_path, job_id, chunk, me)
    try:
        outcome = printjobs.claim(db, job_id, chunk, me)
        if outcome == "busy":
            raise Busy(chunk, printjobs.lease_left(db, job_id, chunk) + 1)
        if outcome != "go":
            return
        _heartbeat.hold(key)
        try:
            _work(runtime, db, job_id, chunk, timings if timings is not None else {})
        except Busy:
            raise
        except Exception as exc:
            if STOPPING.is_set():
                log.warning("print job %d chunk %s interrupted by shutdown; it resumes at "
                            "the next start", job_id, chunk)
                raise
            message = exc.message if isinstance(exc, PulangError) else type(exc).__name__
            log.error("print job %d failed in chunk %s: %s", job_id, chunk, type(exc).__name__)
            printjobs.fail(db, job_id, f"{chunk}: {message}")
            raise
        finally:
            _heartbeat.release(key)
    finally:
        db.close()


def _work(runtime, db, job_id: int, chunk: str, timings: dict) -> None:
    job = printjobs.get(db, job_id)
    if chunk == printjobs.ASSEMBLE:
        _finish(runtime, db, job, timings)
        return
    row = next(c for c in printjobs.chunks(db, job_id) if c["chunk"] == chunk)
    kind = row["kind"]
    started = time.perf_counter()
    letters = _reserve(runtime, db, job, kind, chunk)
    spent = {"chunk": chunk, "letters": len(letters), "reserve_s": time.perf_counter() - started}
    template = templates.active(db, kind)
    bulk.make(runtime, db, template, letters, base_url=job["options"]["base_url"],
              held=printjobs.index_hold(job_id), timings=spent)
    timings.setdefault("chunks", []).append(spent)
    log.debug("print job %d chunk %s timings %s", job_id, chunk, spent)
    left = printjobs.finish_chunk(db, job_id, chunk, pid=os.getpid(), host=leases.HOST)
    if left == 0:
        run_chunk(runtime, job_id, printjobs.ASSEMBLE, timings)


def _finish(runtime, db, job: dict, timings: dict) -> None:
    """Index every letter this job made (one commit, in a stamping process) while the
    merged PDF is assembled here; both are repeated whole if the worker dies meanwhile."""
    started = time.perf_counter()
    settings = runtime.settings
    with ThreadPoolExecutor(1) as ex:
        indexed = ex.submit(processes.run, processes.index, settings.db_path, settings.index_dir,
                            printjobs.index_hold(job["id"]))
        path, pages, sha256 = assemble.assemble(runtime, db, job)
        indexed.result()
    timings["finish_s"] = time.perf_counter() - started
    log.debug("print job %d chunk assemble timings %s", job["id"], {"finish_s": timings["finish_s"]})
    printjobs.complete(db, job["id"], path=path, pages=pages, sha256=sha256,
                       pid=os.getpid(), host=leases.HOST)
    log.info("print job %d done: %d pages", job["id"], pages)


def _reserve(runtime, db, job: dict, kind: str, chunk: str):
    """Numbers for the kind's letters in this job (one transaction), then this chunk's
    letters still to make."""
    options = job["options"]
    ceremony = records.get(db, job["ceremony_id"])
    settings = office.get_all(db)
    template = templates.active(db, kind)
    cases = printjobs.job_cases(db, job)
    in_order = [cases[c] for c in options["case_ids"]]

    def context(item, number: str) -> dict:
        if kind in CEREMONY_KINDS:
            return ceremony_document(db, in_order, ceremony, settings, number=number)
        return case_document(db, cases[item["case_id"]], ceremony, settings, number=number)

    def usable(item) -> bool:
        return item["document_id"] is not None and db.execute(
            "SELECT status IN ('pending', 'valid') FROM documents WHERE id = ?",
            [item["document_id"]]).fetchone()[0]

    todo = [i for i in printjobs.items(db, job["id"], kind=kind) if not usable(i)]
    if todo:
        prints = {(i["case_id"], i["kind"]): fingerprint(context(i, ""), template) for i in todo}
        with write_transaction(db):
            for item in printjobs.items(db, job["id"], kind=kind):
                if usable(item):
                    continue  # another chunk of this kind reserved it meanwhile
                print_ = prints.get((item["case_id"], kind)) or fingerprint(context(item, ""), template)
                _assign(db, job, ceremony, item, template, settings, print_)

    letters = []
    for item in printjobs.items(db, job["id"], chunk=chunk):
        doc = get_document(db, item["document_id"], include_failed=True)
        if doc["status"] == "pending":
            letters.append(bulk.Letter(doc, context(item, doc["number"]), cases.get(item["case_id"])))
    return letters


def _assign(db, job, ceremony, item, template, settings, print_: str) -> None:
    """Inside a write transaction: the item's letter, reused or newly numbered."""
    case_id = item["case_id"] or None
    reuse = db.execute(
        "SELECT documents.id FROM ceremony_documents JOIN documents "
        "ON documents.id = ceremony_documents.document_id WHERE ceremony_documents.ceremony_id = ? "
        "AND ceremony_documents.kind = ? AND ceremony_documents.case_id IS ? "
        "AND ceremony_documents.context_sha256 = ? AND documents.status = 'valid' "
        "AND documents.path IS NOT NULL ORDER BY documents.id DESC LIMIT 1",  # file kept
        [ceremony["id"], item["kind"], case_id, print_]).fetchone()
    if reuse:
        doc_id, reused = reuse[0], 1
    else:
        previous = None
        if case_id is None:  # a roster or report replaces the ceremony's previous one
            row = db.execute(
                "SELECT documents.id FROM ceremony_documents JOIN documents ON documents.id = "
                "ceremony_documents.document_id WHERE ceremony_documents.ceremony_id = ? AND "
                "ceremony_documents.kind = ? AND documents.status = 'valid'",
                [ceremony["id"], item["kind"]]).fetchone()
            previous = row[0] if row else None
        creator = {"id": job["created_by"]} if job["created_by"] else None
        doc_id = pipeline.take_number(db, kind=item["kind"], case_id=case_id, template=template,
                                      settings=settings, user=creator,
                                      issued_on=issue_date(ceremony), supersedes=previous)
        db["ceremony_documents"].insert({"document_id": doc_id, "ceremony_id": ceremony["id"],
                                         "case_id": case_id, "kind": item["kind"],
                                         "context_sha256": print_})
        if case_id is None:
            db["document_cases"].insert_all(
                [{"document_id": doc_id, "case_id": c} for c in job["options"]["case_ids"]])
        reused = 0
    db.execute("UPDATE print_job_items SET document_id = ?, reused = ? WHERE job_id = ? AND "
               "case_id = ? AND kind = ?", [doc_id, reused, job["id"], item["case_id"], item["kind"]])
