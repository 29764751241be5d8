"""Issue 10, items 10-12: sessions end when they should, throttling an office can live
with, tokens that expire and are revoked, and a health check that tells strangers only
whether the service is up. Each test names the attack it tries and what happened to it
before issue 10 (docs/reliability.md has the same list).

Time is never waited out: a wait or a lifetime that would have to pass is moved into the
past in the database or the session, as a clock would."""

import datetime as dt
import json
import time

import pytest

from service import create_app
from service.auth import login as attempts
from service.auth.users import TokenRefused, create_token, create_user, user_for_token
from service.config import Settings
from service.runtime import Runtime
from tests.test_web import (  # noqa: F401  (sign_in is a fixture)
    PASSWORD,
    login,
    post,
    sign_in,
    text,
    token_in,
)

ROUTER = "10.20.30.1"       # an office's one address: every clerk is behind it
ELSEWHERE = "10.99.0.7"


def _client(app, address=ROUTER):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _past(db, address: str, username: str) -> None:
    """The wait this address has for this name is over (as if it had been sat out)."""
    db.execute("UPDATE login_failures SET wait_until = ? WHERE address = ? AND name_key = ?",
               ["2000-01-01T00:00:00+00:00", address, attempts.name_key(username)])
    db.commit()


def _signed_out(client) -> bool:
    response = client.get("/")
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- item 11: throttling --------------------------------------------------------------

def test_a_guesser_behind_the_office_router_locks_nobody_else_out(app, make_user):
    """Before: 20 failures from one address answered 429 to every sign-in from it for 15
    minutes, so one clerk's (or one intruder's) typing locked the whole office out."""
    clerk, _ = make_user("staff")
    guesser = _client(app)
    for i in range(25):
        assert login(guesser, f"ghost{i}", "guess").status_code == 401  # each name new: no wait
    for i in range(3):
        login(guesser, clerk["username"], f"wrong {i}")
    assert login(guesser, clerk["username"], "wrong 4").status_code == 429
    colleague, _ = make_user("staff")
    assert login(_client(app), colleague["username"]).status_code == 302


def test_nobody_can_lock_the_auditor_out(app, make_user, db):
    """Before: five wrong passwords locked any account for 15 minutes: anyone could keep
    the auditor (or the only admin) out. Now the guesser's computer waits, longer each
    time; the auditor at her own desk signs in at once."""
    auditor, _ = make_user("auditor")
    guesser = _client(app, ELSEWHERE)
    waits = []
    for i in range(8):  # 3 free failures, then wait/failure pairs
        response = login(guesser, auditor["username"], f"wrong {i}")
        if response.status_code == 429:
            waits.append(int(response.headers["Retry-After"]))
            assert "Coba lagi dalam" in text(response)
            _past(db, ELSEWHERE, auditor["username"])  # the guesser sits the wait out
        else:
            assert response.status_code == 401
        assert login(_client(app), auditor["username"]).status_code == 302
    # The waits grow: 2 s after the third failure, then 4, 8 (attempts.wait_for).
    assert waits == [2, 4, 8]
    assert attempts.wait_for(30) == attempts.MAX_WAIT


def test_while_waiting_no_password_is_checked_and_a_success_clears_the_wait(app, make_user, db):
    user, _ = make_user("staff")
    here = _client(app)
    for i in range(attempts.FREE_FAILURES):
        assert login(here, user["username"], f"wrong {i}").status_code == 401
    response = login(here, user["username"])  # the right password, during the wait
    assert response.status_code == 429 and response.headers["Retry-After"] == "2"
    _past(db, ROUTER, user["username"])
    assert login(here, user["username"]).status_code == 302
    assert db.execute("SELECT count(*) FROM login_failures").fetchone()[0] == 0
    reasons = [json.loads(r[0])["reason"] for r in db.execute(
        "SELECT detail FROM audit_log WHERE action = 'login.failure' ORDER BY id")]
    assert reasons == ["bad_password"] * 3 + ["throttled"]


def test_the_name_typed_is_kept_as_a_hash(app, db):
    """People type their password into the name box: it must not be stored as typed."""
    login(_client(app), "Rahasia-Sandi-99", "x")
    stored = json.dumps([list(r) for r in db.execute("SELECT * FROM login_failures")])
    assert "Rahasia" not in stored and "rahasia" not in stored
    assert attempts.unknown_names(db) == (1, 1)


