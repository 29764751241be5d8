"""The real server (`pulang serve`: waitress, warm LibreOffice pool, index writer thread)
as an office runs it (issue 5, items 7 and 8): a backup taken while clerks print, and a
sweep for the woman's name and NIK wherever they must never appear (logs, file names,
URLs, QR codes, the public verification page), with the security headers on every kind
of response. The browser test (tests/test_browser.py) checks the URLs a real browser
requested the same way."""

import concurrent.futures
import http.cookiejar
import json
import re
import sqlite3
import subprocess
import urllib.error
import urllib.request

import pytest

from service.records.storage import sha256_file
from tests.helpers import (PULANG, backup_contents, free_port, office_archive, pulang_serve, qr_payloads,
                           wait_for)

NAME, NIK = "Kartini Wulandari", "1571014107900001"
SECRETS = ("Kartini", "Wulandari", NIK, NIK[:12], NIK[4:])
visited: list[str] = []  # every URL this module asked the server for


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # answer the 3xx itself, so its headers can be checked


NO_REDIRECT = urllib.request.build_opener(_NoRedirect())


def call(base, method, path, token=None, body=None, headers=None, opener=None):
    """(status, headers, raw body). Records the URL."""
    visited.append(base + path)
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={**({"Authorization": f"Bearer {token}"} if token else {}),
                 "Content-Type": "application/json", **(headers or {})})
    try:
        with (opener or urllib.request.build_opener()).open(request, timeout=120) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    archive = tmp_path_factory.mktemp("trust-served") / "archive"
    port = free_port()
    office = office_archive(archive, port, role="supervisor", PULANG_BASE_URL=f"http://127.0.0.1:{port}")
    log_path = archive.parent / "serve.log"  # outside the archive: it is backed up whole
    with pulang_serve(office.env, port, log_path) as base:
        yield {"base": base, "token": office.token, "env": office.env, "archive": archive, "log": log_path}


@pytest.fixture(scope="module")
def her_letters(served):
    """A case with her name and NIK, aid, and all three letters, made over HTTP."""
    base, token = served["base"], served["token"]
    status, _, body = call(base, "POST", "/api/v1/cases", token, {
        "full_name": NAME, "nik": NIK, "birth_place": "Jambi", "birth_date": "1990-07-01",
        "origin_address": "Jl. Melati 7", "origin_region": "Kediri", "facility": "Payo Sigadung",
        "release_date": "2026-11-30", "release_place": "Aula Dinas Sosial"})  # for the report
    assert status == 201, body
    case = json.loads(body)
    assert call(base, "POST", f"/api/v1/cases/{case['id']}/aid", token,
                {"kind": "ticket", "amount": 1_500_000})[0] == 201
    docs = []
    for kind in ("pledge", "aid_receipt", "release_report"):
        status, _, body = call(base, "POST", f"/api/v1/cases/{case['id']}/documents", token, {"kind": kind})
        assert status == 201, body
        docs.append(json.loads(body))
    return case, docs


def test_her_name_and_nik_appear_in_no_log_file_name_url_qr_or_public_page(served, her_letters):
    base, token, archive = served["base"], served["token"], served["archive"]
    case, docs = her_letters
    seen: dict[str, str] = {}  # where → text that must not hold her identity

    for doc in docs:
        status, _, pdf = call(base, "GET", f"/api/v1/documents/{doc['id']}/pdf", token)
        assert status == 200 and pdf.startswith(b"%PDF")
        payloads = qr_payloads(pdf)
        assert payloads == [doc["verify_url"] + "/1"]  # page 1's QR (issue 13)
        seen[f"QR of {doc['kind']}"] = payloads[0]
        path = payloads[0].removeprefix(base)
        status, _, page = call(base, "GET", path)
        assert status == 200 and doc["number"] in page.decode()
        seen[f"verification page of {doc['kind']}"] = page.decode()
        status, _, info = call(base, "GET", path, headers={"Accept": "application/json"})
        assert status == 200 and json.loads(info)["sha256"] == doc["sha256"]
        seen[f"verification JSON of {doc['kind']}"] = info.decode()
    # The reads that put her on screens: the API, a search, and the web pages.
    assert call(base, "GET", f"/api/v1/cases/{case['id']}", token)[0] == 200
    status, _, found = call(base, "POST", "/api/v1/search", token, {"q": "Kartini Wulandari"})
    assert status == 200 and json.loads(found)["total_cases"] >= 1
    jar = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    _, _, login_page = call(base, "GET", "/login", opener=jar)
    csrf = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1).decode()
    form = f"csrf_token={csrf}&username=ani&password=kata+sandi+yang+panjang".encode()
    visited.append(base + "/login")
    jar.open(urllib.request.Request(base + "/login", data=form, method="POST"), timeout=30).read()
    status, _, page = call(base, "GET", f"/cases/{case['id']}", opener=jar)
    assert status == 200 and NIK in page.decode()  # the case page is the one place for it
    for doc in docs:
        assert call(base, "GET", f"/documents/{doc['id']}/preview.png", opener=jar)[0] == 200

    seen["URLs requested"] = "\n".join(visited)
    seen["server log"] = served["log"].read_text(errors="replace")
    for log_file in archive.rglob("*.log"):
        seen[f"log {log_file.relative_to(archive)}"] = log_file.read_text(errors="replace")
    seen["archive file names"] = "\n".join(str(p.relative_to(archive)) for p in archive.rglob("*"))
    assert "documents/" in seen["archive file names"] and len(seen["server log"]) > 100
    for where, text in seen.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} in the {where}"
    print(f"privacy sweep: {len(seen)} places checked, {len(visited)} URLs, "
          f"{len(seen['server log'].splitlines())} log lines")


