"""The signed paper comes back (issue 13): a ceremony's printed stack, scanned as an office
scans it (150 dpi greyscale, skewed, upside down, shuffled, with foreign pages), uploaded,
read by its page codes and filed; the review tray; what is signed; the evidence pack.

Real LibreOffice letters, the real print job (huey's immediate mode), real rasterising
(poppler's pdftoppm, as the issue asks), real files and SQLite. The ground truth of which
page is which comes from reading the clean print with zbarimg, a second decoder.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from service.ceremonies.queue import queue_for
from service.scans.queue import scan_queue_for
from service.records import signed_copies
from tests.helpers import pdftotext
from tests.test_ceremonies_data import make_cases, make_ceremony
from tests.test_web import sign_in  # noqa: F401  (a fixture)

KINDS = ["pledge", "aid_receipt", "release_report", "aid_roster"]


@pytest.fixture
def immediate(runtime):
    """The app's print and scan queues in huey's immediate mode: a print job is done, an
    upload read, before the POST returns."""
    queues = [queue_for(runtime), scan_queue_for(runtime)]
    for queue in queues:
        queue.huey.immediate = True
    yield queues
    for queue in queues:
        queue.huey.immediate = False


# --- making a scanned stack ---------------------------------------------------------------


def rasterise(pdf: bytes, dpi: int = 150) -> list[Image.Image]:
    """Every page, greyscale, as the office scanner sees it (pdftoppm -gray)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "in.pdf"
        path.write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(path), f"{tmp}/p"], check=True)
        return [Image.open(p).copy() for p in sorted(Path(tmp).glob("p-*.pgm"),
                                                     key=lambda p: int(p.stem.split("-")[1]))]


def page_codes(images: list[Image.Image]) -> list[list[str]]:
    """What zbarimg (not the service's decoder) reads on each clean page."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, image in enumerate(images):
            path = f"{tmp}/{i}.png"
            image.save(path)
            found = subprocess.run(["zbarimg", "--quiet", "--raw", path], capture_output=True, text=True)
            out.append([line for line in found.stdout.splitlines() if line])
    return out


def as_pdf(images: list[Image.Image], dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    images[0].save(buf, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return buf.getvalue()


def skewed(image: Image.Image, angle: float) -> Image.Image:
    """Turned on the scanner's glass (the bed is larger than the page: nothing is cut)."""
    return image.rotate(angle, resample=Image.BICUBIC, expand=True, fillcolor=255)


def foreign_pages(dpi: int = 150) -> list[Image.Image]:
    """A blank page and a page of unrelated text (no code)."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Helvetica", 12)
    for i in range(30):
        c.drawString(72, 760 - 22 * i, f"Notulen rapat koordinasi, butir {i + 1}: jadwal piket kantor.")
    c.showPage()
    c.save()
    text = rasterise(buf.getvalue(), dpi)[0]
    blank = Image.new("L", text.size, 255)
    return [blank, text]


def token_pages(db) -> dict[str, int]:
    return {row[0]: row[1] for row in db.execute("SELECT token, id FROM documents")}


def truth(codes: list[str], tokens: dict[str, int]) -> tuple[int, int] | str:
    """(document id, page) a clean page's QR names, or 'cover'."""
    if codes == ["PULANG-SAMPUL"]:
        return "cover"
    (code,) = codes
    m = re.fullmatch(r"http://[^/]+/v/([A-Za-z0-9_-]+)/(\d+)", code)
    assert m, code
    return tokens[m[1]], int(m[2])


def print_ceremony(client, headers, count: int, kinds=KINDS, **options) -> tuple[dict, bytes]:
    cases = make_cases(client, headers, count, tricky=False)
    ceremony = make_ceremony(client, headers, cases)
    response = client.post(f"/api/v1/ceremonies/{ceremony['id']}/print", headers=headers,
                           json={"kinds": kinds, **options})
    assert response.status_code == 202, response.json
    job = client.get(f"/api/v1/jobs/{response.json['job_id']}", headers=headers).json
    assert job["state"] == "done", job
    return ceremony, client.get(job["result_url"], headers=headers).data


