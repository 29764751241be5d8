"""The frictions of a clerk's day (issue 12), each in Debian's Chromium against the real
app: Back after a search, dates typed day first in an English browser, plain Indonesian,
undo and confirm, the import's new facility, the paged list of all cases. One seeded
archive for the module; each test signs in on its own page."""

import pytest

from service.auth.users import create_user
from service.records.cases import add_aid, create_case
from tests.helpers import complete_office, served, signed_in_page, xlsx
from tests.test_browser import NEIGHBOURS, PASSWORD

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
expect = None if playwright is None else playwright.expect


@pytest.fixture(scope="module")
def office(tmp_path_factory, converter_pool):
    with served(tmp_path_factory.mktemp("clerk") / "archive", converter_pool) as app:
        admin = create_user(app.db, "ani", "admin", PASSWORD)
        create_user(app.db, "budi", "staff", PASSWORD)
        create_user(app.db, "sari", "supervisor", PASSWORD)
        ids = {}
        for name, nik, place, born, region in NEIGHBOURS + [
                ("Muhammad Rizky Amelia", "", "Jambi", "1995-03-03", "Kota Jambi, Jambi"),
                ("Winarsih", "", "Blitar", "1988-01-12", "Blitar, Jawa Timur")]:
            case, _ = create_case(app.db, {"full_name": name, "nik": nik, "birth_place": place,
                                           "birth_date": born or None, "origin_region": region,
                                           "facility": "Payo Sigadung"}, admin)
            add_aid(app.db, case["id"], {"kind": "ticket", "amount": 1_500_000,
                                         "source": "APBD Kota Jambi"}, admin, 10**9)
            ids[name] = case["id"]
        app.runtime.flush_index()
        yield {"base": app.base, "db": app.db, "runtime": app.runtime, "ids": ids, "app": app.app}


@pytest.fixture
def page(office, browser):
    page = signed_in_page(browser, office["base"], "ani", PASSWORD)
    yield page
    page.context.close()


def test_back_after_a_search_returns_to_the_results(office, page):
    """Item 5: search, open a case, Back: the results again (no "Confirm Form
    Resubmission"), from a URL that holds an opaque id and no name."""
    base = office["base"]
    page.goto(base + "/search")
    page.get_by_label("Cari nama, NIK, nomor kasus atau nomor surat").fill("Nur Hayati")
    page.get_by_role("button", name="Cari", exact=True).click()
    expect(page.locator("#results-title")).to_contain_text("kasus ditemukan")
    results_url = page.url
    assert "/search/r/" in results_url and "Hayati" not in results_url
    page.locator(".hit-name").first.click()
    expect(page.locator("h1")).to_have_text("Nur Hayati")
    page.go_back()
    expect(page).to_have_url(results_url)
    expect(page.locator("#results-title")).to_contain_text("kasus ditemukan")
    expect(page.locator(".hit-name").first).to_contain_text("Hayati")
    expect(page.get_by_label("Cari nama, NIK, nomor kasus atau nomor surat")).to_have_value("Nur Hayati")
    page.go_forward()
    expect(page.locator("h1")).to_have_text("Nur Hayati")


def test_dates_are_typed_day_first_in_an_english_browser(office, browser):
    """Item 10: a browser set to en-US still takes and shows 01/07/1990 as 1 July."""
    page = signed_in_page(browser, office["base"], "ani", PASSWORD, locale="en-US")
    try:
        page.goto(office["base"] + "/cases/new")
        page.get_by_label("Nama lengkap").fill("Kartini")
        birth = page.get_by_label("Tanggal lahir")
        expect(birth).to_have_attribute("placeholder", "hh/bb/tttt")
        birth.fill("01/07/1990")
        page.get_by_label("Lokasi / fasilitas").select_option("Payo Sigadung")
        page.get_by_role("button", name="Simpan kasus").click()
        expect(page.locator("h1")).to_have_text("Kartini")
        expect(page.locator(".facts")).to_contain_text("1 Juli 1990")
        page.get_by_role("link", name="Ubah data").click()
        expect(page.get_by_label("Tanggal lahir")).to_have_value("01/07/1990")
    finally:
        page.context.close()


