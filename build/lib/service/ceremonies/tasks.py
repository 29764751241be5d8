"""The print-job task: make one chunk of a job's letters (the last one to finish also
assembles the merged PDF).

Defined here at module level, as huey defines tasks, and registered by queue.py on each
archive's Huey under the name "pulang.print_chunk". A task's message holds ids only (the
job id and the chunk's name): nothing of the app is pickled into the queue. The process
that runs it hands it the queue it came from (huey's `context_task`, its way of sharing a
resource with tasks), through which it reaches that process's runtime (converter pool,
index) and queues follow-up tasks.

Exceptions stay here: a failed chunk is recorded on its job by the runner, so huey's own
retry and traceback logging would only repeat it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .runner import Busy

if TYPE_CHECKING:
    from .queue import JobQueue

log = logging.getLogger(__name__)

PRINT_CHUNK = "pulang.print_chunk"


def print_chunk(queue: JobQueue, job_id: int, chunk: str) -> None:
    """Run chunk `chunk` of print job `job_id` here (this process's runtime, or as a
    print worker for a server elsewhere)."""
    try:
        queue.run_chunk(job_id, chunk)
    except Busy as busy:
        # Held by a live worker: look again when its lease would have run out.
        queue.enqueue(job_id, [busy.chunk], delay=busy.retry_in)
    except Exception:  # recorded on the job by the runner; no traceback in the log
        log.error("print job %d chunk %s failed", job_id, chunk)
