"""`pulang worker` beside the archive: a process that runs print jobs (all three parts of
a chunk, runner.py), with its own converter pool, on the machine that holds the archive.

`pulang serve` runs a consumer of its own, so such a worker only adds capacity. On
another machine, `pulang worker --server URL` runs remote_worker.py instead, which needs
no archive. Killed at any moment, a worker loses nothing: the next consumer to
start re-queues the unfinished chunks, and their letters keep their numbers.
"""

import logging
import os
import shutil
from pathlib import Path

from .. import db as database
from ..letters import processes
from ..letters.convert import ConverterPool
from ..runtime import Runtime
from . import leases, runner
from .queue import JobQueue, consumer, workers_for

log = logging.getLogger("pulang.worker")
_PREFIX = "converters-worker-"


def run(settings, *, threads: int | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    _clear_dead_pools(settings.run_dir)
    # Its own pool folder: a serve process on the same archive keeps run/converters/.
    pool = ConverterPool(settings.pool_size, settings.run_dir / f"{_PREFIX}{os.getpid()}",
                         timeout=settings.convert_timeout, recycle_after=settings.recycle_after)
    log.info("starting %d LibreOffice workers", settings.pool_size)
    pool.start()
    runtime = Runtime(settings, pool=pool)
    db = runtime.db()
    try:
        database.migrate(db)
        queue = JobQueue(settings, lambda: runtime)
        processes.run(processes.warm)  # start the stamping processes now, not in the first job
        log.info("print-job worker %s ready (%s queue)", leases.owner(),
                 "Redis" if settings.queue_url else "SQLite")
        consumer(queue, db, workers=threads or workers_for(settings, settings.pool_size),
                 embedded=False).run()
    finally:
        runner.STOPPING.set()
        db.close()
        runtime.close()
        pool.close()
        shutil.rmtree(pool.work_dir, ignore_errors=True)


def _clear_dead_pools(run_dir: Path) -> None:
    """Pool folders of workers that were killed (their LibreOffice died with them)."""
    for folder in run_dir.glob(f"{_PREFIX}*"):
        pid = folder.name[len(_PREFIX):]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)
