"""A release ceremony in headless Chromium: plan it with five women, print all their
papers in one click, watch the progress bar reach the end, download the merged PDF."""

import io

import pytest
from pypdf import PdfReader

from service.auth.users import create_user
from service.records.cases import add_aid, create_case
from tests.helpers import job_consumer, pdftotext, served, signed_in_page
from tests.test_browser import PASSWORD

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
PEOPLE = ["Sulastri", "Nur Hayati", "Maria Goreti Lawa", "Rina Marlina", "Siti Aminah"]


@pytest.fixture(scope="module")
def ceremony_server(tmp_path_factory, converter_pool):
    with served(tmp_path_factory.mktemp("ceremony-browser") / "archive", converter_pool) as app:
        clerk = create_user(app.db, "ani", "staff", PASSWORD)
        for name in PEOPLE:
            case, _ = create_case(app.db, {"full_name": name, "facility": "Payo Sigadung",
                                           "origin_region": "Kediri, Jawa Timur"}, clerk)
            add_aid(app.db, case["id"], {"kind": "ticket", "amount": 1_500_000}, clerk, 10**9)
        with job_consumer(app.runtime, app.db):  # as `pulang serve` runs one
            yield app


def _valid_numbers(db) -> dict:
    return {(r[0], r[1]): r[2] for r in db.execute(
        "SELECT case_id, kind, number FROM documents WHERE status = 'valid'")}


def test_a_ceremony_prints_in_one_click(ceremony_server, browser):
    base = ceremony_server.base
    page = signed_in_page(browser, base, "ani", PASSWORD, accept_downloads=True)
    expect = playwright.expect

    page.get_by_role("link", name="Pelepasan").first.click()
    page.get_by_label("Judul").fill("Pelepasan Penerima Manfaat Tahap II")
    page.get_by_label("Tanggal").fill("31/07/2024")
    page.get_by_label("Tempat").fill("Aula Dinas Sosial Kota Jambi")
    page.get_by_label("Nama 1", exact=True).fill("Dra. Hj. Rosmawati, M.Si.")
    page.get_by_label("Jabatan 1", exact=True).fill("Kepala Dinas")
    page.get_by_label("NIP 1", exact=True).fill("19680512 199403 2 004")
    for name in PEOPLE:
        page.get_by_label(name).check()
    page.get_by_role("button", name="Simpan pelepasan").click()
    expect(page.locator("h1")).to_have_text("Pelepasan Penerima Manfaat Tahap II")
    expect(page.locator("#people-title")).to_contain_text("5 orang")
    expect(page.locator("#officials")).to_contain_text("196805121994032004")  # the NIP kept

    page.get_by_role("button", name="Cetak", exact=True).click()
    progress = page.locator("#job-progress")
    expect(progress).to_be_visible()
    expect(page.locator("#job-state")).to_have_text("selesai", timeout=120_000)
    assert progress.get_attribute("max") == page.locator("#job-total").inner_text()
    assert page.evaluate("document.getElementById('job-progress').value") == \
        int(page.locator("#job-total").inner_text())
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh berkas cetak (PDF)").click()
    data = open(download.value.path(), "rb").read()
    reader = PdfReader(io.BytesIO(data))
    titles = {item.title for item in reader.outline if not isinstance(item, list)}
    assert all(any(name in t for t in titles) for name in PEOPLE), titles
    text = " ".join(pdftotext(data).split())
    assert all(name in text for name in PEOPLE)
    page.context.close()


def test_a_reprint_reuses_numbers_and_asks_before_replacing_a_changed_letter(ceremony_server, browser):
    """Item 4, after the first print: printing again takes no number; after one woman's
    aid changed, the page lists her receipt and why before anything is printed, and the
    clerk chooses to keep it or make it again."""
    app = ceremony_server
    page = signed_in_page(browser, app.base, "ani", PASSWORD)
    expect = playwright.expect
    before = _valid_numbers(app.db)
    page.get_by_role("link", name="Pelepasan").first.click()
    page.get_by_role("link", name="Pelepasan Penerima Manfaat Tahap II").click()
    expect(page.locator("#jobs")).to_contain_text("selesai")  # the past prints, near the top
    page.get_by_role("button", name="Cetak", exact=True).click()
    expect(page.locator("#job-state")).to_have_text("selesai", timeout=120_000)
    assert _valid_numbers(app.db) == before

    # Her aid changes after the letters were printed.
    page.get_by_role("link", name="Kembali ke pelepasan").click()
    ceremony_url = page.url
    page.locator("#people").get_by_role("link", name="Sulastri", exact=True).click()
    page.get_by_label("Jenis bantuan").select_option("transport")
    page.get_by_label("Jumlah (Rp)").fill("250.000")
    page.get_by_role("button", name="Tambah bantuan").click()
    expect(page.locator(".flash-success")).to_contain_text("Bantuan dicatat")
    page.goto(ceremony_url)
    page.get_by_role("button", name="Cetak", exact=True).click()
    expect(page.locator("h1")).to_have_text("Periksa sebelum mencetak")
    rows = page.locator("#replace-list tbody tr")
    expect(rows).to_have_count(4)  # her receipt and release report, the roster, the report
    expect(page.locator("#replace-list")).to_contain_text("Kuitansi Bantuan · Sulastri")
    expect(rows.filter(has_text="Kuitansi Bantuan · Sulastri")).to_contain_text("bantuan")
    receipt = rows.filter(has_text="Kuitansi Bantuan · Sulastri").get_by_role("checkbox")
    expect(receipt).to_be_checked()
    receipt.uncheck()  # keep her signed receipt; make the others again
    page.get_by_role("button", name="Cetak", exact=True).click()
    expect(page.locator("#job-state")).to_have_text("selesai", timeout=120_000)
    after = _valid_numbers(app.db)
    sulastri = app.db.execute("SELECT id FROM cases WHERE full_name = 'Sulastri'").fetchone()[0]
    assert after[(sulastri, "aid_receipt")] == before[(sulastri, "aid_receipt")]
    assert {k for k in after if after[k] != before.get(k)} == {
        (sulastri, "release_report"), (None, "aid_roster"), (None, "ceremony_report")}
    page.context.close()
