"""The server's watch over print jobs, a thread in `pulang serve`:

- it assembles a job whose last letter chunk a print worker returned (the worker has no
  archive: the index commit and the merged PDF are the server's);
- it re-queues a chunk that nobody will do otherwise: huey forgets a task once a worker
  takes it, so a worker killed mid-chunk (or between taking a task and claiming its
  chunk) leaves a chunk that is neither held by a live lease nor waiting in the queue.
  After a lease's length in that state it is queued again; whoever takes it gets the
  same letters with the same numbers (prepare.py reserved them once).

A consumer of the server's own re-queues unfinished jobs when it starts too; duplicates
are harmless (claims and idempotent steps), so the two need not agree on who does it.
"""

import logging
import threading
import time
import weakref

from . import leases, printjobs, runner

log = logging.getLogger(__name__)
_keepers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


class Keeper:
    def __init__(self, runtime, queue, *, every: float | None = None):
        self._runtime = weakref.ref(runtime)
        self.queue = queue
        self.every = every or max(1.0, leases.LEASE_SECONDS / 3)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._missing: dict[tuple[int, str], float] = {}
        self._thread = threading.Thread(target=self._run, daemon=True, name="pulang-job-keeper")

    def start(self) -> "Keeper":
        _keepers[self._runtime()] = self
        self._thread.start()
        return self

    def poke(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.every)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.round()
            except Exception as exc:  # a busy database, a queue hiccup: the next round retries
                log.warning("print-job keeper: %s", type(exc).__name__)

    def round(self) -> None:
        runtime = self._runtime()
        if runtime is None:
            return
        db = runtime.db()
        try:
            waiting = self.queue.waiting()
            now = time.time()
            seen = set()
            for job in printjobs.unfinished(db):
                letters = [c for c in job["chunks"] if c != printjobs.ASSEMBLE]
                if not letters and job["chunks"]:
                    try:
                        runner.run_chunk(runtime, job["id"], printjobs.ASSEMBLE)
                    except runner.Busy:
                        pass  # a consumer of ours is assembling it
                    continue
                for chunk in letters:
                    key = (job["id"], chunk)
                    if key in waiting or _held(db, *key, now):
                        continue
                    seen.add(key)
                    since = self._missing.setdefault(key, now)
                    if now - since >= leases.LEASE_SECONDS:
                        log.info("print job %d chunk %s: no live worker holds it; queued again", *key)
                        self.queue.enqueue(job["id"], [chunk])
                        self._missing[key] = now
            self._missing = {k: v for k, v in self._missing.items() if k in seen}
        finally:
            db.close()


def _held(db, job_id: int, chunk: str, now: float) -> bool:
    row = db.execute("SELECT lease_owner, lease_until FROM print_job_chunks WHERE job_id = ? "
                     "AND chunk = ?", [job_id, chunk]).fetchone()
    owner, until = row if row else (None, None)
    return bool(owner and until and until > now and not leases.is_dead(owner))


def assemble_soon(runtime, job_id: int) -> None:
    """A print worker returned the job's last chunk: the keeper assembles it, or, in a
    process without one (a test's app), this thread does, now."""
    keeper = _keepers.get(runtime)
    if keeper is not None:
        keeper.poke()
    else:
        runner.run_chunk(runtime, job_id, printjobs.ASSEMBLE)
