"""The queue of uploads to read: huey on SQLite in the archive's run/ folder
(run/scans-queue.db), consumed only by the server.

Reading an upload needs the archive (its files, the database, the stored pages), so
unlike print chunks it cannot go to print workers on other machines, which take their
tasks from the print queue (ceremonies/queue.py, Redis when PULANG_QUEUE_URL says so).
Hence a queue of its own, always local. `pulang serve` runs a one-thread consumer of it
(server.py; reading is CPU-bound: one upload at a time leaves the other core to the
web and LibreOffice), started with ceremonies/queue.py's consumer(), which re-queues
unfinished uploads (resume) as it re-queues unfinished print jobs. Tests use huey's
immediate mode (`scan_queue_for(runtime).huey.immediate = True`): an upload is read
before its POST returns.
"""

import weakref

from huey import SqliteHuey

from ..letters.priority import lower_this_thread

from . import tasks, uploads


class ScanQueue:
    def __init__(self, settings, runtime, *, immediate: bool = False):
        """`runtime`: a function returning the Runtime that reads uploads here (None once
        it is closed)."""
        self.settings = settings
        self.huey = SqliteHuey(f"{settings.queue_name}-scans", results=False, immediate=immediate,
                               filename=str(settings.run_dir / "scans-queue.db"))
        # Reading scans is background work too (letters/priority.py).
        self.huey.on_startup("lower-priority")(lower_this_thread)
        self._runtime = runtime
        self._read = self.huey.context_task(self, as_argument=True,
                                            name=tasks.READ_SCAN)(tasks.read_scan)

    # huey's context_task enters the queue around every task it runs and passes it in.
    def __enter__(self) -> "ScanQueue":
        return self

    def __exit__(self, *exc) -> bool:
        return False

    def runtime(self):
        runtime = self._runtime()
        if runtime is None:
            raise RuntimeError("the runtime of this scan queue has been closed")
        return runtime

    def read(self, scan_id: int) -> None:
        """Queue the reading of an upload."""
        self._read(scan_id)

    def resume(self, db) -> int:
        """Re-queue unfinished uploads (a consumer starting after a crash or a stop)."""
        waiting = uploads.unfinished(db)
        for scan_id in waiting:
            self.read(scan_id)
        return len(waiting)


_queues: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def scan_queue_for(runtime) -> ScanQueue:
    """The scan queue of a runtime's archive, its tasks read with that runtime."""
    queue = _queues.get(runtime)
    if queue is None:
        queue = _queues[runtime] = ScanQueue(runtime.settings, weakref.ref(runtime))
    return queue
