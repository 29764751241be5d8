"""Power cuts during generation (issue 5, item 2): for every crash point in
service/letters/pipeline.py, a real `pulang`-like process makes a letter on a copy of an archive
and is SIGKILLed there; `pulang doctor --repair --stale-after 0` must then leave the
archive consistent, with every document that was recorded as saved intact, and the next
letter must come out with the next number. The figures go to docs/reliability.md."""

import shutil
import signal
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from service import create_app
from service import db as database
from service.cli import main
from service.config import Settings
from service.letters.pipeline import generate_case_document
from service.records.storage import sha256_file
from service.runtime import Runtime
from service.search import SearchIndex
from tests.helpers import complete_office, numbers_taken

POINTS = ["after_render", "after_convert", "after_stamp", "after_write",
          "before_commit", "after_commit", "before_index"]
COMMITTED = {"after_commit", "before_index"}  # the row is valid when the power goes
NAME, NIK = "Sulastri Rahayu", "1571014107900001"
LISTED = ("valid", "void", "superseded")

# One letter made the way `pulang` makes them outside the server: CLI converter, index
# written at once. It prints nothing about the person.
GENERATE = textwrap.dedent("""
    import sys
    from pathlib import Path
    from service.config import Settings
    from service.letters.pipeline import generate_case_document
    from service.runtime import Runtime
    settings = Settings.from_env(archive=Path(sys.argv[1]), base_url="http://pulang.test")
    runtime = Runtime(settings)
    db = runtime.db()
    doc = generate_case_document(runtime, db, int(sys.argv[2]), sys.argv[3], None)
    print("saved", doc["id"], doc["number"])
""")


@pytest.fixture(scope="module")
def base_archive(tmp_path_factory, converter_pool):
    """Two cases, a pledge, a receipt, a superseded and a void letter."""
    archive = tmp_path_factory.mktemp("crash-base") / "archive"
    settings = Settings.from_env(archive=archive, base_url="http://pulang.test")
    runtime = Runtime(settings, pool=converter_pool)
    app = create_app({"archive": archive, "base_url": settings.base_url, "TESTING": True},
                     runtime=runtime)
    client = app.test_client()
    db = database.connect(settings.db_path)
    complete_office(db)
    from service.auth.users import create_token, create_user
    create_user(db, "ani", "supervisor", "kata sandi yang panjang")
    headers = {"Authorization": f"Bearer {create_token(db, 'ani')}"}
    ids = []
    for name, nik in ((NAME, NIK), ("Nur Hayati", None)):
        body = {"full_name": name, "facility": "Km 12", **({"nik": nik} if nik else {})}
        case = client.post("/api/v1/cases", headers=headers, json=body).json
        assert client.post(f"/api/v1/cases/{case['id']}/aid", headers=headers,
                           json={"kind": "ticket", "amount": 1_500_000}).status_code == 201
        ids.append(case["id"])
    for case_id, kind in ((ids[0], "pledge"), (ids[0], "aid_receipt"), (ids[1], "pledge"),
                          (ids[1], "pledge")):
        assert client.post(f"/api/v1/cases/{case_id}/documents", headers=headers,
                           json={"kind": kind}).status_code == 201
    void = db.execute("SELECT id FROM documents WHERE kind = 'aid_receipt'").fetchone()[0]
    assert client.post(f"/api/v1/documents/{void}/void", headers=headers,
                       json={"reason": "salah ketik"}).status_code == 200
    db.close()
    runtime.close()
    return archive, ids


def _copy_archive(source, archive):
    """The archive and its key folder beside it, as an office would move them together."""
    shutil.copytree(source, archive)
    shutil.copytree(source.parent / "keys", archive.parent / "keys")


def _doctor(archive, *args):
    return CliRunner().invoke(main, ["doctor", *args], env={"PULANG_ARCHIVE": str(archive)},
                              catch_exceptions=False)


def _saved(db) -> dict[int, str]:
    """What users were told was saved: every listed document and its sha256."""
    return {r["id"]: r["sha256"] for r in db.query(
        f"SELECT id, sha256 FROM documents WHERE status IN {LISTED}")}


def assert_consistent(archive):
    db = database.connect(archive / "pulang.db")
    rows = list(db.query(f"SELECT * FROM documents WHERE status IN {LISTED}"))
    # Every recorded file is there, whole; every file in documents/ has its row.
    for row in rows:
        assert sha256_file(archive / row["path"]) == row["sha256"], row["id"]
    files = {p.relative_to(archive).as_posix() for p in (archive / "documents").rglob("*") if p.is_file()}
    assert files == {r["path"] for r in rows}
    # Nothing is left half-done, and every number ever taken is on record, once.
    assert db.execute("SELECT count(*) FROM documents WHERE status = 'pending'").fetchone()[0] == 0
    for kind, seqs in _seqs(db).items():
        assert seqs == list(range(1, len(seqs) + 1)), kind
    # The index holds exactly the cases and the listed documents.
    index = SearchIndex(archive / "index")
    try:
        keys = index.keys()
        wanted = ({f"c:{r['id']}" for r in db.query("SELECT id FROM cases")}
                  | {f"d:{r['id']}" for r in rows})
        assert keys == wanted
    finally:
        index.close()
    db.close()


