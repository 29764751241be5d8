"""The staff web interface through Flask's test client: sign-in, the gate in front of every
page, CSRF on every POST, what each role may do, the audit trail, languages, and the case
pages end to end (real SQLite, real LibreOffice, real index). CSRF stays on: the tests
fetch tokens from the pages as a browser would."""

import datetime as dt
import json
import re
import time

import pytest

from service.records.kinds import AID_KINDS, KIND_LABELS

PASSWORD = "correct horse battery"  # what conftest's make_user gives every account
NAME = "Siti & <Aminah>"
NIK = "1571014107900001"
PUBLIC_ENDPOINTS = {"static", "auth.login", "public.verify", "public.healthz"}


# --- helpers -------------------------------------------------------------------------

def token_in(html: str) -> str:
    match = (re.search(r'name="csrf-token" content="([^"]+)"', html)
             or re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html))
    assert match, "no CSRF token on the page"
    return match.group(1)


def login(client, username, password=PASSWORD):
    token = token_in(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token})


@pytest.fixture
def sign_in(app, make_user):
    """sign_in(role) -> a test client signed in as a new user of that role, with
    .csrf (a valid token), .user and .api (bearer headers for the same user)."""
    def make(role="staff"):
        user, headers = make_user(role)
        client = app.test_client()
        response = login(client, user["username"])
        assert response.status_code == 302, response.get_data(as_text=True)
        client.csrf = token_in(client.get("/").get_data(as_text=True))
        client.user, client.api = user, headers
        return client
    return make


def post(client, path, data=None, **kwargs):
    return client.post(path, data=dict(data or {}, csrf_token=client.csrf), **kwargs)


def text(response) -> str:
    return response.get_data(as_text=True)


def flashes(response) -> list[str]:
    return re.findall(r'class="flash flash-\w+">([^<]*)<', text(response))


@pytest.fixture
def case(client, make_user):
    """A case with two aid items, made through the API (tested elsewhere)."""
    _, headers = make_user("staff")
    response = client.post("/api/v1/cases", headers=headers, json={
        "full_name": NAME, "nik": NIK, "birth_place": "Jambi", "birth_date": "1990-07-01",
        "origin_address": "Jl. Mawar No. 5", "origin_region": "Kediri, Jawa Timur",
        "facility": "Payo Sigadung", "release_date": "2024-07-31",
        "release_place": "Aula Rumah Dinas Wali Kota Jambi"})
    assert response.status_code == 201, response.json
    for kind, amount in (("ticket", 1_500_000), ("living_allowance", 1_001_000)):
        assert client.post(f"/api/v1/cases/{response.json['id']}/aid", headers=headers,
                           json={"kind": kind, "amount": amount}).status_code == 201
    return response.json


@pytest.fixture
def document(client, make_user, case):
    _, headers = make_user("staff")
    response = client.post(f"/api/v1/cases/{case['id']}/documents", headers=headers, json={"kind": "pledge"})
    assert response.status_code == 201, response.json
    return response.json


def _sample_path(rule) -> str:
    values = {name: 1 if type(conv).__name__ == "IntegerConverter" else "x"
              for name, conv in rule._converters.items()}
    return rule.build(values)[1]


# --- the gate ------------------------------------------------------------------------

