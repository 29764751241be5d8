"""The office's set-up (issue 12 item 2): GET/PUT /api/v1/office, what a new archive
prints before the set-up is complete (samples: CONTOH, no number, no QR), the office's
time zone, and the demo office."""

import datetime as dt

import pytest
from pypdf import PdfReader

from service import clock
from service.records import office
from tests.helpers import TEST_OFFICE, pdftotext, qr_payloads

fresh = pytest.mark.fresh_office


@pytest.fixture
def admin(make_user):
    return make_user("admin")[1]


def _case(client, headers, **extra) -> dict:
    response = client.post("/api/v1/cases", headers=headers, json={
        "full_name": "Sulastri", "facility": "Rumah Singgah Dinas Sosial", "nik": "3510154506890003",
        "origin_region": "Banyuwangi, Jawa Timur", **extra})
    assert response.status_code == 201, response.json
    case = response.json
    r = client.post(f"/api/v1/cases/{case['id']}/aid", headers=headers,
                    json={"kind": "business_capital", "amount": 3_000_000, "source": "APBD Kota Jambi"})
    assert r.status_code == 201, r.json
    return case


@fresh
def test_a_new_archive_has_no_office_and_says_what_is_missing(client, admin):
    body = client.get("/api/v1/office", headers=admin).json
    assert body["complete"] is False
    assert body["missing"] == list(office.REQUIRED)
    assert body["name"] == body["region"] == body["city"] == ""
    assert body["officials"]["head"] == {"name": "", "title": "", "rank": "", "nip": ""}
    assert "Jambi" not in str(body)
    assert body["base_url"] == "http://pulang.test" and body["base_url_source"] == "environment"
    assert body["flags"] == []


@fresh
def test_put_fills_the_office_and_it_becomes_complete(client, admin):
    partial = client.put("/api/v1/office", headers=admin, json={"name": "Dinas Sosial", "city": "Kupang"})
    assert partial.status_code == 200, partial.json
    assert partial.json["complete"] is False and "name" not in partial.json["missing"]
    done = client.put("/api/v1/office", headers=admin, json=TEST_OFFICE)
    assert done.status_code == 200, done.json
    body = client.get("/api/v1/office", headers=admin).json
    assert body["complete"] is True and body["missing"] == []
    assert body["officials"]["head"]["rank"] == "Pembina Utama Muda (IV/c)"
    assert body["officials"]["head"]["nip"] == "196805121994032004"
    # Fields left out keep their value.
    again = client.put("/api/v1/office", headers=admin, json={"phone": "(0380) 821234"}).json
    assert again["city"] == "Jambi" and again["phone"] == "(0380) 821234" and again["complete"]


@fresh
def test_a_loopback_address_is_flagged_not_missing(client, admin):
    body = client.put("/api/v1/office", headers=admin,
                      json={**TEST_OFFICE, "base_url": "http://127.0.0.1:5000"}).json
    assert body["complete"] is True and body["flags"] == ["base_url_loopback"]
    assert body["base_url"] == "http://127.0.0.1:5000" and body["base_url_source"] == "office"
    body = client.put("/api/v1/office", headers=admin,
                      json={"base_url": "https://pulang.dinsos.jambikota.go.id/"}).json
    assert body["flags"] == [] and body["base_url"] == "https://pulang.dinsos.jambikota.go.id"


@pytest.mark.parametrize("body, field, why", [
    pytest.param({"officials": {"head": {"nip": "1968051219940320"}}}, "officials.head.nip",
                 "a NIP has 18 digits", id="nip-short"),
    pytest.param({"officials": {"head": {"nip": "19680512199403200X"}}}, "officials.head.nip",
                 "a NIP has 18 digits", id="nip-letter"),
    pytest.param({"officials": {"head": {"nip": "196813121994032004"}}}, "officials.head.nip",
                 "birth date", id="nip-no-birth-date"),
    pytest.param({"officials": {"head": {"nip": "196805121994033004"}}}, "officials.head.nip",
                 "1 (man) or 2 (woman)", id="nip-sex-digit"),
    pytest.param({"officials": {"bupati": {"name": "X"}}}, "officials.bupati", "unknown official",
                 id="unknown-official"),
    pytest.param({"officials": {"head": {"jabatan": "X"}}}, "officials.head.jabatan", "unknown field",
                 id="unknown-official-field"),
    pytest.param({"officials": {"treasurer": {"name": "Dra. Hj. Rosmawati, M.Si."}}},
                 "officials.treasurer.name", "signs beside", id="head-signs-twice"),
    pytest.param({"base_url": "pulang.example.go.id"}, "base_url", "such as", id="url-no-scheme"),
    pytest.param({"base_url": "https://x.example/" + "a" * 60}, "base_url", "at most 60", id="url-long"),
    pytest.param({"time_zone": "Asia/Singapore"}, "time_zone", "must be one of", id="zone"),
    pytest.param({"unit": "DIN/SOS"}, "unit", "letters, digits", id="unit-slash"),
    pytest.param({"email": "dinsos"}, "email", "e-mail", id="email"),
    pytest.param({"numbering": {"codes": {"pledge": "A1"}}}, "numbering.codes.pledge",
                 "digits and dots", id="code"),
    pytest.param({"numbering": {"patterns": {"pledge": "{code}/{seq}/{unit}"}}},
                 "numbering.patterns.pledge", "{year}", id="pattern-no-year"),
    pytest.param({"numbering": {"register": "per_kind"}}, "numbering.codes.release_report",
                 "same pattern and code", id="per-kind-shared-codes"),
    pytest.param({"layout": {"paper": "Letter"}}, "layout.paper", "must be one of", id="paper"),
    pytest.param({"layout": {"margin_left_cm": 1}}, "layout.margin_left_cm", "between", id="margin"),
    pytest.param({"stamp_duty": {"receipt_threshold": "5 juta"}}, "stamp_duty.receipt_threshold",
                 "whole number", id="threshold"),
    pytest.param({"receipts": {"transfers": "mixed"}}, "receipts.transfers", "must be one of", id="transfers"),
    pytest.param({"kepala": "X"}, "kepala", "unknown field", id="unknown"),
])
def test_bad_office_fields_are_refused_by_name(client, admin, body, field, why):
    before = client.get("/api/v1/office", headers=admin).json
    response = client.put("/api/v1/office", headers=admin, json=body)
    assert response.status_code == 400
    assert why in response.json["error"]["fields"][field]
    assert client.get("/api/v1/office", headers=admin).json == before


