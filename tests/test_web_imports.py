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
                                               "action": "commit", "expected": "2"})
    assert done.status_code == 200, text(done)[:500]
    body = text(done)
    assert "2 kasus ditambahkan" in body, body[body.find("<main"):body.find("</main>")]  # bad NIK skipped
    assert sorted(r["full_name"] for r in db["cases"].rows) == ["Siti Aminah", "Sulastri"]
    assert not list(settings.tmp_dir.glob("import-*.bin"))  # the sheet is gone
    report_id = db["import_reports"].count
    csv_text = web.get(f"/imports/{report_id}/report.csv").get_data(as_text=True)
    assert "dilewati" in csv_text and "Nur Hayati" not in csv_text
    assert "NIK tidak valid" in csv_text and "nik_invalid" in csv_text  # words, and the codes apart


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


MAPPING = {f"map-{i}": f for i, f in enumerate(
    ["full_name", "nik", "birth_place", "birth_date", "origin_region", "facility"])}


def _button_count(page: str) -> int:
    import re
    return int(re.search(r'data-import-count="(\d+)"', page).group(1))


def test_a_new_facility_ticked_stays_ticked_and_the_count_is_what_is_imported(sign_in, db):
    """Issue 12 item 1: tick the new facility, check again: it stays ticked (and listed),
    the row turns ready, and "Impor N baris" imports exactly N."""
    web = sign_in("staff")
    page = text(_upload(web))
    assert _button_count(page) == 0  # Km 12 and Rumah Baru are both new; Nur Hayati's NIK is bad
    again = text(post(web, "/imports/confirm", {**MAPPING, "create_facility": ["Km 12"], "action": "preview"}))
    assert 'value="Km 12" data-rows="1" checked' in again  # the choice is kept on the page
    assert 'value="Rumah Baru" data-rows="1">' in again     # and the other still offered
    assert _button_count(again) == 1
    done = post(web, "/imports/confirm", {**MAPPING, "create_facility": ["Km 12"], "action": "commit",
                                          "expected": "1"})
    assert "1 kasus ditambahkan" in text(done)
    assert [r["full_name"] for r in db["cases"].rows] == ["Sulastri"]
    assert {r["name"] for r in db["facilities"].rows} == {"Km 12"}
    report = db["import_reports"].get(1)
    assert (report["added"], report["skipped"]) == (1, 2)


def test_a_tick_sent_without_checking_again_shows_the_new_count_first(sign_in, db):
    web = sign_in("staff")
    _upload(web)
    shown = post(web, "/imports/confirm", {**MAPPING, "create_facility": ["Km 12", "Rumah Baru"],
                                           "action": "commit", "expected": "0"})
    assert db["cases"].count == 0  # nothing imported behind the clerk's back
    assert "sekarang 2 baris siap diimpor, bukan 0" in text(shown)
    assert _button_count(text(shown)) == 2


def test_a_bad_row_says_whose_it_is_in_plain_indonesian(sign_in):
    """Item 9 and 6: the name, the masked NIK and the location of a row with problems,
    and the problems as sentences (no codes, no English)."""
    web = sign_in("staff")
    page = text(_upload(web))
    row = page[page.index("<td>3</td>"):page.index("</tr>", page.index("<td>3</td>"))]
    assert "Nur Hayati" in row and "*****" in row and "Km 12" in row
    assert "NIK harus terdiri dari 16 angka" in row
    assert "nik_invalid" not in page and "must have" not in page and "NIK: NIK" not in page


def test_a_sample_sheet_with_the_expected_columns(sign_in):
    from openpyxl import load_workbook
    web = sign_in("staff")
    assert "/imports/contoh-daftar-impor.xlsx" in text(web.get("/imports"))
    response = web.get("/imports/contoh-daftar-impor.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="contoh-daftar-impor.xlsx"'
    sheet = load_workbook(io.BytesIO(response.data)).active
    headers = [c.value for c in sheet[1]]
    assert headers == ["Nama Lengkap", "NIK", "Tempat Lahir", "Tanggal Lahir", "Alamat Asal",
                       "Daerah Asal", "Lokasi", "Catatan"]
    # The sample reads back through the import itself: every column recognised.
    preview = web.post("/imports", data={"csrf_token": web.csrf, "file": (io.BytesIO(response.data), "contoh.xlsx")},
                       content_type="multipart/form-data")
    page = text(preview)
    for i, field in enumerate(["full_name", "nik", "birth_place", "birth_date", "origin_address",
                               "origin_region", "facility", "notes"]):
        assert f'<option value="{field}" selected>' in page.split(f'id="map-{i}"')[1].split("</select>")[0], field
