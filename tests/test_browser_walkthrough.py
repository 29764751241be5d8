"""A new office's first day, as a new user would walk it, in Debian's Chromium against the
real app on a fresh archive (issue 12):

    first-run set-up (the home page says what is missing) → a case → an aid item
    corrected → her letters → search and Back
    → a ceremony of 10 → print, and print again (the same numbers) → an import that
    creates a new facility → an export

Each step is shown at the office laptop's 1366 px and a phone's 390 px: a screenshot of
both in docs/screenshots/walkthrough-NN-step-WIDTH.png, and the checks of every page state
(axe-core finds nothing, nothing wider than the window: tests/axe.py)."""

import io
import re
from pathlib import Path

import pytest

from service.auth.users import create_user
from service.clock import office_today
from service.records.cases import add_aid, create_case
from tests.axe import WIDTHS, check_page
from tests.helpers import SCREENSHOTS, job_consumer, served, xlsx

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
expect = playwright.expect

PASSWORD = "kata sandi kantor yang panjang"
# Nine more women recorded before the ceremony (through the record layer, to keep the walk
# short); invented names.
OTHERS = [("Sulastri", "Kediri, Jawa Timur"), ("Nur Hayati", "Surabaya, Jawa Timur"),
          ("Maria Goreti Lawa", "Kota Kupang, NTT"), ("Rina Marlina", "Kota Jambi, Jambi"),
          ("Dewi Lestari", "Malang, Jawa Timur"), ("Yuliana Ndun", "Kota Kupang, NTT"),
          ("Sumiati", "Blitar, Jawa Timur"), ("Ratna Sari", "Indramayu, Jawa Barat"),
          ("Endang Wulandari", "Banyuwangi, Jawa Timur")]


class Walk:
    """The page, and what every step leaves behind: screenshots at both widths and the
    page checks of each state."""

    def __init__(self, page):
        self.page = page
        self.step = 0
        self.problems: list[str] = []

    def shot(self, name: str) -> None:
        self.step += 1
        page = self.page
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for width, size in sorted(WIDTHS.items()):
            page.set_viewport_size(size)
            page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
            self.problems += check_page(page, f"{self.step:02d}-{name}@{width}")
            page.screenshot(path=str(SCREENSHOTS / f"walkthrough-{self.step:02d}-{name}-{width}.png"),
                            full_page=True)
        page.set_viewport_size(WIDTHS["1366"])


def _sheet() -> bytes:
    return xlsx([["Wulan Sari", "3578064811920077", "08/11/1992", "Surabaya, Jawa Timur", "Sentra Alyatama Jambi"],
                 ["Yuni Astuti", "", "03/03/1993", "Malang, Jawa Timur", "Sentra Alyatama Jambi"],
                 ["Dewi Anggraini", "1234", "01/01/1990", "Kediri, Jawa Timur", "Payo Sigadung"]],
                header=("Nama Lengkap", "NIK", "Tanggal Lahir", "Daerah Asal", "Lokasi"))


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, converter_pool):
    """A fresh archive with one admin, as `pulang init` and `pulang user create` leave it."""
    with served(tmp_path_factory.mktemp("walk") / "archive", converter_pool, office=False) as app:
        create_user(app.db, "ani", "admin", PASSWORD)
        with job_consumer(app.runtime, app.db):  # as `pulang serve` runs one
            yield app


def _set_up_office(walk, base):
    """The first-run set-up (issue 12 item 2): the home page of a fresh archive says the
    office is not complete (letters are CONTOH until it is) and leads to the set-up page."""
    page = walk.page
    notice = page.locator(".setup-missing")
    expect(notice).to_contain_text("Data kantor belum lengkap")
    walk.shot("first-run")
    notice.get_by_role("link", name="Lengkapi pengaturan kantor").click()
    expect(page.locator("h1")).to_have_text("Pengaturan kantor")
    for label, value in [("Pemerintah daerah", "PEMERINTAH KOTA JAMBI"), ("Nama instansi", "DINAS SOSIAL"),
                         ("Alamat", "Jalan Jenderal Sudirman No. 1, Kota Jambi 36122"),
                         ("Kota (tempat penandatanganan)", "Jambi"), ("Kode unit (dalam nomor surat)", "DINSOS")]:
        page.get_by_label(label, exact=True).fill(value)
    officials = [("Kepala dinas (Pengguna Anggaran)", "Dra. Hj. Rosmawati, M.Si.", "Kepala Dinas Sosial Kota Jambi",
                  "Pembina Utama Muda (IV/c)", "196805121994032004"),
                 ("Bendahara pengeluaran", "Yuliana Sari, S.E.", "Bendahara Pengeluaran", "Penata (III/c)",
                  "198507222010012015"),
                 ("Saksi / pekerja sosial", "Ahmad Fauzi, S.Sos.", "Pekerja Sosial", "", "")]
    for who, name, title, rank, nip in officials:
        page.get_by_label(f"Nama dan gelar {who}", exact=True).fill(name)
        page.get_by_label(f"Jabatan {who}", exact=True).fill(title)
        page.get_by_label(f"Pangkat/golongan {who}", exact=True).fill(rank)
        page.get_by_label(f"NIP {who}", exact=True).fill(nip)
    walk.shot("set-up")
    page.get_by_role("button", name="Simpan pengaturan").click()
    expect(page.locator(".flash-success")).to_contain_text("Pengaturan tersimpan")
    page.get_by_role("link", name="Beranda").first.click()
    expect(page.locator(".setup-missing")).to_have_count(0)