def upload(client, headers, *files: tuple[bytes, str]) -> dict:
    data = {"file": [(io.BytesIO(content), name) for content, name in files]}
    response = client.post("/api/v1/scans", headers=headers, data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 202, response.json
    scan = client.get(f"/api/v1/scans/{response.json['scan_id']}", headers=headers).json
    assert scan["state"] == "done", scan  # immediate mode: read before the POST returned
    return scan


def stored_files(settings) -> dict[str, bytes]:
    folder = settings.archive / "scans"
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*.pdf")}


# --- the "done when" -----------------------------------------------------------------


@pytest.mark.slow
def test_a_scanned_ceremony_stack_is_filed_page_by_page(client, staff, immediate, db, settings, sign_in):
    ceremony, printed = print_ceremony(client, staff, 10)
    clean = rasterise(printed, 150)
    tokens = token_pages(db)
    expected = [truth(codes, tokens) for codes in page_codes(clean)]
    covers = expected.count("cover")
    letters = [e for e in expected if e != "cover"]
    assert covers >= 1 and len(letters) == len(clean) - covers

    # The office's scan: every page skewed by up to ±4°, two upside down, shuffled, and a
    # blank page and a page of unrelated text slipped in.
    rng = random.Random(13)
    pages = [skewed(img, rng.uniform(-4, 4)) for img in clean]
    for i in rng.sample(range(len(pages)), 2):
        pages[i] = pages[i].rotate(180)
    stack = list(zip(pages, expected)) + list(zip(foreign_pages(), ["foreign", "foreign"]))
    rng.shuffle(stack)
    scan_pdf = as_pdf([img for img, _ in stack])

    scan = upload(client, staff, (scan_pdf, "pindai.pdf"))
    assert scan["pages"] == len(stack)
    assert scan["progress"] == 1.0
    assert scan["skipped"] == covers
    foreign_at = sorted(i + 1 for i, (_, what) in enumerate(stack) if what == "foreign")
    assert [u["page"] for u in scan["unmatched"]] == foreign_at
    assert {u["reason"] for u in scan["unmatched"]} == {"no_code"}
    assert scan["matched"] == len(letters)

    # Every page of the women's papers is filed with its own document and page.
    rows = {r["position"]: r for r in db.query("SELECT * FROM scan_pages WHERE scan_id = ?", [scan["id"]])}
    for position, (_, what) in enumerate(stack, start=1):
        row = rows[position]
        if what == "foreign":
            assert row["state"] == "tray" and row["reason"] == "no_code"
        elif what == "cover":
            assert row["state"] == "skipped" and row["path"] is None
        else:
            assert (row["document_id"], row["page"]) == what, position
            assert row["state"] in ("attached", "repeat")  # a receipt's second copy repeats
    attached = [r for r in rows.values() if r["state"] == "attached"]
    assert len(attached) == len(set(letters))  # each document page stored once
    for row in attached:
        path = settings.archive / row["path"]
        assert path.stat().st_mode & 0o777 == 0o600
        assert hashlib.sha256(path.read_bytes()).hexdigest() == row["sha256"]
        assert re.fullmatch(r"scans/\d{3}/\d+-\d+\.pdf", row["path"])  # by id, never by name
    # The generated letters are untouched.
    for doc in db.query("SELECT * FROM documents WHERE status = 'valid'"):
        assert hashlib.sha256((settings.archive / doc["path"]).read_bytes()).hexdigest() == doc["sha256"]

    # The pages turned upside down are kept upright.
    upside = [r for r in attached if PdfReader(settings.archive / r["path"]).pages[0].get("/Rotate", 0) == 180]
    assert len(upside) >= 1

    # Every paper is signed; the API and the ceremony page say so.
    docs = list(db.query("SELECT id, pages FROM documents WHERE status = 'valid'"))
    for doc in docs:
        view = client.get(f"/api/v1/documents/{doc['id']}", headers=staff).json
        assert view["signed"] is True and view["signed_pages"] == view["pages"] == doc["pages"]
        assert view["signed_at"]
    returns = client.get(f"/api/v1/ceremonies/{ceremony['id']}", headers=staff).json["returns"]
    assert {r["kind"] for r in returns} == set(KINDS)
    for r in returns:
        assert r["signed"] == r["total"] and r["missing"] == [], r
    assert [r["total"] for r in returns if r["kind"] != "aid_roster"] == [10, 10, 10]
    page = sign_in("staff").get(f"/ceremonies/{ceremony['id']}").get_data(as_text=True)
    said = re.findall(r'<li data-kind="(\w+)"><strong>[^<:]+: (\d+)/(\d+) kembali</strong>([^<]*)', page)
    assert {kind for kind, *_ in said} == set(KINDS)
    assert all(signed == total and "belum" not in rest for _, signed, total, rest in said), said

    # The same file again changes nothing: no file, no tray page, no signature moves.
    before_files = stored_files(settings)
    before_rows = list(db.query("SELECT id, state, document_id, page, path, sha256 FROM scan_pages"))
    before_signed = list(db.query("SELECT id, signed_at FROM documents ORDER BY id"))
    again = upload(client, staff, (scan_pdf, "pindai.pdf"))
    assert again["matched"] == scan["matched"] and again["skipped"] == covers
    assert [u["page"] for u in again["unmatched"]] == foreign_at
    assert not any(u["in_tray"] for u in again["unmatched"])
    assert stored_files(settings) == before_files
    assert list(db.query("SELECT id, state, document_id, page, path, sha256 FROM scan_pages "
                         "WHERE id <= ?", [before_rows[-1]["id"]])) == before_rows
    assert {r["state"] for r in db.query("SELECT state FROM scan_pages WHERE scan_id = ?",
                                         [again["id"]])} == {"repeat", "skipped"}
    assert list(db.query("SELECT id, signed_at FROM documents ORDER BY id")) == before_signed
    tray = client.get("/api/v1/scans/tray", headers=staff).json
    assert tray["total"] == 2

    audit = [r["detail"] for r in db.query("SELECT detail FROM audit_log WHERE action = 'scan.attach'")]
    assert len(audit) == len(attached)
    names = [r["full_name"] for r in db.query("SELECT full_name FROM cases")]
    for detail in audit:  # ids only
        assert not any(name.split()[0] in detail for name in names)


# --- single letters: photos, the tray, what is signed --------------------------------------


@pytest.fixture
def her(client, staff):
    """A woman with aid, her pledge and her receipt (real LibreOffice letters)."""
    case = client.post("/api/v1/cases", headers=staff, json={
        "full_name": "Ratna Sari Dewi", "nik": "1571014107900001", "birth_place": "Jambi",
        "birth_date": "1990-07-01", "origin_region": "Kediri", "facility": "Km 12"}).json
    for kind, amount in (("business_capital", 3_000_000), ("ticket", 1_500_000)):
        assert client.post(f"/api/v1/cases/{case['id']}/aid", headers=staff,
                           json={"kind": kind, "amount": amount, "source": "APBD 2024"}).status_code == 201
    docs = {}
    for kind in ("pledge", "aid_receipt"):
        doc = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff, json={"kind": kind}).json
        docs[kind] = (doc, client.get(doc["pdf_url"], headers=staff).data)
    return case, docs


