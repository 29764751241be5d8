"""The audit log (issue 5, item 6): append-only in the database, hash-chained, and
`pulang audit verify` finds an edited, a deleted or a forged row. And every read and act
the issue names is logged, with who and when, and never a name or a NIK."""

import hashlib
import json
import sqlite3

import pytest
from click.testing import CliRunner

from service import create_app
from service.cli import main

NAME, NIK = "Sri Wahyuni", "1571014107900001"


def verify(settings):
    return CliRunner().invoke(main, ["audit", "verify"], env={"PULANG_ARCHIVE": str(settings.archive)},
                              catch_exceptions=False)


@pytest.fixture
def logged(client, make_user, settings):
    """A few entries in the log."""
    _, staff = make_user("staff")
    for name in ("Sulastri", "Nur Hayati", "Siti", "Wati", "Ani"):
        client.post("/api/v1/cases", headers=staff, json={"full_name": name, "facility": "Km 12"})
    assert verify(settings).exit_code == 0
    conn = sqlite3.connect(settings.db_path)
    yield conn
    conn.close()


def test_the_database_refuses_edits_and_deletions(logged):
    for statement in ("UPDATE audit_log SET action = 'x' WHERE id = 1", "DELETE FROM audit_log WHERE id = 1"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            logged.execute(statement)


def test_verify_finds_a_deleted_row(logged, settings):
    logged.execute("DROP TRIGGER audit_log_no_delete")
    logged.execute("DELETE FROM audit_log WHERE id = 3")
    logged.commit()
    result = verify(settings)
    assert result.exit_code == 1 and "BROKEN at entry 4" in result.output and "removed" in result.output


def test_verify_finds_an_edited_row(logged, settings):
    logged.execute("DROP TRIGGER audit_log_no_update")
    logged.execute("UPDATE audit_log SET username = 'someone-else' WHERE id = 2")
    logged.commit()
    result = verify(settings)
    assert result.exit_code == 1 and "BROKEN at entry 2" in result.output and "changed" in result.output


@pytest.mark.parametrize("forged_hash", ["copied", "recomputed"])
def test_verify_finds_a_row_inserted_out_of_chain(logged, settings, forged_hash):
    """A row slipped in with a later id than the last, chained to an older entry: its
    prev_hash is not the hash before it, whether its own hash is copied or recomputed."""
    first = logged.execute("SELECT hash FROM audit_log WHERE id = 1").fetchone()[0]
    last_id = logged.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    entry = {"at": "2020-01-01T00:00:00+00:00", "user_id": None, "username": "", "action": "case.read",
             "target_type": "case", "target_id": "1", "detail": "{}", "ip": ""}
    if forged_hash == "copied":
        own = first
    else:
        canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        own = hashlib.sha256((first + canonical).encode()).hexdigest()
    logged.execute("INSERT INTO audit_log (at, user_id, username, action, target_type, target_id, detail, ip, "
                   "prev_hash, hash) VALUES (:at, :user_id, :username, :action, :target_type, :target_id, "
                   ":detail, :ip, :prev, :own)", {**entry, "prev": first, "own": own})
    logged.commit()
    result = verify(settings)
    assert result.exit_code == 1 and f"BROKEN at entry {last_id + 1}" in result.output


def test_every_read_and_act_is_logged_without_names(settings, runtime, make_user, db):
    app = create_app({"archive": settings.archive, "base_url": settings.base_url, "TESTING": True,
                      "WTF_CSRF_ENABLED": False}, runtime=runtime)
    api = app.test_client()
    _, staff = make_user("staff")
    admin, admin_headers = make_user("admin")
    case = api.post("/api/v1/cases", headers=staff, json={"full_name": NAME, "nik": NIK, "facility": "Km 12"}).json
    doc = api.post(f"/api/v1/cases/{case['id']}/documents", headers=staff, json={"kind": "pledge"}).json
    start = db.execute("SELECT max(id) FROM audit_log").fetchone()[0]

    web = app.test_client()
    assert web.post("/login", data={"username": admin["username"], "password": "wrong password"}).status_code == 401
    assert web.post("/login", data={"username": "nobody-" + NAME, "password": "x"}).status_code == 401
    assert web.post("/login", data={"username": admin["username"],
                                    "password": "correct horse battery"}).status_code == 302
    expected = [
        ("case.read", lambda: api.get(f"/api/v1/cases/{case['id']}", headers=staff)),
        ("case.read", lambda: web.get(f"/cases/{case['id']}")),
        ("document.read", lambda: web.get(f"/documents/{doc['id']}")),
        ("document.download", lambda: api.get(f"/api/v1/documents/{doc['id']}/pdf", headers=staff)),
        ("document.download", lambda: web.get(f"/documents/{doc['id']}/download")),
        ("document.download", lambda: web.get(f"/documents/{doc['id']}/pdf")),  # opened to print
        ("document.preview", lambda: web.get(f"/documents/{doc['id']}/preview.png")),
        ("search", lambda: api.post("/api/v1/search", headers=staff, json={"q": NAME})),
        ("search", lambda: web.post("/search", data={"q": NIK})),
        ("user.role", lambda: web.post(f"/admin/users/{db.execute('SELECT id FROM users WHERE role = ?', ['staff']).fetchone()[0]}/role",
                                       data={"role": "auditor"})),
        ("document.void", lambda: api.post(f"/api/v1/documents/{doc['id']}/void", headers=admin_headers,
                                           json={"reason": "salah data"})),
        ("export", lambda: api.get("/api/v1/exports/cases.csv", headers=admin_headers)),
    ]
    for action, do in expected:
        response = do()
        assert response.status_code in (200, 302), (action, response.status_code)
    rows = list(db.query("SELECT * FROM audit_log WHERE id > ? ORDER BY id", [start]))
    actions = [r["action"] for r in rows]
    assert actions[:3] == ["login.failure", "login.failure", "login.success"]
    for action, _ in expected:
        assert action in actions, action
    assert actions.count("document.download") >= 3 and actions.count("search") >= 2
    inline = [json.loads(r["detail"]) for r in rows if r["action"] == "document.download"]
    assert {"as": "inline"} in inline and {"as": "attachment"} in inline
    for row in rows:
        assert row["at"] and row["hash"] and row["prev_hash"]
        if row["action"] != "login.failure":
            assert row["username"], row["action"]
    everything = json.dumps(rows, ensure_ascii=False)
    for secret in (NAME, "Wahyuni", NIK, NIK[:12], "wrong password", "nobody-"):
        assert secret not in everything
    assert verify(settings).exit_code == 0
    print(f"audit: {len(rows)} entries for {len(expected) + 3} kinds of act, chain intact")
