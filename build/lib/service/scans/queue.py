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

from ..runtime import RuntimeTasks
from . import tasks, uploads


class ScanQueue(RuntimeTasks):
    what = "scan queue"

    def __init__(self, settings, runtime, *, immediate: bool = False):
        """`runtime`: a function returning the Runtime that reads uploads here (None once
        it is closed)."""
        self.settings = settings
        super().__init__(SqliteHuey(f"{settings.queue_name}-scans", results=False, immediate=immediate,
                                    filename=str(settings.run_dir / "scans-queue.db")), runtime)
        self._read = self.huey.context_task(self, as_argument=True,
                                            name=tasks.READ_SCAN)(tasks.read_scan)

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
