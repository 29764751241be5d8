"""The maintenance commands against a real archive: reindex, doctor, backup/restore,
audit verify."""

import sqlite3

import pytest
from click.testing import CliRunner

from service.cli import main
from service.records.storage import sha256_file
from service.search import SearchIndex


@pytest.fixture
def filled(client, staff, runtime, settings):
    """An archive with two cases and three documents."""
    ids = []
    for name in ("Sulastri", "Nur Hayati"):
        case = client.post("/api/v1/cases", headers=staff, json={"full_name": name, "facility": "Km 12"}).json
        client.post(f"/api/v1/cases/{case['id']}/aid", headers=staff, json={"kind": "ticket", "amount": 1_500_000})
        ids.append(case["id"])
    docs = [client.post(f"/api/v1/cases/{ids[0]}/documents", headers=staff, json={"kind": k}).json
            for k in ("pledge", "aid_receipt")]
    docs.append(client.post(f"/api/v1/cases/{ids[1]}/documents", headers=staff, json={"kind": "pledge"}).json)
    runtime.flush_index()
    return ids, docs


def run(settings, *args, input=None):
    return CliRunner().invoke(main, list(args), env={"PULANG_ARCHIVE": str(settings.archive)},
                              input=input, catch_exceptions=False)


def _names(settings, query):
    index = SearchIndex(settings.index_dir)
    try:
        return sorted(hit.full_name for hit in index.search(query).results)
    finally:
        index.close()


def test_doctor_on_a_consistent_archive(filled, settings):
    result = run(settings, "doctor")
    assert result.exit_code == 0, result.output
    assert "All consistent" in result.output


def test_doctor_repairs_index_and_orphans_and_alarms_on_tampering(filled, settings, runtime):
    _, docs = filled
    runtime.index.delete_documents([docs[0]["id"]])            # a document missing from the index
    orphan = settings.documents_dir / "000" / "999999.pdf"      # a file without a row
    orphan.write_bytes(b"%PDF-1.7 stray")
    report = run(settings, "doctor")
    assert report.exit_code == 1
    assert "not indexed" in report.output and "no document row" in report.output
    repaired = run(settings, "doctor", "--repair")
    assert repaired.exit_code == 0, repaired.output
    assert not orphan.exists() and (settings.archive / "orphans" / "999999.pdf").exists()
    # A changed file is reported loudly, and never "fixed".
    stored = settings.archive / f"documents/000/{docs[1]['id']}.pdf"
    stored.chmod(0o644)
    stored.write_bytes(stored.read_bytes() + b"\n%tampered")
    again = run(settings, "doctor", "--repair")
    assert again.exit_code == 1
    assert f"document {docs[1]['id']}" in again.output and "sha256" in again.output


def test_doctor_marks_interrupted_documents_failed(filled, settings, db):
    db.execute("UPDATE documents SET status = 'pending' WHERE id = ?", [filled[1][2]["id"]])
    db.conn.commit()
    assert run(settings, "doctor", "--stale-after", "0").exit_code == 1
    assert run(settings, "doctor", "--repair", "--stale-after", "0").exit_code == 0
    row = db.execute("SELECT status, error FROM documents WHERE id = ?", [filled[1][2]["id"]]).fetchone()
    assert row == ("failed", "interrupted")


def test_reindex_rebuilds_search(filled, settings, runtime):
    runtime.index.rebuild([])
    assert _names(settings, "Sulastri") == []
    result = run(settings, "reindex")
    assert result.exit_code == 0 and "Indexed 5 entries" in result.output
    assert _names(settings, "Sulastri") == ["Sulastri"]