def _api(office):
    """Bearer headers and a test client for seeding through the API."""
    from service.auth.users import create_token
    return office["app"].test_client(), {"Authorization": f"Bearer {create_token(office['db'], 'ani')}"}


def _sheet(rows) -> dict:
    return {"name": "daftar.xlsx", "mimeType": "application/octet-stream",
            "buffer": xlsx(rows, header=("Nama", "NIK", "Tanggal Lahir", "Daerah Asal", "Lokasi"))}


def test_import_keeps_a_new_facility_and_imports_what_the_button_says(office, page):
    """Items 1 and 9: a ticked new facility stays ticked after "Periksa ulang", the button
    counts what a tick adds before any check, the import adds exactly that, the report
    agrees; a bad row shows whose it is, in words, with the NIK masked."""
    page.goto(office["base"] + "/imports")
    with page.expect_download() as sample:
        page.get_by_role("link", name="Unduh contoh lembar kerja (.xlsx)").click()
    assert sample.value.suggested_filename == "contoh-daftar-impor.xlsx"
    page.locator("input[type=file]").set_input_files(_sheet([
        ["Wulan Sari", "3578064811920091", "08/11/1992", "Surabaya, Jawa Timur", "Sentra Alyatama"],
        ["Yuni Astuti", "", "03/03/1993", "Malang, Jawa Timur", "Sentra Alyatama"],
        ["Dewi Anggraini", "1234", "01/01/1990", "Kediri, Jawa Timur", "Payo Sigadung"],
        ["Tini Rahayu", "", "", "Blitar, Jawa Timur", "Payo Sigadung"]]))
    page.get_by_role("button", name="Unggah dan periksa").click()
    bad = page.locator("tr", has_text="Dewi Anggraini")
    expect(bad).to_contain_text("****")  # a 4-digit "NIK", masked like any other
    expect(bad).to_contain_text("Payo Sigadung")
    expect(bad).to_contain_text("NIK harus terdiri dari 16 angka")
    expect(page.locator("main")).not_to_contain_text("nik_invalid")
    expect(page.get_by_role("button", name="Impor 1 baris")).to_be_visible()
    page.get_by_label("Sentra Alyatama").check()
    expect(page.get_by_role("button", name="Impor 3 baris")).to_be_visible()  # counted at once
    page.get_by_role("button", name="Periksa ulang").click()
    expect(page.get_by_label("Sentra Alyatama")).to_be_checked()  # the choice stays
    expect(page.locator("tr", has_text="Wulan Sari")).to_contain_text("siap")
    page.get_by_role("button", name="Impor 3 baris").click()
    expect(page.locator("main")).to_contain_text("3 kasus ditambahkan, 1 baris dilewati dari 4 baris.")
    db = office["db"]
    assert {r[0] for r in db.execute("SELECT full_name FROM cases WHERE full_name IN "
                                     "('Wulan Sari', 'Yuni Astuti', 'Tini Rahayu', 'Dewi Anggraini')")} == \
        {"Wulan Sari", "Yuni Astuti", "Tini Rahayu"}
    with page.expect_download() as report:
        page.get_by_role("link", name="Unduh laporan impor (CSV)").click()
    text = open(report.value.path(), encoding="utf-8-sig").read()
    assert text.count("ditambahkan") == 3 and "NIK tidak valid" in text and "Dewi" not in text


