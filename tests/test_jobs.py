"""Print jobs end to end in one process: the API, huey's SQLite queue with a consumer
running in this process (as inside `pulang serve`), real LibreOffice, files and index."""

import dataclasses
import io
import os
import sqlite3
import subprocess
import threading
import time

import pytest
from pypdf import PdfReader

from service.ceremonies import job_index, prepare, printjobs
from service.ops.maintenance import doctor
from service.records import indexing
from service.records.formats import terbilang
from tests.helpers import job_consumer, pdftotext, wait_for_job
from tests.test_ceremonies_data import AID, TRICKY, make_cases, make_ceremony, nik

CASE_KINDS = ("pledge", "aid_receipt", "release_report")


@pytest.fixture
def worker(runtime, db):
    """A job consumer inside the test process, on the test's archive and converter pool."""
    with job_consumer(runtime, db) as c:
        yield c


def start(client, headers, ceremony_id, **body):
    response = client.post(f"/api/v1/ceremonies/{ceremony_id}/print", headers=headers, json=body)
    assert response.status_code == 202, response.json
    assert response.headers["Location"] == f"/api/v1/jobs/{response.json['job_id']}"
    return response.json["job_id"]


def outline(reader: PdfReader) -> list[tuple[str, int, list]]:
    """[(title, page index, [(child title, page index)])]"""
    out, items = [], reader.outline
    for i, item in enumerate(items):
        if isinstance(item, list):
            continue
        kids = items[i + 1] if i + 1 < len(items) and isinstance(items[i + 1], list) else []
        out.append((item.title, reader.get_destination_page_number(item),
                    [(k.title, reader.get_destination_page_number(k)) for k in kids]))
    return out


def ceremony_docs(db, ceremony_id) -> list[dict]:
    return list(db.query(
        "SELECT documents.*, ceremony_documents.case_id AS for_case FROM ceremony_documents "
        "JOIN documents ON documents.id = ceremony_documents.document_id "
        "WHERE ceremony_documents.ceremony_id = ?", [ceremony_id]))