def test_a_phone_photo_of_a_page_is_matched(client, staff, immediate, her, db):
    _case, docs = her
    doc, pdf = docs["pledge"]
    page = rasterise(pdf, 200)[0]  # as a phone sees it: colour, smaller, compressed
    photo = page.convert("RGB").resize((1200, round(1200 * page.height / page.width)), Image.LANCZOS)
    buf = io.BytesIO()
    photo.save(buf, "JPEG", quality=70)
    scan = upload(client, staff, (buf.getvalue(), "foto.jpg"))
    assert scan["matched"] == 1 and scan["unmatched"] == [], scan
    view = client.get(f"/api/v1/documents/{doc['id']}", headers=staff).json
    assert view["signed_pages"] == 1 and view["signed"] == (doc["pages"] == 1)
    row = db.execute("SELECT path FROM scan_pages WHERE document_id = ?", [doc["id"]]).fetchone()
    kept = PdfReader(Path(client.application.extensions["pulang"].settings.archive) / row[0])
    (image,) = [x.get_object() for x in kept.pages[0]["/Resources"]["/XObject"].values()]
    assert image["/Filter"] == "/DCTDecode"
    assert image.get_data() == buf.getvalue()  # the photo as it came, not re-encoded


def test_upside_down_png_and_the_signed_copy_download(client, staff, immediate, her, db):
    _case, docs = her
    doc, pdf = docs["aid_receipt"]
    pages = [skewed(p, -3).rotate(180) for p in rasterise(pdf, 150)]
    files = []
    for p in pages:
        buf = io.BytesIO()
        p.save(buf, "PNG")
        files.append((buf.getvalue(), "halaman.png"))
    scan = upload(client, staff, *files)
    assert scan["pages"] == len(pages) == scan["matched"], scan
    view = client.get(f"/api/v1/documents/{doc['id']}", headers=staff).json
    assert view["signed"] is True and view["signed_at"]

    copy = client.get(f"/api/v1/documents/{doc['id']}/signed.pdf", headers=staff)
    assert copy.status_code == 200 and copy.headers["Cache-Control"] == "no-store"
    assert copy.headers["Content-Type"] == "application/pdf"
    assert str(doc["id"]) in copy.headers["Content-Disposition"] and "Ratna" not in copy.headers["Content-Disposition"]
    reader = PdfReader(io.BytesIO(copy.data))
    assert len(reader.pages) == doc["pages"]
    assert all(p.get("/Rotate", 0) == 180 for p in reader.pages)  # shown upright
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'document.signed_download' "
                      "AND target_id = ?", [str(doc["id"])]).fetchone()[0] == 1
    # A document none of whose pages came back has no signed copy to give.
    pledge = docs["pledge"][0]
    assert client.get(f"/api/v1/documents/{pledge['id']}/signed.pdf", headers=staff).status_code == 404


