"""A print job's letters into the search index. They wait in the index outbox, held for
the job (records/indexing.py), and a stamping process drains them (letters/processes.py).

Drained all at the job's end, they were the end's longest part: about a second for 302
letters, on one core, after the last chunk, while the merged PDF took 0.6-0.8 s beside
it. So draining starts once no chunk of the job is left to claim (`soon`): the last
chunks are then being made, and one core is soon free while LibreOffice converts the
very last. The job's end (`rest`) waits for a drain still running (two drains of the
same rows would index them twice), then drains what came in since.
"""

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from ..letters import processes
from . import printjobs

log = logging.getLogger(__name__)
_running: dict[tuple[str, int], Future] = {}
_lock = threading.Lock()
_drainer = ThreadPoolExecutor(1, thread_name_prefix="pulang-job-index")


def soon(runtime, db, job_id: int) -> None:
    """After a chunk of the job is accepted: drain what the job holds so far, in the
    background, if none of its chunks waits to be claimed and no drain of it runs."""
    if printjobs.unclaimed(db, job_id):
        return
    key = (str(runtime.settings.db_path), job_id)
    with _lock:
        if key in _running:
            return
        future = _running[key] = _drainer.submit(_drain_early, runtime.settings, job_id)
    future.add_done_callback(lambda _: _forget(key, future))


def rest(settings, job_id: int) -> None:
    """At the job's end: wait for an early drain still running, then drain the rest."""
    with _lock:
        future = _running.get((str(settings.db_path), job_id))
    if future is not None:
        future.exception()  # waits; a failed early drain left its rows to this one
    drain(settings, job_id)


def drain(settings, job_id: int) -> int:
    """Index what the job holds now, in one commit, in a stamping process."""
    return processes.run(processes.index, settings.db_path, settings.index_dir,
                         printjobs.index_hold(job_id), settings.key_dir)


def _drain_early(settings, job_id: int) -> None:
    try:
        drain(settings, job_id)
    except Exception as exc:  # the job's end drains the rows again
        log.warning("print job %d: early index drain failed (%s); left to the job's end",
                    job_id, type(exc).__name__)


def _forget(key, future: Future) -> None:
    with _lock:
        if _running.get(key) is future:
            del _running[key]
