"""Print jobs in real worker processes: killed with SIGKILL mid-job and restarted; two
workers sharing a job through Redis; `pulang serve` running jobs on its own."""

import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import urllib.request
from pathlib import Path

import pytest
from pypdf import PdfReader

from service import create_app
from service import db as database
from service.auth.users import create_token, create_user
from service.config import Settings
from service.runtime import Runtime
from tests.helpers import (
    PULANG,
    complete_office,
    free_port,
    job_consumer,
    numbers_taken,
    office_archive,
    pulang_serve,
    wait_for,
    wait_for_job,
)
from tests.test_ceremonies_data import make_cases, make_ceremony
from tests.test_jobs import CASE_KINDS, ceremony_docs, outline, start

pytestmark = pytest.mark.slow


class Worker:
    """`pulang worker` in its own process, logging to a file in the archive's parent."""

    def __init__(self, archive: Path, name: str, **env):
        self.log = archive.parent / f"{name}.log"
        self.env = dict(os.environ, PULANG_ARCHIVE=str(archive), **env)
        self.proc = None

    def start(self) -> "Worker":
        self._out = open(self.log, "ab")
        self.proc = subprocess.Popen([PULANG, "worker"], env=self.env, stdout=self._out,
                                     stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout=120) -> None:
        ready = re.compile(rf"worker {re.escape(os.uname().nodename)}:{self.proc.pid}:\S+ ready")

        def is_ready():
            assert self.proc.poll() is None, "worker exited: " + self.tail()
            return ready.search(self.log.read_text(errors="replace"))

        wait_for(is_ready, timeout, what="the worker to be ready", detail=self.tail)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._out.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


def _expected_outline(db, job_id, ceremony_id) -> list:
    """What the merged PDF's bookmarks must say, from the database alone."""
    job = db["print_jobs"].get(job_id)
    options = json.loads(job["options"])
    docs = {(d["for_case"] or 0, d["kind"]): d for d in ceremony_docs(db, ceremony_id)
            if d["status"] == "valid"}
    people = []
    for no, case_id in enumerate(options["case_ids"], start=1):
        name = db["cases"].get(case_id)["full_name"]
        kids = []
        for kind in options["kinds"]:
            if (case_id, kind) in docs:
                copies = options["copies"][kind]
                kids += [docs[(case_id, kind)]["number"]] * copies
        people.append((f"{no}. {name}", kids))
    return people


def _check_result(db, archive, job_id, ceremony_id, cases):
    job = db["print_jobs"].get(job_id)
    assert job["state"] == "done", job
    docs = ceremony_docs(db, ceremony_id)
    # Exactly one archived letter per woman and kind; nothing left pending or failed.
    assert sorted((d["for_case"] or 0, d["kind"]) for d in docs) == sorted(
        [(c, k) for c in cases for k in CASE_KINDS] + [(0, "aid_roster"), (0, "ceremony_report")])
    assert {d["status"] for d in docs} == {"valid"}
    assert db.execute("SELECT COUNT(*) FROM documents WHERE status != 'valid'").fetchone()[0] == 0
    # Distinct numbers, and no number taken and thrown away: each sequence is 1..n.
    assert len({d["number"] for d in docs}) == len(docs)
    taken = numbers_taken(db)
    for register, seqs in taken.items():
        assert seqs == list(range(1, len(seqs) + 1)), register
    assert sum(len(seqs) for seqs in taken.values()) == len(docs)
    for doc in docs:
        assert (archive / doc["path"]).is_file()
    # The merged PDF: page count and bookmarks match the archive.
    reader = PdfReader(archive / job["result_path"])
    options = json.loads(job["options"])
    by_key = {(d["for_case"] or 0, d["kind"]): d for d in docs}
    order = [(c, k) for c in options["case_ids"] for k in CASE_KINDS] + \
        [(0, "aid_roster"), (0, "ceremony_report")]
    marks = outline(reader)
    page = marks[1][1]  # the first woman's first page: the cover (and its blank) before
    for key in order:
        for _ in range(options["copies"][key[1]]):
            page += page % 2 if options["duplex"] else 0
            page += by_key[key]["pages"]
    assert len(reader.pages) == job["pages"] == page
    want = _expected_outline(db, job_id, ceremony_id)
    got = [(title, [kid.split(" ")[-1] if "salinan" not in kid else kid.split(" ")[-3]
                    for kid, _ in kids]) for title, _, kids in marks[1:1 + len(cases)]]
    assert got == want
    return reader, marks


