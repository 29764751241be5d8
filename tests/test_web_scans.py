"""The pages for the signed paper coming back (issue 13), through the Flask client as a
clerk uses them: upload, the upload's page, the review tray (search by name, assign,
discard), the paper's state on the case and document pages, the ceremony's returns and
the search filter. The browser walk is tests/test_browser_scans.py."""

import io
import re

import pytest

from tests.test_scans import as_pdf, foreign_pages, her, immediate, rasterise  # noqa: F401  (fixtures)
from tests.test_web import flashes, post, sign_in, text  # noqa: F401  (fixtures)


def test_upload_read_and_the_paper_states(sign_in, immediate, her, db):
    case, docs = her
    clerk = sign_in("staff")
    page = clerk.get("/scans")
    assert page.status_code == 200 and "Unggah hasil pindai" in text(page)
    doc, pdf = docs["pledge"]
    sent = post(clerk, "/scans", {"file": [(io.BytesIO(as_pdf(rasterise(pdf))), "pindai.pdf")]},
                content_type="multipart/form-data")
    assert sent.status_code == 302
    scan_url = sent.headers["Location"]
    assert re.fullmatch(r"/scans/\d+", scan_url)
    progress = clerk.get(scan_url + "/progress").json
    assert progress["state"] == "done" and progress["matched"] == doc["pages"]
    assert "Ratna" not in clerk.get(scan_url + "/progress").get_data(as_text=True)
    assert "Selesai" in text(clerk.get(scan_url))

    view = text(clerk.get(f"/cases/{case['id']}"))
    assert "Kembali ditandatangani" in view and "Belum kembali" in view  # the pledge; the receipt
    assert f"/documents/{doc['id']}/signed.pdf" in view
    copy = clerk.get(f"/documents/{doc['id']}/signed.pdf")
    assert copy.status_code == 200 and copy.headers["Cache-Control"] == "no-store"
    receipt = docs["aid_receipt"][0]
    assert "Belum kembali" in text(clerk.get(f"/documents/{receipt['id']}"))
    nothing = clerk.get(f"/documents/{receipt['id']}/signed.pdf")
    assert nothing.status_code == 302  # back to the document, with a message

    # Search: "belum ditandatangani" finds her still (the receipt), not once it is back.
    def unsigned_hits():
        found = post(clerk, "/search", {"q": "", "unsigned": "y"}, follow_redirects=True)
        return re.findall(r'href="/cases/(\d+)"', text(found))
    assert unsigned_hits() == [str(case["id"])]
    post(clerk, "/scans", {"file": [(io.BytesIO(as_pdf(rasterise(docs["aid_receipt"][1]))), "x.pdf")]},
         content_type="multipart/form-data")
    assert unsigned_hits() == []


def test_bad_upload_on_the_page(sign_in, immediate):
    clerk = sign_in("staff")
    refused = post(clerk, "/scans", {"file": [(io.BytesIO(b"junk"), "x.pdf")]},
                   content_type="multipart/form-data")
    assert refused.status_code == 400
    assert "harus berkas PDF, JPEG atau PNG" in text(refused)


def test_the_tray_by_name(sign_in, immediate, her, db, settings):
    case, docs = her
    clerk = sign_in("staff")
    doc, pdf = docs["aid_receipt"]
    blank, text_page = foreign_pages()
    post(clerk, "/scans", {"file": [(io.BytesIO(as_pdf([text_page, blank])), "x.pdf")]},
         content_type="multipart/form-data")
    tray = text(clerk.get("/scans/tray"))
    ids = re.findall(r'href="/scans/pages/(\d+)"', tray)
    assert len(ids) == 2 and "Tidak ada kode QR yang terbaca" in tray
    thumb = re.search(r'src="(/scans/pages/\d+/thumbnail.png)"', tray)[1]
    assert clerk.get(thumb).headers["Cache-Control"] == "no-store"
    assert sign_in("auditor").get("/scans/tray").status_code == 403

    # The clerk types her name (a POST: the name never enters a URL) and assigns page 1.
    found = post(clerk, f"/scans/pages/{ids[0]}", {"q": "ratna sari"})
    assert found.status_code == 200 and doc["number"] in text(found)
    assigned = post(clerk, f"/scans/pages/{ids[0]}/assign", {"document_id": doc["id"], "page": "1"})
    assert assigned.status_code == 302
    assert client_json(clerk, f"/api/v1/documents/{doc['id']}")["signed_pages"] == 1
    # By number too; a page that has its copy already is refused with the reason.
    found = post(clerk, f"/scans/pages/{ids[1]}", {"q": doc["number"]})
    assert doc["number"] in text(found)
    refused = post(clerk, f"/scans/pages/{ids[1]}/assign", {"document_id": doc["id"], "page": "1"})
    assert refused.status_code == 409
    assert "halaman ini sudah punya salinan bertanda tangan" in text(refused)
    gone = post(clerk, f"/scans/pages/{ids[1]}/discard")
    assert gone.status_code == 302
    assert "Tidak ada halaman yang perlu diperiksa" in text(clerk.get("/scans/tray"))


def client_json(client, path):
    return client.get(path, headers=client.api).json


@pytest.mark.slow
def test_the_ceremony_page_counts_what_came_back(sign_in, immediate, db, make_user):
    from tests.test_scans import page_codes, print_ceremony, token_pages, truth
    clerk = sign_in("staff")
    ceremony, printed = print_ceremony(clerk, clerk.api, 3, kinds=["aid_receipt"], copies={"aid_receipt": 1})
    clean = rasterise(printed)
    tokens = token_pages(db)
    where = [truth(codes, tokens) for codes in page_codes(clean)]
    owner = {row[0]: row[1] for row in db.execute("SELECT id, case_id FROM documents")}
    cases = {c["case_id"]: c["full_name"] for c in client_json(clerk, f"/api/v1/ceremonies/{ceremony['id']}")["cases"]}
    missing = sorted(cases)[0]
    back = [img for img, w in zip(clean, where) if w == "cover" or owner[w[0]] != missing]
    post(clerk, "/scans", {"file": [(io.BytesIO(as_pdf(back)), "x.pdf")]}, content_type="multipart/form-data")
    page = text(clerk.get(f"/ceremonies/{ceremony['id']}"))
    flat = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert f"Kuitansi Bantuan: 2/3 kembali ; belum: {cases[missing]}" in flat
    assert "Unduh berkas pertanggungjawaban" not in page  # staff: not the treasurer's permission
    supervisor = sign_in("supervisor")
    page = text(supervisor.get(f"/ceremonies/{ceremony['id']}"))
    link = re.search(r'href="(/ceremonies/\d+/evidence.pdf)"', page)[1]
    pack = supervisor.get(link)
    assert pack.status_code == 200 and pack.data.startswith(b"%PDF")
