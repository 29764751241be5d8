"""The JSON API end to end: real SQLite, real LibreOffice, real Whoosh, real files."""

import re

import pytest

from tests.helpers import pdftotext, qr_payloads

NAME = 'Siti & <Aminah> "Ina"'
NIK = "1571014107900001"


@pytest.fixture
def case(client, staff):
    response = client.post("/api/v1/cases", headers=staff, json={
        "full_name": NAME, "nik": NIK, "birth_place": "Jambi", "birth_date": "1990-07-01",
        "origin_address": "Jl. Mawar No. 5, Kediri", "origin_region": "Kediri, Jawa Timur",
        "facility": "Payo Sigadung", "release_date": "2024-07-31",
        "release_place": "Aula Rumah Dinas Wali Kota Jambi"})
    assert response.status_code == 201, response.json
    case = response.json
    for kind, amount in (("business_capital", 3_000_000), ("ticket", 1_500_000),
                         ("living_allowance", 1_001_000)):
        r = client.post(f"/api/v1/cases/{case['id']}/aid", headers=staff,
                        json={"kind": kind, "amount": amount, "source": "APBD 2024"})
        assert r.status_code == 201, r.json
    return case


def _generate(client, headers, case_id, kind):
    response = client.post(f"/api/v1/cases/{case_id}/documents", headers=headers, json={"kind": kind})
    assert response.status_code == 201, response.json
    doc = response.json
    pdf = client.get(doc["pdf_url"], headers=headers)
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Cache-Control"] == "no-store"
    return doc, pdf.data


def test_case_number_is_readable(case):
    assert re.fullmatch(r"[A-Z]{3}-\d{4}-\d{4}", case["case_number"])


@pytest.mark.parametrize("kind", ["pledge", "aid_receipt", "release_report"])
def test_each_letter_prints_name_number_and_pages(client, staff, case, kind):
    doc, data = _generate(client, staff, case["id"], kind)
    text = pdftotext(data)
    flat = " ".join(text.split())
    assert NAME in flat
    assert doc["number"] in flat
    # Pages are numbered from the second (the pedoman; the office's layout setting).
    if doc["pages"] > 1:
        assert re.search(rf"Hal\. 2/{doc['pages']}", flat)
    assert "Hal. 1/" not in flat
    assert re.fullmatch(r"\d{3}(\.\d+)*/\d{3}/DINSOS/\d{4}", doc["number"])
    assert doc["status"] == "valid" and len(doc["sha256"]) == 64


def test_receipt_amounts_in_figures_and_words(client, staff, case):
    _, data = _generate(client, staff, case["id"], "aid_receipt")
    flat = " ".join(pdftotext(data).split()).lower()
    for figure in ("rp3.000.000", "rp1.500.000", "rp1.001.000", "rp5.501.000"):
        assert figure in flat
    assert "rp5.501.000,00 (lima juta lima ratus satu ribu rupiah)" in flat  # 501 keeps "satu"
    assert "satu juta satu ribu" not in flat


def test_qr_leads_to_a_page_without_name_or_nik(client, staff, case):
    doc, data = _generate(client, staff, case["id"], "pledge")
    [payload] = qr_payloads(data)
    assert payload == doc["verify_url"] + "/1"  # each page's QR names its page (issue 13)
    assert re.fullmatch(r"http://pulang\.test/v/[A-Za-z0-9_-]{20,}/1", payload)
    page = client.get(payload.replace("http://pulang.test", ""))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert doc["number"] in html and doc["sha256"] in html
    for secret in ("Siti", "Aminah", NIK, NIK[-4:] + "0"):
        assert secret not in html
    as_json = client.get(doc["verify_url"].replace("http://pulang.test", ""),
                         headers={"Accept": "application/json"}).json
    assert set(as_json) == {"kind", "kind_label", "number", "date", "office", "status", "sha256"}
    of_page = client.get(payload.replace("http://pulang.test", ""), headers={"Accept": "application/json"}).json
    assert of_page == {**as_json, "page": 1, "pages": doc["pages"]}