def test_backup_wipe_restore(filled, settings, tmp_path, db):
    hashes = {r["id"]: r["sha256"] for r in db.query("SELECT id, sha256 FROM documents")}
    counts = {t: db[t].count for t in ("cases", "aid_items", "documents", "audit_log", "users")}
    before = _names(settings, "Nurhayati")
    assert run(settings, "backup", str(tmp_path / "snap")).exit_code == 0
    fresh = tmp_path / "restored"
    result = CliRunner().invoke(main, ["restore", str(tmp_path / "snap")],
                                env={"PULANG_ARCHIVE": str(fresh)}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(fresh / "pulang.db")
    conn.row_factory = sqlite3.Row
    for row in conn.execute("SELECT id, path FROM documents"):
        assert sha256_file(fresh / row["path"]) == hashes[row["id"]]
    assert {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in counts} == counts
    index = SearchIndex(fresh / "index")
    assert sorted(h.full_name for h in index.search("Nurhayati").results) == before == ["Nur Hayati"]
    index.close()
    # Restoring over an archive that holds cases is refused.
    again = CliRunner().invoke(main, ["restore", str(tmp_path / "snap")], env={"PULANG_ARCHIVE": str(fresh)})
    assert again.exit_code != 0 and "already holds cases" in again.output


def test_audit_verify(filled, settings, db):
    ok = run(settings, "audit", "verify")
    assert ok.exit_code == 0 and "intact" in ok.output
    db.execute("DROP TRIGGER audit_log_no_update")
    db.execute("UPDATE audit_log SET action = 'case.update' WHERE id = 2")
    db.conn.commit()
    broken = run(settings, "audit", "verify")
    assert broken.exit_code == 1 and "BROKEN at entry 2" in broken.output


def test_user_and_token_commands(settings, app):
    made = run(settings, "user", "create", "budi", "--role", "auditor", "--password-stdin",
               input="sebuah kata sandi panjang\n")
    assert made.exit_code == 0 and "password" not in made.output.replace("--password", "")
    short = run(settings, "user", "create", "wati", "--role", "staff", "--password-stdin", input="pendek\n")
    assert short.exit_code != 0 and "password" in short.output
    token = run(settings, "token", "create", "budi").output.strip().splitlines()[-1]
    assert token.startswith("plg_") and len(token) > 40
    conn = sqlite3.connect(settings.db_path)
    assert conn.execute("SELECT count(*) FROM api_tokens WHERE token_hash LIKE ?", [token]).fetchone()[0] == 0


def test_token_days_on_the_command_line_and_the_list_says_when_it_ends(settings, app):
    """Issue 10: tokens expire (PULANG_TOKEN_DAYS, or --days); the list says when, and
    when a token was last used."""
    assert run(settings, "user", "create", "budi", "--role", "staff", "--password-stdin",
               input="sebuah kata sandi panjang\n").exit_code == 0
    made = run(settings, "token", "create", "budi", "--days", "7")
    assert made.exit_code == 0 and "expires in 7 days" in made.output
    refused = run(settings, "token", "create", "budi", "--days", "0")
    assert refused.exit_code != 0 and "days" in refused.output
    conn = sqlite3.connect(settings.db_path)
    conn.execute("UPDATE api_tokens SET expires_at = '2020-01-01T00:00:00+00:00'")
    conn.commit()
    run(settings, "token", "create", "budi")
    listed = run(settings, "token", "list", "budi").output.splitlines()
    assert "never used" in listed[0] and "expired 2020-01-01" in listed[0]
    assert "expires 20" in listed[1]


def test_demo_loads_once_into_an_empty_archive(settings, app):
    first = run(settings, "demo")
    assert first.exit_code == 0, first.output
    conn = sqlite3.connect(settings.db_path)
    assert conn.execute("SELECT count(*) FROM cases").fetchone()[0] == 80
    assert conn.execute("SELECT count(*) FROM facilities").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM aid_items").fetchone()[0] >= 80
    assert conn.execute("SELECT count(*) FROM ceremony_cases").fetchone()[0] == 12  # one past ceremony
    assert _names(settings, "Sulastri")  # indexed
    again = run(settings, "demo")
    assert again.exit_code != 0 and "empty archive" in again.output
