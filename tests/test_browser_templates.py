"""An admin changes the pledge template in the browser (headless Chromium against the
real app on waitress): a broken upload is explained, a corrected one is previewed beside
the current version, activated, and the next pledge is made with it."""


import pytest

from service.auth.users import create_user
from service.letters.pipeline import generate_case_document
from service.records.cases import create_case
from tests.helpers import served, signed_in_page
from tests.test_templates_upload import pledge_with

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")
PASSWORD = "kata sandi kantor yang panjang"


@pytest.fixture(scope="module")
def server(tmp_path_factory, converter_pool):
    with served(tmp_path_factory.mktemp("browser-templates") / "archive", converter_pool) as app:
        admin = create_user(app.db, "ani", "admin", PASSWORD)
        case, _ = create_case(app.db, {"full_name": "Sulastri", "facility": "Payo Sigadung"}, admin)
        yield {"base": app.base, "db": app.db, "runtime": app.runtime, "admin": admin, "case": case}


def test_an_admin_fixes_uploads_previews_and_activates_a_template(server, browser, tmp_path):
    base, db = server["base"], server["db"]
    broken = tmp_path / "surat-pernyataan-rusak.docx"
    broken.write_bytes(pledge_with("Kantor {{ ofice.name }} menyatakan",
                                   "Tanda tangan {% if nik %} tanpa penutup"))
    fixed = tmp_path / "surat-pernyataan-2025.docx"
    fixed.write_bytes(pledge_with("Versi kantor 2025 untuk {{ office.city }}"))
    expect = playwright.expect
    page = signed_in_page(browser, base, "ani", PASSWORD)
    page.get_by_role("link", name="Templat").first.click()
    expect(page.locator("h1")).to_have_text("Templat surat")

    page.get_by_label("Jenis surat").select_option("pledge")
    page.get_by_label("Berkas Word (.docx)").set_input_files(str(broken))
    page.get_by_role("button", name="Unggah dan periksa").click()
    problems = page.locator(".problems li")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("Penulisan tag salah")
    expect(problems.nth(0)).to_contain_text("Tanda tangan {% if nik %} tanpa penutup")
    expect(problems.nth(1)).to_contain_text("ofice")
    expect(problems.nth(1)).to_contain_text("Maksud Anda office?")
    expect(problems.nth(1)).to_contain_text("Kantor {{ ofice.name }} menyatakan")

    page.get_by_label("Jenis surat").select_option("pledge")
    page.get_by_label("Berkas Word (.docx)").set_input_files(str(fixed))
    page.get_by_role("button", name="Unggah dan periksa").click()
    expect(page.locator(".flash-success")).to_contain_text("versi 2", timeout=90_000)
    images = page.locator("figure.preview img")
    expect(images).to_have_count(2)  # the new version beside the one in use
    for i in range(2):
        expect(images.nth(i)).to_have_js_property("naturalWidth", 900, timeout=60_000)
    page.get_by_role("button", name="Aktifkan versi ini").click()
    expect(page.locator("#is-active")).to_be_visible()

    page.goto(base + "/admin/templates/variables")
    expect(page.locator("body")).to_contain_text("Rp9.800.000")
    page.context.close()

    doc = generate_case_document(server["runtime"], db, server["case"]["id"], "pledge", server["admin"])
    assert doc["template_version"] == 2
    assert db["templates"].get(db.execute("SELECT id FROM templates WHERE kind='pledge' AND version=2").fetchone()[0])["sha256"] == doc["template_sha256"]
    from tests.helpers import pdftotext
    assert "Versi kantor 2025 untuk" in pdftotext((server["runtime"].settings.archive / doc["path"]).read_bytes())
