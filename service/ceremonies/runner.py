"""Running one chunk of a print job in this process, all three parts of it: prepare.py
(server: reserve numbers, build contexts) → letters/bulk.py (make the letters) →
accept.py (server: check, store, mark valid). A print worker on another machine does
the middle part only (remote_worker.py), talking to the server over HTTP (api/workers.py).

Every step can be repeated after a crash without making a second letter or taking a
second number:

1. claim the chunk (lease), renewed while we work;
2. prepare: numbers reserved (pending rows), each letter's context;
3. make the chunk's letters still pending;
4. accept: stored, recorded valid (queued, with their texts, in the index outbox, held
   for the job) and the chunk marked done in one transaction; once no chunk is left to
   claim, what the job holds starts going into the index (job_index.py); the worker
   that finishes the last letter chunk drains the rest and assembles the merged PDF.

Task payloads and log lines carry ids only.
"""

import logging
import os
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..errors import PulangError
from ..letters import bulk
from . import assemble, job_index, leases, printjobs
from .accept import LeaseLost, accept
from .prepare import prepare, template_file

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
            _work(runtime, db, job_id, chunk, me, timings if timings is not None else {})
        except (Busy, LeaseLost):
            raise
        except Exception as exc:
            if STOPPING.is_set():
                log.warning("print job %d chunk %s interrupted by shutdown; it resumes at "
                            "the next start", job_id, chunk)
                raise
            message = exc.message if isinstance(exc, PulangError) else type(exc).__name__
            log.error("print job %d failed in chunk %s: %s at %s", job_id, chunk,
                      type(exc).__name__, _where(exc))
            printjobs.fail(db, job_id, f"{chunk}: {message}")
            raise
        finally:
            _heartbeat.release(key)
    except LeaseLost:
        # Our lease ran out and another worker holds the chunk now: its letters are theirs.
        log.warning("print job %d chunk %s: lease lost; left to its new holder", job_id, chunk)
    finally:
        db.close()


def _work(runtime, db, job_id: int, chunk: str, me: str, timings: dict) -> None:
    if chunk == printjobs.ASSEMBLE:
        finish(runtime, db, printjobs.get(db, job_id), timings)
        return
    started = time.perf_counter()
    inputs = prepare(runtime, db, job_id, chunk, lease=me)
    spent = {"chunk": chunk, "letters": len(inputs.letters), "reserve_s": time.perf_counter() - started}
    made = bulk.make(runtime.workshop(), template_file(runtime, db, inputs.template_sha256), inputs,
                     logo=runtime.logo(), unit_logo=runtime.unit_logo(), timings=spent)
    left = accept(runtime, db, job_id, chunk, me, made, timings=spent)
    timings.setdefault("chunks", []).append(spent)
    log.debug("print job %d chunk %s timings %s", job_id, chunk, spent)
    if left == 0:
        run_chunk(runtime, job_id, printjobs.ASSEMBLE, timings)
    elif left:
        job_index.soon(runtime, db, job_id)


def _where(exc: BaseException) -> str:
    """Where an exception was raised (file, line, function), for the log: its message
    may quote a letter's data, its place cannot."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} in {last.name}"


def _timed(fn, *args) -> float:
    """Seconds fn(*args) took."""
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def finish(runtime, db, job: dict, timings: dict) -> None:
    """Index the job's letters not yet indexed (job_index.py; in a stamping process) while
    the merged PDF is assembled here; both are repeated whole if the worker dies meanwhile."""
    started = time.perf_counter()
    with ThreadPoolExecutor(1) as ex:
        indexed = ex.submit(_timed, job_index.rest, runtime.settings, job["id"])
        path, pages, sha256 = assemble.assemble(runtime, db, job)
        timings["assemble_s"] = time.perf_counter() - started
        timings["index_s"] = indexed.result()
    timings["finish_s"] = time.perf_counter() - started
    log.debug("print job %d chunk assemble timings %s", job["id"],
              {k: timings[k] for k in ("assemble_s", "index_s", "finish_s")})
    printjobs.complete(db, job["id"], path=path, pages=pages, sha256=sha256,
                       pid=os.getpid(), host=leases.HOST)
    log.info("print job %d done: %d pages", job["id"], pages)
