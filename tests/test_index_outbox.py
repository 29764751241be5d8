"""The index outbox (service/records/indexing.py): every record change that search shows
is written to the outbox in the change's own transaction and reaches the index from
there, so a crash between the commit and the index loses nothing, and voiding shows."""

import datetime as dt

import pytest

from service import db as database
from service.ceremonies import printjobs
from service.db import write_transaction
from service.ops.maintenance import doctor
from service.records import indexing, office, templates
from service.records.cases import create_case, update_case
from service.records.documents import mark_valid
from service.runtime import Runtime
from service.search import SearchIndex
from tests.helpers import wait_for

NAME = "Sulastri Rahayu"


def _migrated(settings):
    settings.ensure_dirs()
    db = database.connect(settings.db_path)
    database.migrate(db)
    templates.register_builtins(db, settings)
    return db


def _found(index, query) -> list[int]:
    return [hit.case_id for hit in index.search(query).results]


def test_a_change_committed_before_a_crash_reaches_the_index_at_the_next_start(settings):
    # No runtime in this process listens to the archive: its commits are made as by a
    # process that died right after committing, before anything reached the index.
    db = _migrated(settings)
    case, _ = create_case(db, {"full_name": NAME, "facility": "Payo Sigadung"}, None)
    update_case(db, case["id"], {"origin_region": "Kediri"})
    assert indexing.waiting(db) == 2
    index = SearchIndex(settings.index_dir)
    try:
        assert _found(index, "Sulastri") == []
        report = doctor(db, index, settings.archive, repair=False)
        assert "index: 2 committed changes not yet indexed" in report.problems
    finally:
        index.close()

    # The service starts again (its index writer, as `pulang serve` runs it): it drains
    # what was left, on its own.
    runtime = Runtime(settings, background_index=True)
    try:
        wait_for(lambda: indexing.waiting(db) == 0, what="the outbox to be drained")
        assert _found(runtime.index, "Sulastri Kediri") == [case["id"]]
        assert doctor(db, runtime.index, settings.archive, repair=False).clean
    finally:
        runtime.close()
        db.close()


def test_a_change_on_any_connection_reaches_the_index_of_the_runtime_in_this_process(settings):
    db = _migrated(settings)
    runtime = Runtime(settings)  # no writer thread: drained right after the commit
    try:
        case, _ = create_case(db, {"full_name": NAME, "facility": "Payo Sigadung"}, None)
        assert indexing.waiting(db) == 0
        assert _found(runtime.index, "Sulastri") == [case["id"]]
    finally:
        runtime.close()
        db.close()


def test_voiding_shows_in_search_and_keeps_the_letter_findable_by_its_text(client, staff, make_user,
                                                                           runtime):
    supervisor = make_user("supervisor")[1]
    case = client.post("/api/v1/cases", headers=staff,
                       json={"full_name": NAME, "facility": "Payo Sigadung"}).json
    doc = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff,
                      json={"kind": "pledge"}).json

    def status(query):
        found = client.post("/api/v1/search", headers=staff, json={"q": query}).json
        assert [hit["case_id"] for hit in found["results"]] == [case["id"]], query
        hit = found["results"][0]
        return {d["id"]: d["status"] for d in hit["documents"]}.get(doc["id"]), hit["highlights"]

    assert status("Sulastri pernyataan")[0] == "valid"
    voided = client.post(f"/api/v1/documents/{doc['id']}/void", headers=supervisor,
                         json={"reason": "salah tulis"})
    assert voided.status_code == 200
    now, highlights = status("Sulastri pernyataan")
    assert now == "void"
    assert "text" in highlights  # the letter's words were kept, not sent again


@pytest.fixture
def held_letter(settings):
    """A letter recorded valid by a print job (7), its index entry held for the job."""
    from service.letters.pipeline import reserve
    db = _migrated(settings)
    runtime = Runtime(settings)
    case, _ = create_case(db, {"full_name": NAME, "facility": "Payo Sigadung"}, None)
    doc = reserve(db, kind="pledge", case_id=case["id"], template=templates.active(db, "pledge"),
                  settings=office.get_all(db), user=None, issued_on=dt.date(2024, 7, 31))
    with write_transaction(db):
        mark_valid(db, doc, sha256="0" * 64, pages=1, path="documents/000/1.pdf",
                   text="surat pernyataan kesanggupan", held=printjobs.index_hold(7))
    yield db, runtime, case, doc
    runtime.close()
    db.close()


def test_a_print_jobs_letters_wait_for_its_own_index_commit(held_letter):
    db, runtime, case, doc = held_letter
    assert indexing.waiting(db) == 0 and indexing.waiting(db, printjobs.index_hold(7)) == 1
    assert runtime.index.keys() == {f"c:{case['id']}"}
    # The job's last step drains what is held for it, in one commit.
    assert indexing.drain(db, runtime.index, held=printjobs.index_hold(7)) == 1
    assert runtime.index.keys() == {f"c:{case['id']}", f"d:{doc['id']}"}
    assert _found(runtime.index, "kesanggupan") == [case["id"]]


def test_a_failed_print_job_releases_its_letters_to_the_index(held_letter):
    db, runtime, case, doc = held_letter
    printjobs.fail(db, 7, "pledge-1: LibreOffice gave up")
    assert indexing.waiting(db, printjobs.index_hold(7)) == 0
    assert f"d:{doc['id']}" in runtime.index.keys()