def test_admins_see_the_accounts_under_attack_and_can_lift_the_waits(app, sign_in, make_user, db):
    target, _ = make_user("auditor")
    for address in (ELSEWHERE, "10.99.0.8"):
        guesser = _client(app, address)
        for i in range(4):
            login(guesser, target["username"], f"wrong {i}")
    admin = sign_in("admin")
    page = text(admin.get("/admin/users"))
    section = page[page.index('id="attacked"'):]
    section = section[:section.index("</table>")]
    assert target["username"] in section and ">6<" in section  # 3 + 3: each 4th try waited
    assert attempts.under_attack(db)[0]["addresses"] == 2
    # Not shown to anyone else.
    assert sign_in("supervisor").get("/admin/users").status_code == 403
    detail = text(admin.get(f"/admin/users/{target['id']}"))
    assert "dari 2 alamat" in detail and "harus menunggu sampai" in detail
    assert post(admin, f"/admin/users/{target['id']}/unlock").status_code == 302
    assert attempts.under_attack(db) == []
    assert login(_client(app, ELSEWHERE), target["username"]).status_code == 302


# --- item 10: sessions ---------------------------------------------------------------

def _cookie_copy(app, client):
    """Another browser holding a copy of `client`'s session cookie (a stolen cookie, or
    the same clerk's second tab)."""
    thief = app.test_client()
    cookie = client.get_cookie("pulang_session")
    thief.set_cookie("pulang_session", cookie.value)
    assert thief.get("/").status_code == 200
    return thief


def test_sign_out_ends_the_session_on_the_server(app, sign_in):
    """Before: sign-out cleared only the browser's cookie; a copy of it taken earlier went
    on opening every page until it timed out."""
    web = sign_in("staff")
    thief = _cookie_copy(app, web)
    assert post(web, "/logout").status_code == 302
    assert _signed_out(thief)


@pytest.mark.parametrize("change", ["role", "deactivate", "password"])
def test_role_change_deactivation_and_new_password_end_every_session(app, sign_in, change):
    """Before: a role change or deactivation left the open sessions running (with the old
    role's pages until the next check); only a password reset ended them."""
    web = sign_in("staff")
    thief = _cookie_copy(app, web)
    admin = sign_in("admin")
    path, data = {"role": ("role", {"role": "supervisor"}), "deactivate": ("active", None),
                  "password": ("password", None)}[change]
    assert post(admin, f"/admin/users/{web.user['id']}/{path}", data).status_code in (200, 302)
    assert _signed_out(web) and _signed_out(thief)
    assert admin.get("/").status_code == 200  # the admin's own session goes on


def test_a_session_ends_after_its_absolute_lifetime_however_busy(sign_in, app, db):
    web = sign_in("staff")
    hours = app.extensions["pulang"].settings.session_hours
    assert hours == 12
    with web.session_transaction() as session:
        session["since"] = int(time.time()) - hours * 3600 - 5
        session["seen"] = int(time.time())  # busy a second ago
    response = web.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _signed_out(web)
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'logout' "
                      "AND detail LIKE '%lifetime%'").fetchone()[0] == 1


def _app_with(settings, converter_pool, **changes):
    settings = Settings(**{**settings.__dict__, **changes})
    runtime = Runtime(settings, pool=converter_pool)
    app = create_app({"archive": settings.archive, "TESTING": True, **changes}, runtime=runtime)
    return app, runtime


def test_https_setting_forces_secure_cookies_and_hsts(settings, converter_pool, make_user):
    """Behind an HTTPS proxy the service sees plain http: without the setting its cookie
    went out without Secure (a downgraded link carries it) and no HSTS was sent."""
    app, runtime = _app_with(settings, converter_pool, https=True)
    try:
        user, _ = make_user("staff")
        client = app.test_client()
        response = login(client, user["username"])
        cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("pulang_session="))
        assert "Secure" in cookie
        assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=")
    finally:
        runtime.close()


def test_off_by_default_no_hsts_and_forwarded_headers_are_not_trusted(app, make_user, db):
    """With no proxy configured, X-Forwarded-For is the client's own say: a guesser who
    changes it on every try must still be counted as the one address it is."""
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    user, _ = make_user("staff")
    guesser = _client(app)
    codes = []
    for i in range(4):
        guesser.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{i}"
        codes.append(login(guesser, user["username"], f"wrong {i}").status_code)
    assert codes == [401, 401, 401, 429]
    assert {r[0] for r in db.execute("SELECT address FROM login_failures")} == {ROUTER}