def test_a_queued_print_is_cancelled_from_its_page(office, page):
    """Item 4: no worker runs in this module, so the job waits; its page cancels it."""
    client, headers = _api(office)
    ids = [office["ids"]["Sulastri"], office["ids"]["Nur Hayati"]]
    made = client.post("/api/v1/ceremonies", headers=headers, json={
        "title": "Pelepasan untuk dibatalkan", "date": "2026-07-31", "place": "Aula", "case_ids": ids})
    assert made.status_code == 201, made.json
    page.goto(office["base"] + f"/ceremonies/{made.json['id']}")
    page.get_by_role("button", name="Cetak", exact=True).click()
    expect(page.locator("#job-state")).to_have_text("antre")
    page.get_by_role("button", name="Batalkan cetakan").click()
    expect(page.locator(".flash-success")).to_contain_text("Cetakan dibatalkan")
    expect(page.locator("#job-state")).to_have_text("dibatalkan")
    expect(page.get_by_role("button", name="Batalkan cetakan")).to_have_count(0)
    page.get_by_role("link", name="Kembali ke pelepasan").click()
    expect(page.locator("#jobs")).to_contain_text("dibatalkan")
    # Removing a woman asks first, naming her.
    page.get_by_role("link", name="Keluarkan Nur Hayati").click()
    expect(page.locator("main")).to_contain_text("Keluarkan Nur Hayati dari Pelepasan untuk dibatalkan?")
    page.get_by_role("button", name="Ya, keluarkan").click()
    expect(page.locator("#people-title")).to_contain_text("1 orang")


def test_plain_indonesian_on_forms_and_refusals(office, page):
    """Item 6: field errors sit at their field, named; a refusal names the woman; the
    English screen says the same in English."""
    base = office["base"]
    page.goto(base + "/ceremonies")
    page.get_by_role("button", name="Simpan pelepasan").click()
    expect(page.locator("#title-error")).to_have_text("Judul wajib diisi")
    expect(page.get_by_label("Judul")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("main")).not_to_contain_text("title:")
    client, headers = _api(office)
    bare = client.post("/api/v1/cases", headers=headers, json={"full_name": "Kartika Tanpa Bantuan",
                                                                "facility": "Payo Sigadung"}).json
    made = client.post("/api/v1/ceremonies", headers=headers, json={
        "title": "Pelepasan Kartika", "date": "2026-08-01", "place": "Aula", "case_ids": [bare["id"]]}).json
    page.goto(base + f"/ceremonies/{made['id']}")
    page.get_by_role("button", name="Cetak", exact=True).click()
    alert = page.locator(".alert-error")
    expect(alert).to_contain_text("Kartika Tanpa Bantuan belum punya bantuan yang dicatat")
    for code in ("aid_receipt", "kinds", f"case {bare['id']}"):
        expect(alert).not_to_contain_text(code)
    page.get_by_role("button", name="EN").click()
    page.goto(base + "/ceremonies")
    page.get_by_role("button", name="Save release").click()
    expect(page.locator("#title-error")).to_have_text("Title is required")
    page.get_by_role("button", name="ID").click()


def test_undo_and_confirm_on_the_case_page(office, page):
    """Item 7: a corrected aid item flags the receipt "data berubah" until it is made
    again in one click; voiding asks for a tick; closing asks on a page; a supervisor
    reopens."""
    base, db = office["base"], office["db"]
    case_id = office["ids"]["Rina Marlina"]
    page.goto(base + f"/cases/{case_id}")
    page.locator(".generate-row", has_text="Kuitansi Bantuan").get_by_role("button").click()
    expect(page.locator(".flash-success")).to_contain_text("Kuitansi Bantuan nomor", timeout=90_000)
    page.get_by_role("link", name="Ubah Tiket pulang Rp1.500.000").click()
    page.get_by_label("Jumlah (Rp)").fill("1.750.000")
    page.get_by_role("button", name="Simpan perubahan").click()
    expect(page.locator(".flash-warning")).to_contain_text("Surat yang kini memuat data lama: Kuitansi Bantuan")
    receipt = page.locator(".timeline-item", has_text="Kuitansi Bantuan").first
    expect(receipt).to_contain_text("data berubah")
    expect(receipt).to_contain_text("bantuan")
    receipt.get_by_role("button", name="Buat ulang dengan data baru").click()
    expect(page.locator(".flash-success")).to_contain_text("Kuitansi Bantuan nomor", timeout=90_000)
    expect(page.locator(".badge-stale")).to_have_count(0)
    # Void: the reason and a tick.
    page.locator(".timeline-item", has_text="Kuitansi Bantuan").first.get_by_role("link", name="Pratinjau").click()
    page.get_by_label("Alasan pembatalan").fill("salah ketik jumlah")
    page.get_by_role("button", name="Batalkan surat ini").click()
    expect(page.locator("#confirm-error")).to_have_text("Centang untuk memastikan pembatalan.")
    page.get_by_label("Ya, batalkan surat ini. Nomornya tidak dipakai lagi.").check()
    page.get_by_role("button", name="Batalkan surat ini").click()
    expect(page.locator(".flash-success")).to_contain_text("dibatalkan")
    # Close, asked first; reopened.
    page.goto(base + f"/cases/{case_id}")
    page.get_by_role("link", name="Tutup kasus").click()
    expect(page.locator("main")).to_contain_text("Tutup kasus Rina Marlina")
    assert db.execute("SELECT status FROM cases WHERE id = ?", [case_id]).fetchone()[0] == "open"
    page.get_by_role("button", name="Ya, tutup kasus").click()
    expect(page.locator(".case-status")).to_have_text("ditutup")
    page.get_by_role("button", name="Buka kembali").click()
    expect(page.locator(".case-status")).to_have_text("terbuka")