def test_regenerating_supersedes_and_void_watermarks(client, staff, make_user, case):
    first, _ = _generate(client, staff, case["id"], "pledge")
    second, _ = _generate(client, staff, case["id"], "pledge")
    assert second["supersedes_id"] == first["id"]
    assert client.get(f"/api/v1/documents/{first['id']}", headers=staff).json["status"] == "superseded"
    # staff may not void; a supervisor may, with a reason
    assert client.post(f"/api/v1/documents/{second['id']}/void", headers=staff,
                       json={"reason": "salah tulis"}).status_code == 403
    _, supervisor = make_user("supervisor")
    assert client.post(f"/api/v1/documents/{second['id']}/void", headers=supervisor,
                       json={}).json["error"]["fields"] == {"reason": "is required"}
    voided = client.post(f"/api/v1/documents/{second['id']}/void", headers=supervisor,
                         json={"reason": "salah tulis"})
    assert voided.json["status"] == "void"
    pdf = client.get(second["pdf_url"], headers=staff).data
    assert "BATAL" in pdftotext(pdf)
    page = client.get(second["verify_url"].replace("http://pulang.test", ""),
                      headers={"Accept": "application/json"})
    assert page.json["status"] == "void"


def test_search_finds_misspelled_name_and_facility(client, staff, case, runtime):
    _generate(client, staff, case["id"], "pledge")
    runtime.flush_index()
    for query in ({"q": "Aminnah"}, {"q": "siti amina"}, {"facility": "Payo Sigadung"}):
        found = client.post("/api/v1/search", headers=staff, json=query).json
        assert found["total_cases"] == 1, query
        hit = found["results"][0]
        assert hit["case_id"] == case["id"]
    by_kind = client.post("/api/v1/search", headers=staff, json={"q": "Aminah", "kind": "pledge"}).json
    assert [d["kind"] for d in by_kind["results"][0]["documents"]] == ["pledge"]


@pytest.mark.parametrize("body, field", [
    pytest.param({"facility": "X"}, "full_name", id="name-missing"),
    pytest.param({"full_name": "Ani", "facility": "X", "nik": "123"}, "nik", id="short-nik"),
    pytest.param({"full_name": "Ani", "facility": "X", "birth_date": "31-07-1990"}, "birth_date", id="date-format"),
    pytest.param({"full_name": 42, "facility": "X"}, "full_name", id="wrong-type"),
    pytest.param({"full_name": "A\x00ni", "facility": "X"}, "full_name", id="control-char"),
    pytest.param({"full_name": "Ani", "facility": "X", "umur": 30}, "umur", id="unknown-field"),
])
def test_bad_case_input_names_the_field(client, staff, body, field):
    response = client.post("/api/v1/cases", headers=staff, json=body)
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]


@pytest.mark.parametrize("body, field", [
    pytest.param({"kind": "ticket", "amount": 0}, "amount", id="zero"),
    pytest.param({"kind": "ticket", "amount": -5}, "amount", id="negative"),
    pytest.param({"kind": "ticket", "amount": 10**12}, "amount", id="over-ceiling"),
    pytest.param({"kind": "ticket", "amount": "1.500.000"}, "amount", id="string"),
    pytest.param({"kind": "ticket", "amount": 1.5}, "amount", id="float"),
    pytest.param({"kind": "gold", "amount": 5}, "kind", id="kind"),
])
def test_bad_aid_input_names_the_field(client, staff, case, body, field):
    response = client.post(f"/api/v1/cases/{case['id']}/aid", headers=staff, json=body)
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]


def test_duplicate_nik_is_a_conflict_unless_allowed(client, staff, case):
    body = {"full_name": "Siti Aminnah", "nik": NIK, "facility": "Payo Sigadung"}
    response = client.post("/api/v1/cases", headers=staff, json=body)
    assert response.status_code == 409
    assert response.json["existing_case_id"] == case["id"]
    assert client.post("/api/v1/cases", headers=staff,
                       json={**body, "allow_duplicate": True}).status_code == 201