def test_print_job_end_to_end(client, staff, worker, db, runtime, settings):
    cases = make_cases(client, staff, 6)
    ceremony = make_ceremony(client, staff, cases)
    job_id = start(client, staff, ceremony["id"], duplex=True)
    job, seen = wait_for_job(client, staff, job_id)
    assert job["state"] == "done", job
    total = 6 * 3 + 2
    assert job["total"] == total and job["done"] == total and seen == sorted(seen)
    assert job["result_url"] == f"/api/v1/jobs/{job_id}/result"
    assert job["options"]["copies"]["aid_receipt"] == 2  # receipts: two by default
    assert job["printer"]["available"] is False and "download" in job["printer"]["reason"]

    response = client.get(job["result_url"], headers=staff)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == f'attachment; filename="berkas-cetak-pelepasan-{job_id}.pdf"'
    data = response.data
    reader = PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == job["pages"]
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True)
    assert info.returncode == 0 and b"Error" not in info.stderr

    # One bookmark per person (with one per letter beneath), one per ceremony document.
    marks = outline(reader)
    assert marks[0][:2] == ("Sampul dan daftar isi", 0)
    people = marks[1:7]
    assert [title.split(". ", 1)[0] for title, _, _ in people] == [str(n) for n in range(1, 7)]
    assert any(title == f"1. {TRICKY}" or title.endswith(TRICKY) for title, _, _ in people)
    assert all(len(kids) == 4 for _, _, kids in people)  # pledge, 2 receipts, report
    assert [m[0].split(" ")[0] for m in marks[7:]] == ["Daftar", "Berita"]
    starts = [page for _, _, kids in people for _, page in kids] + [m[1] for m in marks[7:]]
    # Duplex: every letter starts on an odd page (index even), blank backs in between.
    assert all(page % 2 == 0 for page in starts)
    texts = [t.strip() for t in pdftotext(data).split("\f")][:len(reader.pages)]
    cover = {i for i, t in enumerate(texts) if "BERKAS CETAK PELEPASAN" in t or "Hal. sampul" in t}
    assert 0 in cover
    for i, text in enumerate(texts):
        if i not in cover and text:  # every page but the cover and the blank backs is stamped
            # (pages are numbered from the second: a letter's first page has no "Hal.")
            assert "Nomor: " in text and "Pindai untuk verifikasi" in text, f"page {i + 1}"
    assert sum(1 for t in texts if not t) >= 1

    roster = " ".join(" ".join(texts[marks[7][1]:marks[8][1]]).split())  # all its pages
    for i in range(1, 7):
        assert f"3578********{i:04d}" in roster
        assert nik(i) not in roster
    total_aid = 6 * sum(amount for _, amount in AID)
    assert f"{terbilang(total_aid)} rupiah" in roster

    # Archived: one valid letter per woman and kind, numbers distinct, roster linked to all.
    docs = ceremony_docs(db, ceremony["id"])
    assert sorted((d["for_case"] or 0, d["kind"]) for d in docs) == sorted(
        [(c, k) for c in cases for k in CASE_KINDS] + [(0, "aid_roster"), (0, "ceremony_report")])
    assert all(d["status"] == "valid" for d in docs)
    assert len({d["number"] for d in docs}) == len(docs)
    roster_doc = next(d for d in docs if d["kind"] == "aid_roster")
    linked = {r["case_id"] for r in db["document_cases"].rows_where("document_id = ?", [roster_doc["id"]])}
    assert linked == set(cases)
    shown = client.get(f"/api/v1/cases/{cases[2]}", headers=staff).json["documents"]
    assert {"aid_roster", "ceremony_report", *CASE_KINDS} == {d["kind"] for d in shown}
    # Indexed, and the archive agrees with its index.
    assert runtime.index.search(kind="aid_roster").total_cases == 1
    assert runtime.index.search("Aminah", kind="pledge").total_cases == 1
    assert doctor(db, runtime.index, settings.archive, repair=False).clean
    # Files are named by ids; nothing of a person in a path, a log line or a payload.
    names = [p.name for p in settings.archive.rglob("*")]
    assert not any("Aminah" in n or nik(1) in n for n in names)
    assert (settings.archive / "prints" / f"{job_id}.pdf").is_file()
    assert not (settings.run_dir / "jobs" / str(job_id)).exists()
    audit = repr(list(db.query("SELECT action, detail FROM audit_log WHERE action LIKE 'print.%'")))
    assert "print.create" in audit and "print.download" in audit and "Aminah" not in audit
    options = db["print_jobs"].get(job_id)["options"]
    assert "Aminah" not in options and nik(1) not in options



def test_a_jobs_letters_go_into_the_index_while_its_last_chunks_are_made(
        client, staff, worker, db, runtime, settings, monkeypatch):
    """Once no chunk of a job is left to claim, what it has made so far is drained into
    the index (job_index.soon), while the last chunks are made; the job's end drains the
    rest. Every letter is drained once, and found."""
    monkeypatch.setattr(printjobs, "CHUNK_SIZE", 2)  # 11 chunks for three threads
    drained = []

    def drain(settings, job_id):
        count = real_drain(settings, job_id)
        drained.append(count)
        return count

    real_drain = job_index.drain
    monkeypatch.setattr(job_index, "drain", drain)
    cases = make_cases(client, staff, 6)
    job_id = start(client, staff, make_ceremony(client, staff, cases)["id"])
    job, _ = wait_for_job(client, staff, job_id)
    assert job["state"] == "done", job
    assert len(drained) >= 2 and drained[0] > 0, drained  # early, then the rest
    assert sum(drained) == job["total"] == 6 * 3 + 2  # each letter's row once
    assert indexing.waiting(db, printjobs.index_hold(job_id)) == 0
    for kind in CASE_KINDS:
        assert runtime.index.search(kind=kind).total_cases == 6
    assert doctor(db, runtime.index, settings.archive, repair=False).clean

