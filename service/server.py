"""`pulang serve`: waitress in front of the app, with a warm converter pool, the index
writer thread, a print-job consumer (threads sharing the pool; none with
PULANG_JOB_WORKERS=0), the print-job keeper (ceremonies/keeper.py) and a warm-up of the
print path (ceremonies/warmup.py), shut down cleanly on SIGTERM/SIGINT; print jobs cut
short resume at the next start."""

import logging
import signal
import sys
import threading

from waitress.server import create_server

from . import create_app
from .ceremonies.warmup import warm_up
from .runtime import Runtime

log = logging.getLogger("pulang")


def run(settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.info("starting %d LibreOffice workers", settings.pool_size)
    runtime = Runtime(settings, pool=True, background_index=True)
    runtime.warm()
    app = create_app({"archive": settings.archive, "host": settings.host, "port": settings.port,
                      "base_url": settings.base_url}, runtime=runtime)
    jobs = _start_jobs(runtime)
    if jobs[0] is not None:  # print-job letters are made here: the first job's once-only work now
        threading.Thread(target=warm_up, args=(runtime,), name="warm-up", daemon=True).start()
    # A letter's request holds a thread while it waits for a converter (at most pool size
    # + the pool's queue, 9 × pool size; beyond that it is refused with 429 and Retry-After).
    # Threads enough for those and more keep searches, pages and downloads from queueing
    # behind letters (issue 14, item 5: with 8 threads a search waited p95 2.5-6 s).
    server = create_server(app, host=settings.host, port=settings.port,
                           threads=max(32, settings.pool_size * 16), ident="Pulang")

    def stop(signum, _frame):
        log.info("stopping (signal %d)", signum)
        server.close()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("serving on http://%s:%d", settings.host, settings.port)
    try:
        server.run()
    except (OSError, ValueError):
        pass  # the listening socket was closed by stop()
    finally:
        _stop_jobs(jobs)
        runtime.close()
        log.info("stopped")
    sys.exit(0)


def _start_jobs(runtime):
    """The print-job consumer (none when PULANG_JOB_WORKERS=0: print workers elsewhere
    make the letters), the keeper, which assembles what workers returned and queues
    again what a dead worker held, and the one-thread consumer that reads uploaded scans
    (they need the archive: never a print worker's)."""
    from .ceremonies.keeper import Keeper
    from .ceremonies.queue import consumer, queue_for, workers_for
    from .letters import processes
    from .scans.queue import scan_queue_for
    db = runtime.db()
    try:
        scans = consumer(scan_queue_for(runtime), db, embedded=True, workers=1)
    finally:
        db.close()
    queue = queue_for(runtime)
    workers = workers_for(runtime.settings, runtime.settings.pool_size)
    jobs = None
    if workers > 0:
        db = runtime.db()
        try:
            jobs = consumer(queue, db, embedded=True, workers=workers)
        finally:
            db.close()
    else:
        log.info("print jobs are left to print workers (PULANG_JOB_WORKERS=0)")
    processes.run(processes.warm)  # the stamping processes, before the first print job
    return jobs, Keeper(runtime, queue).start(), scans


def _stop_jobs(started) -> None:
    from .ceremonies.runner import STOPPING
    jobs, keeper, scans = started
    STOPPING.set()  # a chunk cut short by the pool closing is resumed, not failed
    keeper.stop()
    if jobs is not None:
        jobs.stop(graceful=False)
    scans.stop(graceful=False)  # an upload cut short is read on from its next page
