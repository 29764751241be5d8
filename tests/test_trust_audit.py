"""The audit log (issue 5, item 6): append-only in the database, hash-chained, and
`pulang audit verify` finds an edited, a deleted or a forged row. And every read and act
the issue names is logged, with who and when, and never a name or a NIK.

Issue 10, item 8: the chain is keyed (HMAC, key in the key folder), so whoever holds the
database cannot drop the triggers, delete rows and recompute the chain; an anchor
(HASH:COUNT) shows a cut-off tail."""

import hashlib
import json
import sqlite3

import pytest
from click.testing import CliRunner

from service import create_app
from service.cli import main

NAME, NIK = "Sri Wahyuni", "1571014107900001"


def verify(settings, *args):
    return CliRunner().invoke(main, ["audit", "verify", *args],
                              env={"PULANG_ARCHIVE": str(settings.archive)}, catch_exceptions=False)


def cli(settings, *args):
    return CliRunner().invoke(main, list(args), env={"PULANG_ARCHIVE": str(settings.archive)},
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
        ("search", lambda: web.post("/search", data={"q": NIK}, follow_redirects=True)),
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


# --- issue 10, item 8: a keyed chain and anchors ----------------------------------------

TRIGGERS = """
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
"""
FIELDS = ("at", "user_id", "username", "action", "target_type", "target_id", "detail", "ip")


def _rechain(conn, digest) -> None:
    """What the attacker does after deleting rows: recompute every hash in order."""
    prev = "0" * 64
    for row in conn.execute(f"SELECT id, {', '.join(FIELDS)} FROM audit_log ORDER BY id").fetchall():
        entry = dict(zip(FIELDS, row[1:]))
        canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        own = digest((prev + canonical).encode())
        conn.execute("UPDATE audit_log SET prev_hash = ?, hash = ? WHERE id = ?", [prev, own, row[0]])
        prev = own


def _guessed(key: bytes):
    import hmac
    return lambda data: hmac.new(key, data, hashlib.sha256).hexdigest()


@pytest.mark.parametrize("digest", [
    pytest.param(lambda data: hashlib.sha256(data).hexdigest(), id="plain-sha256"),
    pytest.param(_guessed(b"test-secret"), id="hmac-with-the-session-secret"),
    pytest.param(_guessed(b""), id="hmac-with-an-empty-key"),
    pytest.param(_guessed(b"pulang"), id="hmac-with-the-product-name"),
])
def test_dropping_triggers_deleting_downloads_and_recomputing_is_caught(logged, settings, db, digest):
    """The forgery of issue 10: drop the append-only triggers, delete every
    document.download row, recompute the chain, put the triggers back."""
    from service.records import audit
    for doc_id in (11, 12, 13):
        audit.record(db, "document.download", user={"id": 1, "username": "ani"},
                     target_type="document", target_id=doc_id)
    audit.record(db, "case.read", user={"id": 1, "username": "ani"}, target_type="case", target_id=1)
    anchor = cli(settings, "audit", "anchor").output.strip()
    assert verify(settings).exit_code == 0 and verify(settings, "--anchor", anchor).exit_code == 0
    before = logged.execute("SELECT count(*) FROM audit_log").fetchone()[0]

    logged.executescript("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
    logged.execute("DELETE FROM audit_log WHERE action = 'document.download'")
    _rechain(logged, digest)
    logged.executescript(TRIGGERS)
    logged.commit()
    assert logged.execute("SELECT count(*) FROM audit_log").fetchone()[0] == before - 3

    result = verify(settings)
    assert result.exit_code == 1, result.output
    assert "BROKEN at entry 1:" in result.output and "without the audit key" in result.output
    assert verify(settings, "--anchor", anchor).exit_code == 1


def test_an_anchor_catches_a_cut_off_tail(logged, settings, db):
    from service.records import audit
    anchor = cli(settings, "audit", "anchor").output.strip()
    head, count = anchor.split(":")
    assert len(head) == 64 and int(count) == logged.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    for n in range(3):
        audit.record(db, "case.read", target_type="case", target_id=n)
    later = cli(settings, "audit", "anchor").output.strip()
    # The newest entries cut off, back to before the first anchor: the chain alone is whole.
    logged.execute("DROP TRIGGER audit_log_no_delete")
    logged.execute("DELETE FROM audit_log WHERE id > ?", [int(count) - 2])
    logged.commit()
    assert verify(settings).exit_code == 0
    for pinned in (anchor, later):
        cut = verify(settings, "--anchor", pinned)
        assert cut.exit_code == 1 and "entries were removed" in cut.output, cut.output


def test_an_anchor_must_look_like_one(logged, settings):
    bad = verify(settings, "--anchor", "abc:12")
    assert bad.exit_code == 2 and "HASH:COUNT" in bad.output


def test_an_archive_chained_before_the_key_is_re_anchored(settings, tmp_path):
    """An archive from before issue 10: its sha256 rows stay, the key folder records
    their head and count when the key is made, and rows after are keyed. Rewriting the
    old rows afterwards (recomputed with sha256) is caught by the first keyed entry."""
    import shutil

    from service import db as database
    from service import keys
    from service.records import audit
    assert cli(settings, "init").exit_code == 0
    conn = sqlite3.connect(settings.db_path)
    # Make it an old archive: plain sha256 rows, no key folder, no recorded fingerprints.
    for n in range(4):
        conn.execute("INSERT INTO audit_log (at, action, target_type, target_id, prev_hash, hash) "
                     "VALUES ('2024-01-01T00:00:00+00:00', 'case.read', 'case', ?, '', '')", [str(n)])
    conn.executescript("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
    _rechain(conn, lambda data: hashlib.sha256(data).hexdigest())
    conn.executescript(TRIGGERS + "DELETE FROM key_fingerprints;")
    conn.commit()
    shutil.rmtree(settings.key_dir)
    keys._cache.clear()
    old = conn.execute("SELECT count(*), max(hash) FROM audit_log").fetchone()[0]

    first = cli(settings, "audit", "verify")
    assert first.exit_code == 0, first.output
    assert (settings.key_dir / "audit-legacy").read_text().strip().endswith(f":{old}")
    db = database.connect(settings.db_path)
    audit.record(db, "case.read", target_type="case", target_id="after")
    assert verify(settings).exit_code == 0
    # The old rows rewritten with sha256, as anyone could: the keyed entry after them breaks.
    conn.executescript("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;")
    conn.execute("DELETE FROM audit_log WHERE id = 2")
    _rechain(conn, lambda data: hashlib.sha256(data).hexdigest())
    conn.executescript(TRIGGERS)
    conn.commit()
    broken = verify(settings)
    assert broken.exit_code == 1, broken.output
    db.close()
