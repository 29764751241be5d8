"""Retention (issue 5, item 9): a supervisor closes a case and, once the retention period
has passed, anonymises it. Personal fields are replaced, her letters' PDFs destroyed,
her aid receipts kept unchanged for the auditors (out of search, auditors only), every
index entry removed, the act audited; her ids then answer 404 like ids never used."""

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from service.cli import main
from service.records.storage import sha256_file
from service.search import SearchIndex

NAME, NIK = "Ratna Sari Dewi", "1571014107900001"


@pytest.fixture
def her_case(client, make_user, runtime):
    _, staff = make_user("staff")
    case = client.post("/api/v1/cases", headers=staff, json={
        "full_name": NAME, "nik": NIK, "birth_place": "Jambi", "birth_date": "1990-07-01",
        "origin_address": "Jl. Melati 7", "origin_region": "Kediri", "facility": "Km 12",
        "notes": "dijemput Satpol PP", "release_date": "2026-11-30",
        "release_place": "Aula Dinas Sosial"}).json  # a release report needs her release
    assert client.post(f"/api/v1/cases/{case['id']}/aid", headers=staff,
                       json={"kind": "business_capital", "amount": 3_000_000}).status_code == 201
    docs = {}
    for kind in ("pledge", "pledge", "aid_receipt", "release_report"):
        response = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff, json={"kind": kind})
        assert response.status_code == 201
        docs.setdefault(kind, []).append(response.json)
    other = client.post("/api/v1/cases", headers=staff, json={"full_name": "Sulastri", "facility": "Km 12"}).json
    return case, docs, staff, other


def _search(client, headers, q):
    return client.post("/api/v1/search", headers=headers, json={"q": q}).json["total_cases"]


