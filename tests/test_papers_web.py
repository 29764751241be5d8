"""The first-run set-up and the papers in the staff's pages (no browser): the home page
says what is missing, a letter made before the set-up is complete is a sample, the
set-up page fills the office, the register page and its export, the layout setting on a
real letter, and the upload warning for a stigmatising word."""

import csv
import io
import re

import docx
import pytest
from pypdf import PdfReader

from service import clock
from service.records import office
from tests.helpers import TEST_OFFICE
from tests.test_web import post, sign_in, text  # noqa: F401  (sign_in: the fixture)


def _form(admin) -> dict:
    """Every input and select of the set-up page, with what it shows."""
    html = text(admin.get("/admin/settings"))
    fields = dict(re.findall(r'<input[^>]* id="([a-z_]+)"[^>]* value="([^"]*)"', html))
    for name, body in re.findall(r'<select[^>]* id="([a-z_]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', body)
        fields[name] = next(g for g in chosen.groups() if g) if chosen else ""
    fields.pop("csrf_token", None)
    return {k: v.replace("&#39;", "'").replace("&amp;", "&") for k, v in fields.items()}


@pytest.mark.fresh_office
def test_first_run_the_home_page_lists_what_is_missing_and_letters_are_samples(sign_in, db):
    admin = sign_in("admin")
    home = text(admin.get("/"))
    assert "Data kantor belum lengkap" in home and 'href="/admin/settings"' in home
    for label in ("nama instansi", "kota", "NIP kepala dinas", "Pangkat/golongan bendahara pengeluaran"):
        assert label in home, label
    staff = sign_in("staff")
    assert "Minta admin melengkapi pengaturan kantor." in text(staff.get("/"))
    case = staff.post("/api/v1/cases", headers=staff.api, json={
        "full_name": "Sulastri", "facility": "Rumah Singgah"}).json
    staff.post(f"/api/v1/cases/{case['id']}/aid", headers=staff.api,
               json={"kind": "ticket", "amount": 1_500_000})
    made = post(staff, f"/cases/{case['id']}/documents", {"kind": "pledge"})
    assert made.status_code == 302 and re.fullmatch(r"/samples/\d+\.pdf", made.headers["Location"])
    pdf = staff.get(made.headers["Location"])
    assert pdf.status_code == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert "CONTOH — BELUM BERLAKU" in PdfReader(io.BytesIO(pdf.data)).pages[0].extract_text()
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == 0


@pytest.mark.fresh_office
def test_the_set_up_page_completes_the_office(sign_in, db):
    admin = sign_in("admin")
    form = _form(admin)
    assert {"office_region", "office_base_url", "head_rank", "witness_rank", "office_time_zone",
            "number_register", "layout_paper", "layout_margin_left_cm", "stamp_receipt_threshold",
            "receipts_transfers"} <= set(form)
    assert form["layout_margin_left_cm"] == "3" and form["layout_paper"] == "A4"
    form.update({f"office_{k}": TEST_OFFICE[k] for k in ("name", "region", "city", "address", "unit")})
    for who, person in TEST_OFFICE["officials"].items():
        form.update({f"{who}_{k}": v for k, v in person.items()})
    form.update(head_nip="19680512 199403 2 004", office_time_zone="Asia/Makassar",
                layout_margin_left_cm="3,5", stamp_receipt_threshold="Rp5.000.000", stamp_pledge="y")
    response = post(admin, "/admin/settings", form)
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>([^<]*)', text(response))
    settings = office.get_all(db)
    assert office.complete(settings)
    assert settings["officials"]["head"]["nip"] == "196805121994032004"
    assert settings["layout"]["margin_left_cm"] == 3.5 and settings["office"]["time_zone"] == "Asia/Makassar"
    assert "Data kantor belum lengkap" not in text(admin.get("/"))
    # A bad NIP is named beside its field, in Indonesian.
    refused = post(admin, "/admin/settings", dict(form, treasurer_nip="19850722201001"))
    assert refused.status_code == 400
    assert re.search(r'id="treasurer_nip-error">NIP harus 18 angka<', text(refused))
    refused = post(admin, "/admin/settings", dict(form, witness_name=TEST_OFFICE["officials"]["head"]["name"]))
    assert "kepala dinas menandatangani surat yang sama" in text(refused)


@pytest.mark.fresh_office
def test_a_loopback_qr_address_is_flagged_to_the_admin(sign_in, db, client):
    admin = sign_in("admin")
    admin.put("/api/v1/office", headers=admin.api, json={**TEST_OFFICE, "base_url": "http://localhost:5000"})
    assert "hanya dapat dibuka dari server ini" in text(admin.get("/"))
    assert "hanya dapat dibuka dari komputer server ini" in text(admin.get("/admin/settings"))


def test_the_register_page_and_export_have_numbers_not_names(sign_in):
    staff = sign_in("staff")
    case = staff.post("/api/v1/cases", headers=staff.api, json={
        "full_name": "Sulastri Wulandari", "facility": "Rumah Singgah", "nik": "3510154506890003"}).json
    staff.post(f"/api/v1/cases/{case['id']}/aid", headers=staff.api, json={"kind": "ticket", "amount": 1_500_000})
    numbers = [staff.post(f"/api/v1/cases/{case['id']}/documents", headers=staff.api,
                          json={"kind": kind}).json["number"] for kind in ("pledge", "aid_receipt")]
    year = clock.office_today().year
    page = text(staff.get(f"/register?year={year}"))
    assert all(n in page for n in numbers) and "Kuitansi Bantuan Penerima Manfaat (APBD)" in page
    exported = staff.get(f"/register/{year}.csv")
    assert exported.headers["Content-Disposition"] == f'attachment; filename="agenda-surat-keluar-{year}.csv"'
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert rows[0] == ["nomor", "tanggal", "jenis", "perihal", "status"]
    assert [r[0] for r in rows[1:]] == numbers
    for body in (page, exported.data.decode("utf-8-sig")):
        assert "Sulastri" not in body and "3510154506890003" not in body


def test_the_layout_setting_reaches_the_letter(sign_in):
    admin = sign_in("admin")
    admin.put("/api/v1/office", headers=admin.api, json={"layout": {"paper": "F4", "font": "Times New Roman"}})
    case = admin.post("/api/v1/cases", headers=admin.api, json={"full_name": "Sulastri", "facility": "X"}).json
    doc = admin.post(f"/api/v1/cases/{case['id']}/documents", headers=admin.api, json={"kind": "pledge"}).json
    reader = PdfReader(io.BytesIO(admin.get(doc["pdf_url"], headers=admin.api).data))
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((609.4, 935.4), abs=1.5)
    fonts = {str(f["/BaseFont"]) for p in reader.pages for f in p["/Resources"]["/Font"].values()}
    assert any("LiberationSerif" in f for f in fonts), fonts


def test_an_upload_with_a_stigmatising_word_is_kept_with_a_warning(sign_in, tmp_path):
    admin = sign_in("admin")
    document = docx.Document()
    document.add_paragraph("Surat {{ number }}: {{ full_name }}, eks PSK dari Eks Lokalisasi Payo")
    path = tmp_path / "pledge.docx"
    document.save(path)
    response = admin.post("/api/v1/templates/pledge", headers=admin.api,
                          data={"file": (path.open("rb"), "pledge.docx")},
                          content_type="multipart/form-data")
    assert response.status_code == 201, response.json
    warnings = response.json["warnings"]
    assert [w["code"] for w in warnings] == ["stigmatising_word", "stigmatising_word"]
    assert any('"PSK"' in w["message"] for w in warnings)
    assert all("Surat {{ number }}" in w["where"] for w in warnings)