def _seqs(db):
    """Every number taken, by register: one office-wide sequence, or one per kind."""
    return numbers_taken(db)


@pytest.mark.slow
@pytest.mark.parametrize("point", POINTS)
def test_kill_at_each_step_loses_nothing_and_doctor_repairs(point, base_archive, tmp_path,
                                                             converter_pool):
    archive = tmp_path / "archive"
    _copy_archive(base_archive[0], archive)
    case_id = base_archive[1][0]
    db = database.connect(archive / "pulang.db")
    before = _saved(db)
    db.close()

    env = {"PULANG_CRASH_AT": point, "PULANG_SECRET_KEY": "test", "PATH": "/usr/bin:/bin",
           "PULANG_POOL_SIZE": "1",  # one letter: one LibreOffice is enough
           "HOME": str(tmp_path)}
    run = subprocess.run([sys.executable, "-c", GENERATE, str(archive), str(case_id), "pledge"],
                         env=env, capture_output=True, text=True, timeout=180, cwd=str(tmp_path))
    assert run.returncode == -signal.SIGKILL, (run.returncode, run.stderr[-2000:])
    assert "saved" not in run.stdout

    db = database.connect(archive / "pulang.db")
    crashed = dict(next(db.query("SELECT * FROM documents ORDER BY id DESC LIMIT 1")))
    db.close()
    assert crashed["kind"] == "pledge" and crashed["case_id"] == case_id

    # Found before repair: something is inconsistent at every point.
    found = _doctor(archive, "--stale-after", "0")
    assert found.exit_code == 1, found.output
    repaired = _doctor(archive, "--repair", "--stale-after", "0")
    assert repaired.exit_code == 0, repaired.output
    assert "ALARM" not in repaired.output
    assert_consistent(archive)

    db = database.connect(archive / "pulang.db")
    after = dict(db["documents"].get(crashed["id"]))
    if point in COMMITTED:
        assert after["status"] == "valid" and sha256_file(archive / after["path"]) == after["sha256"]
    else:
        # The interrupted letter's number stays on record with the reason.
        assert (after["status"], after["error"], after["number"]) == ("failed", "interrupted", crashed["number"])
    # 0 documents lost: everything saved before the crash is there, unchanged.
    for doc_id, sha in before.items():
        row = db["documents"].get(doc_id)
        assert row["sha256"] == sha and sha256_file(archive / row["path"]) == sha
    # No scratch file with her name outlives the crash.
    assert [p for p in (archive / "tmp").iterdir()] == []

    # The office carries on: the next letter gets the next number.
    runtime = Runtime(Settings.from_env(archive=archive, base_url="http://pulang.test"), pool=converter_pool)
    try:
        doc = generate_case_document(runtime, db, case_id, "pledge", None)
    finally:
        runtime.close()
    assert doc["status"] == "valid" and doc["seq"] == crashed["seq"] + 1
    db.close()
    assert _doctor(archive).exit_code == 0
    assert_consistent(archive)
    print(f"crash at {point}: repaired {len(repaired.output.splitlines()) - 1} finding(s), 0 documents lost")


@pytest.mark.parametrize("damage", ["edited", "deleted"])
def test_a_damaged_pdf_is_an_alarm_never_repaired(damage, base_archive, tmp_path):
    archive = tmp_path / "archive"
    _copy_archive(base_archive[0], archive)
    db = database.connect(archive / "pulang.db")
    row = next(db.query("SELECT id, path FROM documents WHERE status = 'valid' ORDER BY id LIMIT 1"))
    db.close()
    stored = archive / row["path"]
    if damage == "edited":
        stored.chmod(0o644)
        tampered = stored.read_bytes().replace(b"%%EOF", b"%%EOF\n% changed", 1)
        stored.write_bytes(tampered)
    else:
        stored.unlink()
    for args in ((), ("--repair", "--stale-after", "0")):
        result = _doctor(archive, *args)
        assert result.exit_code == 1
        assert f"ALARM: document {row['id']}" in result.output
    # Never "fixed": the edited file is left as found, the missing one is not invented.
    if damage == "edited":
        assert stored.read_bytes() == tampered
    else:
        assert not stored.exists()
