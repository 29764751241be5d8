"""Letter numbers, the audit chain and case records against a real SQLite file."""

import datetime as dt
import multiprocessing
import sqlite3

import types

import pytest

from service import db as database
from service import keys
from service.records import audit, numbering


@pytest.fixture
def plain_db(tmp_path):
    conn = database.connect(tmp_path / "t.db")
    database.migrate(conn)
    keys.prepare(types.SimpleNamespace(key_dir=tmp_path / "keys", db_path=tmp_path / "t.db"), conn)
    yield conn
    conn.close()


def _take_numbers(path, count, out):
    conn = database.connect(path)
    got = []
    for _ in range(count):
        with database.write_transaction(conn):
            got.append(numbering.next_value(conn, "doc:pledge", 2024))
    out.put(got)


def test_counters_never_repeat_across_processes(tmp_path, plain_db):
    path = tmp_path / "t.db"
    queue = multiprocessing.Queue()
    procs = [multiprocessing.Process(target=_take_numbers, args=(path, 50, queue)) for _ in range(4)]
    for p in procs:
        p.start()
    values = [v for _ in procs for v in queue.get(timeout=60)]
    for p in procs:
        p.join()
    assert sorted(values) == list(range(1, 201))


def test_number_pattern():
    number = numbering.format_number("{code}/{seq:03d}/{unit}/{month_roman}/{year}", seq=13,
                                     kind="pledge", code="460", unit="DINSOS", on=dt.date(2024, 7, 31))
    assert number == "460/013/DINSOS/VII/2024"


@pytest.mark.parametrize("pattern", ["{code}/{unit}/{year}", "{seq}/{nama}", "{seq",
                                     "{code}/{seq}/{unit}"])  # no year: numbers would repeat
def test_bad_patterns_are_refused(pattern):
    from service.errors import InvalidInput
    with pytest.raises(InvalidInput):
        numbering.check_pattern(pattern)


def test_audit_chain_detects_edits_and_deletions(tmp_path, plain_db):
    user = {"id": 1, "username": "ani"}
    for i in range(5):
        audit.record(plain_db, "case.read", user=user, target_type="case", target_id=i)
    assert audit.verify(plain_db) == (5, None)
    # The triggers refuse edits...
    with pytest.raises(sqlite3.DatabaseError):
        plain_db.execute("UPDATE audit_log SET action = 'x' WHERE id = 3")
    # ...and whoever drops them is still caught by the chain.
    plain_db.execute("DROP TRIGGER audit_log_no_update")
    plain_db.execute("UPDATE audit_log SET target_id = '99' WHERE id = 3")
    plain_db.conn.commit()
    count, broken = audit.verify(plain_db)
    assert broken.entry_id == 3
    plain_db.execute("DROP TRIGGER audit_log_no_delete")
    plain_db.execute("DELETE FROM audit_log WHERE id IN (2, 3)")
    plain_db.conn.commit()
    _, broken = audit.verify(plain_db)
    assert broken.entry_id == 4


def test_default_number_settings_never_collide():
    """The default is one register for all letters (kinds share the Permendagri 83/2022
    primary codes 400 and 900 and one sequence); sequences per kind with those shared
    codes are refused until each kind has its own code."""
    from service.records import office
    assert office.DEFAULTS["number_register"] == "office"
    _, problems = office.check({"numbering": {"register": "per_kind"}}, office.DEFAULTS)
    assert "numbering.codes.release_report" in problems
    codes = {"pledge": "400.1", "aid_receipt": "900.1", "transfer_receipt": "900.2",
             "release_report": "400.2", "aid_roster": "900.3", "ceremony_report": "400.3"}
    _, problems = office.check({"numbering": {"register": "per_kind", "codes": codes}},
                               office.DEFAULTS)
    assert not problems


def test_shared_code_under_one_pattern_is_refused():
    from service.errors import InvalidInput
    patterns = {"pledge": "{code}/{seq}/{year}", "release_report": "{code}/{seq}/{year}"}
    with pytest.raises(InvalidInput) as err:
        numbering.check_distinct(patterns, {"pledge": "460", "release_report": "460"})
    assert "numbering.codes.release_report" in err.value.fields


def test_the_listed_documents_view_holds_exactly_the_listed_statuses(plain_db):
    from service.records.kinds import LISTED
    statuses = ("pending", "valid", "void", "superseded", "failed")
    for i, status in enumerate(statuses, 1):
        plain_db["documents"].insert({
            "kind": "pledge", "number": f"460/{i:03d}/DINSOS/VII/2024", "year": 2024, "seq": i,
            "token": f"t{i}", "issued_on": "2024-07-31", "template_version": 1,
            "template_sha256": "0" * 64, "status": status, "created_at": "2024-07-31T00:00:00",
            "updated_at": "2024-07-31T00:00:00"})
    listed = {row[0] for row in plain_db.execute("SELECT status FROM listed_documents")}
    assert listed == set(LISTED) == {"valid", "void", "superseded"}