def test_anonymise_a_closed_case_after_the_retention_period(client, make_user, her_case, db, settings):
    case, docs, staff, other = her_case
    _, supervisor = make_user("supervisor")
    _, auditor = make_user("auditor")
    cid = case["id"]
    # Staff may neither close nor anonymise; an open case cannot be anonymised.
    assert client.post(f"/api/v1/cases/{cid}/close", headers=staff).status_code == 403
    assert client.post(f"/api/v1/cases/{cid}/anonymise", headers=staff).status_code == 403
    assert client.post(f"/api/v1/cases/{cid}/anonymise", headers=supervisor).status_code == 409
    closed = client.post(f"/api/v1/cases/{cid}/close", headers=supervisor)
    assert closed.status_code == 200 and closed.json["status"] == "closed"
    # Inside the retention period: refused, with the day it ends.
    early = client.post(f"/api/v1/cases/{cid}/anonymise", headers=supervisor)
    assert early.status_code == 409
    assert early.json["eligible_on"] == (dt.date.today().replace(year=dt.date.today().year + 5)).isoformat() \
        or early.json["eligible_on"].startswith(str(dt.date.today().year + 5))
    six_years_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=6 * 366)).isoformat()
    db.execute("UPDATE cases SET closed_at = ? WHERE id = ?", [six_years_ago, cid])
    db.conn.commit()

    receipt = docs["aid_receipt"][0]
    receipt_row = db["documents"].get(receipt["id"])
    destroyed = [d for kind in ("pledge", "release_report") for d in docs[kind]]
    destroyed_paths = [settings.archive / db["documents"].get(d["id"])["path"] for d in destroyed]
    assert _search(client, staff, "Ratna Sari") == 1

    done = client.post(f"/api/v1/cases/{cid}/anonymise", headers=supervisor)
    assert done.status_code == 200, done.json
    assert done.json == {"case_id": cid, "case_number": case["case_number"], "status": "anonymised",
                         "destroyed": 3, "kept_for_audit": 1, "print_results_removed": 0}

    # Personal fields replaced; aid amounts kept for the accounts.
    row = db["cases"].get(cid)
    assert row["status"] == "anonymised" and row["anonymised_at"]
    assert row["full_name"] == "R*** S*** D***" and row["nik"] is None and row["birth_date"] is None
    assert row["birth_place"] == row["origin_address"] == row["notes"] == ""
    assert db.execute("SELECT sum(amount) FROM aid_items WHERE case_id = ?", [cid]).fetchone()[0] == 3_000_000
    # Her letters' PDFs destroyed (rows and numbers stay on record); the receipt kept, unchanged.
    for doc, path in zip(destroyed, destroyed_paths):
        assert not path.exists()
        kept = db["documents"].get(doc["id"])
        assert kept["destroyed_at"] and kept["path"] is None and kept["number"] == doc["number"]
    assert sha256_file(settings.archive / receipt_row["path"]) == receipt_row["sha256"]
    # Nothing left in the index: not by name, not by NIK, no entry with her ids.
    assert _search(client, staff, "Ratna Sari") == 0 and _search(client, staff, NIK) == 0
    index = SearchIndex(settings.index_dir)
    keys = index.keys()
    index.close()
    assert f"c:{cid}" not in keys and not {f"d:{d['id']}" for d in destroyed + [receipt]} & keys
    assert f"c:{other['id']}" in keys
    # Her ids answer 404 to every role and page, like ids never used.
    for headers in (staff, supervisor, auditor):
        assert client.get(f"/api/v1/cases/{cid}", headers=headers).status_code == 404
        assert client.patch(f"/api/v1/cases/{cid}", headers=headers, json={"notes": "x"}).status_code in (403, 404)
        for doc in destroyed + [receipt]:
            assert client.get(f"/api/v1/documents/{doc['id']}", headers=headers).status_code == 404
            assert client.get(f"/api/v1/documents/{doc['id']}/pdf", headers=headers).status_code == 404
    assert client.post(f"/api/v1/cases/{cid}/anonymise", headers=supervisor).status_code == 404
    assert client.post(f"/api/v1/cases/{cid}/documents", headers=staff, json={"kind": "pledge"}).status_code == 404
    # The kept receipt: auditors only (since issue 10), unchanged; the destroyed ones are gone.
    kept = client.get(f"/api/v1/retention/documents/{receipt['id']}/pdf", headers=auditor)
    assert kept.status_code == 200 and kept.headers["Cache-Control"] == "no-store"
    assert kept.data == (settings.archive / receipt_row["path"]).read_bytes()
    assert client.get(f"/api/v1/retention/documents/{receipt['id']}/pdf", headers=staff).status_code == 403
    assert client.get(f"/api/v1/retention/documents/{destroyed[0]['id']}/pdf", headers=auditor).status_code == 404
    # The paper receipt's QR still verifies (no name there, as ever).
    verify = client.get(receipt["verify_url"].removeprefix(settings.base_url),
                        headers={"Accept": "application/json"})
    assert verify.status_code == 200 and verify.json["sha256"] == receipt["sha256"]
    # The act is audited, with ids and counts only.
    entry = db.execute("SELECT detail FROM audit_log WHERE action = 'case.anonymise' AND target_id = ?",
                       [str(cid)]).fetchone()
    assert json.loads(entry[0]) == {"destroyed": 3, "kept_for_audit": 1}
    assert "Ratna" not in json.dumps(list(db.query("SELECT * FROM audit_log")))
    # doctor agrees, reindex does not bring her back, a backup still works.
    env = {"PULANG_ARCHIVE": str(settings.archive)}
    for args in (["doctor"], ["reindex"], ["doctor"], ["backup", str(settings.archive.parent / "snap")]):
        result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, (args, result.output)
    index = SearchIndex(settings.index_dir)
    assert f"c:{cid}" not in index.keys() and not index.search("Ratna Sari").results
    index.close()


def test_doctor_deletes_a_destroyed_pdf_that_survived_a_crash(client, make_user, her_case, db, settings):
    case, docs, _, _ = her_case
    _, supervisor = make_user("supervisor")
    client.post(f"/api/v1/cases/{case['id']}/close", headers=supervisor)
    db.execute("UPDATE cases SET closed_at = '2001-01-01T00:00:00+00:00' WHERE id = ?", [case["id"]])
    db.conn.commit()
    pledge = settings.archive / db["documents"].get(docs["pledge"][0]["id"])["path"]
    saved = pledge.read_bytes()
    assert client.post(f"/api/v1/cases/{case['id']}/anonymise", headers=supervisor).status_code == 200
    pledge.write_bytes(saved)  # as if the power went between the record and the unlink
    env = {"PULANG_ARCHIVE": str(settings.archive)}
    found = CliRunner().invoke(main, ["doctor"], env=env, catch_exceptions=False)
    assert found.exit_code == 1 and "destroyed by retention" in found.output
    repaired = CliRunner().invoke(main, ["doctor", "--repair"], env=env, catch_exceptions=False)
    assert repaired.exit_code == 0 and not pledge.exists()
    assert not (settings.archive / "orphans").exists()