def test_reprint_reuses_letters_and_changed_data_makes_new_ones(client, staff, worker, db):
    cases = make_cases(client, staff, 3, tricky=False)
    ceremony = make_ceremony(client, staff, cases)
    body = {"kinds": ["pledge", "release_report", "aid_roster"]}
    first, _ = wait_for_job(client, staff, start(client, staff, ceremony["id"], **body))
    before = {(d["for_case"], d["kind"]): d for d in ceremony_docs(db, ceremony["id"])}
    count = db["documents"].count
    # Same data, other layout: no new letter, no new number.
    again, _ = wait_for_job(client, staff, start(client, staff, ceremony["id"], duplex=True,
                                         copies={"pledge": 2}, **body))
    assert again["state"] == "done" and db["documents"].count == count
    reused = [i["reused"] for i in db["print_job_items"].rows_where("job_id = ?", [again["id"]])]
    assert reused == [1] * len(reused)
    # A new destination for one woman: her release report and the roster are new (the
    # old ones superseded); her pledge states nothing about it and is reused, as are
    # the others' letters (issue 12: only letters whose data changed are replaced).
    client.patch(f"/api/v1/ceremonies/{ceremony['id']}/cases/{cases[1]}", headers=staff,
                 json={"destination": "Rumah Singgah Kupang"})
    third, _ = wait_for_job(client, staff, start(client, staff, ceremony["id"], **body))
    assert third["state"] == "done"
    after = {(d["for_case"], d["kind"]): d for d in ceremony_docs(db, ceremony["id"])
             if d["status"] == "valid"}
    changed = {key for key in after if after[key]["id"] != before[key]["id"]}
    assert changed == {(cases[1], "release_report"), (None, "aid_roster")}
    for key in changed:
        assert db["documents"].get(before[key]["id"])["status"] == "superseded"
        assert after[key]["supersedes_id"] == before[key]["id"]
    report = db["documents"].get(after[(cases[1], "release_report")]["id"])
    text = " ".join(pdftotext((client.application.extensions["pulang"].settings.archive
                               / report["path"]).read_bytes()).split())
    assert "Rumah Singgah Kupang" in text


def test_one_active_job_per_ceremony(client, staff, db, runtime):
    cases = make_cases(client, staff, 2, tricky=False)
    ceremony = make_ceremony(client, staff, cases)
    job_id = start(client, staff, ceremony["id"], kinds=["pledge"])  # no consumer yet: queued
    assert client.get(f"/api/v1/jobs/{job_id}/result", headers=staff).status_code == 409
    clash = client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=staff, json={})
    assert clash.status_code == 409 and clash.json["job_id"] == job_id
    with pytest.raises(sqlite3.IntegrityError):  # the database itself refuses a second one
        db["print_jobs"].insert({"ceremony_id": ceremony["id"], "state": "running",
                                 "options": "{}", "created_at": "t", "updated_at": "t"})
    # A consumer that starts later (a restarted service) picks the queued job up.
    with job_consumer(runtime, db, workers=2):
        job, _ = wait_for_job(client, staff, job_id)
    assert job["state"] == "done"
    assert client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=staff,
                       json={"kinds": ["pledge"]}).status_code == 202



@pytest.mark.parametrize("wait", ["soon", "-1", "10.5", "nan", "inf"])
def test_a_progress_wait_out_of_range_names_the_field(client, staff, db, wait):
    cases = make_cases(client, staff, 1, tricky=False)
    job_id = start(client, staff, make_ceremony(client, staff, cases)["id"], kinds=["pledge"])
    response = client.get(f"/api/v1/jobs/{job_id}?wait={wait}", headers=staff)
    assert response.status_code == 400 and "wait" in response.json["error"]["fields"]


