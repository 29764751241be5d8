"""The archive sealed on disk (issue 10, item 7): umask 077 and 0700/0600 modes, the key
folder outside the archive, the blind NIK index, and encrypted backups whose restore
checks every file before it replaces anything.

Before: `pulang.db` and the index were 0644 in a 0755 folder; the index held every NIK
as a term and every letter's text whole; a backup was a plain folder anyone with the
USB stick could read."""

import io
import json
import os
import stat
import subprocess
import tarfile
import urllib.request

import pyrage
import pytest
from click.testing import CliRunner
from pyrage import x25519

from service.cli import main
from tests.helpers import (PULANG, backup_contents, free_port, index_on_disk, office_archive, pulang_serve,
                           wait_for)

NAME, NIK = "Kartika Sekarwangi", "1571016502910003"
SECRETS = (NAME.encode(), b"Sekarwangi", NIK.encode(), NIK[:12].encode(), NIK[4:].encode())


def _open_to_others(root) -> list[str]:
    """Every path under root that a group or another user could read, write or enter."""
    found = []
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files, ""] if folder == str(root) else [*dirs, *files]:
            path = os.path.join(folder, name) if name else folder
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                continue
            mode = stat.S_IMODE(st.st_mode)
            # Folders exactly 0700; files 0600 or less (Whoosh makes its lock file 0700).
            if mode & 0o077 or (stat.S_ISDIR(st.st_mode) and mode != 0o700):
                found.append(f"{oct(mode)} {os.path.relpath(path, root)}")
    return found


def _api(base, token, method, path, body=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read() or b"null")


@pytest.mark.slow
def test_every_file_the_service_writes_is_its_own(tmp_path):
    """`pulang init`, `pulang serve` making letters and a print job, and `pulang backup`,
    all started from a shell with the usual umask 022: nothing in the archive, the key
    folder or the backup is open to another account."""
    archive = tmp_path / "office" / "archive"
    port = free_port()
    old = os.umask(0o022)  # the shell an office starts the service from
    try:
        office = office_archive(archive, port, role="supervisor")
    finally:
        os.umask(old)
    key_dir = archive.parent / "keys"
    assert "Keep a copy" in office.init and str(key_dir) in office.init
    assert _open_to_others(archive) == [] and _open_to_others(key_dir) == []
    assert stat.S_IMODE(key_dir.stat().st_mode) == 0o700
    assert {p.name for p in key_dir.glob("*.key")} == {"audit.key", "nik.key", "backup.key"}
    assert not any(archive.rglob("*.key")), "the keys live outside the archive"

    with pulang_serve(office.env, port, tmp_path / "serve.log") as base:
        ids = []
        for i in range(2):
            case = _api(base, office.token, "POST", "/api/v1/cases", {
                "full_name": f"{NAME} {i}", "nik": NIK[:-1] + str(i), "facility": "Km 12",
                "origin_region": "Kediri"})
            _api(base, office.token, "POST", f"/api/v1/cases/{case['id']}/aid",
                 {"kind": "ticket", "amount": 1_500_000})
            _api(base, office.token, "POST", f"/api/v1/cases/{case['id']}/documents", {"kind": "pledge"})
            ids.append(case["id"])
        ceremony = _api(base, office.token, "POST", "/api/v1/ceremonies", {
            "title": "Pelepasan", "date": "2024-07-31", "place": "Aula", "case_ids": ids})
        job = _api(base, office.token, "POST", f"/api/v1/ceremonies/{ceremony['id']}/print",
                   {"kinds": ["pledge", "aid_roster"]})
        done = wait_for(lambda: (j := _api(base, office.token, "GET", f"/api/v1/jobs/{job['job_id']}"))
                        ["state"] in ("done", "failed") and j, 300, what="the print job")
        assert done["state"] == "done", done
        assert list(archive.glob("prints/*.pdf")) and list(archive.glob("run/*"))
        assert _open_to_others(archive) == []  # while serving: db-wal/-shm, index, converters
    old = os.umask(0o022)
    try:
        backup = tmp_path / "usb" / "pulang.backup"
        backup.parent.mkdir()
        subprocess.run([PULANG, "backup", str(backup)], env=office.env, check=True,
                       capture_output=True)
    finally:
        os.umask(old)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert _open_to_others(archive) == [] and _open_to_others(key_dir) == []