def test_proxy_hops_trusts_the_proxys_forwarded_address(settings, converter_pool, make_user, db):
    app, runtime = _app_with(settings, converter_pool, proxy_hops=1)
    try:
        user, _ = make_user("staff")
        clerk = _client(app, "127.0.0.1")  # the proxy
        clerk.environ_base["HTTP_X_FORWARDED_FOR"] = "10.1.1.9"
        assert login(clerk, user["username"], "wrong").status_code == 401
        assert [r[0] for r in db.execute("SELECT address FROM login_failures")] == ["10.1.1.9"]
    finally:
        runtime.close()


# --- item 12: tokens and health ------------------------------------------------------

def _expire(db, token: str) -> None:
    db.execute("UPDATE api_tokens SET expires_at = ? WHERE prefix = ?",
               ["2020-01-01T00:00:00+00:00", token[:10]])
    db.commit()


def test_tokens_expire_after_90_days_by_default(client, db):
    """Before: a token lived until someone revoked it: one copied into a forgotten script
    opened the archive for years."""
    create_user(db, "script", "staff", PASSWORD)
    token = create_token(db, "script")
    expires = db.execute("SELECT created_at, expires_at FROM api_tokens").fetchone()
    lifetime = dt.datetime.fromisoformat(expires[1]) - dt.datetime.fromisoformat(expires[0])
    assert lifetime == dt.timedelta(days=90)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/search", headers=headers, json={}).status_code == 200
    _expire(db, token)
    response = client.post("/api/v1/search", headers=headers, json={})
    assert response.status_code == 401 and "expired" in response.json["error"]["message"]
    with pytest.raises(TokenRefused):
        user_for_token(db, token)


def test_token_days_is_a_setting_and_checked(db):
    create_user(db, "script", "staff", PASSWORD)
    create_token(db, "script", days=7)
    row = db.execute("SELECT created_at, expires_at FROM api_tokens").fetchone()
    assert dt.datetime.fromisoformat(row[1]) - dt.datetime.fromisoformat(row[0]) == dt.timedelta(days=7)
    from service.errors import InvalidInput
    for days in (0, -1, 5000):
        with pytest.raises(InvalidInput) as refused:
            create_token(db, "script", days=days)
        assert "days" in refused.value.fields


def test_a_token_records_when_it_was_last_used(client, make_user, db):
    user, headers = make_user("staff")
    assert db.execute("SELECT last_used_at FROM api_tokens WHERE user_id = ?", [user["id"]]).fetchone()[0] is None
    client.post("/api/v1/search", headers=headers, json={})
    used = db.execute("SELECT last_used_at FROM api_tokens WHERE user_id = ?", [user["id"]]).fetchone()[0]
    assert used and dt.datetime.fromisoformat(used) <= dt.datetime.now(dt.timezone.utc)
    admin, admin_headers = make_user("admin")
    listed = client.get(f"/api/v1/users/{user['id']}/tokens", headers=admin_headers).json["tokens"]
    assert listed[0]["last_used_at"] == used and listed[0]["expires_at"]


@pytest.mark.parametrize("change", ["role", "deactivate", "password"])
def test_tokens_are_revoked_by_a_new_password_role_or_deactivation(app, sign_in, client, change):
    """Before: a password reset (the admin's answer to a leaked password) left the tokens
    made with it working, and a role change left them with the role's new rights."""
    staff = sign_in("staff")
    assert client.post("/api/v1/search", headers=staff.api, json={}).status_code == 200
    admin = sign_in("admin")
    path, data = {"role": ("role", {"role": "auditor"}), "deactivate": ("active", None),
                  "password": ("password", None)}[change]
    response = post(admin, f"/admin/users/{staff.user['id']}/{path}", data)
    assert response.status_code in (200, 302)
    refused = client.post("/api/v1/search", headers=staff.api, json={})
    assert refused.status_code == 401 and "revoked" in refused.json["error"]["message"]
    if change == "password":
        assert "1 token API akun ini dicabut" in text(response)


def test_healthz_tells_strangers_only_that_the_service_is_up(client, app, sign_in, make_user):
    """Before: anyone on the network read the converter's worker pids, restarts and queue
    (when to strike, and whether it worked)."""
    anonymous = client.get("/healthz")
    assert anonymous.status_code == 200 and anonymous.json == {"status": "ok"}
    assert sign_in("staff").get("/healthz").json == {"status": "ok"}
    admin = sign_in("admin").get("/healthz").json
    assert admin["status"] == "ok" and admin["db"] == "ok" and "converter" in admin
    _, headers = make_user("staff")
    body = client.get("/healthz", headers=headers).json
    assert body["index"] == "ok" and "converter" in body
    refused = client.get("/healthz", headers={"Authorization": "Bearer pulang_nonsense"})
    assert refused.status_code == 401
