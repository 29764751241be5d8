"""LibreOffice faults seen through the HTTP API (issue 5, item 1). The pool-level cases
(SIGSTOP'd soffice, SIGKILL mid-conversion, zombies, recycling) are in
tests/test_convert.py; here a clerk's request meets them: a hang answers 504 JSON with a
clear message within the timeout, a worker busy past its timeout is killed the same way,
a crash is retried, a full queue answers 429 with Retry-After; the worker is replaced,
the next letter is made, its number follows, and no soffice is left a zombie."""

import os
import signal
import subprocess
import threading
import time

import docx
import pytest

from service import create_app
from service.letters.convert import ConversionTimeout, ConverterPool
from service.runtime import Runtime

TIMEOUT = 4  # seconds


def soffice_states() -> list[tuple[int, str]]:
    out = subprocess.run(["ps", "-eo", "pid=,stat=,comm="], capture_output=True, text=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines()]
    return [(int(pid), stat) for pid, stat, comm in rows if comm.startswith("soffice")]


def _ours_now() -> list[tuple[int, int, str, str]]:
    """(pid, ppid, stat, comm) of every process descended from this test process."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,stat=,comm="], capture_output=True, text=True).stdout
    rows = [(int(a), int(b), c, d.strip()) for a, b, c, d in (line.split(None, 3) for line in out.splitlines())]
    found, frontier = [], {os.getpid()}
    while frontier:
        children = [r for r in rows if r[1] in frontier]
        found += children
        frontier = {r[0] for r in children}
    return found


def zombies(settle: float = 5) -> int:
    """Zombie processes among ours (soffice, unoserver and their launchers); a process
    killed a moment ago is one until reaped, so give reaping a few seconds."""
    deadline = time.monotonic() + settle
    while True:
        count = sum("Z" in stat for _, _, stat, _ in _ours_now())
        if count == 0 or time.monotonic() > deadline:
            return count
        time.sleep(0.2)


def soffice_of(pool, worker=0) -> int:
    pgid = pool._workers[worker].proc.pid
    for _ in range(100):
        out = subprocess.run(["ps", "-eo", "pid=,pgid=,stat=,comm="], capture_output=True, text=True).stdout
        for line in out.splitlines():
            pid, group, stat, comm = line.split(None, 3)
            if int(group) == pgid and comm.strip() == "soffice.bin" and "Z" not in stat:
                return int(pid)
        time.sleep(0.1)
    raise AssertionError("no soffice.bin")


@pytest.fixture(scope="module")
def fault_pool(tmp_path_factory):
    pool = ConverterPool(1, tmp_path_factory.mktemp("fault-pool"), timeout=TIMEOUT, max_waiting=1)
    pool.start()
    yield pool
    pool.close()


@pytest.fixture
def api(settings, fault_pool, make_user_factory):
    runtime = Runtime(settings, pool=fault_pool)
    app = create_app({"archive": settings.archive, "base_url": settings.base_url, "TESTING": True},
                     runtime=runtime)
    client = app.test_client()
    headers = make_user_factory(settings)
    case = client.post("/api/v1/cases", headers=headers, json={"full_name": "Sulastri", "facility": "Km 12"}).json
    yield client, headers, case["id"]
    runtime.close()


@pytest.fixture
def make_user_factory():
    def make(settings):
        from service import db as database
        from service.auth.users import create_token, create_user
        conn = database.connect(settings.db_path)
        create_user(conn, "ani", "staff", "kata sandi yang panjang")
        token = create_token(conn, "ani")
        conn.close()
        return {"Authorization": f"Bearer {token}"}
    return make


def _letter(client, headers, case_id):
    began = time.monotonic()
    response = client.post(f"/api/v1/cases/{case_id}/documents", headers=headers, json={"kind": "pledge"})
    return response, time.monotonic() - began


def _wait_alive(pool):
    deadline = time.monotonic() + 90
    while pool.stats()["alive"] < pool.size:
        assert time.monotonic() < deadline, "worker not back"
        time.sleep(0.2)


def _after_the_fault(api, pool, restarts_before):
    client, headers, case_id = api
    response, _ = _letter(client, headers, case_id)  # waits for the replacement worker
    assert response.status_code == 201, response.json
    _wait_alive(pool)
    assert pool.stats()["restarts"] > restarts_before
    assert zombies() == 0
    return response.json


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["soffice stopped (SIGSTOP)", "unoserver worker stopped (SIGSTOP)"])
def test_a_hang_answers_504_within_the_timeout_then_the_next_letter_is_made(fault, api, fault_pool, db):
    client, headers, case_id = api
    _wait_alive(fault_pool)
    assert zombies() == 0
    restarts = fault_pool.stats()["restarts"]
    victim = soffice_of(fault_pool) if fault.startswith("soffice") else fault_pool._workers[0].proc.pid
    os.kill(victim, signal.SIGSTOP)
    response, took = _letter(client, headers, case_id)
    assert response.status_code == 504, response.json
    error = response.json["error"]
    assert error["code"] == "conversion_timeout" and f"longer than {TIMEOUT} s" in error["message"]
    assert "restarting" in error["message"]
    assert took < TIMEOUT + 3
    failed = db.execute("SELECT number, status, error FROM documents ORDER BY id DESC LIMIT 1").fetchone()
    assert failed[1] == "failed" and "longer than" in failed[2]  # its number stays on record
    letter = _after_the_fault(api, fault_pool, restarts)
    assert int(letter["number"].split("/")[1]) == int(failed[0].split("/")[1]) + 1
    assert victim not in {pid for pid, stat in soffice_states() if "Z" not in stat}


@pytest.mark.slow
def test_a_worker_busy_past_its_timeout_is_killed_and_replaced(fault_pool, tmp_path):
    """A document LibreOffice takes longer over than the timeout allows (a worker that
    sleeps past it): the conversion fails cleanly, the worker is replaced."""
    _wait_alive(fault_pool)
    long = docx.Document()
    for i in range(3000):
        long.add_paragraph(f"Surat pernyataan baris {i}. " * 6)
    long.save(tmp_path / "long.docx")
    small = docx.Document()
    small.add_paragraph("Surat pendek")
    small.save(tmp_path / "small.docx")
    restarts = fault_pool.stats()["restarts"]
    began = time.monotonic()
    with pytest.raises(ConversionTimeout, match="longer than 0.5 s"):
        fault_pool.convert(tmp_path / "long.docx", tmp_path / "long.pdf", timeout=0.5)
    assert time.monotonic() - began < 3
    assert not (tmp_path / "long.pdf").exists()
    fault_pool.convert(tmp_path / "small.docx", tmp_path / "small.pdf")
    assert (tmp_path / "small.pdf").read_bytes().startswith(b"%PDF")
    _wait_alive(fault_pool)
    assert fault_pool.stats()["restarts"] == restarts + 1 and zombies() == 0


@pytest.mark.slow
def test_a_crashed_soffice_is_replaced_and_the_letter_made(api, fault_pool):
    client, headers, case_id = api
    _wait_alive(fault_pool)
    restarts = fault_pool.stats()["restarts"]
    os.kill(soffice_of(fault_pool), signal.SIGKILL)
    response, _ = _letter(client, headers, case_id)
    assert response.status_code == 201, response.json
    _wait_alive(fault_pool)
    assert fault_pool.stats()["restarts"] > restarts and zombies() == 0


@pytest.mark.slow
def test_a_full_queue_answers_429_with_retry_after(api, fault_pool):
    client, headers, case_id = api
    _wait_alive(fault_pool)
    os.kill(soffice_of(fault_pool), signal.SIGSTOP)
    results = {}

    def letter(name):
        results[name] = _letter(client, headers, case_id)[0]

    stuck = threading.Thread(target=letter, args=("stuck",))
    stuck.start()
    deadline = time.monotonic() + 10
    while fault_pool.stats()["busy"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    waiter = threading.Thread(target=letter, args=("waiter",))
    waiter.start()
    while fault_pool.stats()["waiting"] < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    refused, took = _letter(client, headers, case_id)
    assert refused.status_code == 429 and took < 1
    assert refused.json["error"]["code"] == "queue_full" and int(refused.headers["Retry-After"]) >= 1
    stuck.join(60)
    waiter.join(60)
    assert results["stuck"].status_code == 504
    assert results["waiter"].status_code == 201
    _wait_alive(fault_pool)
    assert zombies() == 0
