"""The print-job task (service/ceremonies/tasks.py) in huey's immediate mode: no consumer,
enqueueing runs the task at once in the caller's thread, with the real runner, real
LibreOffice, files, SQLite and index. The crash and multi-worker behaviour is tested with
real consumers in tests/test_jobs.py, tests/test_jobs_workers.py and tests/test_trust_crash.py."""

import io
import os
import signal
import time
from datetime import timezone

import pytest
from pypdf import PdfReader

from service.ceremonies import leases, printjobs
from service.ceremonies.queue import JobQueue, consumer, queue_for
from service.ceremonies.tasks import PRINT_CHUNK
from service.letters.processes import start_time
from tests.helpers import pdftotext
from tests.test_ceremonies_data import make_cases, make_ceremony


@pytest.fixture
def immediate(runtime):
    """The app's own queue, switched to immediate mode the way huey documents for tests."""
    queue = queue_for(runtime)
    queue.huey.immediate = True
    yield queue
    queue.huey.immediate = False


def test_a_small_print_job_is_done_when_the_request_returns(client, staff, immediate, db, runtime):
    cases = make_cases(client, staff, 2, tricky=False)
    ceremony = make_ceremony(client, staff, cases)
    response = client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=staff,
                           json={"kinds": ["pledge", "release_report"]})
    assert response.status_code == 202, response.json
    job = client.get(f"/api/v1/jobs/{response.json['job_id']}", headers=staff).json
    assert job["state"] == "done", job
    assert job["total"] == job["done"] == 4

    data = client.get(job["result_url"], headers=staff).data
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == job["pages"]
    docs = list(db.query("SELECT documents.number, documents.status FROM ceremony_documents JOIN "
                         "documents ON documents.id = ceremony_documents.document_id "
                         "WHERE ceremony_documents.ceremony_id = ?", [ceremony["id"]]))
    assert len(docs) == 4 and {d["status"] for d in docs} == {"valid"}
    text = " ".join(pdftotext(data).split())
    for doc in docs:  # every letter, stamped with its own number, is in the merged PDF
        assert doc["number"] in text
    assert runtime.index.search(kind="pledge").total_cases == 2
    assert immediate.huey.pending_count() == 0 and immediate.huey.scheduled_count() == 0


def test_a_chunk_held_by_a_live_worker_is_tried_again_when_its_lease_runs_out(
        client, staff, db, runtime, settings):
    cases = make_cases(client, staff, 2, tricky=False)
    ceremony = make_ceremony(client, staff, cases)
    job = printjobs.create(db, ceremony["id"], {"kinds": ["pledge"]}, None, "http://pulang.test")
    (chunk,) = [c["chunk"] for c in printjobs.chunks(db, job["id"]) if c["chunk"] != printjobs.ASSEMBLE]
    # Another live process on this machine (our parent) holds the chunk for ten minutes.
    parent = os.getppid()
    holder = f"{leases.HOST}:{parent}:{start_time(parent)}:1"
    assert not leases.is_dead(holder)
    until = time.time() + 600
    db.execute("UPDATE print_job_chunks SET lease_owner = ?, lease_until = ? WHERE job_id = ? "
               "AND chunk = ?", [holder, until, job["id"], chunk])
    db.commit()

    queue = JobQueue(settings, lambda: runtime, immediate=True)
    queue.enqueue(job["id"], [chunk])  # runs now: finds the chunk busy, schedules itself

    (task,) = queue.huey.scheduled()
    assert task.name == PRINT_CHUNK and task.args == (job["id"], chunk)
    eta = task.eta.replace(tzinfo=timezone.utc).timestamp()  # huey keeps naive UTC times
    assert until < eta < until + 60  # once the lease has run out, not before
    assert printjobs.get(db, job["id"])["state"] == "queued"
    assert db.execute("SELECT count(*) FROM ceremony_documents").fetchone()[0] == 0  # no number taken


def test_an_embedded_consumer_leaves_the_process_signal_handlers_alone(settings, db):
    """Inside `pulang serve` the server owns SIGTERM and SIGINT; huey's handlers, which only
    Consumer.run() would act on, must not replace them."""
    def ours(signum, frame):  # pragma: no cover - never delivered
        pass

    watched = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    before = {s: signal.getsignal(s) for s in watched}
    signal.signal(signal.SIGTERM, ours)
    try:
        expected = {s: signal.getsignal(s) for s in watched}
        jobs = consumer(JobQueue(settings, lambda: None), db, workers=1, embedded=True)
        try:
            assert {s: signal.getsignal(s) for s in watched} == expected
        finally:
            jobs.stop(graceful=True)
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
