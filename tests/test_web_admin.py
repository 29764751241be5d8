"""The admin pages: accounts, roles, API tokens, office settings and the letterhead logo."""

import io
import json
import re

import pytest
from PIL import Image

from service.records import office
from tests.test_web import (  # noqa: F401  (sign_in below)
    PASSWORD,
    flashes,
    login,
    post,
    sign_in,  # noqa: F401  (the fixture)
    text,
)


def _shown_once(response) -> str:
    match = re.search(r'<p class="secret-value mono">([^<]+)</p>', text(response))
    assert match, "the secret is not on the page"
    return match.group(1)


def test_new_account_with_a_generated_password_shown_once(sign_in, app, db):
    admin = sign_in("admin")
    response = post(admin, "/admin/users", {"username": "rina", "role": "staff"})
    assert response.status_code == 200
    password = _shown_once(response)
    assert len(password) >= 12
    # Never in a URL, a flash (the session cookie) or the audit log.
    assert password not in (response.headers.get("Location") or "")
    assert all(password not in c for c in response.headers.getlist("Set-Cookie"))
    assert password not in json.dumps(list(db.query("SELECT * FROM audit_log")))
    assert password not in text(admin.get("/admin/users"))
    entry = db.execute("SELECT detail FROM audit_log WHERE action = 'user.create'").fetchone()[0]
    assert json.loads(entry) == {"role": "staff"}
    assert login(app.test_client(), "rina", password).status_code == 302


def test_new_account_with_a_chosen_password_and_the_reasons_for_refusals(sign_in, app):
    admin = sign_in("admin")
    response = post(admin, "/admin/users", {"username": "budi", "role": "auditor", "password": "a long enough one"})
    assert response.status_code == 302
    assert login(app.test_client(), "budi", "a long enough one").status_code == 302
    again = post(admin, "/admin/users", {"username": "budi", "role": "staff", "password": "a long enough one"})
    assert again.status_code == 400 and "sudah dipakai" in text(again)
    short = post(admin, "/admin/users", {"username": "tini", "role": "staff", "password": "short"})
    assert short.status_code == 400 and "paling sedikit 10 karakter" in text(short)
    odd = post(admin, "/admin/users", {"username": "a b/c", "role": "staff", "password": "a long enough one"})
    assert odd.status_code == 400 and "huruf, angka" in text(odd)


def test_a_role_change_ends_the_sessions_and_applies_at_the_next_sign_in(sign_in, app, db):
    staff = sign_in("staff")
    assert staff.get("/admin/audit").status_code == 403
    admin = sign_in("admin")
    assert post(admin, f"/admin/users/{staff.user['id']}/role", {"role": "auditor"}).status_code == 302
    assert db["users"].get(staff.user["id"])["role"] == "auditor"
    assert staff.get("/admin/audit").status_code == 302  # signed out: the old session is over
    again = app.test_client()
    assert login(again, staff.user["username"]).status_code == 302
    assert again.get("/admin/audit").status_code == 200
    assert again.get("/cases/new").status_code == 403
    entry = db.execute("SELECT detail FROM audit_log WHERE action = 'user.role'").fetchone()[0]
    assert json.loads(entry) == {"from": "staff", "to": "auditor", "tokens_revoked": 1}


def test_an_admin_cannot_demote_or_deactivate_herself(sign_in, db):
    admin = sign_in("admin")
    me = admin.user["id"]
    response = post(admin, f"/admin/users/{me}/role", {"role": "staff"})
    assert any("sendiri" in f for f in flashes(admin.get(response.headers["Location"])))
    post(admin, f"/admin/users/{me}/active")
    row = db["users"].get(me)
    assert row["role"] == "admin" and row["active"] == 1


def test_a_password_reset_ends_the_old_sessions(sign_in, app):
    staff = sign_in("staff")
    admin = sign_in("admin")
    response = post(admin, f"/admin/users/{staff.user['id']}/password")
    password = _shown_once(response)
    assert staff.get("/").status_code == 302  # signed out everywhere
    assert login(app.test_client(), staff.user["username"]).status_code == 401
    assert login(app.test_client(), staff.user["username"], password).status_code == 302


def test_api_tokens_are_shown_once_work_and_can_be_revoked(sign_in, client, db):
    staff = sign_in("staff")
    admin = sign_in("admin")
    response = post(admin, f"/admin/users/{staff.user['id']}/tokens")
    token = _shown_once(response)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/search", headers=headers, json={}).status_code == 200
    page = text(admin.get(f"/admin/users/{staff.user['id']}"))
    assert token not in page and token[:10] in page  # only the prefix, to tell tokens apart
    token_id = db.execute("SELECT id FROM api_tokens WHERE prefix = ?", [token[:10]]).fetchone()[0]
    assert post(admin, f"/admin/tokens/{token_id}/revoke").status_code == 302
    assert client.post("/api/v1/search", headers=headers, json={}).status_code == 401
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE action LIKE 'token.%'")]
    assert actions == ["token.create", "token.revoke"]
    assert token not in json.dumps(list(db.query("SELECT * FROM audit_log")))


