"""Work no clerk is waiting on by the second runs at a lower CPU priority (issue 14, item 5).

LibreOffice, the stamping processes, the print-job and scan-reading threads can fill both
cores for minutes while a ceremony prints; a clerk's search or page read must not queue
behind them. Nice 10 gives such work about a tenth of the CPU share of the web's threads
when both want a core (the kernel's weights: 1024 at 0, 110 at 10), and all of it when
the web is idle, so print jobs still finish. A clerk's single letter converts in the same
LibreOffice workers: it waits on those only as long as a print chunk's conversion does.

On Linux a nice value belongs to a thread (and the processes and threads it starts later
inherit it), so the print-job threads lower themselves without touching the web's.
"""

import logging
import os
import threading

log = logging.getLogger(__name__)
BACKGROUND_NICE = 10
_warned = False


def lower_this_thread() -> None:
    """Set the calling thread to BACKGROUND_NICE (never raise its priority)."""
    global _warned
    tid = threading.get_native_id()
    try:
        now = os.getpriority(os.PRIO_PROCESS, tid)
        if now < BACKGROUND_NICE:
            os.setpriority(os.PRIO_PROCESS, tid, BACKGROUND_NICE)
    except OSError as exc:  # a container that forbids it: work goes on at full priority
        if not _warned:
            _warned = True
            log.warning("could not lower the priority of background work (%s)", exc.strerror)
