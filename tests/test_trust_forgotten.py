"""Forgotten means forgotten (issue 10, item 6). Before: after her case was anonymised,
the merged print PDF of her ceremony (`prints/<id>.pdf`) still held her name and whole
NIK and every role could download it; the roster and report listing her stayed readable
to every role; her destroyed letters still verified as "Sah".

Now: her print results are deleted (the job says "hasil dihapus karena anonimisasi");
a reprint of the ceremony works without her; rosters and reports listing her are the
auditor's alone; the verification page says her letters were destroyed. The proof walks
every GET route of the app (API and pages, read from the URL map) as staff, supervisor
and admin with every id there is, and reads every answer (PDF text, spreadsheet cells,
pages, JSON) for her name and NIK; then the exports, search and the index's files. Her
signed papers came back as scans (issue 13) before: no thumbnail of them is served."""

import datetime as dt
import io
import itertools
import json
import re
import zipfile

import pytest

from service import db as database
from service.config import Settings
from service.runtime import Runtime
from service.scans.queue import scan_queue_for
from tests.conftest import app_on, user_maker
from tests.helpers import index_on_disk, job_consumer, pdftotext, wait_for_job
from tests.test_jobs import start
from tests.test_scans import as_pdf, rasterise
from tests.test_web import login, token_in

NAME, NIK = "Mirnawati Kusumadewi", "3578046908930002"
SECRETS = (NAME, "Mirnawati", "Kusumadewi", "MIRNAWATI", "KUSUMADEWI", NIK, NIK[:12], NIK[4:])
OTHERS = ("Sulastri Ningsih", "Wartini Lestari")
PARAMS = ("case_id", "doc_id", "job_id", "ceremony_id", "user_id", "token_id", "report_id",
          "kind", "version", "what", "fmt", "token", "filename", "sha256", "scan_id", "page_id", "page",
          "aid_id", "rid", "sample_id", "year", "which")


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def _readable(response) -> str:
    """What a person (or a program) gets out of a response."""
    data, kind = response.data, response.mimetype
    if kind == "application/pdf":
        return pdftotext(data) + data.decode("latin-1")
    if data[:2] == b"PK":  # xlsx, docx: every part of the zip
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return data.decode("utf-8", "replace")


# One archive for the module: her ceremony printed, scanned and anonymised is most of
# the cost, and the tests only read it (the reprint adds a job without her).
@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return Settings.from_env(archive=tmp_path_factory.mktemp("forgotten") / "archive",
                             base_url="http://pulang.test")


@pytest.fixture(scope="module")
def runtime(settings, converter_pool):
    rt = Runtime(settings, pool=converter_pool)
    yield rt
    rt.close()


@pytest.fixture(scope="module")
def app(settings, runtime):
    return app_on(settings, runtime)


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def db(settings, app):
    conn = database.connect(settings.db_path)
    yield conn
    conn.close()


@pytest.fixture(scope="module")
def make_user(db):
    return user_maker(db)


@pytest.fixture(scope="module")
def forgotten(app, client, make_user, db, runtime, settings):
    """Three women released at one ceremony, every paper printed in one job; then her
    case closed, six years pass, and a supervisor anonymises it."""
    _, staff = make_user("staff")
    _, supervisor = make_user("supervisor")
    ids = []
    for name, nik in ((NAME, NIK), (OTHERS[0], "1571014107900011"), (OTHERS[1], "1571014107900022")):
        case = client.post("/api/v1/cases", headers=staff, json={
            "full_name": name, "nik": nik, "birth_place": "Kediri", "birth_date": "1993-08-29",
            "origin_address": "Jl. Kenanga 3", "origin_region": "Kediri", "facility": "Payo Sigadung"}).json
        assert client.post(f"/api/v1/cases/{case['id']}/aid", headers=staff,
                           json={"kind": "ticket", "amount": 1_500_000}).status_code == 201
        ids.append(case["id"])
    her = ids[0]
    for kind in ("pledge", "aid_receipt"):  # letters of her own, outside the ceremony too
        assert client.post(f"/api/v1/cases/{her}/documents", headers=staff,
                           json={"kind": kind}).status_code == 201
    ceremony = client.post("/api/v1/ceremonies", headers=staff, json={
        "title": "Pelepasan Penerima Manfaat", "date": "2024-07-31", "place": "Aula Dinas Sosial",
        "case_ids": ids}).json
    with job_consumer(runtime, db, workers=2):
        job_id = start(client, staff, ceremony["id"])
        job, _ = wait_for_job(client, staff, job_id)
        assert job["state"] == "done", job
        printed = client.get(f"/api/v1/jobs/{job_id}/result", headers=staff)
        assert printed.status_code == 200 and NAME in pdftotext(printed.data)  # as before
        roster_only = start(client, staff, ceremony["id"], kinds=["aid_roster"])
        assert wait_for_job(client, staff, roster_only)[0]["state"] == "done"
    # The signed papers came back (issue 13): the first pages of the stack (the cover
    # sheet, then her papers: she comes first by name) scanned and filed.
    scans = scan_queue_for(runtime).huey
    scans.immediate = True
    try:
        pages = rasterise(printed.data)[:6]
        scanned = client.post("/api/v1/scans", headers=staff, content_type="multipart/form-data",
                              data={"file": [(io.BytesIO(as_pdf(pages)), "pindai.pdf")]})
        assert scanned.status_code == 202
    finally:
        scans.immediate = False
    her_pages = [r[0] for r in db.execute(
        "SELECT id FROM scan_pages WHERE document_id IN (SELECT id FROM documents WHERE case_id = ? "
        "UNION SELECT document_id FROM document_cases WHERE case_id = ?)", [ids[0], ids[0]])]
    assert len(her_pages) >= 3, her_pages
    runtime.flush_index()
    tokens = {row[0]: row[1] for row in db.execute("SELECT id, token FROM documents WHERE case_id = ?", [her])}
    kept_ceremony_docs = [r[0] for r in db.execute(
        "SELECT document_id FROM document_cases WHERE case_id = ?", [her])]
    assert kept_ceremony_docs

    assert client.post(f"/api/v1/cases/{her}/close", headers=supervisor).status_code == 200
    six_years_ago = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=6 * 366)).isoformat()
    db.execute("UPDATE cases SET closed_at = ? WHERE id = ?", [six_years_ago, her])
    db.conn.commit()
    done = client.post(f"/api/v1/cases/{her}/anonymise", headers=supervisor)
    assert done.status_code == 200 and done.json["print_results_removed"] == 2, done.json
    return {"her": her, "others": ids[1:], "ceremony": ceremony["id"], "jobs": [job_id, roster_only],
            "tokens": tokens, "kept": kept_ceremony_docs, "staff": staff, "supervisor": supervisor,
            "scanned_pages": her_pages}