def test_the_small_things(office, page, browser):
    """Item 10: no old year in a placeholder, "Halaman 1 dari n", the search count says
    cases, the hash wraps on the public page of a phone, the home page leads to every
    case, and an initial does not hide her."""
    base, db = office["base"], office["db"]
    page.goto(base + f"/cases/{office['ids']['Winarsih']}")
    placeholders = page.eval_on_selector_all("[placeholder]", "els => els.map(e => e.placeholder)")
    assert placeholders and not [p for p in placeholders if any(str(y) in p for y in range(2000, 2100))], placeholders
    page.goto(base + "/")
    page.get_by_role("link", name="Lihat semua kasus").click()
    expect(page.locator("h1")).to_have_text("Semua kasus")
    page.get_by_label("Status").select_option("open")
    page.get_by_role("button", name="Saring").click()
    expect(page.locator("#case-list")).to_contain_text("terbuka")
    page.goto(base + "/search")
    page.get_by_label("Cari nama, NIK, nomor kasus atau nomor surat").fill("Winarsih S")
    page.get_by_role("button", name="Cari", exact=True).click()
    expect(page.locator("#results-title")).to_have_text("1 kasus ditemukan")
    expect(page.locator(".hit-name")).to_have_text("Winarsih")
    # A letter's page and its public page on a phone.
    from service.letters.pipeline import generate_case_document
    doc = generate_case_document(office["runtime"], db, office["ids"]["Winarsih"], "pledge", None)
    page.goto(base + f"/documents/{doc['id']}")
    expect(page.locator("figure.preview figcaption")).to_have_text(f"Halaman 1 dari {doc['pages']}")
    phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    phone.goto(base + f"/v/{doc['token']}")
    box = phone.evaluate("""() => { const h = [...document.querySelectorAll('dd')].find(d => d.textContent.trim().length === 64);
        const c = h.closest('.card'); return [h.getBoundingClientRect().right, c.getBoundingClientRect().right,
        document.scrollingElement.scrollWidth, window.innerWidth]; }""")
    phone.context.close()
    assert box[0] <= box[1] and box[2] <= box[3], box


