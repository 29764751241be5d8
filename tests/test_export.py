"""Exports opened with openpyxl and csv: NIKs masked unless a supervisor or admin asks
for the full list (audited), and nothing a person typed can run as a formula."""

import csv
import io

import pytest
from openpyxl import load_workbook

HOSTILE = '=HYPERLINK("http://x","y")'
NIK = "1571014107900001"


@pytest.fixture
def cases(client, staff):
    for name, nik, notes in ((HOSTILE, NIK, ""), ("Sulastri", "", "")):
        case = client.post("/api/v1/cases", headers=staff, json={
            "full_name": name, "nik": nik, "birth_place": "@SUM(A1)", "facility": "+Payo Sigadung",
            "birth_date": "1990-07-01"}).json
        client.post(f"/api/v1/cases/{case['id']}/aid", headers=staff,
                    json={"kind": "ticket", "amount": 1_500_000, "source": "-APBD", "description": "\tx"})


def cells_of(response, fmt):
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.data)).active
        return [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("what", ["cases", "aid", "documents"])
def test_masked_and_no_formula_from_user_input(client, staff, cases, what, fmt):
    response = client.get(f"/api/v1/exports/{what}.{fmt}", headers=staff)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    assert "Sulastri" not in disposition and "HYPERLINK" not in disposition
    rows = cells_of(response, fmt)
    for row in rows[1:]:
        for cell in row:
            assert not (isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r")), cell
    flat = [c for row in rows for c in row]
    assert NIK not in flat
    if what in ("cases", "aid"):
        assert "1571********0001" in flat
        assert "'" + HOSTILE in flat


@pytest.mark.parametrize("role, status", [("admin", 200), ("supervisor", 200), ("staff", 403), ("auditor", 403)])
def test_full_niks_only_for_supervisors_and_admins_and_audited(client, make_user, cases, role, status, db):
    _, headers = make_user(role)
    response = client.get("/api/v1/exports/cases.xlsx?full=1", headers=headers)
    assert response.status_code == status
    if status == 200:
        assert NIK in [c for row in cells_of(response, "xlsx") for c in row]
        assert db.execute("SELECT count(*) FROM audit_log WHERE action = 'export.full'").fetchone()[0] == 1
    assert client.get("/api/v1/exports/cases.csv", headers=headers).status_code == 200  # masked: everyone


def test_the_export_page_offers_full_lists_only_to_those_allowed(app, make_user, cases):
    from tests.test_web import login
    for role, full in (("staff", False), ("supervisor", True)):
        user, _ = make_user(role)
        web = app.test_client()
        login(web, user["username"])
        page = web.get("/exports").get_data(as_text=True)
        assert ("full=1" in page) == full
        response = web.get("/exports/cases.xlsx")
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        assert web.get("/exports/cases.xlsx?full=1").status_code == (200 if full else 403)