def test_the_review_tray(client, staff, immediate, her, db, settings, make_user):
    _case, docs = her
    pledge, pledge_pdf = docs["pledge"]
    receipt, _ = docs["aid_receipt"]
    # A page without a code, and the pledge's first page with its QR cut away.
    page = rasterise(pledge_pdf, 150)[0]
    cut = page.copy()
    ImageDraw.Draw(cut).rectangle((0, cut.height - 260, cut.width, cut.height), fill=255)
    blank, text = foreign_pages()
    scan = upload(client, staff, (as_pdf([text, cut, blank]), "tumpukan.pdf"))
    assert [(u["page"], u["reason"]) for u in scan["unmatched"]] == [(1, "no_code"), (2, "no_code"), (3, "no_code")]
    tray = client.get("/api/v1/scans/tray", headers=staff).json
    assert tray["total"] == 3
    first, second, third = tray["pages"]

    # Thumbnails: signed-in staff only, never cached.
    thumb = client.get(first["thumbnail_url"], headers=staff)
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/png"
    assert thumb.headers["Cache-Control"] == "no-store"
    assert Image.open(io.BytesIO(thumb.data)).width == 360
    assert client.get(first["thumbnail_url"]).status_code == 401
    _, auditor = make_user("auditor")
    assert client.get(first["thumbnail_url"], headers=auditor).status_code == 403

    # Assigning: the field at fault is named.
    assign = f"/api/v1/scans/pages/{second['id']}/assign"
    bad = client.post(assign, headers=staff, json={"document_id": pledge["id"]})
    assert bad.status_code == 400 and bad.json["error"]["fields"] == {"page": "is required"}
    bad = client.post(assign, headers=staff, json={"document_id": 99999, "page": 1})
    assert bad.status_code == 400 and "document_id" in bad.json["error"]["fields"]
    bad = client.post(assign, headers=staff, json={"document_id": pledge["id"], "page": pledge["pages"] + 1})
    assert bad.status_code == 400 and "page" in bad.json["error"]["fields"]
    done = client.post(assign, headers=staff, json={"document_id": pledge["id"], "page": 1})
    assert done.status_code == 200, done.json
    assert done.json == {"id": second["id"], "state": "attached", "document_id": pledge["id"], "page": 1}
    assert client.get(f"/api/v1/documents/{pledge['id']}", headers=staff).json["signed_pages"] == 1
    again = client.post(f"/api/v1/scans/pages/{third['id']}/assign", headers=staff,
                        json={"document_id": pledge["id"], "page": 1})
    assert again.status_code == 409 and again.json["error"]["fields"] == {"page": "already signed"}
    # Not twice, and not onto a void document.
    assert client.post(assign, headers=staff, json={"document_id": pledge["id"], "page": 1}).status_code == 404
    _, supervisor = make_user("supervisor")
    client.post(f"/api/v1/documents/{receipt['id']}/void", headers=supervisor, json={"reason": "salah"})
    void = client.post(f"/api/v1/scans/pages/{third['id']}/assign", headers=staff,
                       json={"document_id": receipt["id"], "page": 1})
    assert void.status_code == 409 and void.json["error"]["fields"] == {"document_id": "void"}

    # Discarding deletes the page's file; the same page uploaded again stays out of the tray.
    path = settings.archive / db.execute("SELECT path FROM scan_pages WHERE id = ?", [first["id"]]).fetchone()[0]
    assert path.is_file()
    gone = client.post(f"/api/v1/scans/pages/{first['id']}/discard", headers=staff)
    assert gone.status_code == 200 and not path.exists()
    assert client.get(first["thumbnail_url"], headers=staff).status_code == 404
    again = upload(client, staff, (as_pdf([text]), "lagi.pdf"))
    assert again["unmatched"] == [{"page": 1, "reason": "no_code", "in_tray": False}]
    assert client.get("/api/v1/scans/tray", headers=staff).json["total"] == 1
    actions = [r[0] for r in db.execute("SELECT action FROM audit_log WHERE action LIKE 'scan.%'")]
    assert actions.count("scan.attach") == 1 and actions.count("scan.discard") == 1
    assert actions.count("scan.upload") == 2