@pytest.fixture
def quiet_app(settings):
    """An app whose runtime has no converter pool: work happens in the worker processes."""
    rt = Runtime(settings)
    app = create_app({"archive": settings.archive, "base_url": settings.base_url,
                      "TESTING": True}, runtime=rt)
    _complete_office(settings)
    yield app
    rt.close()


def _complete_office(settings) -> None:
    db = database.connect(settings.db_path)
    try:
        complete_office(db)
    finally:
        db.close()


def _headers(settings) -> dict:
    db = database.connect(settings.db_path)
    name = f"clerk{random.randrange(10**6)}"
    create_user(db, name, "staff", "correct horse battery")
    token = create_token(db, name)
    db.close()
    return {"Authorization": f"Bearer {token}"}


def _moments(db, job_id, pid):
    """Points in a worker's work to kill it at, each a condition to wait for: it holds a
    chunk; numbers are reserved for letters not made yet; one more chunk is done."""
    def count_done():
        return db.execute("SELECT COUNT(*) FROM print_job_chunks WHERE job_id = ? AND state = 'done'",
                          [job_id]).fetchone()[0]
    done_before = count_done()
    return {
        "holding a chunk": lambda: db.execute(
            "SELECT 1 FROM print_job_chunks WHERE job_id = ? AND lease_owner LIKE ?",
            [job_id, f"%:{pid}:%"]).fetchone(),
        "numbers reserved": lambda: db.execute(
            "SELECT 1 FROM documents WHERE status = 'pending'").fetchone(),
        "a chunk done": lambda: count_done() > done_before,
    }


def test_killed_worker_resumes_without_duplicates(quiet_app, settings):
    client, headers = quiet_app.test_client(), _headers(settings)
    cases = make_cases(client, headers, 16)
    ceremony = make_ceremony(client, headers, cases)
    job_id = start(client, headers, ceremony["id"])
    db = database.connect(settings.db_path)
    rng = random.Random()
    worker = Worker(settings.archive, "worker", PULANG_POOL_SIZE="1")

    def job_done():
        return db["print_jobs"].get(job_id)["state"] in ("done", "failed")

    kills = []
    try:
        for _ in range(3):
            worker.start().wait_ready()
            # Kill once this worker has the job in hand, at a moment picked at random.
            moments = _moments(db, job_id, worker.proc.pid)
            moment = rng.choice(list(moments))
            for name in ("holding a chunk", moment):
                wait_for(lambda: moments[name]() or job_done(), 120, what=name, detail=worker.tail)
            if not job_done():
                kills.append(moment)
            worker.kill()
        assert kills, "the job finished before any kill; make it longer"
        print("killed:", kills)
        worker.start().wait_ready()
        wait_for(job_done, 180, what="the job to finish", detail=worker.tail)
    finally:
        worker.stop()
    _check_result(db, settings.archive, job_id, ceremony["id"], cases)
    # Three workers (at least) died holding chunks; their pool folders went with them.
    attempts = sum(r["attempts"] for r in db["print_job_chunks"].rows_where("job_id = ?", [job_id]))
    assert attempts > len(list(db["print_job_chunks"].rows_where("job_id = ?", [job_id])))
    db.close()


