"""Per-request access to the database, the runtime and the audit log."""

import contextlib
import threading

from flask import current_app, g, request

from ..ceremonies import printjobs
from ..ceremonies.printjobs import WAIT_MAX
from ..errors import InvalidInput
from ..records import audit, office


def runtime():
    return current_app.extensions["pulang"]


def get_db():
    if "db" not in g:
        g.db = runtime().db()
    return g.db


def close_db(_exc=None):
    db = g.pop("db", None)
    if db is not None:
        db.close()


def log(action: str, *, target_type: str = "", target_id="", detail: dict | None = None) -> None:
    """Audit with the signed-in user, if any. Details hold ids and codes only."""
    audit.record(get_db(), action, user=g.get("user"), target_type=target_type,
                 target_id=target_id, detail=detail, ip=request.remote_addr or "")


def public_base_url() -> str:
    """The address printed in QR codes and verify URLs: the office's setting, else
    PULANG_BASE_URL."""
    return office.public_base_url(office.get_all(get_db()), runtime().settings.base_url)


def wait_param() -> float:
    """`?wait=S`: how long a progress request may wait for the next change (0 to 10 s;
    0, the default, answers at once)."""
    raw = request.args.get("wait") or "0"
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= WAIT_MAX:  # also NaN
        raise InvalidInput("how long to wait?",
                           fields={"wait": f"must be a number of seconds from 0 to {WAIT_MAX:g}"})
    return seconds


# Progress requests that may wait at once: each holds one of the web server's threads
# (server.py), so a client opening many cannot take them all; past this, `wait` is not
# honoured and the request answers at once, as without it.
WAITERS = 8
_waiters = threading.BoundedSemaphore(WAITERS)


@contextlib.contextmanager
def wait_slot(seconds: float):
    """The seconds this request may wait (0 if it asked for none or no slot is free)."""
    if seconds <= 0 or not _waiters.acquire(blocking=False):
        yield 0.0
        return
    try:
        yield seconds
    finally:
        _waiters.release()


def followed_job(db, job_id: int) -> dict:
    """The print job, as it is once it moves on when the request asks to wait for that
    (`?wait=S`, within the bound of wait_slot)."""
    job = printjobs.get(db, job_id)
    with wait_slot(wait_param()) as seconds:
        return printjobs.next_change(db, job, seconds)
