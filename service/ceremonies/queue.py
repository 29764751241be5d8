"""The print-job queue on huey: SQLite storage in the archive's run/ folder by default, or
Redis when PULANG_QUEUE_URL says so (several worker machines sharing one archive).

Tasks take ids only (job id, chunk name); the process that runs them supplies the
runtime (converter pool, index) for its own archive. A consumer runs inside `pulang
serve` (threads, sharing the web's converter pool) and in `pulang worker` processes.
Huey forgets a task once a worker takes it, so each consumer, when it starts, re-queues
the chunks of unfinished jobs; leases and idempotent steps make duplicates harmless.
"""

import logging
import weakref

from huey import RedisHuey, SqliteHuey
from huey.consumer import Consumer

from . import printjobs
from .runner import Busy, run_chunk

log = logging.getLogger(__name__)


class JobQueue:
    def __init__(self, settings, runtime):
        """`runtime`: a function returning the Runtime that runs this queue's tasks here."""
        self.settings = settings
        if settings.queue_url:
            self.huey = RedisHuey(settings.queue_name, url=settings.queue_url, results=False,
                                  blocking=True, read_timeout=1)
        else:
            self.huey = SqliteHuey(settings.queue_name, results=False,
                                   filename=str(settings.run_dir / "queue.db"))
        self._runtime = runtime

        @self.huey.task(name="pulang.print_chunk")
        def print_chunk(job_id: int, chunk: str) -> None:
            try:
                run_chunk(self._runtime(), job_id, chunk)
            except Busy as busy:
                # Held by a live worker: look again when its lease would have run out.
                print_chunk.schedule((job_id, busy.chunk), delay=busy.retry_in)
            except Exception:  # recorded on the job by the runner; no traceback in the log
                log.error("print job %d chunk %s failed", job_id, chunk)

        self._print_chunk = print_chunk

    def enqueue(self, job_id: int, chunk_names: list[str]) -> None:
        for chunk in chunk_names:
            self._print_chunk(job_id, chunk)

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
    return settings.job_workers or pool_size + 2


class _Embedded(Consumer):
    def _set_signal_handlers(self):
        pass  # inside `pulang serve`, the web server owns SIGTERM and SIGINT


def consumer(queue: JobQueue, db, *, workers: int, embedded: bool) -> Consumer:
    """A huey consumer for the queue, after re-queueing unfinished jobs. Embedded ones are
    started here (and stopped with .stop(graceful=True)); standalone ones .run()."""
    queue.resume(db)
    cls = _Embedded if embedded else Consumer
    # Poll SQLite often: an idle worker's backoff would otherwise delay a job by seconds.
    c = cls(queue.huey, workers=workers, worker_type="thread", initial_delay=0.05,
            backoff=1.2, max_delay=0.3, periodic=False, check_worker_health=not embedded,
            shutdown_timeout=30)
    if embedded:
        c.start()
    return c
