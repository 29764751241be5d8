"""Who may do what (issue 5, item 5): every route of the app, every method, every role
and an anonymous visitor, against ONE table derived from service/auth/roles.py and the
permission each view declares (`requires(...)` sets `view.permission`). Also: API tokens
are stored hashed, shown once, and can be revoked from the API and the command line."""

import hashlib
import sqlite3

import pytest
from click.testing import CliRunner

from service import create_app
from service.auth.roles import PERMISSIONS, ROLES
from service.auth.users import create_token, create_user
from service.cli import main

PUBLIC = {"static", "auth.login", "public.verify", "public.healthz"}
SIGNED_IN_ONLY = {"auth.logout", "auth.language"}  # any signed-in user, no permission
WORKER = "worker token"  # print workers' routes: no user's role opens them (api/workers.py)
# Run last, in this order: they change what the other requests rely on.
LAST = ("void", "close", "anonymise", "revoke", "active", "password", "role", "logout")


def access_table(app) -> dict[str, frozenset[str] | str | None]:
    """endpoint -> roles allowed (None: public; WORKER: a worker token, no role). The one
    table the walk checks against."""
    table = {}
    for endpoint, view in app.view_functions.items():
        if endpoint in PUBLIC:
            table[endpoint] = None
        elif getattr(view, "worker_token_only", False):
            table[endpoint] = WORKER
        elif endpoint in SIGNED_IN_ONLY:
            table[endpoint] = frozenset(ROLES)
        else:
            permission = getattr(view, "permission", None)
            assert permission in PERMISSIONS, f"{endpoint} declares no permission: closed or open?"
            table[endpoint] = PERMISSIONS[permission]
    return table


@pytest.fixture
def walk_app(settings, runtime):
    # CSRF is tested on every web POST in test_web.py; here it would stop requests
    # before the permission check this test is about.
    return create_app({"archive": settings.archive, "base_url": settings.base_url,
                       "TESTING": True, "WTF_CSRF_ENABLED": False}, runtime=runtime)


def _order(rule_and_method):
    rule, method = rule_and_method
    last = [i for i, word in enumerate(LAST) if rule.rule.rstrip("/").endswith(word)]
    return (last[0] + 1 if last else 0, rule.rule, method)


def _requests(app):
    pairs = [(rule, method) for rule in app.url_map.iter_rules()
             for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return sorted(pairs, key=_order)


def _path(rule, ids) -> str:
    values = {}
    for name in rule.arguments:
        values[name] = ids.get(name, 1)
    return rule.build(values)[1]


@pytest.mark.parametrize("who", [*ROLES, "anonymous"])
def test_every_route_with_every_role_matches_the_table(who, walk_app, make_user, db):
    victim, victim_headers = make_user("staff")  # whose account the admin routes touch
    staff = victim_headers
    client = walk_app.test_client()
    case = client.post("/api/v1/cases", headers=staff,
                       json={"full_name": "Sulastri", "facility": "Km 12"}).json
    client.post(f"/api/v1/cases/{case['id']}/aid", headers=staff, json={"kind": "ticket", "amount": 1000})
    doc = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff, json={"kind": "pledge"}).json
    token_id = db.execute("SELECT id FROM api_tokens WHERE user_id = ?", [victim["id"]]).fetchone()[0]
    ids = {"case_id": case["id"], "doc_id": doc["id"], "user_id": victim["id"], "token_id": token_id,
           "kind": "pledge", "version": 1, "what": "cases", "fmt": "csv", "filename": "pulang.css",
           "token": doc["verify_url"].rsplit("/", 1)[1]}
    table = access_table(walk_app)
    if who != "anonymous":
        me, headers = make_user(who)
        signed_in = client.post("/login", data={"username": me["username"],
                                                "password": "correct horse battery"})
        assert signed_in.status_code == 302
    checked = 0
    for rule, method in _requests(walk_app):
        path = _path(rule, ids)
        api = rule.rule.startswith("/api/")
        kwargs = {}
        if who != "anonymous" and api:
            kwargs["headers"] = headers
        if method in ("POST", "PATCH", "PUT") and api:
            kwargs["json"] = {}
        response = client.open(path, method=method, **kwargs)
        status, where = response.status_code, f"{who}: {method} {rule.rule} -> {response.status_code}"
        checked += 1
        assert status != 500, where
        allowed = table[rule.endpoint]
        if allowed is None:
            assert status not in (401, 403), where
        elif allowed == WORKER:
            assert status == 401, where  # a user's session or API token opens none of them
        elif who == "anonymous":
            if api:
                assert status == 401, where
            else:
                assert status == 302 and response.headers["Location"].startswith("/login"), where
        elif who in allowed:
            assert status not in (401, 403), where
            if status == 302 and rule.endpoint != "auth.logout":
                assert not response.headers["Location"].startswith("/login"), where
        else:
            assert status == 403, where
            assert response.get_json(silent=True) is None or response.json["error"]["code"] == "forbidden"
    assert checked >= 70
    print(f"{who}: {checked} requests checked against the table")


