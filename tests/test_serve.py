"""`pulang` as an office runs it: init, users and tokens from the command line, then the
real server (waitress + warm LibreOffice pool) under concurrent clients."""

import concurrent.futures
import json
import re
import sqlite3
import subprocess
import urllib.request

import pytest

from tests.helpers import PULANG, free_port, office_archive, pulang_serve


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
def test_200_letters_from_8_clients_get_200_consecutive_numbers(served):
    base, token, *_ = served
    status, case = _call(base, "POST", "/api/v1/cases", token, {"full_name": "Sulastri", "facility": "Km 12"})
    assert status == 201

    def make_letter(_):
        return _call(base, "POST", f"/api/v1/cases/{case['id']}/documents", token, {"kind": "pledge"})

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(make_letter, range(200)))
    assert [status for status, _ in results] == [201] * 200, [r for r in results if r[0] != 201][:3]
    seqs = sorted(int(body["number"].split("/")[1]) for _, body in results)
    assert seqs == list(range(seqs[0], seqs[0] + 200))
    assert len({body["number"] for _, body in results}) == 200


def test_server_log_holds_no_names(served):
    base, token, _env, archive = served
    _call(base, "POST", "/api/v1/cases", token, {"full_name": "Nurhayati Rahasia", "facility": "Km 12",
                                                  "nik": "1571014107900001", "allow_duplicate": True})
    log = (archive / "serve.log").read_text()
    assert "Rahasia" not in log and "1571014107900001" not in log
