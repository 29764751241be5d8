"""Print job records: the request (kinds, copies, order, duplex), its plan (items in print
order, grouped into chunks, one task each), the chunks' leases, progress and failure.

The plan is fixed when the job is made, so a job prints what was asked at that moment
even if the ceremony changes meanwhile. At most one job per ceremony is queued or running
(a partial unique index), so two jobs never generate the same ceremony's letters at once.
"""

import json
import math
import os
import sqlite3
import time

from .. import db as database
from ..clock import now_iso
from ..db import write_transaction
from ..errors import Conflict, InvalidInput, NotFound, OfficeIncomplete
from ..records import indexing, office
from ..records import validate as v
from ..records.cases import get_case
from ..records.retention import RESULT_REMOVED_NOTE
from . import leases, records, reuse
from ..records.kinds import CEREMONY_KINDS
from ..records.kinds import DOCUMENT_KINDS as KINDS  # what a print job may print, in print order
from .context import ORDERS, needs, ordered

# Letters per combined conversion. Measured through `pulang serve` on 100 women
# (bench/ceremony_bench.py --served, docs/performance.md): 25 made the job 20 % quicker
# than 100 (steady medians 6.6 s and 8.3 s; 34: 6.9 s, 15: 7.8 s). A chunk's letters are
# cut, stamped and stored while the converters already work on the next chunks, and the
# last chunk, whose tail nothing overlaps, is small. Since LibreOffice opens letters
# hidden from templates made ready once, a document load costs too little to favour
# fewer, larger chunks (it did when 100 was chosen).
CHUNK_SIZE = int(os.environ.get("PULANG_CHUNK_SIZE", 25))  # tests set it smaller
MAX_COPIES = 10
ASSEMBLE = "assemble"  # the last chunk: the merged PDF
# The office keeps one receipt, the woman the other.
DEFAULT_COPIES = {"aid_receipt": 2, "transfer_receipt": 2}


def _kinds(value) -> list[str]:
    if not isinstance(value, list) or not value:
        raise v.FieldError(f"must be a non-empty list of: {', '.join(KINDS)}")
    for kind in value:
        v.choice(kind, KINDS)
    if len(set(value)) != len(value):
        raise v.FieldError("a kind is listed twice")
    return [k for k in KINDS if k in value]  # print order is fixed, not the request's


def _copies(value) -> dict[str, int]:
    if not isinstance(value, dict):
        raise v.FieldError("must be an object {kind: number of copies}")
    for kind, n in value.items():
        v.choice(kind, KINDS)
        v.whole_number(n, minimum=1, maximum=MAX_COPIES)
    return dict(value)


def _replace(value):
    """Which letters whose data changed get a new number (service/ceremonies/reuse.py)."""
    if value in ("changed", "none"):
        return value
    if isinstance(value, list) and all(isinstance(x, int) and not isinstance(x, bool) and x > 0
                                       for x in value) and len(value) <= 5000:
        return sorted(set(value))
    raise v.FieldError('must be "changed", "none" or a list of document ids')


CHECKS = {
    "kinds": _kinds,
    "copies": _copies,
    "duplex": v.flag,
    "order": lambda x: v.choice(x, ORDERS),
    "replace": _replace,
}


def parse_options(data: dict) -> dict:
    clean, problems = v.collect(data, CHECKS)
    if problems:
        raise InvalidInput("the print request has invalid fields", fields=problems)
    kinds = clean.get("kinds", list(KINDS))
    copies = {k: clean.get("copies", {}).get(k, DEFAULT_COPIES.get(k, 1)) for k in kinds}
    stray = set(clean.get("copies", {})) - set(kinds)
    if stray:
        raise InvalidInput("copies of a kind not printed",
                           fields={"copies": f"{sorted(stray)[0]} is not in kinds"})
    return {"kinds": kinds, "copies": copies, "duplex": clean.get("duplex", False),
            "order": clean.get("order", "name"), "replace": clean.get("replace", "changed")}