def test_a_progress_request_answers_at_the_jobs_next_step(client, staff, db, settings):
    """?wait=S holds the answer until the job's state or count done moves on (whoever
    moves it: here another connection, as a worker process would), and no longer."""
    from service import db as database

    cases = make_cases(client, staff, 2, tricky=False)
    job_id = start(client, staff, make_ceremony(client, staff, cases)["id"], kinds=["pledge"])
    url = f"/api/v1/jobs/{job_id}"

    began = time.monotonic()  # nothing moves it (no consumer): it waits the time asked
    assert client.get(url + "?wait=0.4", headers=staff).json["state"] == "queued"
    assert 0.4 <= time.monotonic() - began < 5

    def step():
        time.sleep(0.3)
        other = database.connect(settings.db_path)
        with database.write_transaction(other):
            other.execute("UPDATE print_jobs SET state = 'running', done = 1 WHERE id = ?", [job_id])
        other.close()

    mover = threading.Thread(target=step)
    began = time.monotonic()
    mover.start()
    moved = client.get(url + "?wait=10", headers=staff).json
    mover.join()
    assert (moved["state"], moved["done"]) == ("running", 1)
    assert 0.3 <= time.monotonic() - began < 5  # at the step, not after the 10 s

    db.execute("UPDATE print_jobs SET state = 'failed' WHERE id = ?", [job_id])
    db.commit()
    began = time.monotonic()  # an ended job answers at once
    assert client.get(url + "?wait=10", headers=staff).json["state"] == "failed"
    assert time.monotonic() - began < 2


def test_waiting_progress_requests_are_bounded(client, staff, db, monkeypatch):
    """Each waiting request holds a web server thread: past WAITERS at once, `wait` is not
    honoured and the request answers at once, so no client can take every thread."""
    from service.http import support

    monkeypatch.setattr(support, "_waiters", threading.BoundedSemaphore(1))
    cases = make_cases(client, staff, 1, tricky=False)
    job_id = start(client, staff, make_ceremony(client, staff, cases)["id"], kinds=["pledge"])
    with support.wait_slot(10) as held:  # another request waits meanwhile
        assert held == 10
        began = time.monotonic()
        answer = client.get(f"/api/v1/jobs/{job_id}?wait=10", headers=staff)
        assert answer.status_code == 200 and answer.json["state"] == "queued"
        assert time.monotonic() - began < 2
    began = time.monotonic()  # the slot free again: it waits
    assert client.get(f"/api/v1/jobs/{job_id}?wait=0.3", headers=staff).json["state"] == "queued"
    assert time.monotonic() - began >= 0.3

def test_a_dead_workers_chunk_is_taken_over_without_new_numbers(client, staff, db, runtime):
    """What a SIGKILLed worker leaves: numbers reserved (pending rows), a chunk leased to
    a process that no longer exists, its task gone from the queue."""
    cases = make_cases(client, staff, 3, tricky=False)
    ceremony = make_ceremony(client, staff, cases)
    job = printjobs.create(db, ceremony["id"], {"kinds": ["pledge", "aid_receipt"]}, None,
                           "http://pulang.test")
    prepare.reserve(runtime, db, job, "pledge", "pledge-1")
    pending = {d["id"]: d["number"] for d in ceremony_docs(db, ceremony["id"])}
    assert len(pending) == 3
    dead = f"{os.uname().nodename}:999999:1"
    db.execute("UPDATE print_job_chunks SET lease_owner = ?, lease_until = ? WHERE chunk = 'pledge-1'",
               [dead, time.time() + 600])
    db.execute("UPDATE print_jobs SET state = 'running' WHERE id = ?", [job["id"]])
    db.commit()
    with job_consumer(runtime, db, workers=2):  # resumes on start
        done, _ = wait_for_job(client, staff, job["id"])
    assert done["state"] == "done"
    docs = ceremony_docs(db, ceremony["id"])
    pledges = {d["id"]: d["number"] for d in docs if d["kind"] == "pledge"}
    assert pledges == pending  # the same rows, the same numbers
    assert all(d["status"] == "valid" for d in docs)
    assert [r["seq"] for r in db.query("SELECT seq FROM documents WHERE kind = 'pledge' ORDER BY seq")] \
        == [1, 2, 3]


@pytest.mark.parametrize("body, field", [
    pytest.param({"kinds": []}, "kinds", id="no-kinds"),
    pytest.param({"kinds": ["pledge", "surat"]}, "kinds", id="unknown-kind"),
    pytest.param({"copies": {"pledge": 0}}, "copies", id="zero-copies"),
    pytest.param({"copies": {"pledge": "2"}}, "copies", id="copies-string"),
    pytest.param({"kinds": ["pledge"], "copies": {"aid_receipt": 2}}, "copies", id="copies-not-printed"),
    pytest.param({"order": "age"}, "order", id="order"),
    pytest.param({"duplex": "yes"}, "duplex", id="duplex-string"),
    pytest.param({"salinan": 2}, "salinan", id="unknown-field"),
])
def test_bad_print_request_names_the_field(client, staff, body, field):
    ceremony = make_ceremony(client, staff, make_cases(client, staff, 1, tricky=False))
    response = client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=staff, json=body)
    assert response.status_code == 400, response.json
    assert field in response.json["error"]["fields"]