def test_the_table_as_documented(walk_app):
    """Prints the table docs/reliability.md shows (and fails on an undeclared view)."""
    table = access_table(walk_app)
    for endpoint in sorted(table):
        roles = table[endpoint]
        shown = "public" if roles is None else roles if roles == WORKER else ", ".join(sorted(roles))
        print(f"{endpoint:40} {shown}")
    assert table["api.anonymise_case"] == {"admin", "supervisor"}
    assert table["api.kept_receipt_pdf"] == {"auditor"}
    assert table["api.claim_chunk"] == WORKER


# --- API tokens ------------------------------------------------------------------------

def _cli(settings, *args):
    return CliRunner().invoke(main, list(args), env={"PULANG_ARCHIVE": str(settings.archive)},
                              catch_exceptions=False)


def test_tokens_are_shown_once_stored_hashed_and_revocable(client, make_user, settings, db):
    admin, admin_headers = make_user("admin")
    create_user(db, "wati", "staff", "kata sandi yang panjang")
    made = _cli(settings, "token", "create", "wati")
    token = made.output.strip().splitlines()[-1]
    assert made.output.count(token) == 1
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/search", headers=headers, json={}).status_code == 200
    # Stored as its sha256, never as itself: not in the database file, not in a listing.
    db.conn.commit()
    raw = b"".join(p.read_bytes() for p in settings.archive.glob("pulang.db*"))
    assert token.encode() not in raw
    assert db.execute("SELECT count(*) FROM api_tokens WHERE token_hash = ?",
                      [hashlib.sha256(token.encode()).hexdigest()]).fetchone()[0] == 1
    wati = db.execute("SELECT id FROM users WHERE username = 'wati'").fetchone()[0]
    listed = client.get(f"/api/v1/users/{wati}/tokens", headers=admin_headers)
    assert listed.status_code == 200 and token not in listed.get_data(as_text=True)
    assert token[:10] == listed.json["tokens"][0]["prefix"]
    assert _cli(settings, "token", "list", "wati").output.count(token) == 0
    # Revoked through the API: refused at once; only admins may revoke.
    token_id = listed.json["tokens"][0]["id"]
    assert client.post(f"/api/v1/tokens/{token_id}/revoke", headers=headers).status_code == 403
    revoked = client.post(f"/api/v1/tokens/{token_id}/revoke", headers=admin_headers)
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    refused = client.post("/api/v1/search", headers=headers, json={})
    assert refused.status_code == 401 and "revoked" in refused.json["error"]["message"]
    # And from the command line.
    second = _cli(settings, "token", "create", "wati").output.strip().splitlines()[-1]
    assert client.post("/api/v1/search", headers={"Authorization": f"Bearer {second}"}, json={}).status_code == 200
    out = _cli(settings, "token", "revoke", "wati")
    assert out.exit_code == 0 and "Revoked 1" in out.output
    assert client.post("/api/v1/search", headers={"Authorization": f"Bearer {second}"}, json={}).status_code == 401
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE action LIKE 'token.%'")]
    assert actions.count("token.revoke") == 2 and actions.count("token.create") == 2
    assert client.post("/api/v1/tokens/99999/revoke", headers=admin_headers).status_code == 404
    conn = sqlite3.connect(settings.db_path)
    assert conn.execute("SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL AND user_id = ?",
                        [wati]).fetchone()[0] == 0