def _settings_form(admin) -> dict:
    html = text(admin.get("/admin/settings"))
    fields = dict(re.findall(r'<input[^>]* id="([a-z_]+)"[^>]* value="([^"]*)"', html))
    fields = {k: v.replace("&#39;", "'").replace("&amp;", "&") for k, v in fields.items()
              if k != "csrf_token"}
    assert "office_name" in fields and "pattern_pledge" in fields and "head_nip" in fields
    return fields


def test_office_settings_are_saved_and_used_by_the_next_letter(sign_in, db, client, make_user):
    admin = sign_in("admin")
    form = _settings_form(admin)
    form.update(office_name="DINAS SOSIAL DAN PEMBERDAYAAN MASYARAKAT", head_name="Drs. Yohanes Bria",
                head_nip="19680512 199403 1 004", pattern_pledge="{code}-{seq:04d}/{unit}/{year}",
                case_prefix="KPG")
    response = post(admin, "/admin/settings", form)
    assert response.status_code == 302, re.findall(r'class="error"[^>]*>([^<]*)', text(response))
    settings = office.get_all(db)
    assert settings["office"]["name"] == "DINAS SOSIAL DAN PEMBERDAYAAN MASYARAKAT"
    assert settings["officials"]["head"] == {"name": "Drs. Yohanes Bria",
                                             "title": "Kepala Dinas Sosial Kota Jambi",
                                             "rank": "Pembina Utama Muda (IV/c)",
                                             "nip": "196805121994031004"}
    assert settings["number_patterns"]["pledge"] == "{code}-{seq:04d}/{unit}/{year}"
    detail = json.loads(db.execute("SELECT detail FROM audit_log WHERE action = 'settings.update'").fetchone()[0])
    assert detail == {"changed": ["case_prefix", "number_patterns", "office", "officials"]}

    _, headers = make_user("staff")
    case = client.post("/api/v1/cases", headers=headers, json={"full_name": "Sulastri", "facility": "Km 12"}).json
    assert case["case_number"].startswith("KPG-")
    doc = client.post(f"/api/v1/cases/{case['id']}/documents", headers=headers, json={"kind": "pledge"}).json
    assert re.fullmatch(r"400-0001/DINSOS/\d{4}", doc["number"])


@pytest.mark.parametrize("field, value, why", [
    pytest.param("pattern_pledge", "{code}/{unit}/{year}", "harus memuat {seq}", id="no-seq"),
    pytest.param("pattern_pledge", "{seq}/{nomor}", "kolom tidak dikenal: nomor", id="unknown-field"),
    pytest.param("pattern_aid_receipt", "{seq", "pola", id="unbalanced"),
    pytest.param("pattern_release_report", "{seq:03q}", "pola tidak dapat dipakai", id="bad-format"),
    pytest.param("pattern_pledge", "", "wajib diisi", id="empty"),
    pytest.param("head_nip", "1968", "18 angka", id="short-nip"),
    pytest.param("case_prefix", "jmb 1", "huruf besar", id="prefix"),
    pytest.param("office_city", "x" * 101, "paling banyak 100 karakter", id="too-long"),
])
def test_bad_settings_are_refused_with_the_reason(sign_in, db, field, value, why):
    admin = sign_in("admin")
    before = office.get_all(db)
    form = dict(_settings_form(admin), **{field: value})
    response = post(admin, "/admin/settings", form)
    assert response.status_code == 400
    reason = re.search(rf'id="{field}-error">([^<]*)<', text(response))
    assert reason and why in reason.group(1).replace("&#39;", "'")
    assert office.get_all(db) == before


def _image(fmt: str, size=(120, 60)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (11, 97, 73)).save(out, format=fmt)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_logo_upload_accepts_png_and_jpeg_and_stores_png(sign_in, app, db, fmt):
    admin = sign_in("admin")
    response = admin.post("/admin/settings/logo", content_type="multipart/form-data",
                          data={"csrf_token": admin.csrf, "logo": (io.BytesIO(_image(fmt)), "logo.any")})
    assert response.status_code == 302
    stored = app.extensions["pulang"].settings.logo_path.read_bytes()
    assert stored.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(stored)).size == (120, 60)
    shown = admin.get("/admin/settings/logo.png")
    assert shown.status_code == 200 and shown.data == stored
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'settings.logo'").fetchone()[0] == 1


@pytest.mark.parametrize("data, why", [
    pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "bukan gambar PNG atau JPEG", id="svg"),
    pytest.param(b"GIF89a" + b"\0" * 100, "bukan gambar PNG atau JPEG", id="gif"),
    pytest.param(b"\x89PNG\r\n\x1a\n" + b"junk" * 50, "rusak", id="broken-png"),
    pytest.param(b"\x89PNG\r\n\x1a\n" + b"\0" * (1024 * 1024), "1 MB", id="too-big"),
    pytest.param(b"", "pilih berkas", id="empty"),
])
def test_logo_upload_checks_the_content_not_the_name(sign_in, app, data, why):
    admin = sign_in("admin")
    response = admin.post("/admin/settings/logo", content_type="multipart/form-data",
                          data={"csrf_token": admin.csrf, "logo": (io.BytesIO(data), "logo.png")})
    assert response.status_code == 400
    assert why in re.search(r'id="logo-error">([^<]*)<', text(response)).group(1)
    assert not app.extensions["pulang"].settings.logo_path.exists()