def test_print_needs_cases_and_aid_for_receipts(client, staff):
    empty = make_ceremony(client, staff, [])
    response = client.post(f"/api/v1/ceremonies/{empty['id']}/print", headers=staff, json={})
    assert response.status_code == 400 and "case_ids" in response.json["error"]["fields"]
    bare = client.post("/api/v1/cases", headers=staff, json={"full_name": "Ani", "facility": "Km 12"}).json
    ceremony = make_ceremony(client, staff, [bare["id"]])
    response = client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=staff,
                           json={"kinds": ["aid_receipt"]})
    assert response.status_code == 400 and str(bare["id"]) in response.json["error"]["fields"]["kinds"]
    assert client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=staff,
                       json={"kinds": ["pledge"]}).status_code == 202
    assert client.post("/api/v1/ceremonies/999/print", headers=staff, json={}).status_code == 404
    assert client.get("/api/v1/jobs/999", headers=staff).status_code == 404


def _fake_cups(folder):
    """`lp` and `lpstat` as CUPS answers them, recording what they were asked."""
    folder.mkdir()
    (folder / "lp").write_text(
        "#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/lp.args\"\n"
        "echo 'request id is Kantor-42 (1 file(s))'\n")
    (folder / "lpstat").write_text(
        "#!/bin/sh\nif [ \"$2\" = not-completed ]; then echo 'Kantor-42 staff 1024 Rab 31 Jul'; fi\n")
    for name in ("lp", "lpstat"):
        (folder / name).chmod(0o755)


def test_printing_without_and_with_cups(client, staff, worker, runtime, tmp_path, monkeypatch):
    ceremony = make_ceremony(client, staff, make_cases(client, staff, 1, tricky=False))
    job_id = start(client, staff, ceremony["id"], kinds=["pledge"])
    assert wait_for_job(client, staff, job_id)[0]["state"] == "done"
    monkeypatch.setenv("PATH", str(tmp_path / "nothing"))  # no CUPS on this server
    refused = client.post(f"/api/v1/jobs/{job_id}/send", headers=staff)
    assert refused.status_code == 503 and refused.json["error"]["code"] == "printer_unavailable"
    assert "CUPS is not installed" in refused.json["error"]["message"]
    _fake_cups(tmp_path / "cups")
    monkeypatch.setenv("PATH", f"{tmp_path / 'cups'}:/usr/bin:/bin")
    no_printer = client.post(f"/api/v1/jobs/{job_id}/send", headers=staff)
    assert no_printer.status_code == 503 and "PULANG_PRINTER" in no_printer.json["error"]["message"]
    monkeypatch.setattr(runtime, "settings", dataclasses.replace(runtime.settings, printer="Kantor"))
    sent = client.post(f"/api/v1/jobs/{job_id}/send", headers=staff)
    assert sent.status_code == 202, sent.json
    assert sent.json["printer"] == {"available": True, "printer": "Kantor", "reason": None,
                                    "request_id": "Kantor-42", "state": "queued"}
    args = (tmp_path / "cups" / "lp.args").read_text().split()
    assert args[:4] == ["-d", "Kantor", "-t", f"pulang-print-{job_id}"]
    assert args[-1] == str(runtime.settings.archive / "prints" / f"{job_id}.pdf")


def _numbers(db, job_id) -> dict:
    return {(i["case_id"], i["kind"]): db["documents"].get(i["document_id"])["number"]
            for i in db["print_job_items"].rows_where("job_id = ?", [job_id])}