def test_only_an_admin_sees_or_changes_the_office(client, staff):
    assert client.get("/api/v1/office", headers=staff).status_code == 403
    assert client.put("/api/v1/office", headers=staff, json={"city": "X"}).status_code == 403


@fresh
def test_until_complete_letters_are_samples_that_take_no_number(client, admin, staff, db):
    case = _case(client, staff)
    response = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff, json={"kind": "pledge"})
    assert response.status_code == 201, response.json
    sample = response.json
    assert sample["status"] == "sample" and sample["number"] == "CONTOH"
    assert sample["verify_url"] is None and "officials.head.nip" in sample["missing"]
    pdf = client.get(sample["pdf_url"], headers=staff)
    assert pdf.status_code == 200 and pdf.headers["Cache-Control"] == "no-store"
    pages = PdfReader(__import__("io").BytesIO(pdf.data)).pages
    for page in pages:
        assert "CONTOH — BELUM BERLAKU" in page.extract_text()
    text = " ".join(pdftotext(pdf.data).split())
    assert "Nomor: CONTOH" in text and "[Nama pejabat]" in text and "[NIP]" in text
    # Nothing that passes for a real letter: no Kota Jambi, no bare "Kepala Dinas", no
    # dashes for empty fields, no QR code to verify.
    assert "Jambi" not in text and "Kepala Dinas" not in text and " - " not in text
    assert qr_payloads(pdf.data) == []
    # The register is untouched: no document row, no counter used.
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM counters WHERE name LIKE 'doc:%'").fetchone()[0] == 0
    # A ceremony cannot print samples.
    ceremony = client.post("/api/v1/ceremonies", headers=staff, json={
        "title": "Pelepasan", "date": "2024-07-31", "place": "Aula", "case_ids": [case["id"]]}).json
    refused = client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=staff, json={})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "office_incomplete"
    assert "officials.head.name" in refused.json["missing"]
    # Once the office is complete the samples go, and the first real letter is number 1.
    assert client.put("/api/v1/office", headers=admin, json=TEST_OFFICE).json["complete"]
    assert client.get(sample["pdf_url"], headers=staff).status_code == 404
    real = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff, json={"kind": "pledge"}).json
    year = clock.office_today().year
    assert real["status"] == "valid" and real["number"] == f"400/001/DINSOS/{year}"


@fresh
def test_the_office_time_zone_dates_letters_and_times(client, admin):
    body = client.put("/api/v1/office", headers=admin, json={"time_zone": "Asia/Jayapura"}).json
    assert body["time_zone"] == "Asia/Jayapura"
    assert clock.office_zone().key == "Asia/Jayapura" and clock.zone_abbreviation() == "WIT"
    shown = clock.office_time("2026-12-01T16:30:00+00:00")
    assert (shown.date(), shown.hour, shown.utcoffset()) == (dt.date(2026, 12, 2), 1, dt.timedelta(hours=9))
    client.put("/api/v1/office", headers=admin, json={"time_zone": "Asia/Makassar"})
    assert clock.office_time("2026-12-01T16:30:00+00:00").hour == 0
    assert clock.office_today() == dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date()


@fresh
def test_the_demo_fills_a_complete_invented_office(db):
    from service.ops.demo import load
    load(db, None, count=3)
    settings = office.get_all(db)
    assert office.complete(settings)
    assert settings["officials"]["head"]["rank"] and len(settings["officials"]["head"]["nip"]) == 18
    assert all("Lokalisasi" not in name for (name,) in db.execute("SELECT name FROM facilities"))