def test_void_and_superseded_papers_and_old_codes_go_to_the_tray(client, staff, immediate, her, db, make_user):
    case, docs = her
    pledge, pledge_pdf = docs["pledge"]
    newer = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff, json={"kind": "pledge"}).json
    assert client.get(f"/api/v1/documents/{pledge['id']}", headers=staff).json["status"] == "superseded"
    receipt, receipt_pdf = docs["aid_receipt"]
    _, supervisor = make_user("supervisor")
    client.post(f"/api/v1/documents/{receipt['id']}/void", headers=supervisor, json={"reason": "salah"})
    scan = upload(client, staff, (as_pdf(rasterise(pledge_pdf)[:1] + rasterise(receipt_pdf)[:1]), "x.pdf"))
    assert [u["reason"] for u in scan["unmatched"]] == ["superseded", "void"]
    # The clerk assigns the superseded page to the letter that replaced it.
    page_id = client.get("/api/v1/scans/tray", headers=staff).json["pages"][0]["id"]
    moved = client.post(f"/api/v1/scans/pages/{page_id}/assign", headers=staff,
                        json={"document_id": newer["id"], "page": 1})
    assert moved.status_code == 200

    # A QR printed before issue 13 (the verify URL alone) names the document, not the page.
    from service.scans import codes, reader
    token = newer["verify_url"].rsplit("/", 1)[1]
    old = codes.Reading((codes.Code(token, None, 0),), 0)
    pages = db.execute("SELECT pages FROM documents WHERE id = ?", [newer["id"]]).fetchone()[0]
    decided = reader.decide(db, old, "f" * 64)
    if pages == 1:
        assert decided.state == "repeat" and decided.page == 1  # page 1 came back above
    else:
        assert decided.state == "tray" and decided.reason == "page_unknown"
    unknown = reader.decide(db, codes.Reading((codes.Code("x" * 24, 1, 0),), 0), "e" * 64)
    assert (unknown.state, unknown.reason) == ("tray", "unknown_code")
    two = reader.decide(db, codes.Reading((codes.Code(token, 1, 0), codes.Code("y" * 24, 1, 0)), 0), "d" * 64)
    assert (two.state, two.reason) == ("tray", "several_codes")
    assert codes.parse("https://dinsos.example.go.id/pulang/v/AbC_-12345678/3") == ("AbC_-12345678", 3)
    assert codes.parse("https://dinsos.example.go.id/v/AbC_-12345678") == ("AbC_-12345678", None)
    assert codes.parse("https://bank.example/pay?id=1") is None


@pytest.mark.parametrize("content, name, status, why", [
    pytest.param(b"", "kosong.pdf", 400, "is empty", id="empty"),
    pytest.param(b"PK\x03\x04 a zip", "x.pdf", 400, "must be a PDF, JPEG or PNG file", id="not-a-scan"),
    pytest.param(b"%PDF-1.4\nnot really", "rusak.pdf", 400, "is not a readable PDF", id="broken-pdf"),
    pytest.param(b"\x89PNG\r\n\x1a\nnot really", "rusak.png", 400, "is not a readable PNG", id="broken-png"),
])
def test_bad_uploads_are_refused_with_the_reason(client, staff, immediate, db, content, name, status, why):
    response = client.post("/api/v1/scans", headers=staff, data={"file": (io.BytesIO(content), name)},
                           content_type="multipart/form-data")
    assert response.status_code == status, response.json
    assert response.json["error"]["fields"] == {"file": why}
    assert db.execute("SELECT count(*) FROM scans").fetchone()[0] == 0


