"""The server's side of print workers on other machines (their HTTP routes are in
api/workers.py; the worker itself is remote_worker.py): hand a chunk out (claim it for
the worker, prepare its inputs), keep its lease, take its letters back, or hear that
making them failed. The queue carries ids only; what a chunk is made from travels over
HTTP, to a worker holding a worker token.
"""

import logging
import re

from ..errors import InvalidInput, PulangError
from ..letters.chunk import MadeLetter, to_wire
from . import job_index, keeper, printjobs
from .accept import LeaseLost, Rejected, accept
from .prepare import prepare

log = logging.getLogger(__name__)
# A worker names itself as leases.owner() does: host:pid:start time:thread.
_OWNER = re.compile(r"[A-Za-z0-9._-]{1,100}:\d{1,10}:\d{0,20}:\d{1,25}")


class ChunkBusy(PulangError):
    """Another live worker holds the chunk; `retry_in` says when its lease runs out."""

    status = 409
    code = "chunk_busy"


class ChunkGone(PulangError):
    """Nothing to make: the chunk is done, the job ended, or it is the server's own part."""

    status = 410
    code = "chunk_gone"


def hand_out(runtime, db, job_id: int, chunk: str, owner: str) -> dict:
    """Claim the chunk for the worker `owner` and return its inputs (to_wire)."""
    if not _OWNER.fullmatch(owner or ""):
        raise InvalidInput("the worker's name is malformed", fields={"worker": "host:pid:start:thread"})
    if chunk == printjobs.ASSEMBLE:
        raise ChunkGone("the server assembles the merged PDF itself")
    outcome = printjobs.claim(db, job_id, chunk, owner)
    if outcome == "busy":
        raise ChunkBusy("another worker holds this chunk",
                        retry_in=round(printjobs.lease_left(db, job_id, chunk) + 1, 1))
    if outcome != "go":
        raise ChunkGone(f"nothing to make: the chunk is {outcome}")
    try:
        inputs = prepare(runtime, db, job_id, chunk, lease=owner)
    except Exception as exc:
        _fail(db, job_id, chunk, exc)
        raise
    log.info("print job %d chunk %s handed out: %d letters", job_id, chunk, len(inputs.letters))
    return to_wire(inputs)


def renew(db, job_id: int, chunk: str, lease: str) -> None:
    if not printjobs.holds(db, job_id, chunk, lease):
        raise LeaseLost("this chunk is no longer yours", fields={"lease": "expired or taken over"})
    printjobs.renew({(None, job_id, chunk, lease)}, db=db)


def take_back(runtime, db, job_id: int, chunk: str, lease: str, made: list[MadeLetter]) -> int | None:
    """Accept the worker's letters; a job whose last chunk this was is assembled here."""
    try:
        left = accept(runtime, db, job_id, chunk, lease, made)
    except Rejected as exc:
        _fail(db, job_id, chunk, exc)
        raise
    log.info("print job %d chunk %s accepted: %d letters, %s chunks left", job_id, chunk,
             len(made), left)
    if left == 0:
        keeper.assemble_soon(runtime, job_id)
    elif left:
        job_index.soon(runtime, db, job_id)
    return left


def failed(db, job_id: int, chunk: str, lease: str, reason: str) -> None:
    """The worker could not make the chunk (a template error, a conversion that failed)."""
    if not printjobs.holds(db, job_id, chunk, lease):
        raise LeaseLost("this chunk is no longer yours", fields={"lease": "expired or taken over"})
    log.error("print job %d failed in chunk %s on a worker", job_id, chunk)
    printjobs.fail(db, job_id, f"{chunk}: {reason[:300]}")


def _fail(db, job_id: int, chunk: str, exc: Exception) -> None:
    message = exc.message if isinstance(exc, PulangError) else type(exc).__name__
    log.error("print job %d failed in chunk %s: %s", job_id, chunk, type(exc).__name__)
    printjobs.fail(db, job_id, f"{chunk}: {message}")
