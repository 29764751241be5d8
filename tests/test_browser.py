"""A clerk's afternoon in headless Chromium (Debian's package, driven by Playwright)
against the real app served by waitress on 127.0.0.1: sign in, record a case, add aid,
print a pledge and a receipt, preview, search with a misspelling, download.

Every URL the browser asked for is recorded: none may hold the name or the NIK.
The screenshots of the main pages (1366×768, the office laptop) go to docs/screenshots/.
"""

import re
import urllib.parse
from pathlib import Path

import pytest

from service.auth.users import create_user
from service.letters.pipeline import generate_case_document
from service.records.cases import add_aid, create_case
from tests.helpers import SCREENSHOTS, complete_office, pdftotext, served

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")

NAME = "Siti & <Aminah>"
NIK = "1571014107900001"
PASSWORD = "kata sandi kantor yang panjang"

# Invented people, so the screenshots show an office at work (no real person).
NEIGHBOURS = [
    ("Sulastri", "3510154506890003", "Banyuwangi", "1989-06-05", "Banyuwangi, Jawa Timur"),
    ("Nur Hayati", "3578064811920002", "Surabaya", "1992-11-08", "Surabaya, Jawa Timur"),
    ("Maria Goreti Lawa", "5371025007950001", "Kupang", "1995-07-10", "Kota Kupang, NTT"),
    ("Rina Marlina", "1571036302900004", "Jambi", "1990-02-23", "Kota Jambi, Jambi"),
    ("Siti Aminah", "", "Indramayu", "", "Indramayu, Jawa Barat"),
]
FACILITY = "Rumah Singgah Dinas Sosial Kota Jambi"


def _seed(runtime, db):
    complete_office(db, name="DINAS SOSIAL", region="PEMERINTAH KOTA JAMBI",
                    address="Jalan Jenderal Sudirman No. 1, Thehok, Kota Jambi 36122")
    admin = create_user(db, "ani", "admin", PASSWORD)
    create_user(db, "budi", "staff", PASSWORD)
    create_user(db, "inspektorat", "auditor", PASSWORD)
    for i, (name, nik, place, born, region) in enumerate(NEIGHBOURS):
        case, _ = create_case(db, {"full_name": name, "nik": nik, "birth_place": place,
                                   "birth_date": born, "origin_region": region,
                                   "facility": FACILITY if i % 2 else "Payo Sigadung"}, admin)
        add_aid(db, case["id"], {"kind": "business_capital", "amount": 3_000_000,
                                 "source": "APBD Kota Jambi TA 2024"}, admin, 10**9)
        add_aid(db, case["id"], {"kind": "ticket", "amount": 1_750_000,
                                 "source": "APBD Kota Jambi TA 2024"}, admin, 10**9)
        if i < 2:
            generate_case_document(runtime, db, case["id"], "pledge", admin)


@pytest.fixture(scope="module")
def server(tmp_path_factory, converter_pool):
    with served(tmp_path_factory.mktemp("browser") / "archive", converter_pool) as app:
        _seed(app.runtime, app.db)
        app.runtime.flush_index()
        yield {"base": app.base, "db": app.db, "runtime": app.runtime}