def test_hostile_uploads(client, staff, immediate, db, settings, monkeypatch, tmp_path):
    post = lambda data: client.post("/api/v1/scans", headers=staff, data=data,  # noqa: E731
                                    content_type="multipart/form-data")
    assert post({}).json["error"]["fields"] == {"file": "is required"}
    # A decompression bomb: a PNG of 400 million pixels in a few hundred kilobytes.
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, "PNG")
    refused = post({"file": (io.BytesIO(bomb.getvalue()), "bom.png")})
    assert refused.status_code == 413 and "million pixels" in refused.json["error"]["fields"]["file"]
    # An encrypted PDF.
    plain, locked = tmp_path / "plain.pdf", tmp_path / "locked.pdf"
    plain.write_bytes(as_pdf(foreign_pages()))
    subprocess.run(["qpdf", "--encrypt", "u", "o", "256", "--", str(plain), str(locked)], check=True)
    refused = post({"file": (io.BytesIO(locked.read_bytes()), "kunci.pdf")})
    assert refused.status_code == 400 and refused.json["error"]["fields"] == {"file": "is encrypted"}
    # Too many pages over the upload; the second file is named by its place.
    from service.scans import pages
    monkeypatch.setattr(pages, "MAX_PAGES", 3)
    monkeypatch.setattr("service.scans.uploads.MAX_PAGES", 3)
    two = as_pdf(foreign_pages())
    refused = post({"file": [(io.BytesIO(two), "a.pdf"), (io.BytesIO(two), "b.pdf")]})
    assert refused.status_code == 413 and refused.json["error"]["fields"] == {"file": "4 pages; at most 3 an upload"}
    refused = post({"file": [(io.BytesIO(two), "a.pdf"), (io.BytesIO(b"junk"), "b.pdf")]})
    assert refused.json["error"]["fields"] == {"file": "file 2: must be a PDF, JPEG or PNG file"}
    # A request larger than the scans' limit is refused before anything is kept.
    monkeypatch.setattr("service.http.signed.MAX_UPLOAD_BYTES", 10_000)
    refused = post({"file": (io.BytesIO(two), "besar.pdf")})
    assert refused.status_code == 413
    assert db.execute("SELECT count(*) FROM scans").fetchone()[0] == 0
    assert not list((settings.archive / "scans").rglob("*.pdf")) if (settings.archive / "scans").exists() else True
    assert not [p for p in settings.tmp_dir.iterdir() if p.name.startswith("scan-")]


def test_the_verification_page_accepts_the_page_form(client, staff, her):
    _case, docs = her
    doc, pdf = docs["pledge"]
    path = doc["verify_url"].replace("http://pulang.test", "")
    page = client.get(f"{path}/1", headers={"Accept": "application/json"}).json
    assert page == {**client.get(path, headers={"Accept": "application/json"}).json, "page": 1,
                    "pages": doc["pages"]}
    assert client.get(f"{path}/{doc['pages'] + 1}").status_code == 404
    html = client.get(f"{path}/1").get_data(as_text=True)
    assert f"1 dari {doc['pages']}" in html and "Ratna" not in html
    assert "ditandatangani" not in html.lower()  # scans are not the public's business


def test_search_finds_what_has_not_come_back(client, staff, immediate, her, runtime):
    case, docs = her
    other = client.post("/api/v1/cases", headers=staff, json={"full_name": "Sulastri", "facility": "Km 12"}).json
    client.post(f"/api/v1/cases/{other['id']}/aid", headers=staff, json={"kind": "ticket", "amount": 1000})
    client.post(f"/api/v1/cases/{other['id']}/documents", headers=staff, json={"kind": "pledge"})
    runtime.flush_index()

    def waiting(**query):
        found = client.post("/api/v1/search", headers=staff, json={"unsigned": True, **query}).json
        return sorted(hit["case_id"] for hit in found["results"])

    assert waiting() == sorted([case["id"], other["id"]])
    for doc, pdf in docs.values():
        upload(client, staff, (as_pdf(rasterise(pdf)), "x.pdf"))
    runtime.flush_index()
    assert waiting() == [other["id"]]
    assert waiting(q="Ratna") == [] and waiting(q="Sulastri") == [other["id"]]
    found = client.post("/api/v1/search", headers=staff, json={"q": "Ratna"}).json
    assert {d["signed"] for d in found["results"][0]["documents"]} == {True}
    bad = client.post("/api/v1/search", headers=staff, json={"unsigned": "ya"})
    assert bad.status_code == 400 and bad.json["error"]["fields"] == {"unsigned": "must be true or false"}