def test_every_route_refuses_an_anonymous_visitor(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        path = _sample_path(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            checked += 1
            where = f"{method} {rule.rule}"
            if rule.rule.startswith("/api/"):
                assert response.status_code == 401, where
            elif response.status_code == 302:
                assert response.headers["Location"].startswith("/login"), where
            else:
                assert response.status_code in (401, 403), where
    assert checked > 25


def test_public_routes_stay_open(client):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code in (200, 503)
    assert client.get("/static/pulang.css").status_code == 200
    assert client.get("/v/unknown-token").status_code == 404


def test_the_api_never_accepts_the_session_cookie(sign_in, case):
    web = sign_in("admin")
    assert web.get(f"/cases/{case['id']}").status_code == 200
    assert web.get(f"/api/v1/cases/{case['id']}").status_code == 401
    response = web.post("/api/v1/cases", json={"full_name": "X", "facility": "Y"},
                        headers={"X-CSRFToken": web.csrf})
    assert response.status_code == 401


def test_anonymous_visitor_is_sent_back_where_she_was_going(client, make_user, case):
    user, _ = make_user("staff")
    response = client.get(f"/cases/{case['id']}")
    assert response.headers["Location"] == f"/login?next=/cases/{case['id']}"
    token = token_in(text(client.get(response.headers["Location"])))
    signed = client.post(response.headers["Location"],
                         data={"username": user["username"], "password": PASSWORD, "csrf_token": token})
    assert signed.headers["Location"] == f"/cases/{case['id']}"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_sign_in_never_redirects_off_site(client, make_user, target):
    user, _ = make_user("staff")
    token = token_in(text(client.get("/login")))
    response = client.post("/login", query_string={"next": target},
                           data={"username": user["username"], "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/"


# --- CSRF ----------------------------------------------------------------------------

def _web_posts(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            yield rule


def test_every_web_post_without_a_valid_csrf_token_is_refused(app, sign_in, db):
    admin = sign_in("admin")
    before = db.execute("SELECT count(*) FROM audit_log WHERE action NOT IN ('case.list')").fetchone()[0]
    rules = list(_web_posts(app))
    assert len(rules) >= 15
    for rule in rules:
        path = _sample_path(rule)
        for data in ({}, {"csrf_token": "forged"}):
            response = admin.post(path, data=data)
            assert response.status_code == 400, f"POST {rule.rule} with {data}"
    response = admin.post("/cases/check-nik", json={"nik": NIK})  # no X-CSRFToken header
    assert response.status_code == 400
    # Nothing was done: no new audit entries besides page views, still signed in.
    after = db.execute("SELECT count(*) FROM audit_log WHERE action NOT IN ('case.list')").fetchone()[0]
    assert after == before
    assert admin.get("/").status_code == 200


def test_sign_in_itself_needs_the_csrf_token(client, make_user):
    user, _ = make_user("staff")
    response = client.post("/login", data={"username": user["username"], "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


# --- sign-in -------------------------------------------------------------------------

def test_session_cookie_is_httponly_and_lax(client, make_user):
    user, _ = make_user("staff")
    response = login(client, user["username"])
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("pulang_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on the office LAN


def test_session_cookie_is_secure_over_https(app, make_user):
    user, _ = make_user("staff")
    client = app.test_client()
    token = token_in(text(client.get("/login", base_url="https://localhost")))
    response = client.post("/login", base_url="https://localhost",
                           data={"username": user["username"], "password": PASSWORD, "csrf_token": token})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("pulang_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_sign_in_and_failures_are_audited_without_the_password(client, make_user, db):
    user, _ = make_user("staff")
    assert login(client, user["username"], "wrong password 1").status_code == 401
    assert login(client, "nobody-here", "wrong password 2").status_code == 401
    assert login(client, user["username"]).status_code == 302
    rows = list(db.query("SELECT * FROM audit_log WHERE action LIKE 'login.%' ORDER BY id"))
    assert [r["action"] for r in rows] == ["login.failure", "login.failure", "login.success"]
    assert rows[0]["target_id"] == user["username"]
    assert json.loads(rows[1]["detail"]) == {"reason": "unknown_user"}
    assert rows[2]["username"] == user["username"] and rows[2]["at"]
    everything = json.dumps(list(db.query("SELECT * FROM audit_log")))
    assert "wrong password" not in everything and PASSWORD not in everything and "nobody-here" not in everything


# Sign-in throttling, session revocation and lifetimes: tests/test_trust_sessions.py.


def test_idle_session_ends(sign_in, app, db):
    web = sign_in("staff")
    assert web.get("/").status_code == 200
    minutes = app.extensions["pulang"].settings.session_minutes
    assert minutes == 30
    with web.session_transaction() as session:
        session["seen"] = int(time.time()) - minutes * 60 - 5
    response = web.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert web.get("/").status_code == 302  # really signed out
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'logout' AND detail LIKE '%idle%'").fetchone()[0] == 1


def _writes_session(response) -> bool:
    return any(c.startswith("pulang_session=") for c in response.headers.getlist("Set-Cookie"))


def test_only_a_request_that_changes_the_session_writes_its_cookie(sign_in, case):
    """A cookie written by a request sent beside another (the NIK check beside a save)
    would put back the session as that request saw it: a flash already shown came back
    in the browser test, and a sign-out could be undone. Views, static files and the
    check write no cookie; setting and showing a flash do."""
    web = sign_in("staff")
    assert not _writes_session(web.get(f"/cases/{case['id']}"))
    assert not _writes_session(web.get("/static/pulang.css"))
    assert not _writes_session(web.post("/cases/check-nik", json={"nik": NIK},
                                        headers={"X-CSRFToken": web.csrf}))
    saved = post(web, f"/cases/{case['id']}/aid", {"kind": "ticket", "amount": "1500000",
                                                   "source": "APBD"})
    assert saved.status_code == 302 and _writes_session(saved)
    shown = web.get(saved.headers["Location"])
    assert flashes(shown) == ["Bantuan dicatat."] and _writes_session(shown)
    assert flashes(web.get(f"/cases/{case['id']}")) == []


def test_activity_is_stamped_once_a_minute(sign_in):
    web = sign_in("staff")
    with web.session_transaction() as session:
        session["seen"] -= 61
    assert _writes_session(web.get("/"))
    with web.session_transaction() as session:
        assert int(time.time()) - session["seen"] < 61


def test_logout(sign_in):
    web = sign_in("staff")
    assert post(web, "/logout").status_code == 302
    assert web.get("/").status_code == 302


def test_deactivated_user_is_signed_out_at_once(sign_in, make_user):
    staff = sign_in("staff")
    admin = sign_in("admin")
    assert post(admin, f"/admin/users/{staff.user['id']}/active").status_code == 302
    assert staff.get("/").status_code == 302
    assert login(staff, staff.user["username"]).status_code == 401
    assert staff.get("/", headers=staff.api).status_code == 302  # nor with the token on the web
    assert staff.get("/api/v1/cases/1", headers=staff.api).status_code == 401


def test_security_headers(sign_in, client):
    web = sign_in("staff")
    for response in (web.get("/"), client.get("/login"), client.get("/healthz")):
        headers = response.headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "no-referrer"
        assert headers["X-Frame-Options"] == "DENY"
    assert web.get("/").headers["Cache-Control"] == "no-store"


def test_no_inline_script_or_style_on_any_page(sign_in, case, document):
    web = sign_in("admin")
    pages = ["/", "/cases/new", f"/cases/{case['id']}", f"/cases/{case['id']}/edit",
             f"/documents/{document['id']}", "/search", "/admin/users", "/admin/settings",
             "/admin/audit", f"/admin/users/{web.user['id']}", "/admin/templates",
             "/admin/templates/pledge/1", "/admin/templates/variables", "/exports"]
    for page in pages + ["/login"]:
        html = text(web.get(page) if page != "/login" else web.application.test_client().get(page))
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), page
        assert " style=" not in html and "<style" not in html, page
        assert not re.search(r"\son[a-z]+=", html), page  # no inline event handlers


# --- what each role may do -----------------------------------------------------------

ALL = {"admin", "supervisor", "staff", "auditor"}
WRITERS = {"admin", "supervisor", "staff"}

# (label, method, path, form data, roles allowed): API.md's roles and issue 3.
# Void comes last: it changes the document the others read.
ACTIONS = [
    ("home", "GET", "/", None, ALL),
    ("view case", "GET", "/cases/{case}", None, ALL),
    ("search", "POST", "/search", {"q": "Aminah"}, ALL),
    ("view document", "GET", "/documents/{doc}", None, ALL),
    ("preview", "GET", "/documents/{doc}/preview.png", None, ALL),
    ("download", "GET", "/documents/{doc}/download", None, ALL),
    ("open pdf", "GET", "/documents/{doc}/pdf", None, ALL),
    ("new case form", "GET", "/cases/new", None, WRITERS),
    ("create case", "POST", "/cases/new", {"full_name": "Sulastri", "facility": "Payo Sigadung"}, WRITERS),
    ("edit form", "GET", "/cases/{case}/edit", None, WRITERS),
    ("edit case", "POST", "/cases/{case}/edit", {"full_name": NAME, "nik": NIK, "facility": "Payo Sigadung"}, WRITERS),
    ("add aid", "POST", "/cases/{case}/aid", {"kind": "transport", "amount": "250.000"}, WRITERS),
    ("generate letter", "POST", "/cases/{case}/documents", {"kind": "release_report"}, WRITERS),
    ("user list", "GET", "/admin/users", None, {"admin"}),
    ("user page", "GET", "/admin/users/{me}", None, {"admin"}),
    ("create user", "POST", "/admin/users", {"username": "new-{role}", "role": "staff", "password": "a long enough one"}, {"admin"}),
    ("settings", "GET", "/admin/settings", None, {"admin"}),
    ("audit log", "GET", "/admin/audit", None, {"admin", "auditor"}),
    ("templates", "GET", "/admin/templates", None, {"admin"}),
    ("template version", "GET", "/admin/templates/pledge/1", None, {"admin"}),
    ("template variables", "GET", "/admin/templates/variables", None, {"admin"}),
    ("export page", "GET", "/exports", None, ALL),
    ("export masked", "GET", "/exports/cases.csv", None, ALL),
    ("export full", "GET", "/exports/cases.xlsx?full=1", None, {"admin", "supervisor"}),
    ("void", "POST", "/documents/{doc}/void", {"reason": "salah data", "confirm": "y"}, {"admin", "supervisor"}),
]


@pytest.mark.parametrize("role", ["admin", "supervisor", "staff", "auditor"])
def test_each_role_can_do_exactly_what_it_may(sign_in, case, document, role, db):
    web = sign_in(role)
    ids = {"case": case["id"], "doc": document["id"], "me": web.user["id"], "role": role}
    for label, method, path, data, allowed in ACTIONS:
        url = path.format(**ids)
        if method == "GET":
            response = web.get(url)
        else:
            response = post(web, url, {k: v.format(**ids) for k, v in data.items()})
        if role in allowed:
            assert response.status_code in (200, 302, 303), f"{role} should be able to: {label} ({response.status_code})"
            if method == "POST":
                assert not any("belum" in f.lower() for f in flashes(web.get("/"))), label
        else:
            assert response.status_code == 403, f"{role} must not: {label} ({response.status_code})"
    # What the server allowed actually happened, and what it refused did not.
    status = db["documents"].get(document["id"])["status"]
    assert status == ("void" if role in {"admin", "supervisor"} else "valid")
    made = db.execute("SELECT count(*) FROM documents WHERE kind = 'release_report'").fetchone()[0]
    assert made == (1 if role in WRITERS else 0)
    # The menu offers only what the role may do.
    home = text(web.get("/"))
    assert ('href="/cases/new"' in home) == (role in WRITERS)
    assert ('href="/admin/users"' in home) == (role == "admin")
    assert ('href="/admin/settings"' in home) == (role == "admin")
    assert ('href="/admin/audit"' in home) == (role in {"admin", "auditor"})
    assert ('href="/admin/templates"' in home) == (role == "admin")
    assert 'href="/exports"' in home
    page = text(web.get(f"/cases/{case['id']}"))
    assert ('name="kind" value="pledge"' in page) == (role in WRITERS)
    assert ('action="/cases/{}/aid"'.format(case["id"]) in page) == (role in WRITERS)


def test_void_button_only_for_supervisors_and_admins(sign_in, document):
    for role, offered in (("staff", False), ("supervisor", True), ("admin", True), ("auditor", False)):
        page = text(sign_in(role).get(f"/documents/{document['id']}"))
        assert ("/void" in page) == offered, role


# --- the case pages --------------------------------------------------------------------

def test_create_a_case_with_a_new_facility_and_see_it_whole(sign_in, db):
    web = sign_in("staff")
    form = text(web.get("/cases/new"))
    for name in ("full_name", "nik", "birth_place", "birth_date", "origin_address",
                 "origin_region", "facility", "new_facility", "notes"):
        assert re.search(rf'<label for="{name}">', form), f"{name} has no label"
        assert re.search(rf'<(input|select|textarea)[^>]* id="{name}"', form), name
    response = post(web, "/cases/new", {
        "full_name": NAME, "nik": NIK, "birth_place": "Jambi", "birth_date": "1990-07-01",
        "origin_region": "Kediri", "facility": "__new__", "new_facility": "Rumah Singgah Km 12"})
    assert response.status_code == 302
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert db.execute("SELECT name FROM facilities").fetchone()[0] == "Rumah Singgah Km 12"
    page = web.get(response.headers["Location"])
    html = text(page)
    assert "Siti &amp; &lt;Aminah&gt;" in html  # escaped, never raw
    assert NIK in html  # whole, on the case page only
    assert "1 Juli 1990" in html
    assert any("tersimpan" in f for f in flashes(page)) or "tersimpan" in html
    # The facility now appears in the list for the next case.
    assert '<option value="Rumah Singgah Km 12">' in text(web.get("/cases/new"))
    home = text(web.get("/"))
    assert NIK not in home and "1571********0001" in home
    assert f"/cases/{case_id}" in home


@pytest.mark.parametrize("typed, stored", [
    pytest.param("01/07/1990", "1990-07-01", id="dd/mm/yyyy"),
    pytest.param("1/7/1990", "1990-07-01", id="d/m/yyyy"),
    pytest.param("01-07-1990", "1990-07-01", id="dd-mm-yyyy"),
    pytest.param("1990-07-01", "1990-07-01", id="iso"),
])
def test_dates_are_typed_day_first_and_shown_so(sign_in, db, typed, stored):
    """A text box, not <input type=date>: the browser's locale cannot turn 01/07 into
    7 January. The edit form shows the date back as dd/mm/yyyy."""
    web = sign_in("staff")
    form = text(web.get("/cases/new"))
    assert 'type="date"' not in form and 'placeholder="hh/bb/tttt"' in form
    response = post(web, "/cases/new", {"full_name": "Sulastri", "birth_date": typed,
                                        "facility": "__new__", "new_facility": "Payo Sigadung"})
    assert response.status_code == 302, text(response)
    case_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert db.execute("SELECT birth_date FROM cases WHERE id = ?", [case_id]).fetchone()[0] == stored
    assert 'value="01/07/1990"' in text(web.get(f"/cases/{case_id}/edit"))


@pytest.mark.parametrize("typed", ["31/02/1990", "07/31/1990", "kemarin"])
def test_a_date_that_is_not_one_is_refused_on_its_field(sign_in, typed):
    web = sign_in("staff")
    response = post(web, "/cases/new", {"full_name": "Sulastri", "birth_date": typed,
                                        "facility": "__new__", "new_facility": "Payo Sigadung"})
    assert response.status_code == 400
    error = re.search(r'id="birth_date-error">([^<]*)<', text(response)).group(1)
    assert error == "Tanggal tidak dapat dibaca. Tulis hari/bulan/tahun (hh/bb/tttt)."
    assert f'value="{typed}"' in text(response)  # kept as typed, to correct


def test_a_birth_date_that_disagrees_with_the_nik_warns_but_saves(sign_in):
    web = sign_in("staff")
    response = post(web, "/cases/new", {"full_name": "Sulastri", "nik": NIK, "birth_date": "1991-02-03",
                                        "facility": "__new__", "new_facility": "Payo Sigadung"})
    assert response.status_code == 302
    page = web.get(response.headers["Location"])
    assert any("berbeda" in f for f in flashes(page))
    assert NIK in text(page)


@pytest.mark.parametrize("nik, why", [
    pytest.param("12345", "16 angka", id="short"),
    pytest.param("15710141079000AB", "angka", id="letters"),
    pytest.param("9971014107900001", "kode wilayah", id="region"),
])
def test_a_malformed_nik_is_refused_with_the_reason(sign_in, nik, why):
    web = sign_in("staff")
    response = post(web, "/cases/new", {"full_name": "Sulastri", "nik": nik, "facility": "__new__",
                                        "new_facility": "Payo Sigadung"})
    assert response.status_code == 400
    html = text(response)
    assert why in re.search(r'id="nik-error">([^<]*)<', html).group(1)
    assert 'aria-invalid="true"' in html


def test_a_nik_already_on_a_case_shows_a_notice_with_a_link(sign_in, case, db):
    web = sign_in("staff")
    data = {"full_name": "Siti Aminah", "nik": NIK, "facility": "Payo Sigadung"}
    response = post(web, "/cases/new", data)
    assert response.status_code == 400
    html = text(response)
    assert f'href="/cases/{case["id"]}"' in html and case["case_number"] in html
    assert 'name="allow_duplicate"' in html
    assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 1
    response = post(web, "/cases/new", dict(data, allow_duplicate="y"))
    assert response.status_code == 302
    assert db.execute("SELECT count(*) FROM cases").fetchone()[0] == 2


def test_required_fields_are_named(sign_in):
    web = sign_in("staff")
    response = post(web, "/cases/new", {"full_name": "", "facility": ""})
    assert response.status_code == 400
    html = text(response)
    assert 'id="full_name-error">Nama lengkap wajib diisi' in html
    assert 'id="facility-error">Lokasi wajib diisi' in html


def test_nik_check_as_you_type(sign_in, case):
    web = sign_in("staff")

    def check(**body):
        response = web.post("/cases/check-nik", json=body, headers={"X-CSRFToken": web.csrf})
        assert response.status_code == 200
        return response.json

    assert check(nik="123")["valid"] is False
    assert "16 angka" in check(nik="123")["message"]
    answer = check(nik=NIK)
    assert answer["existing_case"]["id"] == case["id"] and answer["existing_case"]["url"] == f"/cases/{case['id']}"
    assert check(nik=NIK, case_id=case["id"])["existing_case"] is None  # editing that same case
    assert check(nik="1571014107900002", birth_date="1990-07-01") == {
        "valid": True, "empty": False, "message": "", "warnings": [], "existing_case": None}
    assert check(nik="1571014107900002", birth_date="1991-01-01")["warnings"]
    assert check(nik="")["empty"] is True
    assert sign_in("auditor").post("/cases/check-nik", json={"nik": NIK},
                                   headers={"X-CSRFToken": web.csrf}).status_code in (400, 403)


def test_edit_a_case(sign_in, case, db):
    web = sign_in("staff")
    form = text(web.get(f"/cases/{case['id']}/edit"))
    assert f'value="{NIK}"' in form and '<option selected value="Payo Sigadung">' in form
    response = post(web, f"/cases/{case['id']}/edit", {
        "full_name": "Siti Aminah", "nik": NIK, "birth_date": "1990-07-01", "facility": "Payo Sigadung",
        "origin_region": "Blitar, Jawa Timur"})
    assert response.status_code == 302
    row = db["cases"].get(case["id"])
    assert row["full_name"] == "Siti Aminah" and row["origin_region"] == "Blitar, Jawa Timur"
    entry = db.execute("SELECT detail FROM audit_log WHERE action = 'case.update'").fetchone()[0]
    assert "Siti" not in entry and NIK not in entry


@pytest.mark.parametrize("typed, stored", [
    pytest.param("1.500.000", 1_500_000, id="dots"),
    pytest.param("1500000", 1_500_000, id="plain"),
    pytest.param("Rp 250.000", 250_000, id="with-rp"),
])
def test_aid_amounts_as_clerks_type_them(sign_in, case, db, typed, stored):
    web = sign_in("staff")
    response = post(web, f"/cases/{case['id']}/aid", {"kind": "business_capital", "amount": typed, "source": "APBD"})
    assert response.status_code == 302
    assert db.execute("SELECT amount FROM aid_items ORDER BY id DESC").fetchone()[0] == stored


@pytest.mark.parametrize("typed, why", [
    pytest.param("satu juta", "Tulis jumlah", id="words"),
    pytest.param("1,500,000", "Tulis jumlah", id="commas"),
    pytest.param("0", "harus antara", id="zero"),
    pytest.param("", "wajib diisi", id="empty"),
])
def test_bad_aid_amounts_are_refused_with_the_reason(sign_in, case, typed, why):
    web = sign_in("staff")
    response = post(web, f"/cases/{case['id']}/aid", {"kind": "ticket", "amount": typed})
    assert response.status_code == 400
    assert why in re.search(r'id="amount-error">([^<]*)<', text(response)).group(1)


def test_case_page_shows_aid_in_figures_and_words(sign_in, case):
    html = text(sign_in("auditor").get(f"/cases/{case['id']}"))
    assert "Rp1.500.000" in html and "Rp1.001.000" in html
    assert "Rp2.501.000" in html
    assert "Dua juta lima ratus satu ribu rupiah" in html  # 501 thousand keeps its "satu"
    assert NIK in html


def test_generate_preview_download_regenerate_and_void(sign_in, case, db):
    web = sign_in("supervisor")
    response = post(web, f"/cases/{case['id']}/documents", {"kind": "pledge"})
    assert response.status_code == 302
    page = web.get(response.headers["Location"].split("#")[0])
    first = db.execute("SELECT * FROM documents ORDER BY id DESC").fetchone()
    first = db["documents"].get(first[0])
    assert any(first["number"] in f for f in flashes(page))
    html = text(page)
    assert first["number"] in html and "Buat ulang" in html and web.user["username"] in html

    preview = web.get(f"/documents/{first['id']}/preview.png")
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    assert preview.data.startswith(b"\x89PNG") and preview.headers["Cache-Control"] == "no-store"
    download = web.get(f"/documents/{first['id']}/download")
    assert download.mimetype == "application/pdf" and download.headers["Cache-Control"] == "no-store"
    name = "surat-pernyataan-" + re.sub(r"[^a-z0-9]+", "-", first["number"].lower()) + ".pdf"
    assert download.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    from tests.helpers import pdftotext
    assert NAME in " ".join(pdftotext(download.data).split())

    # Regenerate: a new number, the old one superseded.
    post(web, f"/cases/{case['id']}/documents", {"kind": "pledge"})
    second = db["documents"].get(db.execute("SELECT max(id) FROM documents").fetchone()[0])
    assert second["number"] != first["number"] and second["supersedes_id"] == first["id"]
    assert db["documents"].get(first["id"])["status"] == "superseded"
    old_page = text(web.get(f"/documents/{first['id']}"))
    assert "Diganti" in old_page and second["number"] in old_page

    # Void needs a reason, then marks the letter BATAL.
    assert post(web, f"/documents/{second['id']}/void", {"reason": "", "confirm": "y"}).status_code == 400
    unsure = post(web, f"/documents/{second['id']}/void", {"reason": "nama salah ketik"})
    assert unsure.status_code == 400 and "Centang untuk memastikan pembatalan." in text(unsure)
    assert db["documents"].get(second["id"])["status"] == "valid"
    assert post(web, f"/documents/{second['id']}/void", {"reason": "nama salah ketik", "confirm": "y"}).status_code == 302
    assert db["documents"].get(second["id"])["status"] == "void"
    assert "BATAL" in pdftotext(web.get(f"/documents/{second['id']}/pdf").data)
    again = post(web, f"/documents/{second['id']}/void", {"reason": "lagi", "confirm": "y"})
    assert again.status_code == 302 and any("tidak dapat dibatalkan" in f for f in flashes(web.get(again.headers["Location"])))


def test_a_receipt_without_aid_is_explained_not_crashed(sign_in, make_user, client):
    _, headers = make_user("staff")
    case = client.post("/api/v1/cases", headers=headers, json={"full_name": "Sulastri", "facility": "Km 12"}).json
    web = sign_in("staff")
    html = text(web.get(f"/cases/{case['id']}"))
    assert re.search(r'value="aid_receipt"[^>]*disabled', html)
    response = post(web, f"/cases/{case['id']}/documents", {"kind": "aid_receipt"})
    assert response.status_code == 302
    assert any("Belum ada bantuan" in f for f in flashes(web.get(f"/cases/{case['id']}")))


# --- search --------------------------------------------------------------------------

def test_search_forgives_misspelling_masks_nik_and_highlights(sign_in, case, document):
    web = sign_in("staff")
    assert web.get("/search").status_code == 200
    response = post(web, "/search", {"q": "Aminnah"}, follow_redirects=True)
    html = text(response)
    assert response.status_code == 200
    assert f'href="/cases/{case["id"]}"' in html
    assert "Siti &amp; &lt;<mark>Aminah</mark>&gt;" in html  # the index's escaped highlight
    assert "<Aminah>" not in html
    assert "1571********0001" in html and NIK not in html
    assert document["number"] in html
    by_nik = text(post(web, "/search", {"q": NIK}, follow_redirects=True))
    assert f'href="/cases/{case["id"]}"' in by_nik and NIK not in by_nik.replace(f'value="{NIK}"', "")
    by_number = text(post(web, "/search", {"q": document["number"]}, follow_redirects=True))
    assert f"<mark>{document['number']}</mark>" in by_number


def test_search_filters_and_pages(sign_in, make_user, client, case):
    _, headers = make_user("staff")
    for i in range(22):
        client.post("/api/v1/cases", headers=headers, json={"full_name": f"Warga {i}", "facility": "Km 12"})
    web = sign_in("staff")
    asked = post(web, "/search", {"facility": "Km 12"})
    assert asked.status_code == 303 and re.fullmatch(r"/search/r/[\w-]{16}", asked.location)
    first = text(web.get(asked.location))
    assert "22 kasus ditemukan" in first
    assert first.count('class="hit"') == 20
    assert f'href="{asked.location}?page=2"' in first  # the pager links to the held result
    second = text(web.get(asked.location + "?page=2"))
    assert second.count('class="hit"') == 2
    none = text(post(web, "/search", {"q": "Aminah", "facility": "Km 12"}, follow_redirects=True))
    assert "0 kasus ditemukan" in none
    bad = post(web, "/search", {"date_from": "31-13-2024"})
    assert bad.status_code == 400 and "Tanggal tidak dapat dibaca" in text(bad)
    dated = post(web, "/search", {"date_from": "31/07/2024"})  # typed the Indonesian way
    assert dated.status_code == 303


def test_search_is_a_post_so_the_query_stays_out_of_urls(sign_in, case):
    web = sign_in("staff")
    html = text(web.get("/"))
    assert re.search(r'<form class="searchbar" method="post" action="/search"', html)
    assert re.search(r'<form method="post" action="/search"', text(web.get("/search")))


def test_search_results_are_held_for_the_session_that_asked(sign_in, case):
    """Back after a search is a GET of /search/r/<id>: the id is opaque (the query is held
    on the server), works again and again for the session that asked, and for nobody else."""
    web = sign_in("staff")
    asked = post(web, "/search", {"q": "Siti Aminah"})
    assert asked.status_code == 303
    assert "Siti" not in asked.location and "Aminah" not in asked.location
    for _ in range(2):
        again = web.get(asked.location)
        assert again.status_code == 200 and f'href="/cases/{case["id"]}"' in text(again)
        assert again.headers["Cache-Control"] == "no-store"
        assert 'value="Siti Aminah"' in text(again)  # the box still holds the query
    other = sign_in("staff")
    refused = other.get(asked.location)
    assert refused.status_code == 404 and "Siti" not in text(refused)
    assert "sudah tidak tersedia" in text(refused)
    assert web.get("/search/r/not-an-id").status_code == 404


# --- the audit trail -----------------------------------------------------------------

def test_views_downloads_previews_and_searches_are_audited_without_names(sign_in, case, document, db):
    web = sign_in("auditor")
    start = db.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    web.get(f"/cases/{case['id']}")
    web.get(f"/documents/{document['id']}/preview.png")
    web.get(f"/documents/{document['id']}/download")
    web.get(f"/documents/{document['id']}/pdf")
    post(web, "/search", {"q": "Siti Aminah"}, follow_redirects=True)
    post(web, "/search", {"q": NIK}, follow_redirects=True)
    rows = list(db.query("SELECT * FROM audit_log WHERE id > ? ORDER BY id", [start]))
    actions = [r["action"] for r in rows]
    for wanted in ("case.read", "document.preview", "document.download", "search"):
        assert wanted in actions
    assert actions.count("document.download") == 2 and actions.count("search") == 2
    for row in rows:
        assert row["username"] == web.user["username"] and row["user_id"] == web.user["id"]
        assert dt.datetime.fromisoformat(row["at"]).tzinfo is not None
    everything = json.dumps(list(db.query("SELECT * FROM audit_log")))
    for secret in ("Siti", "Aminah", NIK, NIK[:12]):
        assert secret not in everything


def test_audit_log_page_filters_who_what_when(sign_in, case, db):
    staff = sign_in("staff")
    staff.get(f"/cases/{case['id']}")
    auditor = sign_in("auditor")
    html = text(auditor.get("/admin/audit", query_string={"who": staff.user["username"], "what": "case.read"}))
    rows = re.findall(r"<tr>\s*<td class=\"nowrap\">", html)
    assert len(rows) == 1 and staff.user["username"] in html
    today = dt.date.today().isoformat()
    assert "case.read" in text(auditor.get("/admin/audit", query_string={"date_from": today, "date_to": today}))
    empty = text(auditor.get("/admin/audit", query_string={"date_to": "2001-01-01"}))
    assert "0 catatan" in empty
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'audit.read'").fetchone()[0] == 3


# --- languages -----------------------------------------------------------------------

def test_indonesian_by_default_and_accept_language_does_not_switch(sign_in, client):
    assert "Masuk ke Pulang" in text(client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}))
    web = sign_in("staff")
    html = text(web.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}))
    assert "Kasus terbaru" in html and "Recent cases" not in html
    assert '<html lang="id">' in html


def test_the_users_choice_of_english_is_remembered(sign_in, case, db):
    web = sign_in("staff")
    response = post(web, "/account/language", {"locale": "en", "next": f"/cases/{case['id']}"})
    assert response.headers["Location"] == f"/cases/{case['id']}"
    assert db["users"].get(web.user["id"])["locale"] == "en"
    html = text(web.get(f"/cases/{case['id']}"))
    assert '<html lang="en">' in html and "Letters" in html and "Surat Pernyataan" not in html
    assert "1 July 1990" in html  # dates in the reader's language
    assert "Rp2.501.000" in html  # rupiah are written the Indonesian way in both
    home = text(web.get("/"))
    assert "Recent cases" in home and "Kasus terbaru" not in home
    # Remembered per user: a new session comes back in English.
    again = login(web.application.test_client(), web.user["username"])
    assert again.status_code == 302
    post(web, "/account/language", {"locale": "id"})
    assert "Kasus terbaru" in text(web.get("/"))


def test_unknown_language_is_ignored(sign_in, db):
    web = sign_in("staff")
    post(web, "/account/language", {"locale": "fr"})
    assert db["users"].get(web.user["id"])["locale"] == "id"


def test_labels_keep_step_with_the_record_layer(app):
    from service.web.i18n import AID_LABELS
    from service.web.i18n import KIND_LABELS as WEB_KIND_LABELS
    with app.test_request_context():
        assert {k: str(v) for k, v in AID_LABELS.items()} == AID_KINDS
        assert {k: str(v) for k, v in WEB_KIND_LABELS.items()} == KIND_LABELS


def test_english_catalogue_is_complete_and_compiled(tmp_path):
    """Every message on a page has an English translation, and the committed .mo is the
    compiled .po (nothing is compiled at run time)."""
    import subprocess
    import sys
    from pathlib import Path

    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    pot = tmp_path / "messages.pot"
    subprocess.run([str(Path(sys.executable).parent / "pybabel"), "extract", "-F", "babel.cfg",
                    "-k", "_l", "-o", str(pot), "."], cwd=root, check=True, capture_output=True)
    catalogue = root / "service/translations/en/LC_MESSAGES"
    with open(pot, "rb") as fh:
        wanted = read_po(fh)
    with open(catalogue / "messages.po", "rb") as fh:
        english = read_po(fh, locale="en")
    with open(catalogue / "messages.mo", "rb") as fh:
        compiled = read_mo(fh)
    def entry(catalogue, message):
        return catalogue.get(message.id, context=message.context)

    untranslated = [m.id for m in wanted if m.id and (
        entry(english, m) is None or not entry(english, m).string or entry(english, m).fuzzy)]
    assert not untranslated, f"run `make translations` and translate: {untranslated}"

    def key(message):  # read_mo gives plurals as lists and contexts as bytes
        plain = lambda v: tuple(v) if isinstance(v, (list, tuple)) else v  # noqa: E731
        context = message.context.decode() if isinstance(message.context, bytes) else message.context
        return context, plain(message.id), plain(message.string)
    stale = {key(m) for m in english if m.id} - {key(m) for m in compiled if m.id}
    assert not stale, "the .mo is older than the .po: run `make translations`"


# --- undo and confirm (issue 12 item 7) -----------------------------------------------

def test_aid_items_are_corrected_and_removed_with_the_receipt_flagged(sign_in, case, db):
    web = sign_in("staff")
    made = post(web, f"/cases/{case['id']}/documents", {"kind": "aid_receipt"})
    assert made.status_code == 302
    receipt = db.execute("SELECT id, number FROM documents WHERE kind = 'aid_receipt'").fetchone()
    page = text(web.get(f"/cases/{case['id']}"))
    assert "data berubah" not in page
    ticket, allowance = [r[0] for r in db.execute("SELECT id FROM aid_items WHERE case_id = ? ORDER BY id",
                                                  [case["id"]])]
    form = text(web.get(f"/cases/{case['id']}/aid/{ticket}/edit"))
    assert 'value="1.500.000"' in form
    bad = post(web, f"/cases/{case['id']}/aid/{ticket}/edit", {"kind": "ticket", "amount": "sejuta"})
    assert bad.status_code == 400
    saved = post(web, f"/cases/{case['id']}/aid/{ticket}/edit", {"kind": "ticket", "amount": "1.750.000",
                                                                 "source": "APBD"})
    assert saved.status_code == 302
    after = web.get(f"/cases/{case['id']}")
    assert any("memuat data lama" in f and receipt[1] in f and "bantuan" in f for f in flashes(after))
    page = text(after)
    assert "Rp1.750.000" in page and "data berubah" in page and "Buat ulang dengan data baru" in page
    # Removing asks first, naming her and the item; the answer is a POST.
    asked = text(web.get(f"/cases/{case['id']}/aid/{allowance}/delete"))
    assert "Siti &amp; &lt;Aminah&gt;" in asked and "Jatah hidup" in asked and "Rp1.001.000" in asked
    assert post(web, f"/cases/{case['id']}/aid/{allowance}/delete").status_code == 302
    assert [r[0] for r in db.execute("SELECT id FROM aid_items WHERE case_id = ?", [case["id"]])] == [ticket]
    audit = {r["action"]: json.loads(r["detail"]) for r in db.query("SELECT action, detail FROM audit_log")}
    assert audit["aid.update"] == {"aid_id": ticket, "kind": "ticket", "amount": 1_500_000, "new_kind": "ticket",
                                   "new_amount": 1_750_000, "fields": ["amount", "source"]}
    assert audit["aid.delete"] == {"aid_id": allowance, "kind": "living_allowance", "amount": 1_001_000}
    # One click makes the receipt again with the new data; the flag goes.
    assert post(web, f"/cases/{case['id']}/documents", {"kind": "aid_receipt"}).status_code == 302
    assert "data berubah" not in text(web.get(f"/cases/{case['id']}"))


def test_editing_a_case_with_letters_says_which_now_hold_old_data(sign_in, case, document):
    web = sign_in("staff")
    saved = post(web, f"/cases/{case['id']}/edit", {"full_name": "Siti Aminah", "nik": NIK,
                                                     "facility": "Payo Sigadung", "birth_date": "01/07/1990"})
    assert saved.status_code == 302
    said = flashes(web.get(saved.location))
    assert any("Surat Pernyataan" in f and document["number"] in f and "identitas" in f for f in said), said


def test_closing_asks_first_and_a_supervisor_can_reopen(sign_in, case, db):
    supervisor = sign_in("supervisor")
    asked = supervisor.get(f"/cases/{case['id']}/close")
    assert asked.status_code == 200 and "Tutup kasus Siti &amp; &lt;Aminah&gt;" in text(asked)
    assert db["cases"].get(case["id"])["status"] == "open"  # asking changed nothing
    assert post(supervisor, f"/cases/{case['id']}/close").status_code == 302
    assert db["cases"].get(case["id"])["status"] == "closed"
    staff = sign_in("staff")
    assert post(staff, f"/cases/{case['id']}/reopen").status_code == 403
    assert post(supervisor, f"/cases/{case['id']}/reopen").status_code == 302
    row = db["cases"].get(case["id"])
    assert row["status"] == "open" and row["closed_at"] is None
    assert "case.reopen" in {r[0] for r in db.execute("SELECT action FROM audit_log")}


def test_the_api_corrects_and_removes_aid(client, case, make_user):
    _, headers = make_user("staff")
    aid_id = client.get(f"/api/v1/cases/{case['id']}", headers=headers).json["aid_items"][0]["id"]
    fixed = client.patch(f"/api/v1/cases/{case['id']}/aid/{aid_id}", headers=headers, json={"amount": 2_000_000})
    assert fixed.status_code == 200 and fixed.json["amount"] == 2_000_000
    bad = client.patch(f"/api/v1/cases/{case['id']}/aid/{aid_id}", headers=headers, json={"amount": 0})
    assert bad.status_code == 400 and "amount" in bad.json["error"]["fields"]
    assert client.patch(f"/api/v1/cases/{case['id']}/aid/999", headers=headers, json={}).status_code == 404
    assert client.delete(f"/api/v1/cases/{case['id']}/aid/{aid_id}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/cases/{case['id']}/aid/{aid_id}", headers=headers).status_code == 404
    assert len(client.get(f"/api/v1/cases/{case['id']}", headers=headers).json["aid_items"]) == 1


def test_the_print_progress_waits_for_the_next_step_and_refuses_a_bad_wait(sign_in, client, staff):
    """The progress bar's endpoint takes the API's `wait` (the page asks with wait=10)."""
    from tests.test_ceremonies_data import make_cases, make_ceremony

    ceremony = make_ceremony(client, staff, make_cases(client, staff, 1, tricky=False))
    job = client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=staff,
                      json={"kinds": ["pledge"]}).json  # no consumer here: it stays queued
    web = sign_in("staff")
    bad = web.get(f"/jobs/{job['job_id']}/progress?wait=forever")
    assert bad.status_code == 400 and "wait" in bad.get_data(as_text=True)
    began = time.monotonic()
    waited = web.get(f"/jobs/{job['job_id']}/progress?wait=0.3")
    assert waited.status_code == 200 and waited.json["state"] == "queued"
    assert waited.json["state_label"] and time.monotonic() - began >= 0.3
