"""Ceremonies through the API: details, officials, cases and destinations; one ceremony
per case; what the (later) web page needs; bad input named by field."""

import sqlite3

import pytest

from tests.test_ceremonies_data import TRICKY, make_cases, make_ceremony, nik


@pytest.fixture
def cases(client, staff):
    return make_cases(client, staff, 3)


def test_create_and_read(client, staff, cases):
    made = make_ceremony(client, staff, cases, destinations={str(cases[1]): "Rumah Singgah Kupang"})
    got = client.get(f"/api/v1/ceremonies/{made['id']}", headers=staff)
    assert got.status_code == 200
    body = got.json
    assert body["title"].startswith("Pelepasan") and body["date"] == "2024-07-31"
    assert body["officials"][0] == {"name": "Drs. H. Sri Purwanto, M.M.", "title": "Penjabat Wali Kota",
                                    "rank": "", "nip": "196703041993031005"}
    by_id = {c["case_id"]: c for c in body["cases"]}
    assert set(by_id) == set(cases)
    # Destination defaults to the origin region; one was given.
    assert by_id[cases[0]]["destination"] == by_id[cases[0]]["origin_region"]
    assert by_id[cases[1]]["destination"] == "Rumah Singgah Kupang"
    # Lists show masked NIKs only.
    assert by_id[cases[0]]["nik_masked"] == "3578********0001"
    assert nik(1) not in got.get_data(as_text=True)
    assert by_id[cases[0]]["full_name"] == TRICKY
    assert by_id[cases[0]]["aid_total"] == 5_501_000
    assert body["jobs"] == [] and body["documents"] == []
    listed = client.get("/api/v1/ceremonies", headers=staff).json["ceremonies"]
    assert [(c["id"], c["cases"]) for c in listed] == [(made["id"], 3)]


def test_a_case_is_in_one_ceremony_at_a_time(client, staff, cases, db):
    first = make_ceremony(client, staff, cases[:2])
    clash = client.post("/api/v1/ceremonies", headers=staff, json={
        "title": "Lain", "date": "2024-08-01", "place": "Aula", "case_ids": [cases[1]]})
    assert clash.status_code == 409
    assert clash.json["conflicts"] == [{"case_id": cases[1], "ceremony_id": first["id"]}]
    assert "case_ids" in clash.json["error"]["fields"]
    # Nothing half-made: the refused ceremony does not exist.
    assert [c["id"] for c in client.get("/api/v1/ceremonies", headers=staff).json["ceremonies"]] \
        == [first["id"]]
    # The schema itself refuses it, whatever the code path.
    other = db["ceremonies"].insert({"title": "x", "date": "2024-08-01", "place": "y",
                                     "created_at": "t", "updated_at": "t"}).last_pk
    with pytest.raises(sqlite3.IntegrityError):
        db["ceremony_cases"].insert({"ceremony_id": other, "case_id": cases[0], "added_at": "t"})
    # Removed from the first, she may join another.
    removed = client.delete(f"/api/v1/ceremonies/{first['id']}/cases/{cases[1]}", headers=staff)
    assert removed.status_code == 200 and len(removed.json["cases"]) == 1
    second = make_ceremony(client, staff, [cases[1]])
    assert [c["case_id"] for c in second["cases"]] == [cases[1]]


def test_add_cases_set_destination_and_ready_list(client, staff, cases):
    ceremony = make_ceremony(client, staff, [])
    ready = client.get("/api/v1/ceremonies/ready-cases", headers=staff).json["cases"]
    assert {c["id"] for c in ready} == set(cases)
    assert all("nik" not in c and c["nik_masked"].startswith("3578****") for c in ready)
    added = client.post(f"/api/v1/ceremonies/{ceremony['id']}/cases", headers=staff,
                        json={"case_ids": cases[:2], "destinations": {str(cases[0]): "Sentra Kupang"}})
    assert added.status_code == 200
    ready = client.get("/api/v1/ceremonies/ready-cases", headers=staff).json["cases"]
    assert [c["id"] for c in ready] == [cases[2]]
    moved = client.patch(f"/api/v1/ceremonies/{ceremony['id']}/cases/{cases[1]}", headers=staff,
                         json={"destination": "Banyuwangi"})
    assert {c["case_id"]: c["destination"] for c in moved.json["cases"]}[cases[1]] == "Banyuwangi"
    renamed = client.patch(f"/api/v1/ceremonies/{ceremony['id']}", headers=staff,
                           json={"place": "Gedung Serbaguna"})
    assert renamed.json["place"] == "Gedung Serbaguna"
    assert client.patch(f"/api/v1/ceremonies/{ceremony['id']}/cases/{cases[2]}", headers=staff,
                        json={"destination": "X"}).status_code == 404