def _shot(page, name):
    """The page as it first shows, without the focus ring of the last button pressed."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _leaks(url: str) -> list[str]:
    decoded = urllib.parse.unquote_plus(url)
    return [s for s in ("Siti", "Aminah", "Aminnah", NIK, NIK[:6]) if s in decoded or s in url]


def test_a_clerk_records_a_case_prints_its_letters_and_finds_it(server, browser):
    base, db = server["base"], server["db"]
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="id-ID",
                                  timezone_id="Asia/Jakarta", accept_downloads=True)
    visited: list[str] = []
    context.on("request", lambda request: visited.append(request.url))
    page = context.new_page()
    expect = playwright.expect

    # Sign in.
    page.goto(base + "/")
    expect(page).to_have_url(base + "/login?next=/")
    expect(page.locator("h1")).to_have_text("Masuk ke Pulang")
    _shot(page, "login")
    page.get_by_label("Nama pengguna").fill("ani")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    expect(page.locator("h1")).to_have_text("Beranda")

    # A new case: the NIK is checked as it is typed.
    page.get_by_role("link", name="Kasus baru").first.click()
    page.get_by_label("Nama lengkap").fill(NAME)
    page.get_by_label("NIK").fill("1571")
    expect(page.locator("#nik-status")).to_contain_text("16 angka")
    page.get_by_label("NIK").fill(NIK)
    expect(page.locator("#nik-status")).to_contain_text("sah")
    page.get_by_label("Tempat lahir").fill("Jambi")
    page.get_by_label("Tanggal lahir").fill("1990-07-01")
    page.get_by_label("Alamat asal").fill("Jl. Mawar No. 5, Kediri")
    page.get_by_label("Daerah asal").fill("Kediri, Jawa Timur")
    expect(page.get_by_label("Nama lokasi baru")).to_be_hidden()
    page.get_by_label("Lokasi / fasilitas").select_option("Payo Sigadung")
    _shot(page, "case-form")
    page.get_by_role("button", name="Simpan kasus").click()
    expect(page.locator("h1")).to_have_text(NAME)
    case_url = page.url
    case_id = int(case_url.rsplit("/", 1)[1])

    # Two aid items, one typed the Indonesian way.
    page.get_by_label("Jenis bantuan").select_option("ticket")
    page.get_by_label("Jumlah (Rp)").fill("1.500.000")
    page.get_by_label("Sumber dana").fill("APBD Kota Jambi TA 2024")
    page.get_by_role("button", name="Tambah bantuan").click()
    expect(page.locator(".flash-success")).to_contain_text("Bantuan dicatat")
    page.get_by_label("Jenis bantuan").select_option("business_capital")
    page.get_by_label("Jumlah (Rp)").fill("3000000")
    page.get_by_role("button", name="Tambah bantuan").click()
    expect(page.locator("#bantuan tfoot")).to_contain_text("Rp4.500.000")
    expect(page.locator("#bantuan tfoot")).to_contain_text("Empat juta lima ratus ribu rupiah")

    # A pledge and a receipt.
    page.locator(".generate-row", has_text="Surat Pernyataan").get_by_role("button").click()
    expect(page.locator(".flash-success")).to_contain_text("Surat Pernyataan nomor", timeout=90_000)
    page.locator(".generate-row", has_text="Kuitansi Bantuan").get_by_role("button").click()
    expect(page.locator(".flash-success")).to_contain_text("Kuitansi Bantuan nomor", timeout=90_000)
    expect(page.locator(".timeline-item")).to_have_count(2)
    _shot(page, "case")

    # The preview of the receipt's first page.
    page.locator(".timeline-item", has_text="Kuitansi Bantuan").get_by_role("link", name="Pratinjau").click()
    image = page.locator("figure.preview img")
    expect(image).to_be_visible()
    expect(image).to_have_js_property("naturalWidth", 900)  # the PNG really loaded
    _shot(page, "document")

    # Search with a misspelled name, find the case.
    page.get_by_role("link", name="Cari").first.click()
    page.get_by_label("Cari nama, NIK, nomor kasus atau nomor surat").fill("Aminnah")
    page.get_by_role("button", name="Cari", exact=True).click()
    hit = page.locator(".hit", has=page.locator(f'a[href="/cases/{case_id}"]'))
    expect(hit).to_have_count(1)
    expect(hit.locator("mark").first).to_have_text("Aminah")
    expect(hit).to_contain_text("1571********0001")
    _shot(page, "search")
    hit.locator(f'a[href="/cases/{case_id}"]').click()
    expect(page).to_have_url(case_url)

    # Download the pledge.
    with page.expect_download() as download_info:
        page.locator(".timeline-item", has_text="Surat Pernyataan").get_by_role("link", name="Unduh PDF").click()
    download = download_info.value
    assert re.fullmatch(r"surat-pernyataan-400-\d{3}-dinsos-\d{4}\.pdf", download.suggested_filename), \
        download.suggested_filename
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF")
    assert NAME in " ".join(pdftotext(data).split())

    # The home page and the admin pages, for the screenshots.
    page.get_by_role("link", name="Beranda").click()
    expect(page.locator("table")).to_contain_text(NAME)
    expect(page.locator("table")).to_contain_text("1571********0001")
    _shot(page, "home")
    page.get_by_role("link", name="Pengguna").click()
    expect(page.locator("h1")).to_have_text("Pengguna dan peran")
    _shot(page, "admin-users")
    page.get_by_role("link", name="Pengaturan").click()
    _shot(page, "admin-settings")
    page.get_by_role("link", name="Log audit").click()
    expect(page.locator("table.audit")).to_contain_text("ani mengunduh Surat Pernyataan")
    expect(page.locator("table.audit")).to_contain_text("document.download")  # the code, one click away
    _shot(page, "audit")
    context.close()

    assert len(visited) > 20
    leaking = [url for url in visited if _leaks(url)]
    assert not leaking, leaking
    # Every read the clerk made is on record, with her name and no beneficiary's.
    actions = {row[0] for row in db.execute("SELECT action FROM audit_log WHERE username = 'ani'")}
    assert {"case.create", "case.read", "document.create", "document.preview",
            "document.download", "search"} <= actions
    details = " ".join(row[0] for row in db.execute("SELECT detail FROM audit_log"))
    assert "Aminah" not in details and NIK not in details


def test_keyboard_only_sign_in_with_visible_focus(server, browser):
    """The sign-in form works from the keyboard alone, and the focus ring shows. The
    browser prefers English; the interface stays Indonesian (API.md)."""
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-US")
    page = context.new_page()
    page.goto(server["base"] + "/login")
    assert page.evaluate("document.activeElement.id") == "username"  # autofocus
    page.keyboard.type("budi")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "password"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    playwright.expect(page.locator("h1")).to_have_text("Beranda")
    # A staff member is not offered the admin pages.
    assert page.get_by_role("link", name="Pengguna").count() == 0
    context.close()