# --- the evidence pack ----------------------------------------------------------------------


@pytest.mark.slow
def test_the_evidence_pack(client, staff, immediate, db, settings, make_user):
    ceremony, printed = print_ceremony(client, staff, 3, kinds=["aid_receipt", "aid_roster"],
                                       copies={"aid_receipt": 1})
    cases = client.get(f"/api/v1/ceremonies/{ceremony['id']}", headers=staff).json["cases"]
    names = {c["case_id"]: c["full_name"] for c in cases}
    tokens = token_pages(db)
    clean = rasterise(printed)
    where = [truth(codes, tokens) for codes in page_codes(clean)]
    owner = {row[0]: row[1] for row in db.execute("SELECT id, case_id FROM documents")}
    # Everything comes back but one woman's receipt.
    missing_case = sorted(names)[1]
    back = [img for img, w in zip(clean, where) if w == "cover" or owner[w[0]] != missing_case]
    upload(client, staff, (as_pdf(back), "pindai.pdf"))
    (missing_receipt,) = db.query("SELECT id, number, path, sha256, pages FROM documents "
                                  "WHERE case_id = ? AND kind = 'aid_receipt'", [missing_case])

    url = f"/api/v1/ceremonies/{ceremony['id']}/evidence.pdf"
    assert client.get(url, headers=staff).status_code == 403  # staff: not the treasurer's permission
    _, auditor = make_user("auditor")
    response = client.get(url, headers=auditor)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"] == "application/pdf"
    pack = PdfReader(io.BytesIO(response.data))

    # Bookmarks: the cover, the roster, each woman with her receipt under her name, the manifest.
    outline = {item.title: pack.get_destination_page_number(item)
               for item in pack.outline if not isinstance(item, list)}
    for name in names.values():
        assert name in outline
    assert any(t.startswith("Daftar Penerima Bantuan") for t in outline)
    assert "Daftar berkas (manifest)" in outline
    text = pdftotext(response.data)
    flat = " ".join(text.split())
    assert "BERKAS PERTANGGUNGJAWABAN BANTUAN" in flat and "APBD 2024" in flat
    total = 3 * (3_000_000 + 1_500_000 + 1_001_000)
    assert f"Rp{total:,}".replace(",", ".") in flat
    assert "enam belas juta lima ratus tiga ribu rupiah" in flat
    assert "Kuitansi dan tanda terima: 2/3 kembali ditandatangani" in flat

    # The missing receipt: the generated copy, marked on every one of its pages.
    start = outline[names[missing_case]]
    for n in range(start, start + missing_receipt["pages"]):
        page_text = pack.pages[n].extract_text()
        assert "BELUM KEMBALI DITANDATANGANI" in page_text and missing_receipt["number"] in page_text
    others = [outline[names[c]] for c in names if c != missing_case]
    for n in others:  # the signed ones are the scans themselves: pictures, no mark
        assert "BELUM KEMBALI" not in (pack.pages[n].extract_text() or "")

    # The manifest: every archived file included, its hash as on disk.
    listed = re.findall(r"(\S+\.pdf)\s+sha256 ([0-9a-f]{64})", text)
    assert len(listed) == (1 + 2) * 1 + 1  # roster page(s) signed, two receipts, one generated
    for rel, digest in listed:
        assert hashlib.sha256((settings.archive / rel).read_bytes()).hexdigest() == digest
    assert (missing_receipt["path"], missing_receipt["sha256"]) in listed
    assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'ceremony.evidence' AND target_id = ?",
                      [str(ceremony["id"])]).fetchone()[0] == 1
    assert client.get("/api/v1/ceremonies/999/evidence.pdf", headers=auditor).status_code == 404

    # Once a woman of the ceremony is anonymised, her kept papers still name her: the pack
    # is then the auditor's alone.
    _, supervisor = make_user("supervisor")
    assert client.get(url, headers=supervisor).status_code == 200
    gone = sorted(names)[0]
    client.post(f"/api/v1/cases/{gone}/close", headers=supervisor)
    db.execute("UPDATE cases SET closed_at = '2015-01-01T00:00:00+00:00' WHERE id = ?", [gone])
    db.conn.commit()
    assert client.post(f"/api/v1/cases/{gone}/anonymise", headers=supervisor).status_code == 200
    refused = client.get(url, headers=supervisor)
    assert refused.status_code == 403 and "auditor" in refused.json["error"]["message"]
    kept = client.get(url, headers=auditor)
    assert kept.status_code == 200
    outline = [item.title for item in PdfReader(io.BytesIO(kept.data)).outline if not isinstance(item, list)]
    assert names[gone] not in outline and any("***" in t for t in outline)
    returns = client.get(f"/api/v1/ceremonies/{ceremony['id']}", headers=supervisor).json["returns"]
    assert all(m["case_id"] != gone for r in returns for m in r["missing"])