def test_a_reprint_of_an_unchanged_ceremony_reuses_every_number(client, staff, worker, db):
    """Issue 12 item 4: all five kinds, printed twice: the second print takes no number,
    and letters issued on the case page before the ceremony are reused, not replaced."""
    cases = make_cases(client, staff, 3, tricky=False)
    issued = client.post(f"/api/v1/cases/{cases[0]}/documents", headers=staff, json={"kind": "pledge"}).json
    ceremony = make_ceremony(client, staff, cases)
    first, _ = wait_for_job(client, staff, start(client, staff, ceremony["id"]))
    assert first["state"] == "done"
    numbers = _numbers(db, first["id"])
    assert numbers[(cases[0], "pledge")] == issued["number"]
    assert db["documents"].get(issued["id"])["status"] == "valid"
    count = db["documents"].count
    plan = client.post(f"/api/v1/ceremonies/{ceremony['id']}/print/plan", headers=staff, json={})
    assert plan.status_code == 200 and plan.json["reused"] == len(numbers), plan.json
    again, _ = wait_for_job(client, staff, start(client, staff, ceremony["id"]))
    assert again["state"] == "done"
    assert _numbers(db, again["id"]) == numbers and db["documents"].count == count


def test_changed_data_is_shown_before_printing_and_the_clerk_chooses(client, staff, worker, db):
    cases = make_cases(client, staff, 2, tricky=False)
    ceremony = make_ceremony(client, staff, cases)
    body = {"kinds": ["pledge", "aid_receipt"]}
    first, _ = wait_for_job(client, staff, start(client, staff, ceremony["id"], **body))
    numbers = _numbers(db, first["id"])
    client.post(f"/api/v1/cases/{cases[1]}/aid", headers=staff, json={"kind": "transport", "amount": 250_000})
    plan = client.post(f"/api/v1/ceremonies/{ceremony['id']}/print/plan", headers=staff, json=body).json
    changed = [i for i in plan["items"] if i["action"] == "replace"]
    assert [(i["case_id"], i["kind"], i["changed"]) for i in changed] == [(cases[1], "aid_receipt", ["aid"])]
    assert changed[0]["number"] == numbers[(cases[1], "aid_receipt")]
    # Kept: the old receipt is printed again as it is, nothing replaced.
    kept, _ = wait_for_job(client, staff, start(client, staff, ceremony["id"], replace="none", **body))
    assert _numbers(db, kept["id"]) == numbers
    # Chosen: that receipt alone gets a new number; the old one is superseded.
    chosen, _ = wait_for_job(client, staff, start(client, staff, ceremony["id"],
                                                  replace=[changed[0]["document_id"]], **body))
    after = _numbers(db, chosen["id"])
    assert {k for k in after if after[k] != numbers[k]} == {(cases[1], "aid_receipt")}
    assert db["documents"].get(changed[0]["document_id"])["status"] == "superseded"
    bad = client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=staff, json={"replace": "all"})
    assert bad.status_code == 400 and "replace" in bad.json["error"]["fields"]


def test_a_running_print_job_can_be_cancelled(client, staff, db, runtime):
    cases = make_cases(client, staff, 2, tricky=False)
    ceremony = make_ceremony(client, staff, cases)
    job_id = start(client, staff, ceremony["id"], kinds=["pledge"])  # no consumer: it waits
    cancelled = client.post(f"/api/v1/jobs/{job_id}/cancel", headers=staff)
    assert cancelled.status_code == 200 and cancelled.json["state"] == "cancelled"
    assert client.get(f"/api/v1/jobs/{job_id}", headers=staff).json["state"] == "cancelled"
    assert client.post(f"/api/v1/jobs/{job_id}/cancel", headers=staff).status_code == 409
    assert client.get(f"/api/v1/jobs/{job_id}/result", headers=staff).status_code == 409
    # The ceremony may print again at once, and a consumer started later ignores the
    # cancelled job.
    with job_consumer(runtime, db, workers=2):
        job, _ = wait_for_job(client, staff, start(client, staff, ceremony["id"], kinds=["pledge"]))
    assert job["state"] == "done"
    assert db["print_jobs"].get(job_id)["state"] == "failed"
    assert "print.cancel" in {r[0] for r in db.execute("SELECT action FROM audit_log")}
