"""LibreOffice faults seen through the HTTP API (issue 5, item 1). The pool-level cases
(SIGSTOP'd soffice, SIGKILL mid-conversion, zombies, recycling) are in
tests/test_convert.py; here a clerk's request meets them: a hang answers 504 JSON with a
clear message within the timeout, a worker busy past its timeout is killed the same way,
a crash is retried, a full queue answers 429 with Retry-After; the worker is replaced,
the next letter is made, its number follows, and no soffice is left a zombie."""

import os
import signal
import threading

import docx
import pytest

from service.letters.convert import ConversionTimeout, ConverterPool
from tests.helpers import alive, soffice_of, wait_for, zombies

TIMEOUT = 4  # seconds


@pytest.fixture(scope="module")
def fault_pool(tmp_path_factory):
    pool = ConverterPool(1, tmp_path_factory.mktemp("fault-pool"), timeout=TIMEOUT, max_waiting=1)
    pool.start()
    yield pool
    pool.close()


@pytest.fixture
def converter_pool(fault_pool):
    """Here the conftest's app, client and runtime convert with the fault pool."""
    return fault_pool


@pytest.fixture
def api(client, staff):
    case = client.post("/api/v1/cases", headers=staff, json={"full_name": "Sulastri", "facility": "Km 12"}).json
    return client, staff, case["id"]


def _letter(client, headers, case_id):
    return client.post(f"/api/v1/cases/{case_id}/documents", headers=headers, json={"kind": "pledge"})


def _wait_alive(pool):
    wait_for(lambda: pool.stats()["alive"] == pool.size, 90, what="the worker to be back",
             detail=pool.stats)


def _after_the_fault(api, pool, restarts_before):
    client, headers, case_id = api
    response = _letter(client, headers, case_id)  # waits for the replacement worker
    assert response.status_code == 201, response.json
    _wait_alive(pool)
    assert pool.stats()["restarts"] > restarts_before
    assert zombies() == []
    return response.json


@pytest.mark.slow
@pytest.mark.parametrize("fault", ["soffice stopped (SIGSTOP)", "unoserver worker stopped (SIGSTOP)"])
def test_a_hang_answers_504_within_the_timeout_then_the_next_letter_is_made(fault, api, fault_pool, db):
    client, headers, case_id = api
    _wait_alive(fault_pool)
    assert zombies() == []
    restarts = fault_pool.stats()["restarts"]
    victim = soffice_of(fault_pool) if fault.startswith("soffice") else fault_pool._workers[0].proc.pid
    os.kill(victim, signal.SIGSTOP)
    response = _letter(client, headers, case_id)
    assert response.status_code == 504, response.json
    error = response.json["error"]  # the watchdog's answer: it fires at the timeout
    assert error["code"] == "conversion_timeout" and f"longer than {TIMEOUT} s" in error["message"]
    assert "restarting" in error["message"]
    failed = db.execute("SELECT number, status, error FROM documents ORDER BY id DESC LIMIT 1").fetchone()
    assert failed[1] == "failed" and "longer than" in failed[2]  # its number stays on record
    letter = _after_the_fault(api, fault_pool, restarts)
    assert int(letter["number"].split("/")[1]) == int(failed[0].split("/")[1]) + 1
    assert not alive(victim)


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
    with pytest.raises(ConversionTimeout, match="longer than 0.5 s"):
        fault_pool.convert(tmp_path / "long.docx", tmp_path / "long.pdf", timeout=0.5)
    assert not (tmp_path / "long.pdf").exists()
    fault_pool.convert(tmp_path / "small.docx", tmp_path / "small.pdf")
    assert (tmp_path / "small.pdf").read_bytes().startswith(b"%PDF")
    _wait_alive(fault_pool)
    assert fault_pool.stats()["restarts"] == restarts + 1 and zombies() == []


@pytest.mark.slow
def test_a_crashed_soffice_is_replaced_and_the_letter_made(api, fault_pool):
    client, headers, case_id = api
    _wait_alive(fault_pool)
    restarts = fault_pool.stats()["restarts"]
    os.kill(soffice_of(fault_pool), signal.SIGKILL)
    response = _letter(client, headers, case_id)
    assert response.status_code == 201, response.json
    _wait_alive(fault_pool)
    assert fault_pool.stats()["restarts"] > restarts and zombies() == []


@pytest.mark.slow
def test_a_full_queue_answers_429_with_retry_after(api, fault_pool, monkeypatch, db):
    client, headers, case_id = api
    _wait_alive(fault_pool)
    # The worker holds the first letter until SIGCONT, however slow the machine: no timeout.
    monkeypatch.setattr(fault_pool, "timeout", 120)
    stopped = soffice_of(fault_pool)
    os.kill(stopped, signal.SIGSTOP)
    results = {}

    def letter(name):
        results[name] = _letter(client, headers, case_id)

    stuck = threading.Thread(target=letter, args=("stuck",))
    stuck.start()
    wait_for(lambda: fault_pool.stats()["busy"] == 1, what="the first letter to hold the worker")
    waiter = threading.Thread(target=letter, args=("waiter",))
    waiter.start()
    wait_for(lambda: fault_pool.stats()["waiting"] == 1, what="the second letter to wait")
    numbers_before = db.execute("SELECT count(*) FROM documents").fetchone()[0]
    refused = _letter(client, headers, case_id)
    assert refused.status_code == 429
    # Refused before a number was taken: nothing in the register, not even a failed row.
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == numbers_before
    assert db.execute("SELECT count(*) FROM documents WHERE status = 'failed'").fetchone()[0] == 0
    assert fault_pool.stats()["waiting"] == 1  # the refused request did not wait
    assert refused.json["error"]["code"] == "queue_full" and int(refused.headers["Retry-After"]) >= 1
    os.kill(stopped, signal.SIGCONT)
    stuck.join(60)
    waiter.join(60)
    assert results["stuck"].status_code == 201
    assert results["waiter"].status_code == 201  # it had its turn
    assert zombies() == []
