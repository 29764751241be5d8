"""Crash points for the kill tests: with PULANG_CRASH_AT=<point>, the process kills
itself with SIGKILL when it reaches that point, as a power cut would. Unset, a no-op."""

import os
import signal


def point(name: str) -> None:
    if os.environ.get("PULANG_CRASH_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