@pytest.fixture
def redis_url(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    def answers():
        try:
            return redis.Redis.from_url(url).ping()
        except redis.ConnectionError:
            return False

    wait_for(answers, 30, what="redis-server to answer")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def _archive_with_ceremony(root: Path, pool, count: int, **settings_extra):
    settings = Settings.from_env(archive=root / "archive", base_url="http://pulang.test",
                                 **settings_extra)
    rt = Runtime(settings, pool=pool) if pool else Runtime(settings)
    app = create_app({"archive": settings.archive, "base_url": settings.base_url,
                      "TESTING": True}, runtime=rt)
    _complete_office(settings)
    client, headers = app.test_client(), _headers(settings)
    cases = make_cases(client, headers, count)
    ceremony = make_ceremony(client, headers, cases)
    return settings, rt, client, headers, cases, ceremony


def _unnumbered(marks: list) -> list:
    """An outline with its letter numbers ("400/021/DINSOS/2026") left out."""
    number = re.compile(r"\b\d{3}(?:\.\d+)*/\d+/\S+/\d{4}\b")
    return [(number.sub("<nomor>", title), page, [(number.sub("<nomor>", t), p) for t, p in kids])
            for title, page, kids in marks]


def test_two_workers_share_a_job_through_redis(tmp_path, redis_url, converter_pool):
    # The office with Redis: two worker processes, one chunk at a time each.
    settings, rt, client, headers, cases, ceremony = _archive_with_ceremony(
        tmp_path / "redis", None, 10, queue_url=redis_url)
    env = {"PULANG_QUEUE_URL": redis_url, "PULANG_POOL_SIZE": "1", "PULANG_JOB_WORKERS": "1"}
    workers = [Worker(settings.archive, f"worker{i}", **env).start() for i in range(2)]
    try:
        for w in workers:
            w.wait_ready()
        job_id = start(client, headers, ceremony["id"], duplex=True)
        wait_for_job(client, headers, job_id)
    finally:
        for w in workers:
            w.stop()
    db = database.connect(settings.db_path)
    took_part = {r["worker_pid"] for r in db["print_job_chunks"].rows_where("job_id = ?", [job_id])}
    assert took_part == {w.proc.pid for w in workers}
    redis_reader, redis_marks = _check_result(db, settings.archive, job_id, ceremony["id"], cases)
    rt.close()

    # The same office on the default SQLite queue, a consumer in this process.
    settings2, rt2, client2, headers2, cases2, ceremony2 = _archive_with_ceremony(
        tmp_path / "sqlite", converter_pool, 10)
    db2 = database.connect(settings2.db_path)
    with job_consumer(rt2, db2):
        job2, _ = wait_for_job(client2, headers2, start(client2, headers2, ceremony2["id"], duplex=True))
    sqlite_reader = PdfReader(settings2.archive / db2["print_jobs"].get(job2["id"])["result_path"])
    assert len(sqlite_reader.pages) == len(redis_reader.pages)
    # The same papers in the same places. The numbers may differ: one office-wide register
    # numbers chunks in the order they are prepared, which two workers choose by claiming.
    assert _unnumbered(outline(sqlite_reader)) == _unnumbered(redis_marks)
    rt2.close()


def test_serve_runs_print_jobs_itself(tmp_path):
    port = free_port()
    office = office_archive(tmp_path / "served", port)
    token = office.token

    with pulang_serve(office.env, port, tmp_path / "serve.log") as base:
        def call(method, path, body=None):
            request = urllib.request.Request(
                base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()

        # At start the server makes invented letters of every kind and drops them
        # (ceremonies/warmup.py): the first job then finds every template made ready and
        # combined, and the archive holds nothing of them.
        wait_for(lambda: "warmed up: 10 invented letters of 6 kinds" in
                 (tmp_path / "serve.log").read_text(), 60, what="the warm-up")
        cache = tmp_path / "served" / "run" / "templates"
        warmed = sorted(p.name for p in cache.iterdir())
        db = database.connect(tmp_path / "served" / "pulang.db")
        assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
        db.close()
        assert not list((tmp_path / "served" / "documents").rglob("*.pdf"))

        _, body = call("POST", "/api/v1/cases", {"full_name": "Sulastri", "facility": "Km 12"})
        case_id = json.loads(body)["id"]
        call("POST", f"/api/v1/cases/{case_id}/aid", {"kind": "ticket", "amount": 350000,
                                                       "source": "APBD 2024"})
        _, body = call("POST", "/api/v1/ceremonies", {"title": "Pelepasan", "date": "2024-07-31",
                                                      "place": "Aula", "case_ids": [case_id]})
        ceremony_id = json.loads(body)["id"]
        status, body = call("POST", f"/api/v1/ceremonies/{ceremony_id}/print",
                            {"kinds": ["pledge", "aid_receipt", "release_report", "aid_roster",
                                       "ceremony_report"]})
        assert status == 202
        job_id = json.loads(body)["job_id"]

        def finished():
            job = json.loads(call("GET", f"/api/v1/jobs/{job_id}")[1])
            assert job["state"] != "failed", job
            return job if job["state"] == "done" else None

        job = wait_for(finished, 120, what="the print job to finish")
        status, data = call("GET", job["result_url"])
        assert status == 200 and len(PdfReader(io.BytesIO(data)).pages) == job["pages"]
        assert sorted(p.name for p in cache.iterdir()) == warmed  # nothing made for the job
        db = database.connect(tmp_path / "served" / "pulang.db")
        taken = numbers_taken(db)
        db.close()
        assert taken and all(seqs == list(range(1, len(seqs) + 1)) for seqs in taken.values())
