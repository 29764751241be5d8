"""The signed paper comes back, in headless Chromium (issue 13): a clerk uploads the
scanned stack of a ceremony's receipts and roster, watches it being read, works the
review tray (assigns a page whose code was cut off, found by the woman's name; discards a
blank page), sees the ceremony's papers all back; the treasurer downloads the evidence pack.
The stack is printed by the real print job and scanned as the office would (150 dpi,
greyscale, skewed)."""

import io
import json
import random
import urllib.request

import pytest
from PIL import ImageDraw
from pypdf import PdfReader

from service.auth.users import create_token, create_user
from service.records.cases import add_aid, create_case
from tests.axe import check_widths
from tests.helpers import SCREENSHOTS, job_consumer, scan_consumer, served, signed_in_page, wait_for
from tests.test_browser import PASSWORD
from tests.test_scans import as_pdf, foreign_pages, page_codes, rasterise, skewed, token_pages, truth

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
PEOPLE = ["Sulastri", "Nur Hayati", "Maria Goreti Lawa"]


def _api(base, token, path, body=None):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}",
                                                           "Content-Type": "application/json"},
                                     data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request, timeout=60) as response:
        data = response.read()
        return json.loads(data) if response.headers["Content-Type"].startswith("application/json") else data


@pytest.fixture(scope="module")
def stack(tmp_path_factory, converter_pool):
    """A served archive whose ceremony was printed, and the scanned stack to upload."""
    tmp = tmp_path_factory.mktemp("scans-browser")
    with served(tmp / "archive", converter_pool) as app:
        clerk = create_user(app.db, "ani", "staff", PASSWORD)
        create_user(app.db, "bendahara", "supervisor", PASSWORD)
        ids = []
        for name in PEOPLE:
            case, _ = create_case(app.db, {"full_name": name, "facility": "Payo Sigadung"}, clerk)
            add_aid(app.db, case["id"], {"kind": "ticket", "amount": 1_500_000, "source": "APBD 2024"},
                    clerk, 10**9)
            ids.append(case["id"])
        token = create_token(app.db, "ani")
        with job_consumer(app.runtime, app.db), scan_consumer(app.runtime, app.db):  # as serve runs them
            ceremony = _api(app.base, token, "/api/v1/ceremonies", {
                "title": "Pelepasan Tahap III", "date": "2024-07-31", "place": "Aula Dinas Sosial",
                "officials": [], "case_ids": ids})
            job_id = _api(app.base, token, f"/api/v1/ceremonies/{ceremony['id']}/print", {
                "kinds": ["aid_receipt", "aid_roster"], "copies": {"aid_receipt": 1}})["job_id"]
            job = wait_for(lambda: (j := _api(app.base, token, f"/api/v1/jobs/{job_id}"))["state"] in
                           ("done", "failed") and j, 240, what="the print job")
            assert job["state"] == "done", job
            printed = _api(app.base, token, f"/api/v1/jobs/{job_id}/result")
            # Scanned: skewed a little; one woman's receipt with its code torn off; a blank page.
            clean = rasterise(printed)
            tokens = token_pages(app.db)
            where = [truth(codes, tokens) for codes in page_codes(clean)]
            owner = dict(app.db.execute("SELECT id, case_id FROM documents").fetchall())
            torn = next(i for i, w in enumerate(where) if w != "cover" and owner[w[0]] == ids[1])
            ImageDraw.Draw(clean[torn]).rectangle((0, clean[torn].height - 260, clean[torn].width,
                                                   clean[torn].height), fill=255)
            rng = random.Random(3)
            pages = [skewed(p, rng.uniform(-3, 3)) for p in clean] + foreign_pages()[:1]
            path = tmp / "pindai-pelepasan.pdf"
            path.write_bytes(as_pdf(pages))
            yield {"base": app.base, "ceremony": ceremony["id"], "scan": path, "torn_name": PEOPLE[1]}