def test_an_old_archive_is_sealed_at_the_next_start(settings, tmp_path):
    """An archive made under umask 022 (before issue 10) is brought to 0700/0600 once."""
    old = os.umask(0o022)
    try:
        for path in (settings.archive, settings.archive / "documents" / "00"):
            path.mkdir(parents=True, exist_ok=True, mode=0o755)
            path.chmod(0o755)
        (settings.archive / "documents" / "00" / "1.pdf").write_bytes(b"%PDF-1.7")
        (settings.archive / "pulang.db").touch(mode=0o644)
    finally:
        os.umask(old)
    assert _open_to_others(settings.archive)
    result = CliRunner().invoke(main, ["init"], env={"PULANG_ARCHIVE": str(settings.archive)},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _open_to_others(settings.archive) == []


# --- the key folder ---------------------------------------------------------------------

def _cli(settings, *args, **env):
    return CliRunner().invoke(main, list(args), env={"PULANG_ARCHIVE": str(settings.archive), **env})


def test_keys_are_made_once_and_a_lost_key_folder_is_refused(settings, tmp_path):
    first = _cli(settings, "init")
    assert first.exit_code == 0 and "Keep a copy" in first.output
    again = _cli(settings, "init")
    assert again.exit_code == 0 and "Keep a copy" not in again.output  # told once
    (settings.key_dir / "audit.key").rename(tmp_path / "audit.key")
    from service import keys
    keys._cache.clear()
    lost = _cli(settings, "audit", "verify")
    assert lost.exit_code == 1 and "has no audit.key" in lost.output
    assert not (settings.key_dir / "audit.key").exists(), "no silent new key"
    (tmp_path / "audit.key").write_text("00" * 32)  # another key in its place
    (tmp_path / "audit.key").rename(settings.key_dir / "audit.key")
    keys._cache.clear()
    swapped = _cli(settings, "audit", "verify")
    assert swapped.exit_code == 1 and "not the audit key this archive was made with" in swapped.output


def test_pulang_key_dir_names_the_folder(settings, tmp_path):
    elsewhere = tmp_path / "safe" / "pulang-keys"
    made = _cli(settings, "init", PULANG_KEY_DIR=str(elsewhere))
    assert made.exit_code == 0, made.output
    assert {p.name for p in elsewhere.glob("*.key")} == {"audit.key", "nik.key", "backup.key"}
    assert not (settings.archive.parent / "keys").exists()


# --- the blind NIK index ----------------------------------------------------------------

def test_search_by_nik_works_and_the_index_folder_holds_no_nik(client, staff, runtime, settings):
    case = client.post("/api/v1/cases", headers=staff, json={
        "full_name": NAME, "nik": NIK, "facility": "Km 12", "origin_region": "Kediri"}).json
    letter = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff, json={"kind": "pledge"})
    assert letter.status_code == 201
    runtime.flush_index()
    found = client.post("/api/v1/search", headers=staff, json={"q": NIK}).json
    assert [r["case_id"] for r in found["results"]] == [case["id"]]
    assert client.post("/api/v1/search", headers=staff, json={"q": NAME}).json["total_cases"] == 1
    on_disk = index_on_disk(settings.index_dir)
    for secret in (NIK, NIK[:12], NIK[4:]):
        assert secret not in on_disk
    # The index does hold her name (as a term, and stored): the check reads what is there.
    assert "kartika" in on_disk and NAME in on_disk and "PERNYATAAN" in on_disk.upper()


# --- encrypted backups ------------------------------------------------------------------

@pytest.fixture
def backed_up(client, staff, settings, tmp_path):
    """An archive with her case and letter, backed up to one file."""
    case = client.post("/api/v1/cases", headers=staff, json={
        "full_name": NAME, "nik": NIK, "facility": "Km 12", "origin_region": "Kediri",
        "notes": f"catatan tentang {NAME}"}).json
    assert client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff,
                       json={"kind": "pledge"}).status_code == 201
    path = tmp_path / "usb" / "pulang.backup"
    path.parent.mkdir()
    made = _cli(settings, "backup", str(path))
    assert made.exit_code == 0, made.output
    return path


def test_a_backup_is_useless_without_the_key_folder(backed_up, settings, tmp_path):
    data = backed_up.read_bytes()
    assert data.startswith(b"age-encryption.org/v1")
    for secret in SECRETS + (b"SQLite format 3", b"%PDF"):
        assert secret not in data, secret
    # The key folder's backup key opens it (as the age tool would); the manifest lists
    # every file with its sha256.
    inside = backup_contents(backed_up, settings.key_dir)
    manifest = json.loads(inside["manifest.json"])
    assert set(manifest["files"]) == set(inside) - {"manifest.json"}
    assert any(n.startswith("documents/") for n in inside) and "pulang.db" in inside
    # Elsewhere, without the key folder: a clear refusal, nothing restored.
    other = tmp_path / "other-office" / "archive"
    refused = CliRunner().invoke(main, ["restore", str(backed_up)], env={"PULANG_ARCHIVE": str(other)})
    assert refused.exit_code == 1 and "has no backup.key" in refused.output
    assert not (other / "pulang.db").exists()
    # With another key folder's key: refused as well.
    (other.parent / "keys").mkdir(mode=0o700, parents=True)
    (other.parent / "keys" / "backup.key").write_text(str(x25519.Identity.generate()))
    wrong = CliRunner().invoke(main, ["restore", str(backed_up)], env={"PULANG_ARCHIVE": str(other)})
    assert wrong.exit_code == 1 and "cannot be decrypted" in wrong.output
    assert not (other / "pulang.db").exists()