def test_auth_and_roles(client, make_user, case):
    assert client.get(f"/api/v1/cases/{case['id']}").status_code == 401
    assert client.get(f"/api/v1/cases/{case['id']}",
                      headers={"Authorization": "Bearer nope"}).status_code == 401
    _, auditor = make_user("auditor")
    assert client.get(f"/api/v1/cases/{case['id']}", headers=auditor).status_code == 200
    assert client.post("/api/v1/cases", headers=auditor,
                       json={"full_name": "X", "facility": "Y"}).status_code == 403
    assert client.get("/api/v1/cases/999999", headers=auditor).status_code == 404


def test_receipt_without_aid_is_refused(client, staff):
    created = client.post("/api/v1/cases", headers=staff, json={"full_name": "Ani", "facility": "Km 12"}).json
    response = client.post(f"/api/v1/cases/{created['id']}/documents", headers=staff, json={"kind": "aid_receipt"})
    assert response.status_code == 400 and "kind" in response.json["error"]["fields"]


def test_nik_birth_date_mismatch_is_a_warning(client, staff):
    response = client.post("/api/v1/cases", headers=staff, json={
        "full_name": "Ani", "facility": "Km 12", "nik": "1571015007900001", "birth_date": "1990-07-01"})
    assert response.status_code == 201
    assert response.json["nik"] == "1571015007900001"
    assert response.json["warnings"]


def test_reads_are_audited_without_names(client, staff, case, db):
    client.get(f"/api/v1/cases/{case['id']}", headers=staff)
    client.post("/api/v1/search", headers=staff, json={"q": "Aminah"})
    rows = list(db.query("SELECT action, detail, target_id FROM audit_log"))
    assert {"case.read", "search", "case.create"} <= {r["action"] for r in rows}
    dump = repr(rows)
    assert "Aminah" not in dump and NIK not in dump


def test_healthz(client, staff):
    body = client.get("/healthz", headers=staff).json  # the details need a token (issue 10)
    assert body["status"] == "ok" and body["db"] == "ok" and body["index"] == "ok"


def test_a_runtime_starts_libreoffice_at_its_first_letter_not_before(settings):
    """`pulang serve` warms its pool at start (tests/test_serve.py finds both workers alive
    before any letter); an app otherwise starts LibreOffice at its first conversion, and
    until then its health check does not count the idle pool as down."""
    from service import create_app
    from service.runtime import Runtime
    runtime = Runtime(settings, pool=True)
    try:
        app = create_app({"archive": settings.archive, "TESTING": True}, runtime=runtime)
        from service import db as database
        from service.auth.users import create_token, create_user
        conn = database.connect(settings.db_path)
        create_user(conn, "health", "staff", "correct horse battery")
        headers = {"Authorization": f"Bearer {create_token(conn, 'health')}"}
        conn.close()
        body = app.test_client().get("/healthz", headers=headers).json
        assert body["status"] == "ok" and body["converter"]["alive"] == 0
        assert not runtime.pool.started
    finally:
        runtime.close()


def test_every_kind_gets_its_own_numbers(client, staff, case):
    numbers = {_generate(client, staff, case["id"], kind)[0]["number"]
               for kind in ("pledge", "release_report", "aid_receipt")}
    assert len(numbers) == 3


def test_a_colliding_number_pattern_is_a_conflict_not_a_crash(client, staff, case, db):
    from service.records import office
    office.put(db, "number_register", "per_kind")
    office.put(db, "number_codes", {"release_report": "460", "pledge": "460"})  # a bad setting
    office.put(db, "number_patterns", {"release_report": "{code}/{seq:03d}/{unit}/{year}"})
    _generate(client, staff, case["id"], "pledge")
    response = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff,
                           json={"kind": "release_report"})
    assert response.status_code == 409
    assert "number" in response.json["error"]["message"]