def test_upload_the_tray_and_the_evidence_pack(stack, browser):
    base = stack["base"]
    expect = playwright.expect
    page = signed_in_page(browser, base, "ani", PASSWORD)
    problems: list[str] = []

    page.get_by_role("link", name="Hasil pindai").click()
    expect(page.locator("h1")).to_have_text("Unggah hasil pindai")
    problems += check_widths(page, "scans")
    page.get_by_label("PDF dari mesin pindai").set_input_files(str(stack["scan"]))
    page.get_by_role("button", name="Unggah").click()
    expect(page.locator("h1")).to_contain_text("Unggahan #")
    expect(page.locator("#scan-state")).to_have_text("Selesai", timeout=120_000)
    assert page.evaluate("document.getElementById('scan-progress').value") == 1
    expect(page.locator("#scan-unmatched")).to_have_text("2")
    expect(page.locator("#scan-unmatched-list li")).to_have_count(2)
    expect(page.locator("#scan-unmatched-list")).to_contain_text("Tidak ada kode QR yang terbaca")
    problems += check_widths(page, "scan")

    page.get_by_role("link", name="Periksa halaman yang tidak dikenali").click()
    expect(page.locator("h1")).to_have_text("Halaman yang perlu diperiksa")
    thumbs = page.locator(".tray-item img")
    expect(thumbs).to_have_count(2)
    wait_for(lambda: page.evaluate("Array.from(document.querySelectorAll('.tray-item img'))"
                                   ".every(i => i.complete && i.naturalWidth > 0)"), 30,
             what="the thumbnails to load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "scan-tray.png"))
    problems += check_widths(page, "scan-tray")

    # The torn receipt: found by her name, assigned to its page 1.
    page.get_by_role("link", name="Periksa").first.click()
    page.get_by_label("Nama penerima manfaat atau nomor surat").wait_for()
    problems += check_widths(page, "scan-page")
    page.get_by_label("Nama penerima manfaat atau nomor surat").fill(stack["torn_name"])
    page.get_by_role("button", name="Cari").click()
    assert stack["torn_name"] not in page.url
    results = page.locator(".tray-candidates li")
    expect(results.first).to_contain_text("Kuitansi Bantuan")  # her own letters first
    problems += check_widths(page, "scan-page-candidates")
    results.filter(has_text=stack["torn_name"]).filter(has_text="Kuitansi Bantuan").get_by_role(
        "button", name="Pasangkan").click()
    expect(page.locator(".flash")).to_contain_text("salinan bertanda tangan halaman 1")
    # The blank page: discarded.
    page.get_by_role("link", name="Periksa").first.click()
    page.get_by_role("button", name="Buang").click()
    expect(page.locator(".empty")).to_have_text("Tidak ada halaman yang perlu diperiksa.")

    page.goto(f"{base}/ceremonies/{stack['ceremony']}")
    expect(page.locator("[data-kind=aid_receipt]")).to_contain_text("Kuitansi Bantuan: 3/3 kembali")
    expect(page.locator("[data-kind=aid_roster]")).to_contain_text("1/1 kembali")
    expect(page.get_by_role("link", name="Unduh berkas pertanggungjawaban (PDF)")).to_have_count(0)
    problems += check_widths(page, "ceremony-returns")
    page.context.close()
    assert not problems, "\n".join(problems)

    # The treasurer (a supervisor's account) downloads the evidence pack.
    page = signed_in_page(browser, base, "bendahara", PASSWORD, accept_downloads=True)
    page.goto(f"{base}/ceremonies/{stack['ceremony']}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh berkas pertanggungjawaban (PDF)").click()
    assert download.value.suggested_filename == f"berkas-pertanggungjawaban-{stack['ceremony']}.pdf"
    reader = PdfReader(io.BytesIO(open(download.value.path(), "rb").read()))
    titles = {item.title for item in reader.outline if not isinstance(item, list)}
    assert set(PEOPLE) <= titles, titles
    page.context.close()
