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

from service import faults
from service.letters.convert import ConversionTimeout, ConverterPool, QueueFull
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


@pytest.mark.slow
def test_a_letter_let_in_keeps_its_place_while_others_fill_the_queue(api, fault_pool, monkeypatch,
                                                                     db, tmp_path):
    """Issue 14, item 5: the queue's check and the conversion are two steps, and here the
    queue fills exactly between them (at the letter's after_render point). The letter let
    in holds its place: it waits its turn and is made, the latecomer is refused instead,
    and no number is recorded as failed. (Before, the letter was refused at its conversion
    after its number was taken: a 429 that left a 'failed' row.)"""
    client, headers, case_id = api
    _wait_alive(fault_pool)
    monkeypatch.setattr(fault_pool, "timeout", 120)  # the worker holds a conversion until SIGCONT
    other_docx = docx.Document()
    other_docx.add_paragraph("Surat lain")
    other_docx.save(tmp_path / "other.docx")
    others: dict[str, str] = {}

    def other(name):
        try:
            fault_pool.convert(tmp_path / "other.docx", tmp_path / f"{name}.pdf")
            others[name] = "made"
        except QueueFull:
            others[name] = "refused"

    stopped = soffice_of(fault_pool)
    os.kill(stopped, signal.SIGSTOP)
    threads = [threading.Thread(target=other, args=(name,)) for name in ("busy", "late")]
    filled, crash_point = threading.Event(), faults.point

    def fill_the_queue(name):  # in the letter's thread: its number taken, its conversion next
        if name == "after_render":
            threads[0].start()
            wait_for(lambda: fault_pool.stats()["busy"] == 1, what="another conversion to hold the worker")
            threads[1].start()
            wait_for(lambda: fault_pool.stats()["waiting"] == 1 or "late" in others,
                     what="the latecomer to wait or be refused")
            filled.set()
        crash_point(name)

    monkeypatch.setattr(faults, "point", fill_the_queue)
    results = {}
    letter = threading.Thread(target=lambda: results.update(letter=_letter(client, headers, case_id)))
    letter.start()
    wait_for(filled.is_set, what="the queue to fill between the check and the conversion")
    # The worker goes on once the letter has its answer, or waits for the worker itself.
    wait_for(lambda: "letter" in results
             or (others.get("late") == "refused" and fault_pool.stats()["waiting"] == 1),
             what="the letter to be answered or to wait")
    os.kill(stopped, signal.SIGCONT)
    for t in (letter, *threads):
        t.join(60)
    response = results["letter"]
    failed = db.execute("SELECT count(*) FROM documents WHERE status = 'failed'").fetchone()[0]
    assert (response.status_code, failed) == (201, 0), response.json
    assert others == {"busy": "made", "late": "refused"}
    assert fault_pool.stats()["waiting"] == 0 and zombies() == []


def test_a_letter_that_fails_before_converting_gives_its_place_back(api, fault_pool, monkeypatch, db):
    """A place held from the queue's check is given back on every path: a letter that fails
    between the check and its conversion does not shrink the queue for good (with one
    worker and one place to wait, two places kept would refuse every letter after)."""
    client, headers, case_id = api
    _wait_alive(fault_pool)
    crash_point = faults.point

    def broken(name):
        if name == "after_render":
            raise RuntimeError("broken between the check and the conversion")
        crash_point(name)

    monkeypatch.setattr(faults, "point", broken)
    for _ in range(3):
        assert _letter(client, headers, case_id).status_code == 500
    assert fault_pool.stats()["held"] == 0
    assert db.execute("SELECT count(*) FROM documents WHERE status = 'failed'").fetchone()[0] == 3
    monkeypatch.setattr(faults, "point", crash_point)
    response = _letter(client, headers, case_id)
    assert response.status_code == 201, response.json
