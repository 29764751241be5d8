"""The import pages: upload, check the rows, confirm; nothing written before that."""

import io

from tests.test_web import post, sign_in, text  # noqa: F401  (sign_in is a fixture)

SHEET = ("Nama,NIK,Tempat Lahir,Tanggal Lahir,Daerah Asal,Lokasi\n"
         "Sulastri,1571014107900001,Jambi,1990-07-01,Kediri,Km 12\n"
         "Nur Hayati,12345,Jambi,1991-01-02,Kupang,Km 12\n"
         "Siti Aminah,,Kupang,01/02/1992,Kupang,Rumah Baru\n")


def _upload(client):
    return client.post("/imports", data={"csrf_token": client.csrf,
                                         "file": (io.BytesIO(SHEET.encode()), "daftar.csv")},
                       content_type="multipart/form-data")


def test_preview_then_confirm(sign_in, db, settings):
    web = sign_in("staff")
    preview = _upload(web)
    assert preview.status_code == 200
    page = text(preview)
    assert "Sulastri" in page and "1571********0001" in page
    assert "1571014107900001" not in page                 # masked in the list
    assert "Rumah Baru" in page and "Km 12" in page        # offered as new facilities
    assert db["cases"].count == 0                          # nothing written yet
    scratch = list(settings.tmp_dir.glob("import-*.bin"))
    assert len(scratch) == 1 and "Sulastri" not in scratch[0].name
    mapping = {f"map-{i}": f for i, f in enumerate(
        ["full_name", "nik", "birth_place", "birth_date", "origin_region", "facility"])}
    done = post(web, "/imports/confirm", {**mapping, "create_facility": ["Rumah Baru", "Km 12"],
                                               "action": "commit"})
    assert done.status_code == 200, text(done)[:500]
    body = text(done)
    assert "2 kasus ditambahkan" in body, body[body.find("<main"):body.find("</main>")]  # bad NIK skipped
    assert sorted(r["full_name"] for r in db["cases"].rows) == ["Siti Aminah", "Sulastri"]
    assert not list(settings.tmp_dir.glob("import-*.bin"))  # the sheet is gone
    report_id = db["import_reports"].count
    csv_text = web.get(f"/imports/{report_id}/report.csv").get_data(as_text=True)
    assert "dilewati" in csv_text and "Nur Hayati" not in csv_text


def test_auditor_may_not_import(sign_in):
    web = sign_in("auditor")
    assert web.get("/imports").status_code == 403


def test_not_a_sheet_is_explained(sign_in, db):
    web = sign_in("staff")
    response = web.post("/imports", data={"csrf_token": web.csrf,
                                          "file": (io.BytesIO(b"PK\x03\x04garbage"), "x.xlsx")},
                        content_type="multipart/form-data")
    assert response.status_code == 400
    assert db["cases"].count == 0
