"""The frictions of a clerk's day (issue 12), each in Debian's Chromium against the real
app: Back after a search, dates typed day first in an English browser, plain Indonesian,
undo and confirm, the import's new facility, the paged list of all cases. One seeded
archive for the module; each test signs in on its own page."""

import pytest

from service.auth.users import create_user
from service.records.cases import add_aid, create_case
from tests.helpers import served, signed_in_page
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
        yield {"base": app.base, "db": app.db, "runtime": app.runtime, "ids": ids}


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