def test_the_case_page_offers_close_and_anonymise_to_supervisors(app, make_user, her_case, db):
    from tests.test_web import login, token_in
    case, _, _, _ = her_case
    page = f"/cases/{case['id']}"
    staff, _ = make_user("staff")
    web = app.test_client()
    login(web, staff["username"])
    assert "/close" not in web.get(page).get_data(as_text=True)
    supervisor, _ = make_user("supervisor")
    web = app.test_client()
    assert login(web, supervisor["username"]).status_code == 302
    html = web.get(page).get_data(as_text=True)
    assert f'href="/cases/{case["id"]}/close"' in html  # asks on its own page first
    asked = web.get(f"{page}/close").get_data(as_text=True)
    assert f'action="/cases/{case["id"]}/close"' in asked
    closed = web.post(f"{page}/close", data={"csrf_token": token_in(asked)})
    assert closed.status_code == 302 and db["cases"].get(case["id"])["status"] == "closed"
    html = web.get(page).get_data(as_text=True)
    assert f'action="/cases/{case["id"]}/anonymise"' in html
    early = web.post(f"{page}/anonymise", data={"csrf_token": token_in(html)})
    assert early.status_code == 302 and db["cases"].get(case["id"])["status"] == "closed"
    db.execute("UPDATE cases SET closed_at = '2001-01-01T00:00:00+00:00' WHERE id = ?", [case["id"]])
    db.conn.commit()
    done = web.post(f"{page}/anonymise", data={"csrf_token": token_in(html)})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert db["cases"].get(case["id"])["status"] == "anonymised"
    assert web.get(page).status_code == 404
    assert NAME not in web.get("/").get_data(as_text=True)


def test_anonymised_woman_is_not_found_through_a_ceremony_roster(client, make_user, db, runtime):
    """The roster listing her stays (aid record) but leaves search, now and after a
    reindex: since issue 10 it is kept for the auditors like her receipts, so not even
    its number finds it."""
    from service.ops.maintenance import reindex
    from tests.test_ceremonies_data import make_cases, make_ceremony
    from tests.helpers import job_consumer, wait_for_job
    from tests.test_jobs import start

    _, staff = make_user("staff")
    _, supervisor = make_user("supervisor")
    ids = make_cases(client, staff, 2, tricky=False)
    ceremony = make_ceremony(client, staff, ids)
    her = client.get(f"/api/v1/cases/{ids[0]}", headers=staff).json
    surname = her["full_name"].split()[1]
    job_id = start(client, staff, ceremony["id"], kinds=["aid_roster"])
    with job_consumer(runtime, db, workers=2):
        job, _ = wait_for_job(client, staff, job_id)
    assert job["state"] == "done"
    runtime.flush_index()
    roster = db.execute("SELECT number FROM documents WHERE kind = 'aid_roster'").fetchone()[0]
    assert _search(client, staff, her["full_name"]) >= 1
    assert client.post(f"/api/v1/cases/{ids[0]}/close", headers=supervisor).status_code == 200
    six_years_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=6 * 366)).isoformat()
    db.execute("UPDATE cases SET closed_at = ? WHERE id = ?", [six_years_ago, ids[0]])
    db.conn.commit()
    assert client.post(f"/api/v1/cases/{ids[0]}/anonymise", headers=supervisor).status_code == 200
    for _ in range(2):  # right after, and after a rebuild from the files
        hits = client.post("/api/v1/search", headers=staff, json={"q": surname}).json["results"]
        assert not any(surname in json.dumps(h) for h in hits), hits
        found = client.post("/api/v1/search", headers=staff, json={"q": roster}).json["results"]
        assert not [d for h in found for d in h["documents"] if d["number"] == roster]
        reindex(db, runtime.index, runtime.settings.archive)