# --- privacy: retention and backups -----------------------------------------------------------


def test_anonymising_removes_her_scans_but_keeps_the_signed_receipt(client, staff, immediate, her, db,
                                                                    settings, make_user):
    case, docs = her
    for _doc, pdf in docs.values():
        upload(client, staff, (as_pdf(rasterise(pdf)), "x.pdf"))
    files = {kind: [settings.archive / r[0] for r in db.execute(
        "SELECT path FROM scan_pages WHERE document_id = ?", [doc["id"]])] for kind, (doc, _) in docs.items()}
    assert all(p.is_file() for paths in files.values() for p in paths)
    receipt = docs["aid_receipt"][0]["id"]
    receipt_pages = [r[0] for r in db.execute("SELECT id FROM scan_pages WHERE document_id = ?", [receipt])]
    thumbnails = [f"/api/v1/scans/pages/{i}/thumbnail.png" for i in receipt_pages]
    assert receipt_pages and all(client.get(u, headers=staff).status_code == 200 for u in thumbnails)
    assert client.get(f"/api/v1/documents/{receipt}/signed.pdf", headers=staff).status_code == 200
    _, supervisor = make_user("supervisor")
    client.post(f"/api/v1/cases/{case['id']}/close", headers=supervisor)
    db.execute("UPDATE cases SET closed_at = '2015-01-01T00:00:00+00:00' WHERE id = ?", [case["id"]])
    db.conn.commit()
    assert client.post(f"/api/v1/cases/{case['id']}/anonymise", headers=supervisor).status_code == 200
    assert not any(p.exists() for p in files["pledge"])
    assert all(p.is_file() for p in files["aid_receipt"])
    pledge = db.execute("SELECT count(*), count(path) FROM scan_pages WHERE document_id = ?",
                        [docs["pledge"][0]["id"]]).fetchone()
    assert pledge == (len(files["pledge"]), 0)  # the record that it came back stays, not the page
    # Her kept receipt's signed pages name her: no longer shown to staff, as a picture or a PDF.
    assert all(client.get(u, headers=staff).status_code == 404 for u in thumbnails)
    assert client.get(f"/api/v1/documents/{receipt}/signed.pdf", headers=staff).status_code == 404


def test_backups_carry_the_scans(client, staff, immediate, her, db, settings, tmp_path):
    from click.testing import CliRunner

    from service.cli import main
    _case, docs = her
    doc, pdf = docs["pledge"]
    upload(client, staff, (as_pdf(rasterise(pdf) + foreign_pages()[:1]), "x.pdf"))
    kept = signed_copies.stored_files(db)
    assert len(kept) == doc["pages"] + 1  # the pledge's pages and the tray page
    made = CliRunner().invoke(main, ["backup", str(tmp_path / "cadangan.backup")],
                              env={"PULANG_ARCHIVE": str(settings.archive)}, catch_exceptions=False)
    assert made.exit_code == 0, made.output
    fresh = tmp_path / "restored"  # beside the archive: the same key folder (keys/)
    restored = CliRunner().invoke(main, ["restore", str(tmp_path / "cadangan.backup")],
                                  env={"PULANG_ARCHIVE": str(fresh)}, catch_exceptions=False)
    assert restored.exit_code == 0, restored.output
    for rel, digest in kept:
        assert hashlib.sha256((fresh / rel).read_bytes()).hexdigest() == digest