def _request(db, ceremony_id: int, data: dict) -> tuple[dict, list[dict]]:
    """The checked options and the ceremony's cases in print order, or InvalidInput."""
    options = parse_options(data)
    records.get(db, ceremony_id)
    settings = office.get_all(db)
    if not office.complete(settings):
        # A ceremony's papers are a batch of official letters: samples are made one at a
        # time from a case's page until the office's set-up is complete.
        raise OfficeIncomplete("the office's set-up is incomplete: letters would be samples",
                               fields={"office": "missing: " + ", ".join(office.missing(settings))},
                               missing=office.missing(settings))
    cases = ordered(records.cases(db, ceremony_id), options["order"])
    if not cases:
        raise InvalidInput("the ceremony has no cases", fields={"case_ids": "add cases first"})
    if {"aid_receipt", "transfer_receipt"} & set(options["kinds"]):
        bare = [c for c in cases if not db.execute(
            "SELECT 1 FROM aid_items WHERE case_id = ?", [c["id"]]).fetchone()]
        if bare:
            raise InvalidInput("a receipt needs aid", fields={
                "kinds": f"case {bare[0]['id']} has no aid items; record them or leave out the receipts"},
                case_id=bare[0]["id"], full_name=bare[0]["full_name"])
    return options, cases


def _who(db, cases: list[dict], options: dict) -> dict[str, list[int]]:
    """The cases each case kind is made for: each woman gets the receipts her aid needs
    (one per source of funds), not every kind."""
    settings = office.get_all(db)
    return {kind: [c["id"] for c in cases if needs(db, c, kind, settings)]
            for kind in options["kinds"] if kind not in CEREMONY_KINDS}


def preview(db, ceremony_id: int, data: dict) -> list[reuse.Decision]:
    """What a print with these options would give each (case, kind), nothing recorded:
    which letters are reused, which are new, and which would be replaced and why."""
    options, cases = _request(db, ceremony_id, data)
    return reuse.plan(db, ceremony_id, cases, options["kinds"], options["replace"],
                      who=_who(db, cases, options))


def create(db, ceremony_id: int, data: dict, user: dict | None, base_url: str) -> dict:
    options, cases = _request(db, ceremony_id, data)
    options.update(case_ids=[c["id"] for c in cases], base_url=base_url)
    who = _who(db, cases, options)
    items, chunks = _plan(options, who)
    # What each item gets is decided now, as the clerk was shown it: a letter reused or
    # kept is the item's from the start; the others get their numbers when prepared.
    decisions = {(d.case_id, d.kind): d for d in
                 reuse.plan(db, ceremony_id, cases, options["kinds"], options["replace"], who=who)}
    for item in items:
        item.update(document_id=None, reused=0)
        decision = decisions[(item["case_id"], item["kind"])]
        if decision.action in ("reuse", "keep"):
            item.update(document_id=decision.document_id, reused=1)
    now = now_iso()
    try:
        with write_transaction(db):
            job_id = db["print_jobs"].insert({
                "ceremony_id": ceremony_id, "state": "queued", "options": json.dumps(options),
                "total": len(items), "created_by": user["id"] if user else None,
                "created_at": now, "updated_at": now}).last_pk
            db["print_job_items"].insert_all([dict(i, job_id=job_id) for i in items])
            db["print_job_chunks"].insert_all([dict(c, job_id=job_id) for c in chunks])
    except sqlite3.IntegrityError:
        active = db.execute("SELECT id FROM print_jobs WHERE ceremony_id = ? AND state IN "
                            "('queued', 'running')", [ceremony_id]).fetchone()
        raise Conflict("a print job for this ceremony is already running",
                       fields={"ceremony": "wait for the running print job"},
                       job_id=active[0] if active else None) from None
    return get(db, job_id)


def _plan(options: dict, who: dict[str, list[int]] | None = None) -> tuple[list[dict], list[dict]]:
    """Items in print order and their chunks. `who`: the cases each case kind is made for
    (all of them unless given)."""
    items, chunks = [], []
    for kind in options["kinds"]:
        if kind in CEREMONY_KINDS:
            items.append({"case_id": 0, "kind": kind, "position": 0, "chunk": kind})
            chunks.append({"chunk": kind, "kind": kind, "size": 1})
            continue
        case_ids = options["case_ids"] if who is None else who[kind]
        if not case_ids:
            continue
        count = math.ceil(len(case_ids) / CHUNK_SIZE)
        per = math.ceil(len(case_ids) / count)  # even chunks: 150 → 75 + 75, not 100 + 50
        for n in range(count):
            name = f"{kind}-{n + 1}"
            part = case_ids[n * per:(n + 1) * per]
            chunks.append({"chunk": name, "kind": kind, "size": len(part)})
            items += [{"case_id": c, "kind": kind, "position": n * per + i, "chunk": name}
                      for i, c in enumerate(part)]
    # The ceremony's own documents first (one letter each, the roster several pages):
    # queued last, they were the job's last conversions, with a core idle behind them.
    # Then the longest first, so the two converters finish together instead of one
    # working alone on the last big chunk (release reports run longest with the default
    # templates).
    chunks.sort(key=lambda c: (c["kind"] not in CEREMONY_KINDS,
                               -c["size"] * _WEIGHT.get(c["kind"], 1)))
    chunks.append({"chunk": ASSEMBLE, "kind": ASSEMBLE, "size": 0})
    return items, chunks