def test_a_ceremony_of_seventy(office, page):
    """Item 8: 70 women to choose from: filter, select all shown, by location and by
    origin, a save button always in view, the office's officials with pangkat and NIP,
    others in rows, past prints at the top, copies in boxes that look like boxes, and one
    action that marks them released (shown and filterable in the case list)."""
    from service.clock import office_today
    db, base = office["db"], office["base"]
    complete_office(db)  # the head with pangkat and NIP (tests/helpers.TEST_OFFICE)
    admin = dict(zip([d[0] for d in db.execute("SELECT * FROM users").description],
                     db.execute("SELECT * FROM users WHERE username = 'ani'").fetchone()))
    regions = ["Kediri, Jawa Timur", "Surabaya, Jawa Timur", "Kota Kupang, NTT", "Kota Jambi, Jambi"]
    for i in range(70):
        create_case(db, {"full_name": f"Peserta Tujuh Puluh {i:02d}", "origin_region": regions[i % 4],
                         "facility": "Km 12" if i < 30 else "Sentra Tujuh Puluh"}, admin)
    page.goto(base + "/ceremonies")
    picker = page.locator("[data-picker]")
    filter_box = page.get_by_label("Saring: nama, nomor kasus atau daerah asal")
    filter_box.fill("tujuh puluh")
    expect(picker.locator("tbody tr:visible")).to_have_count(70)
    page.get_by_label("Lokasi", exact=True).select_option("Km 12")
    page.get_by_role("button", name="Pilih semua yang tampil").click()
    count = page.locator("[data-picker-count]")
    expect(count).to_contain_text("30 dari")
    page.get_by_label("Lokasi", exact=True).select_option("")
    page.get_by_label("Daerah asal", exact=True).select_option("Kota Kupang, NTT")
    page.get_by_role("button", name="Hapus pilihan yang tampil").click()  # not the NTT ones after all
    expect(count).to_contain_text("23 dari")
    page.get_by_label("Daerah asal", exact=True).select_option("")
    filter_box.fill("peserta tujuh puluh 69")  # every word, in name, case number or origin
    expect(picker.locator("tbody tr:visible").first).to_be_visible()
    expect(picker.locator("tbody tr:visible", has_text="Peserta Tujuh Puluh 68")).to_have_count(0)
    picker.locator("tbody tr:visible", has_text="Peserta Tujuh Puluh 69").get_by_role("checkbox").check()
    expect(count).to_contain_text("24 dari")
    filter_box.fill("")
    # The save button stays in view while the list scrolls.
    picker.locator("tbody tr").nth(40).scroll_into_view_if_needed()
    save = page.get_by_role("button", name="Simpan pelepasan")
    box, height = save.bounding_box(), page.viewport_size["height"]
    assert 0 <= box["y"] and box["y"] + box["height"] <= height, (box, height)
    page.get_by_label("Judul").fill("Pelepasan Tujuh Puluh")
    page.get_by_label("Tanggal").fill(office_today().strftime("%d/%m/%Y"))
    page.get_by_label("Tempat").fill("Aula Rumah Dinas Wali Kota")
    expect(page.get_by_label("Dra. Hj. Rosmawati, M.Si.", exact=False)).to_be_checked()
    page.get_by_label("Nama 1", exact=True).fill("Mulyadi, S.H.")
    page.get_by_label("Jabatan 1", exact=True).fill("Kepala Satpol PP")
    page.get_by_label("Pangkat/golongan 1", exact=True).fill("Pembina (IV/a)")
    page.get_by_label("NIP 1", exact=True).fill("19700101 199503 1 002")
    save.click()
    expect(page.locator("#people-title")).to_contain_text("24 orang")
    officials = page.locator("#officials")
    expect(officials).to_contain_text("196805121994032004")
    expect(officials).to_contain_text("Pembina Utama Muda (IV/c)")
    expect(officials).to_contain_text("197001011995031002")
    expect(officials).to_contain_text("Kepala Satpol PP")
    copies = page.locator("input.copies").first
    style = copies.evaluate("e => [getComputedStyle(e).borderTopStyle, e.getBoundingClientRect().width]")
    assert style[0] == "solid" and style[1] >= 60, style
    # A past print sits above the people.
    ceremony_id = int(page.url.rsplit("/", 1)[1])
    client, headers = _api(office)
    job = client.post(f"/api/v1/ceremonies/{ceremony_id}/print", headers=headers, json={"kinds": ["aid_roster"]}).json
    client.post(f"/api/v1/jobs/{job['job_id']}/cancel", headers=headers)
    page.reload()
    assert page.evaluate("document.getElementById('jobs').compareDocumentPosition("
                         "document.getElementById('people')) & Node.DOCUMENT_POSITION_FOLLOWING")
    # After the ceremony: one action, and the status shows and filters.
    page.get_by_role("button", name="Tandai semua dipulangkan").click()
    expect(page.locator(".flash-success")).to_contain_text("24 penerima manfaat ditandai dipulangkan")
    expect(page.locator("#people .badge-released")).to_have_count(24)
    page.goto(base + "/cases?status=released")
    expect(page.locator("#case-count")).to_have_text("24 kasus")
    expect(page.locator("#case-list tbody tr")).to_have_count(24)
