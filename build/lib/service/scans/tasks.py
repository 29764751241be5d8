"""The scan-reading task: read and file every page of one upload.

Defined at module level, as ceremonies/tasks.py defines the print-job task, and registered
on each archive's scan queue (queue.py) under the name "pulang.read_scan". Its message
holds the upload's id only; the server process that runs it supplies its runtime.
Failures are recorded on the upload (reader.py), so huey's retry would only repeat them.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from .reader import read_upload

if TYPE_CHECKING:
    from .queue import ScanQueue

log = logging.getLogger(__name__)

READ_SCAN = "pulang.read_scan"


def read_scan(queue: "ScanQueue", scan_id: int) -> None:
    """Read upload `scan_id` with this process's runtime."""
    try:
        read_upload(queue.runtime(), scan_id)
    except Exception:  # the upload stays unfinished; the next consumer start re-queues it
        log.exception("upload %d could not be read", scan_id)
