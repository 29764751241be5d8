"""The print-job queue on huey: SQLite storage in the archive's run/ folder by default, or
Redis when PULANG_QUEUE_URL says so (print workers on other machines take chunks from
it: remote_worker.py).

The task itself is tasks.print_chunk; it takes ids only (job id, chunk name), and the
process that runs it supplies the runtime (converter pool, index) for its own archive.
A Huey instance belongs to one archive (its SQLite file, or its Redis queue's name), and
a process may hold several (tests, benchmarks), so the module-level task is registered
on each queue's Huey here rather than decorated with one global Huey.

A consumer runs inside `pulang serve` (threads, sharing the web's converter pool; none
with PULANG_JOB_WORKERS=0) and in `pulang worker` processes. Huey forgets a task once a worker takes it, so each consumer,
when it starts, re-queues the chunks of unfinished jobs; leases and idempotent steps make
duplicates harmless. Tests run the task without a consumer in huey's immediate mode
(`JobQueue(..., immediate=True)`): enqueueing runs it at once, in the caller's thread.
"""

import logging
import signal
import threading
import weakref

from huey import RedisHuey, SqliteHuey
from huey.consumer import Consumer

from ..runtime import RuntimeTasks
from . import printjobs, runner, tasks

log = logging.getLogger(__name__)


class JobQueue(RuntimeTasks):
    what = "print-job queue"

    def __init__(self, settings, runtime=None, *, immediate: bool = False, run=None):
        """`runtime`: a function returning the Runtime that runs this queue's tasks here
        (None once it is closed); or `run`: run(job_id, chunk) does a task instead (a
        print worker on another machine, remote_worker.py, which has no archive)."""
        self.settings = settings
        if settings.queue_url:
            huey = RedisHuey(settings.queue_name, url=settings.queue_url, results=False,
                             blocking=True, read_timeout=1, immediate=immediate)
        else:
            huey = SqliteHuey(settings.queue_name, results=False, immediate=immediate,
                              filename=str(settings.run_dir / "queue.db"))
        super().__init__(huey, runtime)
        self._run = run
        self._print_chunk = self.huey.context_task(self, as_argument=True,
                                                   name=tasks.PRINT_CHUNK)(tasks.print_chunk)

    def run_chunk(self, job_id: int, chunk: str) -> None:
        """Do one task here (tasks.print_chunk calls this)."""
        if self._run is not None:
            self._run(job_id, chunk)
        else:
            runner.run_chunk(self.runtime(), job_id, chunk)

    def waiting(self) -> set[tuple[int, str]]:
        """(job id, chunk) of every task waiting in the queue, due or scheduled."""
        found = self.huey.pending() + self.huey.scheduled()
        return {(int(t.args[0]), str(t.args[1])) for t in found
                if t.name == tasks.PRINT_CHUNK and len(t.args) == 2}

    def enqueue(self, job_id: int, chunk_names: list[str], *, delay: float | None = None) -> None:
        for chunk in chunk_names:
            if delay is None:
                self._print_chunk(job_id, chunk)
            else:
                self._print_chunk.schedule((job_id, chunk), delay=delay)

    def start(self, db, job_id: int) -> None:
        """Queue a new job's letter chunks (the last one to finish assembles)."""
        self.enqueue(job_id, [c["chunk"] for c in printjobs.chunks(db, job_id)
                              if c["chunk"] != printjobs.ASSEMBLE])

    def resume(self, db) -> int:
        """Re-queue what unfinished jobs still need; returns how many jobs."""
        jobs = printjobs.unfinished(db)
        for job in jobs:
            letters = [c for c in job["chunks"] if c != printjobs.ASSEMBLE]
            self.enqueue(job["id"], letters or [printjobs.ASSEMBLE])
        if jobs:
            log.info("resuming %d unfinished print jobs", len(jobs))
        return len(jobs)


_queues: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def queue_for(runtime) -> JobQueue:
    """The queue of a runtime's archive, its tasks run with that runtime (web process)."""
    queue = _queues.get(runtime)
    if queue is None:
        # A weak reference: the queue must not keep a closed runtime (and its pool) alive.
        queue = _queues[runtime] = JobQueue(runtime.settings, weakref.ref(runtime))
    return queue


def workers_for(settings, pool_size: int) -> int:
    # Two threads more than converter workers: while both convert, one chunk renders and
    # another waits for its stamping process, so LibreOffice never waits for Python.
    return settings.job_workers if settings.job_workers is not None else pool_size + 2


def consumer(queue: JobQueue, db, *, workers: int, embedded: bool) -> Consumer:
    """A huey consumer for the queue, after re-queueing unfinished jobs. Embedded ones are
    started here (and stopped with .stop()); standalone ones .run() in the main thread,
    where huey's signal handlers stop them (SIGINT gracefully, SIGTERM at once)."""
    if db is not None:  # a remote worker has none: the server re-queues what was lost
        queue.resume(db)
    # Poll SQLite often: an idle worker's backoff would otherwise delay a job by seconds.
    c = queue.huey.create_consumer(
        workers=workers, worker_type="thread", initial_delay=0.05, backoff=1.2, max_delay=0.3,
        periodic=False, check_worker_health=not embedded, shutdown_timeout=30)
    if embedded:
        _start_embedded(c)
    return c


# The signals huey's consumer handles (docs/consumer.rst: INT graceful, TERM immediate,
# HUP restart).
_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _start_embedded(c: Consumer) -> None:
    """Start a consumer inside a process that owns its signals (`pulang serve`, tests).

    Consumer.start() is huey's way to embed a consumer (its docs: "Instantiate it directly
    only when embedding the consumer in another process"); it also installs huey's
    handlers for SIGINT, SIGTERM and SIGHUP, which would act only through Consumer.run()'s
    loop, which an embedded consumer never runs: they would swallow the signals. So the
    handlers the process had are put back at once, and the process stops the consumer
    itself (serve does on SIGTERM and SIGINT). Handlers can only be set from the main
    thread, so that is where an embedded consumer starts.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("start an embedded print-job consumer from the main thread")
    before = {signum: signal.getsignal(signum) for signum in _SIGNALS}
    try:
        c.start()
    finally:
        for signum, handler in before.items():
            if handler is not None:  # None: not set from Python, nothing to put back
                signal.signal(signum, handler)