def test_her_print_results_are_deleted_and_the_job_says_why(forgotten, client, app, make_user, settings):
    staff = forgotten["staff"]
    for job_id in forgotten["jobs"]:
        assert not (settings.archive / "prints" / f"{job_id}.pdf").exists()
        job = client.get(f"/api/v1/jobs/{job_id}", headers=staff).json
        assert job["result_url"] is None and job["state"] == "done"
        assert job["result_removed"]["message"] == "hasil dihapus karena anonimisasi"
        gone = client.get(f"/api/v1/jobs/{job_id}/result", headers=staff)
        assert gone.status_code == 410 and gone.json["error"]["message"] == "hasil dihapus karena anonimisasi"
        assert client.post(f"/api/v1/jobs/{job_id}/send", headers=staff).status_code == 410
    web = app.test_client()
    user, _ = make_user("staff")
    login(web, user["username"])
    page = web.get(f"/jobs/{forgotten['jobs'][0]}").get_data(as_text=True)
    assert "Hasil dihapus karena anonimisasi" in page and 'id="job-result" hidden' in page
    assert web.get(f"/jobs/{forgotten['jobs'][0]}/progress",
                   headers={"Accept": "application/json"}).json["result_url"] is None
    assert web.get(f"/jobs/{forgotten['jobs'][0]}/result").status_code == 302
    assert "hasil dihapus karena anonimisasi" in web.get(f"/ceremonies/{forgotten['ceremony']}").get_data(as_text=True)


def test_a_reprint_of_the_ceremony_works_without_her(forgotten, client, db, runtime):
    staff = forgotten["staff"]
    with job_consumer(runtime, db, workers=2):
        job_id = start(client, staff, forgotten["ceremony"])
        job, _ = wait_for_job(client, staff, job_id)
    assert job["state"] == "done", job
    text = pdftotext(client.get(f"/api/v1/jobs/{job_id}/result", headers=staff).data)
    assert _leaks(text) == [] and all(name in text for name in OTHERS)


def test_the_verification_page_says_her_letters_were_destroyed(forgotten, client, db):
    destroyed = [r[0] for r in db.execute("SELECT token FROM documents WHERE case_id = ? "
                                          "AND destroyed_at IS NOT NULL", [forgotten["her"]])]
    kept = [r[0] for r in db.execute("SELECT token FROM documents WHERE case_id = ? "
                                     "AND destroyed_at IS NULL", [forgotten["her"]])]
    assert destroyed and kept
    for token in destroyed:
        info = client.get(f"/v/{token}", headers={"Accept": "application/json"}).json
        assert info["status"] == "destroyed" and info["sha256"] is None
        page = client.get(f"/v/{token}").get_data(as_text=True)
        assert "Dimusnahkan sesuai kebijakan retensi" in page and ">Sah<" not in page
    for token in kept:  # her kept receipts are whole, and still verify as they stand
        info = client.get(f"/v/{token}", headers={"Accept": "application/json"}).json
        assert info["status"] in ("valid", "superseded") and info["sha256"]


def test_rosters_and_reports_listing_her_are_the_auditors_alone(forgotten, client, make_user):
    _, auditor = make_user("auditor")
    for doc_id in forgotten["kept"]:
        for role in ("staff", "supervisor", "admin"):
            _, headers = make_user(role)
            assert client.get(f"/api/v1/documents/{doc_id}/pdf", headers=headers).status_code == 404
            assert client.get(f"/api/v1/retention/documents/{doc_id}/pdf", headers=headers).status_code == 403
        kept = client.get(f"/api/v1/retention/documents/{doc_id}/pdf", headers=auditor)
        assert kept.status_code == 200 and NAME in pdftotext(kept.data)  # kept whole, for audit


