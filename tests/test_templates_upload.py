"""Template versions through the API: every problem of a bad upload listed with where it
is, hostile files refused before unpacking, a good one previewed, activated and used by
the next letter (real docx files, real LibreOffice, real SQLite)."""

import io
import warnings
import zipfile
from pathlib import Path

import docx
import pytest

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def pledge_with(*paragraphs: str) -> bytes:
    """The product's pledge with extra paragraphs typed at the end, as an admin would."""
    document = docx.Document(str(TEMPLATES / "pledge.docx"))
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_of(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate we mean to write
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members:
                archive.writestr(name, data)
    return out.getvalue()


def upload(client, headers, data: bytes, kind="pledge", name="surat.docx"):
    return client.post(f"/api/v1/templates/{kind}", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


@pytest.fixture
def admin(make_user):
    return make_user("admin")[1]


def test_every_problem_is_listed_with_its_paragraph(client, admin, db):
    bad = pledge_with("Kantor {{ ofice.name }} menyatakan", "Nama kantor {{ office.nmae }}",
                      "Jumlah {{ aid_total|rupia }}", "{%tr for item in aid_items %}",
                      "Tanda tangan {% if nik %} tanpa penutup")
    response = upload(client, admin, bad)
    assert response.status_code == 400, response.json
    problems = {p["code"]: p for p in response.json["problems"]}
    assert set(problems) == {"unknown_variable", "unknown_attribute", "unknown_filter",
                             "tr_outside_row", "syntax_error"}
    assert "ofice" in problems["unknown_variable"]["message"]
    assert "office" in problems["unknown_variable"]["message"]  # the closest known name
    assert problems["unknown_variable"]["where"] == "Kantor {{ ofice.name }} menyatakan"
    assert "office.name" in problems["unknown_attribute"]["message"]
    assert "rupiah" in problems["unknown_filter"]["message"]
    assert problems["syntax_error"]["where"] == "Tanda tangan {% if nik %} tanpa penutup"
    assert response.json["error"]["code"] == "invalid_upload"
    assert db.execute("SELECT count(*) FROM templates WHERE kind = 'pledge'").fetchone()[0] == 1


def test_a_good_upload_is_previewed_activated_used_and_the_old_one_kept(client, admin, make_user, db):
    new = pledge_with("Versi kantor 2025 untuk {{ office.city }}")
    response = upload(client, admin, new)
    assert response.status_code == 201, response.json
    assert response.json | {"sha256": None, "created_at": None} == {
        "kind": "pledge", "version": 2, "active": False, "problems": [], "builtin": False,
        "existing": False, "warnings": [],
        "sha256": None, "created_at": None}
    preview = client.get("/api/v1/templates/pledge/2/preview.pdf", headers=admin)
    assert preview.status_code == 200 and preview.data.startswith(b"%PDF")
    from tests.helpers import pdftotext
    assert "Versi kantor 2025 untuk Jambi" in pdftotext(preview.data)
    assert "Sulastri" in pdftotext(preview.data)  # the invented sample, never a real case

    _, staff = make_user("staff")
    case = client.post("/api/v1/cases", headers=staff, json={"full_name": "Sulastri", "facility": "Payo Sigadung"}).json
    def pledge():
        return client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff, json={"kind": "pledge"}).json
    assert pledge()["template_version"] == 1
    assert client.post("/api/v1/templates/pledge/2/activate", headers=admin).status_code == 200
    made = pledge()
    assert made["template_version"] == 2
    row = db["documents"].get(made["id"])
    assert row["template_sha256"] == response.json["sha256"]
    assert client.post("/api/v1/templates/pledge/1/activate", headers=admin).status_code == 200
    assert pledge()["template_version"] == 1
    versions = client.get("/api/v1/templates/pledge", headers=admin).json["versions"]
    assert [(v["version"], v["active"]) for v in versions] == [(2, False), (1, True)]
    download = client.get("/api/v1/templates/pledge/2/docx", headers=admin)
    assert download.status_code == 200 and download.data == new


def _content_types() -> bytes:
    with zipfile.ZipFile(TEMPLATES / "pledge.docx") as archive:
        return archive.read("[Content_Types].xml")


@pytest.mark.parametrize("data, status, code", [
    pytest.param(b"Surat pernyataan biasa, bukan docx", 400, "not_docx", id="plain text"),
    pytest.param(b"PK\x03\x04" + b"\x00" * 200, 400, "not_docx", id="broken zip"),
    pytest.param(zip_of([("word/document.xml", b"<x/>")]), 400, "not_docx", id="zip without content types"),
    pytest.param(zip_of([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<x/>")]),
                 400, "not_docx", id="not a word document"),
    pytest.param(zip_of([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<x/>"),
                         ("../../etc/cron.d/evil", b"x")]), 400, "unsafe_name", id="path traversal"),
    pytest.param(zip_of([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<x/>"),
                         ("/abs/evil", b"x")]), 400, "unsafe_name", id="absolute name"),
    pytest.param(zip_of([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"\x00" * 5_000_000)]),
                 413, "zip_bomb", id="zip bomb"),
    pytest.param(b"PK\x03\x04" + b"\x00" * (11 * 1024 * 1024), 413, "too_large", id="oversize"),
])
def test_hostile_or_fake_files_are_refused_before_unpacking(client, admin, data, status, code, db):
    response = upload(client, admin, data)
    assert response.status_code == status, response.json
    assert code in [p["code"] for p in response.json["problems"]]
    assert all(p["message"] for p in response.json["problems"])
    assert db.execute("SELECT count(*) FROM templates WHERE kind = 'pledge'").fetchone()[0] == 1


def test_libreoffices_duplicate_core_xml_is_explained(client, admin):
    with zipfile.ZipFile(TEMPLATES / "pledge.docx") as archive:
        members = [(n, archive.read(n)) for n in archive.namelist()]
    members.append(("docProps/core.xml", dict(members)["docProps/core.xml"]))
    response = upload(client, admin, zip_of(members))
    assert response.status_code == 400
    assert [p["code"] for p in response.json["problems"]] == ["duplicate_member"]
    assert response.json["problems"][0]["where"] == "docProps/core.xml"
    assert "LibreOffice" in response.json["problems"][0]["message"]


def test_special_tags_in_the_wrong_place(client, admin):
    response = upload(client, admin, pledge_with("{%tc for k in aid_items %}", "Catatan {%p if notes %}"))
    codes = [p["code"] for p in response.json["problems"]]
    assert "tc_outside_cell" in codes and "special_tag_not_alone" in codes


@pytest.mark.parametrize("role, status", [("admin", 201), ("supervisor", 403), ("staff", 403), ("auditor", 403)])
def test_only_admins_manage_templates(client, make_user, role, status):
    _, headers = make_user(role)
    good = pledge_with("Tambahan {{ full_name }}")
    assert upload(client, headers, good).status_code == status
    assert client.post("/api/v1/templates/pledge/1/activate", headers=headers).status_code == (200 if role == "admin" else 403)
    assert client.get("/api/v1/templates/pledge/1/docx", headers=headers).status_code == (200 if role == "admin" else 403)


def test_unknown_kind_is_404(client, admin):
    assert upload(client, admin, pledge_with(), kind="nope").status_code == 404
