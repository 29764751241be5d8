"""Who is working on a print job's chunk, and whether they are still alive.

Huey removes a task from the queue when a worker takes it, so a worker killed mid-task
loses it; the job's chunk rows are the truth instead. A worker claims a chunk with a
lease (owner, expiry) and renews it while it works. A lease can be taken over when it has
expired, or at once when its owner is a dead process on this machine (a restarted worker
need not wait out the lease of the one it replaces).
"""

import os
import socket
import threading
import time

from ..letters.processes import start_time

# How long a claim lasts unless renewed (PULANG_LEASE_SECONDS: tests shorten it so a
# killed worker's chunk is taken over quickly), and how often a holder renews it.
LEASE_SECONDS = float(os.environ.get("PULANG_LEASE_SECONDS", 30))
RENEW_EVERY = min(5.0, LEASE_SECONDS / 3)


HOST = socket.gethostname()


def owner() -> str:
    """This thread, unambiguously: host, pid, the pid's start time (pids are reused) and
    the thread (two threads of one worker may hold duplicate tasks of one chunk)."""
    pid = os.getpid()
    return f"{HOST}:{pid}:{start_time(pid)}:{threading.get_ident()}"


def is_dead(lease_owner: str) -> bool:
    """True only when we can tell: the owner ran on this machine and is gone."""
    try:
        host, pid, started, _thread = lease_owner.rsplit(":", 3)
    except ValueError:
        return True
    if host != HOST:
        return False
    return start_time(int(pid)) != started


class Heartbeat:
    """Renews, every few seconds, the leases this process holds."""

    def __init__(self, renew, every: float = RENEW_EVERY):
        self._renew = renew  # called with the set of keys held
        self._every = every
        self._held: set[tuple[int, str]] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def hold(self, key: tuple[int, str]) -> None:
        with self._lock:
            self._held.add(key)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, daemon=True,
                                                name="pulang-lease-heartbeat")
                self._thread.start()

    def release(self, key: tuple[int, str]) -> None:
        with self._lock:
            self._held.discard(key)

    def _run(self) -> None:
        while True:
            time.sleep(self._every)
            with self._lock:
                held = set(self._held)
            if not held:
                continue
            try:
                self._renew(held)
            except Exception:  # a busy database now and then; the next beat retries
                pass