def _assert_security_headers(headers, where):
    csp = headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, where
    script = re.search(r"script-src ([^;]*)", csp)
    assert script and "'unsafe-inline'" not in script.group(1) and "'unsafe-eval'" not in csp, where
    assert "frame-ancestors 'none'" in csp, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "no-referrer", where
    assert headers.get("X-Frame-Options") == "DENY", where


def test_security_headers_on_every_kind_of_response(served, her_letters):
    base, token = served["base"], served["token"]
    case, docs = her_letters
    token_path = docs[0]["verify_url"].removeprefix(base)
    checks = [
        ("GET", "/healthz", None, {}, 200),
        ("GET", "/login", None, {}, 200),
        ("GET", "/static/pulang.css", None, {}, 200),
        ("GET", "/static/pulang.js", None, {}, 200),
        ("GET", "/static/../pulang.db", None, {}, 404),
        ("GET", token_path, None, {}, 200),
        ("GET", token_path, None, {"Accept": "application/json"}, 200),
        ("GET", "/v/no-such-token", None, {}, 404),
        ("GET", "/", None, {}, 302),
        ("GET", "/no/such/page", None, {}, 404),
        ("GET", f"/api/v1/cases/{case['id']}", token, {}, 200),
        ("GET", f"/api/v1/cases/{case['id']}", None, {}, 401),
        ("GET", "/api/v1/cases/999999", token, {}, 404),
        ("POST", "/api/v1/cases", token, {}, 400),
        ("DELETE", "/api/v1/cases/1", token, {}, 405),
        ("GET", f"/api/v1/documents/{docs[0]['id']}/pdf", token, {}, 200),
    ]
    for method, path, auth, headers, status in checks:
        got, response_headers, body = call(base, method, path, auth, opener=NO_REDIRECT,
                                           body={} if method == "POST" else None, headers=headers)
        where = f"{method} {path}"
        assert got == status, (where, got, body[:200])
        _assert_security_headers(response_headers, where)
        if path.endswith("/pdf"):
            assert response_headers["Cache-Control"] == "no-store"


@pytest.mark.slow
def test_backup_while_letters_are_being_made_restores_whole(served, her_letters, tmp_path):
    base, token, env, archive = served["base"], served["token"], served["env"], served["archive"]
    case, _ = her_letters

    def make_letter(i):
        status, _, body = call(base, "POST", f"/api/v1/cases/{case['id']}/documents", token,
                               {"kind": ("pledge", "release_report")[i % 2]})
        return status, json.loads(body)

    snapshot = tmp_path / "snapshot"
    with concurrent.futures.ThreadPoolExecutor(3) as pool:
        letters = [pool.submit(make_letter, i) for i in range(12)]
        # A few letters in, more converting and queued.
        wait_for(lambda: sum(f.done() for f in letters) >= 3, 120, what="three letters")
        taken = subprocess.run([PULANG, "backup", str(snapshot)], env=env, capture_output=True,
                               text=True, timeout=300)
        results = [f.result() for f in letters]
    assert taken.returncode == 0, taken.stderr
    assert [s for s, _ in results] == [201] * 12
    manifest = json.loads(backup_contents(snapshot, archive.parent / "keys")["manifest.json"])
    documents = {k: v for k, v in manifest["files"].items() if k.startswith("documents/")}
    assert documents

    restored = tmp_path / "restored"
    # Into another folder on the same machine: the key folder is the served archive's.
    env = dict(env, PULANG_KEY_DIR=str(archive.parent / "keys"))
    back = subprocess.run([PULANG, "restore", str(snapshot)], env=dict(env, PULANG_ARCHIVE=str(restored)),
                          capture_output=True, text=True, timeout=300)
    assert back.returncode == 0, back.stderr
    live = sqlite3.connect(archive / "pulang.db")
    saved = sqlite3.connect(restored / "pulang.db")
    rows = saved.execute("SELECT id, path, sha256, number FROM documents "
                         "WHERE status IN ('valid', 'void', 'superseded')").fetchall()
    assert len(rows) == len(documents)
    for doc_id, path, sha, number in rows:
        # Every document in the snapshot is whole, and the same as the live one.
        assert sha256_file(restored / path) == sha == documents[path]
        assert live.execute("SELECT sha256, number FROM documents WHERE id = ?", [doc_id]).fetchone() == (sha, number)
    doctor = subprocess.run([PULANG, "doctor"], env=dict(env, PULANG_ARCHIVE=str(restored)),
                            capture_output=True, text=True, timeout=300)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    in_live = live.execute("SELECT count(*) FROM documents WHERE status IN ('valid','void','superseded')").fetchone()[0]
    print(f"backup while serving: {len(rows)} documents in the snapshot "
          f"({in_live} in the live archive after the run), all sha256 equal; doctor clean")