def test_backup_restore_on_the_same_machine(backed_up, settings, tmp_path, db):
    fresh = tmp_path / "restored"
    back = CliRunner().invoke(main, ["restore", str(backed_up)], env={"PULANG_ARCHIVE": str(fresh)},
                              catch_exceptions=False)
    assert back.exit_code == 0, back.output
    assert _open_to_others(fresh) == []
    from service import db as database
    restored = database.connect(fresh / "pulang.db")
    assert restored.execute("SELECT full_name FROM cases").fetchone()[0] == NAME
    restored.close()
    verify = CliRunner().invoke(main, ["audit", "verify"], env={"PULANG_ARCHIVE": str(fresh)})
    assert verify.exit_code == 0, verify.output


def _forged(settings, members: list[tuple[tarfile.TarInfo, bytes | None]], path) -> None:
    """A backup file made with the archive's own backup key (what a damaged or tampered
    backup, or a bug, could hand restore)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    identity = x25519.Identity.from_str((settings.key_dir / "backup.key").read_text().strip())
    path.write_bytes(pyrage.encrypt(buf.getvalue(), [identity.to_public()]))


def _file(name, data=b"x"):
    return tarfile.TarInfo(name), data


def _manifest(files: dict[str, bytes]):
    import hashlib
    return _file("manifest.json", json.dumps(
        {"format": 2, "files": {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}}).encode())


def _symlink(name, target):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, None


@pytest.mark.parametrize("members, reason", [
    pytest.param(lambda db: [_file("pulang.db", db), _symlink("documents/00/1.pdf", "/etc/passwd"),
                             _manifest({"pulang.db": db})], "not a plain file", id="symlink"),
    pytest.param(lambda db: [_file("pulang.db", db), _file("../outside.txt"),
                             _manifest({"pulang.db": db})], "leaves the archive", id="dot-dot"),
    pytest.param(lambda db: [_file("pulang.db", db), _file("/etc/cron.d/x"),
                             _manifest({"pulang.db": db})], "leaves the archive", id="absolute"),
    pytest.param(lambda db: [_file("pulang.db", db), _file("run/evil.sh"),
                             _manifest({"pulang.db": db})], "which no backup has", id="unexpected-place"),
    pytest.param(lambda db: [_file("pulang.db", db), _file("documents/00/1.pdf", b"%PDF-tampered"),
                             _manifest({"pulang.db": db, "documents/00/1.pdf": b"%PDF-original"})],
                 "does not match the manifest", id="sha256-mismatch"),
    pytest.param(lambda db: [_file("pulang.db", db), _file("documents/00/1.pdf")],
                 "no manifest", id="no-manifest"),
    pytest.param(lambda db: [_file("pulang.db", db), _file("documents/00/2.pdf"),
                             _manifest({"pulang.db": db})], "disagree", id="file-not-in-manifest"),
])
def test_restore_refuses_a_bad_backup_before_replacing_anything(members, reason, backed_up, settings,
                                                                 tmp_path):
    real_db = backup_contents(backed_up, settings.key_dir)["pulang.db"]
    bad = tmp_path / "bad.backup"
    _forged(settings, members(real_db), bad)
    fresh = tmp_path / "restored"
    result = CliRunner().invoke(main, ["restore", str(bad)], env={"PULANG_ARCHIVE": str(fresh)})
    assert result.exit_code == 1 and reason in result.output, result.output
    assert not (fresh / "pulang.db").exists() and not any((fresh / "documents").rglob("*.pdf"))
    assert not (tmp_path / "outside.txt").exists() and not (fresh / "run" / "evil.sh").exists()
    assert not list((fresh / "tmp").iterdir()), "the staging folder is cleaned up"


def test_a_truncated_backup_is_refused(backed_up, settings, tmp_path):
    cut = tmp_path / "cut.backup"
    cut.write_bytes(backed_up.read_bytes()[:-200])
    fresh = tmp_path / "restored"
    result = CliRunner().invoke(main, ["restore", str(cut)], env={"PULANG_ARCHIVE": str(fresh)})
    assert result.exit_code == 1 and not (fresh / "pulang.db").exists(), result.output
