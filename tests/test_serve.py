"""`pulang` as an office runs it: init, users and tokens from the command line, then the
real server (waitress + warm LibreOffice pool) under concurrent clients."""

import concurrent.futures
import json
import os
import re
import sqlite3
import subprocess
import urllib.request
from pathlib import Path

import pytest

from service.letters.priority import BACKGROUND_NICE
from tests.helpers import PULANG, free_port, office_archive, pulang_serve, wait_for


def _call(base, method, path, token, body=None):
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    archive = tmp_path_factory.mktemp("served") / "archive"
    port = free_port()
    office = office_archive(archive, port, pool_size=2)
    assert re.search(r"password: \S{12,}", office.init)
    again = subprocess.run([PULANG, "init"], env=office.env, capture_output=True, text=True, check=True)
    assert "password" not in again.stdout  # shown once only
    with pulang_serve(office.env, port, archive / "serve.log", timeout=90) as base:
        yield base, office.token, office.env, archive


def test_healthz_reports_the_pool(served):
    base, token, *_ = served
    with urllib.request.urlopen(base + "/healthz") as r:
        assert json.loads(r.read()) == {"status": "ok"}  # anonymous: up, nothing more
    request = urllib.request.Request(base + "/healthz", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request) as r:
        body = json.loads(r.read())
    assert body["converter"]["alive"] == 2


def test_passwords_are_hashed_at_full_cost(served):
    """The test process hashes cheaply (tests/conftest.py); the service never does."""
    from argon2 import extract_parameters, profiles
    *_, archive = served
    db = sqlite3.connect(archive / "pulang.db")
    hashes = [row[0] for row in db.execute("SELECT password_hash FROM users")]
    db.close()
    assert len(hashes) == 2  # the admin made by `pulang init`, and ani
    assert all(extract_parameters(h) == profiles.RFC_9106_LOW_MEMORY for h in hashes)


@pytest.mark.slow
def test_64_letters_from_8_clients_get_64_consecutive_numbers(served):
    # Eight letters a client are enough for every client to wait on the others for a
    # number and a converter many times over; more letters only cost time.
    base, token, *_ = served
    status, case = _call(base, "POST", "/api/v1/cases", token, {"full_name": "Sulastri", "facility": "Km 12"})
    assert status == 201

    def make_letter(_):
        return _call(base, "POST", f"/api/v1/cases/{case['id']}/documents", token, {"kind": "pledge"})

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(make_letter, range(64)))
    assert [status for status, _ in results] == [201] * 64, [r for r in results if r[0] != 201][:3]
    seqs = sorted(int(body["number"].split("/")[1]) for _, body in results)
    assert seqs == list(range(seqs[0], seqs[0] + 64))
    assert len({body["number"] for _, body in results}) == 64


def test_server_log_holds_no_names(served):
    base, token, _env, archive = served
    _call(base, "POST", "/api/v1/cases", token, {"full_name": "Nurhayati Rahasia", "facility": "Km 12",
                                                  "nik": "1571014107900001", "allow_duplicate": True})
    log = (archive / "serve.log").read_text()
    assert "Rahasia" not in log and "1571014107900001" not in log


def _nice(stat_path: Path) -> int:
    return int(stat_path.read_text().rsplit(")", 1)[1].split()[16])  # field 19: nice


def _serve_pid(archive: Path) -> int:
    """The `pulang serve` process of this archive (the tests start it as a child)."""
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
            environ = (proc / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in argv and f"PULANG_ARCHIVE={archive}".encode() in environ:
            return int(proc.name)
    raise AssertionError("no pulang serve process for this archive")


def _descendants(pid: int) -> list[int]:
    children = [int(c) for t in Path(f"/proc/{pid}/task").iterdir()
                for c in (t / "children").read_text().split()]
    return children + [d for c in children for d in _descendants(c)]


def test_background_work_runs_at_a_lower_priority(served):
    """Issue 14, item 5: LibreOffice and the print-job and scan threads run at nice 10
    (service/letters/priority.py); the web's threads stay at 0, so a clerk's page is
    served first when both cores are busy with a ceremony."""
    *_, archive = served
    serve = _serve_pid(archive)
    # The start's warm-up (ceremonies/warmup.py) runs at nice 10 too, then ends.
    wait_for(lambda: "warmed up" in (archive / "serve.log").read_text(), 60, what="the warm-up")
    soffice = [p for p in _descendants(serve)
               if Path(f"/proc/{p}/comm").read_text().strip() == "soffice.bin"]
    assert len(soffice) == 2
    assert [_nice(Path(f"/proc/{p}/stat")) for p in soffice] == [BACKGROUND_NICE] * 2
    threads = [_nice(t / "stat") for t in Path(f"/proc/{serve}/task").iterdir()]
    # The embedded consumers: pool size + 2 print-job threads, one scan reader. Waitress's
    # threads, the main thread and the index writer stay at 0.
    assert threads.count(BACKGROUND_NICE) == 2 + 2 + 1
    assert threads.count(0) >= 4


def test_stamping_processes_run_at_a_lower_priority():
    from service.letters import processes
    assert processes.run_many([(os.getpriority, (os.PRIO_PROCESS, 0))] * 2) == [BACKGROUND_NICE] * 2