def test_a_new_office_first_day(fresh, browser):
    base, db = fresh.base, fresh.db
    context = browser.new_context(viewport=WIDTHS["1366"], locale="id-ID", timezone_id="Asia/Jakarta",
                                  accept_downloads=True)
    page = context.new_page()
    walk = Walk(page)

    # Sign in on the fresh archive, and set the office up.
    page.goto(base + "/login")
    page.get_by_label("Nama pengguna").fill("ani")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("h1")).to_have_text("Beranda")
    _set_up_office(walk, base)

    # A case.
    page.get_by_role("link", name="Kasus baru").first.click()
    page.get_by_label("Nama lengkap").fill("Muhammad Rizky Amelia")
    page.get_by_label("NIK").fill("1571014107900001")
    page.get_by_label("Tempat lahir").fill("Jambi")
    page.get_by_label("Tanggal lahir").fill("01/07/1990")
    page.get_by_label("Daerah asal").fill("Kota Jambi, Jambi")
    page.get_by_label("Nama lokasi baru").fill("Payo Sigadung")
    walk.shot("case-form")
    page.get_by_role("button", name="Simpan kasus").click()
    expect(page.locator("h1")).to_contain_text("Muhammad Rizky Amelia")
    case_url = page.url

    # Aid, one item typed wrong and corrected.
    page.get_by_label("Jenis bantuan").select_option("ticket")
    page.get_by_label("Jumlah (Rp)").fill("1.500.000")
    page.get_by_label("Sumber dana").fill("APBD Kota Jambi")
    page.get_by_role("button", name="Tambah bantuan").click()
    page.get_by_label("Jenis bantuan").select_option("business_capital")
    page.get_by_label("Jumlah (Rp)").fill("30.000.000")
    page.get_by_role("button", name="Tambah bantuan").click()
    expect(page.locator("#bantuan tfoot")).to_contain_text("Rp31.500.000")
    page.get_by_role("link", name="Ubah Modal usaha Rp30.000.000").click()
    walk.shot("aid-edit")
    page.get_by_label("Jumlah (Rp)").fill("3.000.000")
    page.get_by_role("button", name="Simpan perubahan").click()
    expect(page.locator("#bantuan tfoot")).to_contain_text("Rp4.500.000")

    # Her letters.
    page.locator(".generate-row", has_text="Surat Pernyataan").get_by_role("button").click()
    expect(page.locator(".flash-success")).to_contain_text("Surat Pernyataan nomor", timeout=90_000)
    page.locator(".generate-row", has_text="Kuitansi Bantuan").get_by_role("button").click()
    expect(page.locator(".flash-success")).to_contain_text("Kuitansi Bantuan nomor", timeout=90_000)
    walk.shot("letters")
    pledge = db.execute("SELECT number FROM documents WHERE kind = 'pledge'").fetchone()[0]

    # Search as clerks type the name from an ID card, and come Back to the results.
    page.get_by_role("link", name="Cari").first.click()
    page.get_by_label("Cari nama, NIK, nomor kasus atau nomor surat").fill("M. Rizky")
    page.get_by_role("button", name="Cari", exact=True).click()
    expect(page.locator("#results-title")).to_contain_text("1 kasus ditemukan")
    walk.shot("search")
    results = page.url
    page.locator(".hit-name").first.click()
    expect(page).to_have_url(case_url)
    page.go_back()
    expect(page).to_have_url(results)
    expect(page.locator(".hit-name").first).to_contain_text("Rizky")

    # A ceremony of ten.
    admin = db.execute("SELECT * FROM users WHERE username = 'ani'").fetchone()
    admin = dict(zip([d[0] for d in db.execute("SELECT * FROM users").description], admin))
    for name, region in OTHERS:
        case, _ = create_case(db, {"full_name": name, "origin_region": region, "facility": "Payo Sigadung"}, admin)
        add_aid(db, case["id"], {"kind": "ticket", "amount": 1_750_000, "source": "APBD Kota Jambi"}, admin, 10**9)
    page.get_by_role("link", name="Pelepasan").first.click()
    page.get_by_label("Judul").fill("Pelepasan Penerima Manfaat Tahap I")
    page.get_by_label("Tanggal").fill(office_today().strftime("%d/%m/%Y"))  # the ceremony is today
    page.get_by_label("Tempat").fill("Aula Dinas Sosial Kota Jambi")
    page.get_by_label("Saring: nama, nomor kasus atau daerah asal").fill("jawa timur")
    page.get_by_role("button", name="Pilih semua yang tampil").click()
    expect(page.locator("[data-picker-count]")).to_have_text("5 dari 10 dipilih")
    page.get_by_label("Saring: nama, nomor kasus atau daerah asal").fill("")
    page.get_by_role("button", name="Pilih semua yang tampil").click()
    expect(page.locator("[data-picker-count]")).to_have_text("10 dari 10 dipilih")
    walk.shot("ceremony-new")
    page.get_by_role("button", name="Simpan pelepasan").click()
    expect(page.locator("#people-title")).to_contain_text("10 orang")

    # Print all their papers; then print again: the same numbers.
    page.get_by_role("button", name="Cetak", exact=True).click()
    expect(page.locator("#job-state")).to_have_text("selesai", timeout=300_000)
    walk.shot("print")
    numbers = {r[0]: r[1] for r in db.execute("SELECT id, number FROM documents WHERE status = 'valid'")}
    assert pledge in numbers.values()  # her pledge from the case page, printed again
    page.get_by_role("link", name="Kembali ke pelepasan").click()
    walk.shot("ceremony")
    page.get_by_role("button", name="Cetak", exact=True).click()
    expect(page.locator("#job-state")).to_have_text("selesai", timeout=300_000)
    expect(page.locator("#print-job")).to_contain_text("dicetak ulang dengan nomor yang sama")
    assert {r[0]: r[1] for r in db.execute("SELECT id, number FROM documents WHERE status = 'valid'")} == numbers

    # After the ceremony: its women are marked released, in one action.
    page.get_by_role("link", name="Kembali ke pelepasan").click()
    page.get_by_role("button", name="Tandai semua dipulangkan").click()
    expect(page.locator(".flash-success")).to_contain_text("10 penerima manfaat ditandai dipulangkan")
    expect(page.locator("#people")).to_contain_text("dipulangkan")

    # An import with a new facility, ticked and kept.
    page.get_by_role("link", name="Impor").first.click()
    page.locator("input[type=file]").set_input_files(
        {"name": "daftar-satpol-pp.xlsx", "mimeType": "application/octet-stream", "buffer": _sheet()})
    page.get_by_role("button", name="Unggah dan periksa").click()
    page.get_by_label("Sentra Alyatama Jambi").check()
    expect(page.get_by_role("button", name="Impor 2 baris")).to_be_visible()
    page.get_by_role("button", name="Periksa ulang").click()
    expect(page.get_by_label("Sentra Alyatama Jambi")).to_be_checked()
    walk.shot("import-preview")
    page.get_by_role("button", name="Impor 2 baris").click()
    expect(page.locator("main")).to_contain_text("2 kasus ditambahkan, 1 baris dilewati dari 3 baris.")
    walk.shot("import-done")

    # An export, in Indonesian.
    page.get_by_role("link", name="Ekspor").first.click()
    walk.shot("export")
    with page.expect_download() as download:
        page.locator("a[href='/exports/cases.xlsx']").click()
    assert download.value.suggested_filename == "daftar-kasus.xlsx"
    from openpyxl import load_workbook
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    assert [c.value for c in sheet[1]][:3] == ["Nomor kasus", "Nama lengkap", "NIK"]
    assert sheet.max_row == 1 + 1 + len(OTHERS) + 2
    assert [c.value for c in sheet["H"]].count("dipulangkan") == 10
    context.close()
    assert not walk.problems, "\n".join(walk.problems)