def _ids(db, app) -> dict[str, list]:
    """Every value each URL parameter can take in this archive."""
    from service.office_tools import exports
    one = lambda sql: [r[0] for r in db.execute(sql)]  # noqa: E731
    return {
        "case_id": one("SELECT id FROM cases"), "doc_id": one("SELECT id FROM documents"),
        "job_id": one("SELECT id FROM print_jobs"), "ceremony_id": one("SELECT id FROM ceremonies"),
        "aid_id": one("SELECT id FROM aid_items"),
        "user_id": one("SELECT id FROM users"), "token_id": one("SELECT id FROM api_tokens"),
        "report_id": one("SELECT id FROM import_reports") or [1],
        "scan_id": one("SELECT id FROM scans") or [1],
        "page_id": one("SELECT id FROM scan_pages") or [1], "page": [1, 2],
        "kind": sorted({r for r in one("SELECT kind FROM templates")}),
        "version": sorted(set(one("SELECT version FROM templates"))),
        "what": list(exports.LISTS), "fmt": list(exports.FORMATS),
        "token": one("SELECT token FROM documents"), "filename": ["pulang.css"],
        "sample_id": one("SELECT id FROM sample_letters") or [1],
        "which": ["logo", "unit_logo"],  # the office's pictures (a default of the rule)
        "year": sorted({int(r[:4]) for r in one("SELECT created_at FROM documents")}),
        "sha256": one("SELECT sha256 FROM documents WHERE sha256 IS NOT NULL UNION "
                      "SELECT sha256 FROM templates UNION SELECT sha256 FROM print_jobs "
                      "WHERE sha256 IS NOT NULL"),
    }


def _get_routes(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static":
            assert set(rule.arguments) <= set(PARAMS), f"a new URL parameter: {rule.rule}"
            yield rule


def test_nothing_a_non_auditor_can_download_holds_her(forgotten, app, client, make_user, db, settings):
    """Every GET route of the API and the pages, with every id in the archive, as staff,
    a supervisor and an admin (exports also with full=1): no answer holds her name or
    NIK, in text, PDF or spreadsheet. Then search, and the index's files."""
    ids = _ids(db, app)
    routes = list(_get_routes(app))
    assert len(routes) >= 40
    checked = ok = 0
    for role in ("staff", "supervisor", "admin"):
        user, headers = make_user(role)
        web = app.test_client()
        login(web, user["username"])
        # Searches are POSTed and held for the session under an opaque id (/search/r/<rid>):
        # this role's searches for her are walked with the rest.
        rids = []
        for q in (NAME, NIK, "Kusumadewi", "Mirnawati"):
            csrf = token_in(web.get("/search").get_data(as_text=True))
            asked = web.post("/search", data={"q": q, "csrf_token": csrf})
            assert asked.status_code == 303, q
            rids.append(asked.location.rsplit("/", 1)[1])
        ids["rid"] = rids
        for rule in routes:
            api = rule.rule.startswith("/api/")
            names = sorted(rule.arguments)
            for values in itertools.product(*(ids[n] for n in names)):
                path = rule.build(dict(zip(names, values)), append_unknown=False)[1]
                for query in (["", "?full=1"] if "what" in names else [""]):
                    response = (client.get(path + query, headers=headers) if api
                                else web.get(path + query))
                    checked += 1
                    assert response.status_code != 500, path
                    if response.status_code != 200:
                        continue
                    ok += 1
                    if response.mimetype.startswith("image/"):
                        # A page drawn as a picture: only previews of letters (checked as
                        # PDFs on their own routes) and of templates (sample data), and
                        # scanned pages that are not of her papers.
                        assert re.search(r"/(documents|templates|scans/pages)/", path), path
                        page = re.search(r"/scans/pages/(\d+)/", path)
                        assert page is None or int(page[1]) not in forgotten["scanned_pages"], path
                        continue
                    readable = _readable(response)
                    if "/search/r/" in path:  # the box shows what was typed; the results must not
                        readable = readable.split('role="search"', 1)[1].split("</form>", 1)[1]
                    leaked = _leaks(readable)
                    assert leaked == [], f"{role} GET {path}{query}: {leaked}"
    for q in (NAME, NIK, "Kusumadewi", "Mirnawati"):
        found = client.post("/api/v1/search", headers=headers, json={"q": q})
        assert found.json["total_cases"] == 0 and _leaks(found.get_data(as_text=True)) == []
    assert _leaks(index_on_disk(settings.index_dir)) == []
    # Nor the database's own files (freed pages are zeroed, the log emptied).
    db.conn.commit()
    raw = b"".join(p.read_bytes() for p in settings.archive.glob("pulang.db*"))
    assert [s for s in SECRETS if s.encode() in raw] == []
    print(f"walked {len(routes)} GET routes: {checked} requests, {ok} answered 200, none held her")
