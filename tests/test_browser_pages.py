"""Every signed-in page state in Debian's Chromium at a phone's 390 px and the office
laptop's 1366 px: axe-core finds no violation (tests/axe.py), and nothing is wider than
the window. The archive is seeded once for the module (cases, letters, a printed
ceremony, an import) and every state is reached once and checked at both widths.

Pages added later belong in STATES: a page left out of this list is a page nobody
checked on a phone."""


import pytest

from service.auth.users import create_user
from service.letters.pipeline import generate_case_document
from service.records.cases import add_aid, create_case
from tests.axe import WIDTHS, check_widths
from tests.helpers import job_consumer, served, signed_in_page, wait_for_job, xlsx
from tests.test_browser import NEIGHBOURS, PASSWORD, _seed

pytestmark = pytest.mark.browser
playwright = pytest.importorskip("playwright.sync_api")


def _sheet() -> bytes:
    return xlsx([["Wulan Sari", "3578064811920099", "08/11/1992", "Surabaya, Jawa Timur", "Payo Sigadung"],
                 ["Dewi Lestari", "1234", "01/01/1990", "Kediri, Jawa Timur", "Payo Sigadung"],
                 ["Yuni Astuti", "", "", "Malang, Jawa Timur", "Rumah Singgah Baru"]],
                header=("Nama", "NIK", "Tanggal Lahir", "Daerah Asal", "Lokasi"))


@pytest.fixture(scope="module")
def office(tmp_path_factory, converter_pool):
    """A working office: the browser test's cases and letters, a supervisor, a ceremony
    of three printed once, and one import done."""
    with served(tmp_path_factory.mktemp("pages") / "archive", converter_pool) as app:
        _seed(app.runtime, app.db)
        create_user(app.db, "sari", "supervisor", PASSWORD)
        admin = app.db.execute("SELECT * FROM users WHERE username = 'ani'").fetchone()
        ids = [r[0] for r in app.db.execute("SELECT id FROM cases ORDER BY id")]
        client = app.app.test_client()
        from service.auth.users import create_token
        headers = {"Authorization": f"Bearer {create_token(app.db, 'ani')}"}
        made = client.post("/api/v1/ceremonies", headers=headers, json={
            "title": "Pelepasan Tahap I", "date": "2026-07-31", "place": "Aula Dinas Sosial",
            "officials": [{"name": "Dra. Hj. Rosmawati, M.Si.", "title": "Kepala Dinas Sosial",
                           "nip": "196805121994032004"}],
            "case_ids": ids[2:5]})
        assert made.status_code == 201, made.json
        with job_consumer(app.runtime, app.db):
            job = client.post(f"/api/v1/ceremonies/{made.json['id']}/print", headers=headers,
                              json={"kinds": ["pledge", "aid_roster"]})
            assert job.status_code == 202, job.json
            wait_for_job(client, headers, job.json["job_id"])
            app.runtime.flush_index()
            yield {"base": app.base, "db": app.db, "case_id": ids[0], "ceremony_id": made.json["id"],
                   "job_id": job.json["job_id"],
                   "document_id": app.db.execute("SELECT id FROM documents WHERE status = 'valid' "
                                                 "AND case_id IS NOT NULL ORDER BY id").fetchone()[0]}


def _go(path):
    return lambda page, o: page.goto(o["base"] + path.format(**o))


def _search(page, o):
    page.goto(o["base"] + "/search")
    page.get_by_label("Cari nama, NIK, nomor kasus atau nomor surat").fill("Sulastri")
    page.get_by_role("button", name="Cari", exact=True).click()
    page.locator(".hit").first.wait_for()


def _case_form_errors(page, o):
    page.goto(o["base"] + "/cases/new")
    page.get_by_role("button", name="Simpan kasus").click()
    page.locator(".has-error").first.wait_for()


def _import_preview(page, o):
    page.goto(o["base"] + "/imports")
    page.locator("input[type=file]").set_input_files(
        {"name": "daftar.xlsx", "mimeType": "application/octet-stream", "buffer": _sheet()})
    page.get_by_role("button", name="Unggah dan periksa").click()
    page.get_by_role("heading", name="Periksa impor").wait_for()


def _import_done(page, o):
    _import_preview(page, o)
    page.get_by_role("button", name="Impor").last.click()
    page.get_by_role("heading", name="Impor selesai").wait_for()


# (state, how to get there). Each starts from a signed-in admin's page.
STATES = [
    ("home", _go("/")),
    ("case", _go("/cases/{case_id}")),
    ("case-form", _go("/cases/new")),
    ("case-form-errors", _case_form_errors),
    ("case-edit", _go("/cases/{case_id}/edit")),
    ("search", _go("/search")),
    ("search-results", _search),
    ("document", _go("/documents/{document_id}")),
    ("ceremonies", _go("/ceremonies")),
    ("ceremony", _go("/ceremonies/{ceremony_id}")),
    ("print-job", _go("/jobs/{job_id}")),
    ("imports", _go("/imports")),
    ("import-preview", _import_preview),
    ("import-done", _import_done),
    ("exports", _go("/exports")),
    ("templates", _go("/admin/templates")),
    ("template-version", _go("/admin/templates/pledge/1")),
    ("template-variables", _go("/admin/templates/variables")),
    ("admin-users", _go("/admin/users")),
    ("admin-user", _go("/admin/users/2")),
    ("admin-settings", _go("/admin/settings")),
    ("audit", _go("/admin/audit")),
    ("register", _go("/register")),
    ("scans", _go("/scans")),
    ("scan-tray", _go("/scans/tray")),
]


def test_every_signed_in_page_is_accessible_and_fits(office, browser):
    # Each state is reached once and checked at both widths: reaching it again for the
    # other width would only repeat the server's and the browser's work (and the import).
    page = signed_in_page(browser, office["base"], "ani", PASSWORD)
    problems = []
    try:
        for state, go in STATES:
            go(page, office)
            page.wait_for_load_state("load")
            problems += check_widths(page, state)
    finally:
        page.context.close()
    assert not problems, "\n".join(problems)


def test_the_menu_folds_on_a_phone_and_opens_with_one_button(office, browser):
    page = signed_in_page(browser, office["base"], "ani", PASSWORD)
    expect = playwright.expect
    try:
        page.set_viewport_size(WIDTHS["390"])
        page.goto(office["base"] + "/")
        toggle = page.get_by_role("button", name="Menu")
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.get_by_role("link", name="Log audit")).to_be_hidden()
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        page.get_by_role("link", name="Log audit").click()
        expect(page.locator("h1")).to_have_text("Log audit")
        # The office laptop shows every item at once, and no button.
        page.set_viewport_size(WIDTHS["1366"])
        expect(page.get_by_role("button", name="Menu")).to_be_hidden()
        expect(page.get_by_role("link", name="Log audit")).to_be_visible()
        # One column for forms on a phone: the case form's fields stack.
        page.set_viewport_size(WIDTHS["390"])
        page.goto(office["base"] + "/cases/new")
        boxes = [page.get_by_label(label).bounding_box() for label in ("Tanggal lahir", "Tempat lahir")]
        assert boxes[0]["y"] != boxes[1]["y"] and boxes[0]["x"] == boxes[1]["x"], boxes
    finally:
        page.context.close()
