"""Search results held on the server, so that Back works and names stay out of URLs.

The search form is POSTed (a name typed in the box must never sit in a URL, the browser's
history or a server log); its answer is a redirect to /search/r/<id>, an opaque id of a
query kept here, in this process's memory, for the session that asked. Going Back to the
results is then a plain GET (no "Confirm Form Resubmission"), and the query itself is
never written to disk: it dies with the session's idle timeout or a restart, after which
the page asks to search again.

An id is usable only by the session that made it (a random key kept in that session);
anyone else gets "not found", as for an id that never existed.
"""

import secrets
import threading
import time
from collections import OrderedDict

MAX_KEPT = 5000  # queries held at once, oldest dropped first; one office types far fewer


class Results:
    def __init__(self, lifetime_s: float):
        self.lifetime_s = lifetime_s
        self._kept: OrderedDict[str, tuple[str, dict, float]] = OrderedDict()
        self._lock = threading.Lock()

    def keep(self, owner: str, query: dict) -> str:
        """Hold `query` for `owner` (the session's key); returns its id."""
        rid = secrets.token_urlsafe(12)
        with self._lock:
            self._expire()
            self._kept[rid] = (owner, dict(query), time.monotonic())
            while len(self._kept) > MAX_KEPT:
                self._kept.popitem(last=False)
        return rid

    def get(self, owner: str, rid: str) -> dict | None:
        """The query held under `rid` for this owner, or None; using it keeps it alive."""
        with self._lock:
            self._expire()
            found = self._kept.get(rid)
            if found is None or not secrets.compare_digest(found[0], owner):
                return None
            self._kept[rid] = (found[0], found[1], time.monotonic())
            self._kept.move_to_end(rid)
            return dict(found[1])

    def _expire(self) -> None:
        deadline = time.monotonic() - self.lifetime_s
        while self._kept:
            rid, (_, _, at) = next(iter(self._kept.items()))
            if at >= deadline:
                break
            del self._kept[rid]