_WEIGHT = {"release_report": 3, "aid_receipt": 2, "transfer_receipt": 2, "pledge": 1}


def result_of(db, job_id) -> dict:
    """A finished job whose merged PDF still exists; Conflict while it is not done, Gone
    when its result was deleted (a woman in it was anonymised)."""
    from ..errors import Gone
    job = get(db, job_id)
    if job.get("result_removed"):
        raise Gone(RESULT_REMOVED_NOTE, fields={"result": job["result_removed"]})
    if job["state"] != "done":
        raise Conflict(f"the print job is {state(job)}, not done", fields={"state": state(job)})
    return job


def get(db, job_id) -> dict:
    rows = list(db["print_jobs"].rows_where("id = ?", [job_id]))
    if not rows:
        raise NotFound("no such print job")
    job = rows[0]
    job["options"] = json.loads(job["options"])
    return job


WAIT_MAX = 10.0  # seconds a progress request may wait for the job to move on


def next_change(db, job: dict, seconds: float, *, every: float = 0.05) -> dict:
    """The job once its state or count of letters done differs from `job`'s, or at once
    if it has ended, else as it is after `seconds`: a progress bar learns of each step
    (and of the end) when it happens, with one request instead of one every so often.
    Reads the database, which every process that works on the job writes."""
    deadline = time.monotonic() + min(seconds, WAIT_MAX)
    now = job
    while now["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(every)
        now = get(db, job["id"])
        if (now["state"], now["done"]) != (job["state"], job["done"]):
            break
    return now


def for_ceremony(db, ceremony_id: int, limit: int = 20) -> list[dict]:
    jobs = list(db["print_jobs"].rows_where("ceremony_id = ?", [ceremony_id],
                                            order_by="id DESC", limit=limit))
    for job in jobs:
        job["options"] = json.loads(job["options"])
    return jobs


def items(db, job_id: int, *, chunk: str | None = None, kind: str | None = None) -> list[dict]:
    sql, params = "SELECT * FROM print_job_items WHERE job_id = ?", [job_id]
    if chunk is not None:
        sql, params = sql + " AND chunk = ?", params + [chunk]
    if kind is not None:
        sql, params = sql + " AND kind = ?", params + [kind]
    return list(db.query(sql + " ORDER BY position, kind", params))


def job_cases(db, job: dict) -> dict[int, dict]:
    """The job's cases by id, with their destination; one removed from the ceremony since
    the job was made is still printed (her destination then her origin)."""
    cases = {c["id"]: c for c in records.cases(db, job["ceremony_id"])}
    for case_id in job["options"]["case_ids"]:
        if case_id not in cases:
            cases[case_id] = dict(get_case(db, case_id), destination="")
    return cases


def letters(db, job_id: int) -> list[dict]:
    """The job's items, each with its letter's row under "doc" (one query)."""
    rows = db.execute(
        "SELECT print_job_items.case_id AS item_case, print_job_items.kind AS item_kind, "
        "print_job_items.reused AS item_reused, documents.* FROM print_job_items "
        "JOIN documents ON documents.id = print_job_items.document_id "
        "WHERE print_job_items.job_id = ? ORDER BY print_job_items.position, print_job_items.kind",
        [job_id])
    names = [d[0] for d in rows.description]
    out = []
    for row in rows.fetchall():
        record = dict(zip(names, row))
        out.append({"case_id": record.pop("item_case"), "kind": record.pop("item_kind"),
                    "reused": record.pop("item_reused"), "doc": record})
    return out


def chunks(db, job_id: int) -> list[dict]:
    return list(db["print_job_chunks"].rows_where("job_id = ?", [job_id], order_by="rowid"))


# -- leases -----------------------------------------------------------------------------

def claim(db, job_id: int, chunk: str, me: str) -> str:
    """'go' (the chunk is ours now), 'done', 'inactive' (the job ended) or 'busy' (a live
    worker holds it)."""
    now = time.time()
    with write_transaction(db):
        job = db.execute("SELECT state FROM print_jobs WHERE id = ?", [job_id]).fetchone()
        row = db.execute("SELECT state, lease_owner, lease_until FROM print_job_chunks "
                         "WHERE job_id = ? AND chunk = ?", [job_id, chunk]).fetchone()
        if job is None or row is None or job[0] not in ("queued", "running"):
            return "inactive"
        state, holder, until = row
        if state == "done":
            return "done"
        if holder and holder != me and until and until > now and not leases.is_dead(holder):
            return "busy"
        db.execute("UPDATE print_job_chunks SET lease_owner = ?, lease_until = ?, "
                   "attempts = attempts + 1 WHERE job_id = ? AND chunk = ?",
                   [me, now + leases.LEASE_SECONDS, job_id, chunk])
        db.execute("UPDATE print_jobs SET state = 'running', started_at = COALESCE(started_at, ?), "
                   "updated_at = ? WHERE id = ?", [now_iso(), now_iso(), job_id])
    return "go"


def renew(held: set, db=None) -> None:
    """For the heartbeat: held is {(db_path, job_id, chunk, owner)} (db_path unused when
    a connection is given)."""
    for path in {h[0] for h in held}:
        conn = db or database.connect(path)
        try:
            with write_transaction(conn):
                for _, job_id, chunk, me in (h for h in held if h[0] == path):
                    conn.execute("UPDATE print_job_chunks SET lease_until = ? WHERE job_id = ? "
                                 "AND chunk = ? AND lease_owner = ?",
                                 [time.time() + leases.LEASE_SECONDS, job_id, chunk, me])
        finally:
            if db is None:
                conn.close()


def lease_left(db, job_id: int, chunk: str) -> float:
    row = db.execute("SELECT lease_until FROM print_job_chunks WHERE job_id = ? AND chunk = ?",
                     [job_id, chunk]).fetchone()
    return max(0.0, (row[0] or 0) - time.time()) if row else 0.0


def finish_chunk(db, job_id: int, chunk: str, *, pid: int, host: str) -> int | None:
    """Mark the chunk done (once) and count its letters; returns how many letter chunks
    are left, or None when it was done already (by a duplicate of this task)."""
    with write_transaction(db):
        return finish_chunk_in(db, job_id, chunk, pid=pid, host=host)


def finish_chunk_in(db, job_id: int, chunk: str, *, pid: int, host: str) -> int | None:
    """finish_chunk inside the caller's write transaction (accept.py: with the letters)."""
    changed = db.execute(
        "UPDATE print_job_chunks SET state = 'done', worker_pid = ?, worker_host = ?, "
        "finished_at = ?, lease_owner = NULL, lease_until = NULL "
        "WHERE job_id = ? AND chunk = ? AND state = 'todo'",
        [pid, host, now_iso(), job_id, chunk]).rowcount
    if not changed:
        return None
    db.execute("UPDATE print_jobs SET done = done + (SELECT size FROM print_job_chunks "
               "WHERE job_id = ? AND chunk = ?), updated_at = ? WHERE id = ?",
               [job_id, chunk, now_iso(), job_id])
    return db.execute("SELECT COUNT(*) FROM print_job_chunks WHERE job_id = ? AND "
                      "state = 'todo' AND chunk != ?", [job_id, ASSEMBLE]).fetchone()[0]


def unclaimed(db, job_id: int) -> int:
    """How many of the job's letter chunks still wait for a worker to claim them."""
    return db.execute("SELECT COUNT(*) FROM print_job_chunks WHERE job_id = ? AND "
                      "state = 'todo' AND chunk != ? AND lease_owner IS NULL",
                      [job_id, ASSEMBLE]).fetchone()[0]


def holds(db, job_id: int, chunk: str, lease: str) -> bool:
    """Whether `lease` still holds the chunk of a job still running, its letters not in."""
    row = db.execute(
        "SELECT 1 FROM print_job_chunks JOIN print_jobs ON print_jobs.id = print_job_chunks.job_id "
        "WHERE job_id = ? AND chunk = ? AND print_job_chunks.state = 'todo' AND lease_owner = ? "
        "AND print_jobs.state IN ('queued', 'running')", [job_id, chunk, lease]).fetchone()
    return row is not None


def complete(db, job_id: int, *, path: str, pages: int, sha256: str, pid: int, host: str) -> None:
    finish_chunk(db, job_id, ASSEMBLE, pid=pid, host=host)
    with write_transaction(db):
        db.execute("UPDATE print_jobs SET state = 'done', result_path = ?, pages = ?, sha256 = ?, "
                   "finished_at = ?, updated_at = ? WHERE id = ? AND state = 'running'",
                   [path, pages, sha256, now_iso(), now_iso(), job_id])


def index_hold(job_id: int) -> str:
    """What the job's letters wait under in the index outbox until the job drains them."""
    return f"print_job:{job_id}"


def fail(db, job_id: int, message: str) -> None:
    """The job stops; its letters that never got made keep their numbers on record as
    'failed' (never handed out again), like any interrupted letter; those it made go to
    the index without waiting for the job's end."""
    with write_transaction(db):
        _fail_in(db, job_id, message)


def _fail_in(db, job_id: int, message: str) -> None:
    """fail(), inside the caller's write transaction."""
    indexing.release(db, index_hold(job_id))
    db.execute("UPDATE print_jobs SET state = 'failed', error = ?, finished_at = ?, "
               "updated_at = ? WHERE id = ? AND state IN ('queued', 'running')",
               [message[:500], now_iso(), now_iso(), job_id])
    db.execute("UPDATE documents SET status = 'failed', error = 'print job failed', "
               "updated_at = ? WHERE status = 'pending' AND id IN "
               "(SELECT document_id FROM print_job_items WHERE job_id = ?)",
               [now_iso(), job_id])
    db.execute("UPDATE print_job_chunks SET lease_owner = NULL, lease_until = NULL "
               "WHERE job_id = ?", [job_id])


def cancel(db, job_id: int, user: dict | None) -> dict:
    """A person stops a queued or running job: like a failure (over, never resumed; its
    letters not yet made keep their numbers on record as 'failed'; those made stay valid)
    but recorded as cancelled, by whom. A chunk at work when this commits finds its claim
    gone (holds() asks for an active job) and records nothing. Conflict when it is over."""
    get(db, job_id)
    with write_transaction(db):
        changed = db.execute(
            "UPDATE print_jobs SET cancelled_at = ?, cancelled_by = ? WHERE id = ? AND "
            "state IN ('queued', 'running')",
            [now_iso(), user["id"] if user else None, job_id]).rowcount
        if changed:
            _fail_in(db, job_id, "cancelled")
    job = get(db, job_id)
    if not changed:
        raise Conflict(f"the print job is {state(job)}; only a queued or running job can be "
                       "cancelled", fields={"state": state(job)})
    return job


def state(job: dict) -> str:
    """queued, running, done, failed, or cancelled (a failed job a person stopped)."""
    return "cancelled" if job.get("cancelled_at") else job["state"]


def sent_to_printer(db, job_id: int, request_id: str) -> dict:
    """Record the printer's request id for the job (CUPS reports its state by it)."""
    db["print_jobs"].update(job_id, {"printer_job": request_id, "updated_at": now_iso()})
    return get(db, job_id)


def unfinished(db) -> list[dict]:
    """Jobs to resume when a worker starts: queued or running, with their open chunks."""
    jobs = list(db.query("SELECT id FROM print_jobs WHERE state IN ('queued', 'running') ORDER BY id"))
    return [{"id": j["id"], "chunks": [c["chunk"] for c in chunks(db, j["id"]) if c["state"] == "todo"]}
            for j in jobs]


def view(job: dict) -> dict:
    """The API's view: ids and counts only. A result deleted because a woman in it was
    anonymised (records/retention.py) says so in `result_removed`."""
    removed = job.get("result_removed")
    return {
        "id": job["id"], "ceremony_id": job["ceremony_id"], "state": state(job),
        "done": job["done"], "total": job["total"], "error": job["error"],
        "result_url": f"/api/v1/jobs/{job['id']}/result" if job["state"] == "done" and not removed
        else None,
        "result_removed": ({"reason": removed, "at": job.get("result_removed_at"),
                            "message": RESULT_REMOVED_NOTE} if removed else None),
        "pages": job["pages"],
        "options": {k: job["options"][k] for k in ("kinds", "copies", "duplex", "order")},
        "created_at": job["created_at"], "started_at": job["started_at"],
        "finished_at": job["finished_at"],
    }