@pytest.mark.parametrize("body, field", [
    pytest.param({"date": "2024-07-31", "place": "Aula"}, "title", id="title-missing"),
    pytest.param({"title": "P", "date": "31-07-2024", "place": "Aula"}, "date", id="date-format"),
    pytest.param({"title": "P", "date": "2024-07-31"}, "place", id="place-missing"),
    pytest.param({"title": "P", "date": "2024-07-31", "place": "A", "officials": {"name": "x"}},
                 "officials", id="officials-not-list"),
    pytest.param({"title": "P", "date": "2024-07-31", "place": "A",
                  "officials": [{"name": "Ani", "nip": "123"}]}, "officials", id="short-nip"),
    pytest.param({"title": "P", "date": "2024-07-31", "place": "A", "officials": [{"title": "x"}]},
                 "officials", id="official-without-name"),
    pytest.param({"title": "P", "date": "2024-07-31", "place": "A", "case_ids": "1,2"},
                 "case_ids", id="case-ids-string"),
    pytest.param({"title": "P", "date": "2024-07-31", "place": "A", "case_ids": [1, 1]},
                 "case_ids", id="case-twice"),
    pytest.param({"title": "P", "date": "2024-07-31", "place": "A", "case_ids": [999999]},
                 "case_ids", id="no-such-case"),
    pytest.param({"title": "P", "date": "2024-07-31", "place": "A", "case_ids": [],
                  "destinations": {"5": "Kupang"}}, "destinations", id="destination-not-added"),
    pytest.param({"title": "P", "date": "2024-07-31", "place": "A", "tempat": "B"},
                 "tempat", id="unknown-field"),
    pytest.param({"title": "P\x00", "date": "2024-07-31", "place": "A"}, "title", id="control-char"),
])
def test_bad_input_names_the_field(client, staff, body, field):
    response = client.post("/api/v1/ceremonies", headers=staff, json=body)
    assert response.status_code == 400, response.json
    assert field in response.json["error"]["fields"]


def test_closed_case_cannot_be_released(client, staff, cases, db):
    db["cases"].update(cases[0], {"status": "released"})
    response = client.post("/api/v1/ceremonies", headers=staff, json={
        "title": "P", "date": "2024-07-31", "place": "A", "case_ids": [cases[0]]})
    assert response.status_code == 400 and "case_ids" in response.json["error"]["fields"]


def test_roles_and_audit(client, staff, make_user, cases, db):
    ceremony = make_ceremony(client, staff, cases[:1])
    _, auditor = make_user("auditor")
    assert client.get(f"/api/v1/ceremonies/{ceremony['id']}", headers=auditor).status_code == 200
    assert client.post("/api/v1/ceremonies", headers=auditor, json={
        "title": "P", "date": "2024-07-31", "place": "A"}).status_code == 403
    assert client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=auditor,
                       json={}).status_code == 403
    assert client.get("/api/v1/ceremonies/1").status_code == 401
    assert client.get("/api/v1/ceremonies/999", headers=staff).status_code == 404
    rows = list(db.query("SELECT action, detail FROM audit_log WHERE action LIKE 'ceremony.%'"))
    assert {"ceremony.create", "ceremony.read"} <= {r["action"] for r in rows}
    assert "Aminah" not in repr(rows) and nik(1) not in repr(rows)
