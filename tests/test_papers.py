"""Papers an official signs (issue 11), through the API with real LibreOffice: signature
blocks per Permendagri 1/2023 Pasal 44, stamp duty per UU 10/2020, receipts per source
of funds, berita acara of releases that happened, letter numbers and dates of the day of
issue, internal notes that never print, the register of outgoing letters, and the
PDF's metadata."""

import datetime as dt
import io
import re

import pytest
from pypdf import PdfReader

from service import clock
from service.records.formats import tanggal
from tests.helpers import pdftotext

NAME = "Sulastri Wulandari"
HEAD = ["Kepala Dinas Sosial Kota Jambi,", "Dra. Hj. Rosmawati, M.Si.", "Pembina Utama Muda (IV/c)",
        "NIP. 19680512 199403 2 004"]
WITNESS = ["Pekerja Sosial Ahli Pertama,", "Ahmad Fauzi, S.Sos.", "Penata Muda (III/a)",
           "NIP. 19900315 201503 1 002"]
TREASURER = ["Yuliana Sari, S.E.", "Penata Muda Tingkat I (III/b)", "NIP. 19850722 201001 2 015"]


@pytest.fixture
def admin(make_user):
    return make_user("admin")[1]


def new_case(client, headers, aid=(), **extra) -> dict:
    response = client.post("/api/v1/cases", headers=headers, json={
        "full_name": NAME, "nik": "3510154506890003", "birth_place": "Banyuwangi",
        "birth_date": "1989-06-05", "origin_address": "Dusun Krajan RT 002 RW 001",
        "origin_region": "Banyuwangi, Jawa Timur", "facility": "Rumah Singgah Dinas Sosial Kota Jambi",
        **extra})
    assert response.status_code == 201, response.json
    for item in aid:
        r = client.post(f"/api/v1/cases/{response.json['id']}/aid", headers=headers, json=item)
        assert r.status_code == 201, r.json
    return response.json


def make(client, headers, case_id, kind) -> tuple[dict, str]:
    response = client.post(f"/api/v1/cases/{case_id}/documents", headers=headers, json={"kind": kind})
    assert response.status_code == 201, response.json
    pdf = client.get(response.json["pdf_url"], headers=headers).data
    return response.json, " ".join(pdftotext(pdf).split())


APBD = {"kind": "business_capital", "amount": 3_000_000, "source": "APBD Kota Jambi",
        "description": "Modal usaha warung"}
TICKET = {"kind": "ticket", "amount": 1_500_000, "source": "APBD Kota Jambi"}
KEMENSOS = {"kind": "kemensos_transfer", "amount": 5_050_000, "source": "Kementerian Sosial RI"}


def test_a_pledge_has_signature_blocks_with_jabatan_pangkat_and_nip(client, staff):
    case = new_case(client, staff, [APBD])
    _, text = make(client, staff, case["id"], "pledge")
    for line in HEAD + WITNESS + ["Saksi,", "Mengetahui,", "Yang membuat pernyataan,", "METERAI"]:
        assert line in text, line
    assert text.count("NIP. 19680512 199403 2 004") == 1  # the head signs once
    assert "Tidak akan kembali ke dalam praktik prostitusi atau eksploitasi seksual dalam bentuk " \
           "apa pun dan di tempat mana pun;" in text
    assert "tanpa paksaan dari pihak mana pun." in text
    assert "(modal usaha Rp3.000.000)" in text


@pytest.mark.parametrize("amount, meterai", [
    pytest.param(4_800_000, False, id="Rp4.800.000-none"),
    pytest.param(5_000_000, False, id="Rp5.000.000-none"),
    pytest.param(5_500_000, True, id="Rp5.500.000-box"),
])
def test_a_receipt_has_a_meterai_box_only_above_rp5_million(client, staff, amount, meterai):
    case = new_case(client, staff, [dict(APBD, amount=amount)])
    _, text = make(client, staff, case["id"], "aid_receipt")
    assert ("METERAI" in text) is meterai
    figure = f"Rp{amount:,}".replace(",", ".") + ",00"
    assert f"Uang sejumlah : {figure}" in text or figure in text


def test_the_stamp_duty_rule_is_the_offices(client, staff, admin):
    case = new_case(client, staff, [dict(APBD, amount=6_000_000)])
    client.put("/api/v1/office", headers=admin, json={"stamp_duty": {"receipt_rule": "never", "pledge": False}})
    assert "METERAI" not in make(client, staff, case["id"], "aid_receipt")[1]
    assert "METERAI" not in make(client, staff, case["id"], "pledge")[1]
    client.put("/api/v1/office", headers=admin, json={"stamp_duty": {"receipt_rule": "above_threshold",
                                                                     "receipt_threshold": 10_000_000}})
    assert "METERAI" not in make(client, staff, case["id"], "aid_receipt")[1]


def test_apbd_and_kemensos_money_never_share_a_receipt(client, staff, admin, db):
    case = new_case(client, staff, [APBD, TICKET, KEMENSOS])
    # Listed (the default): the kuitansi is for the treasurer's APBD money; the Kemensos
    # money is listed apart, outside its total.
    doc, text = make(client, staff, case["id"], "aid_receipt")
    assert "KUITANSI" in text and "Rp4.500.000,00 (empat juta lima ratus ribu rupiah)" in text
    assert "Sudah terima dari" in text and "Bendahara Pengeluaran Dinas Sosial Kota Jambi" in text
    for line in ("Setuju dibayar,", "Pengguna Anggaran,", "Lunas dibayar,", "Bendahara Pengeluaran,"):
        assert line in text
    assert "disalurkan melalui rekening penerima, tidak dibayarkan oleh Bendahara Pengeluaran" in text
    assert "Rp5.050.000" in text and "Rp9.550.000" not in text
    refused = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff,
                          json={"kind": "transfer_receipt"})
    assert refused.status_code == 400 and "lists APBN aid" in refused.json["error"]["fields"]["kind"]
    # Separate receipts: the kuitansi holds APBD money only, the transfer receipt the rest,
    # and the treasurer who did not pay it does not sign it.
    client.put("/api/v1/office", headers=admin, json={"receipts": {"transfers": "separate"}})
    kuitansi, text = make(client, staff, case["id"], "aid_receipt")
    assert kuitansi["supersedes_id"] == doc["id"]
    assert "Rp5.050.000" not in text and "Rp4.500.000,00" in text
    transfer, text = make(client, staff, case["id"], "transfer_receipt")
    assert "TANDA TERIMA BANTUAN" in text and "Kementerian Sosial RI" in text
    assert "Rp5.050.000,00 (lima juta lima puluh ribu rupiah)" in text and "Rp3.000.000" not in text
    assert "METERAI" in text  # Rp5.050.000 is above the threshold
    assert TREASURER[0] not in text and "Lunas dibayar" not in text
    for line in HEAD:
        assert line in text
    # Both stay valid: one receipt per source of funds.
    valid = {row[0] for row in db.execute(
        "SELECT kind FROM documents WHERE case_id = ? AND status = 'valid'", [case["id"]])}
    assert {"aid_receipt", "transfer_receipt"} <= valid
    items = client.get(f"/api/v1/cases/{case['id']}", headers=staff).json["aid_items"]
    assert [i["fund"] for i in items] == ["apbd", "apbd", "apbn"]


def test_a_case_with_only_kemensos_money_gets_no_kuitansi(client, staff):
    case = new_case(client, staff, [KEMENSOS])
    refused = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff, json={"kind": "aid_receipt"})
    assert refused.status_code == 400 and "transfer_receipt" in refused.json["error"]["fields"]["kind"]
    _, text = make(client, staff, case["id"], "transfer_receipt")
    assert "Rp5.050.000,00" in text


def test_an_item_without_description_prints_nothing(client, staff):
    case = new_case(client, staff, [TICKET])
    _, text = make(client, staff, case["id"], "aid_receipt")
    assert " - " not in text and "Tiket pulang APBD Kota Jambi Rp1.500.000" in text


def test_a_release_report_needs_a_release_that_happened(client, staff):
    case = new_case(client, staff, [APBD], notes="RAHASIA: catatan internal pekerja sosial",
                    paper_notes="Didampingi pekerja sosial sampai ke terminal.")
    refused = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff,
                          json={"kind": "release_report"})
    assert refused.status_code == 400
    assert "release_date" in refused.json["error"]["fields"]["kind"]
    assert client.get(f"/api/v1/cases/{case['id']}", headers=staff).json["documents"] == []
    future = (clock.office_today() + dt.timedelta(days=3)).isoformat()
    client.patch(f"/api/v1/cases/{case['id']}", headers=staff,
                 json={"release_date": future, "release_place": "Terminal Alam Barajo"})
    refused = client.post(f"/api/v1/cases/{case['id']}/documents", headers=staff,
                          json={"kind": "release_report"})
    assert refused.status_code == 400 and "future" in refused.json["error"]["fields"]["kind"]
    client.patch(f"/api/v1/cases/{case['id']}", headers=staff, json={"release_date": "2026-12-02"
                 if clock.office_today() >= dt.date(2026, 12, 2) else "2024-07-31"})
    doc, text = make(client, staff, case["id"], "release_report")
    when = ("Pada hari ini Rabu, tanggal dua bulan Desember tahun dua ribu dua puluh enam"
            if clock.office_today() >= dt.date(2026, 12, 2) else
            "Pada hari ini Rabu, tanggal tiga puluh satu bulan Juli tahun dua ribu dua puluh empat")
    assert f"{when}, bertempat di Terminal Alam Barajo" in text
    assert "Penerima Manfaat," in text and "Saksi," in text
    for line in HEAD + WITNESS:
        assert line in text
    assert "Keterangan: Didampingi pekerja sosial sampai ke terminal." in text
    assert "RAHASIA" not in text and "catatan internal" not in text


def test_no_paper_stigmatises_her(client, staff):
    case = new_case(client, staff, [APBD, KEMENSOS], release_date="2024-07-31",
                    release_place="Aula Dinas Sosial")
    for kind in ("pledge", "aid_receipt", "release_report"):
        _, text = make(client, staff, case["id"], kind)
        lower = text.lower()
        for word in ("pekerja seks", "psk", "wts", "tuna susila", "pelacur", "lokalisasi",
                     "yang dipulangkan"):
            assert not re.search(rf"\b{word}\b", lower), (kind, word)


def _print(client, staff, ceremony_id, kinds):
    response = client.post(f"/api/v1/ceremonies/{ceremony_id}/print", headers=staff, json={"kinds": kinds})
    assert response.status_code == 202, response.json
    job = client.get(f"/api/v1/jobs/{response.json['job_id']}", headers=staff).json
    assert job["state"] == "done", job
    return job


@pytest.fixture
def immediate(runtime):
    from service.ceremonies.queue import queue_for
    queue = queue_for(runtime)
    queue.huey.immediate = True
    yield queue
    queue.huey.immediate = False


def test_a_past_ceremony_printed_today_is_dated_and_numbered_today(client, staff, immediate, db):
    first = new_case(client, staff, [APBD])
    earlier, _ = make(client, staff, first["id"], "pledge")  # a number already issued today
    women = [new_case(client, staff, [APBD], full_name=name, allow_duplicate=True)
             for name in ("Ani Lestari", "Bunga Citra")]
    ceremony = client.post("/api/v1/ceremonies", headers=staff, json={
        "title": "Pelepasan dan Pemulangan Penerima Manfaat Tahap II", "date": "2024-07-31",
        "place": "Aula Rumah Dinas Wali Kota Jambi", "case_ids": [w["id"] for w in women],
        "officials": [{"name": "Dra. Hj. Rosmawati, M.Si.", "title": "Kepala Dinas Sosial Kota Jambi",
                       "rank": "Pembina Utama Muda (IV/c)", "nip": "196805121994032004"},
                      {"name": "Mulyadi, S.H.", "title": "Kepala Satuan Polisi Pamong Praja",
                       "rank": "Pembina Tingkat I (IV/b)", "nip": "197209151998031004"}]}).json
    _print(client, staff, ceremony["id"], ["pledge", "release_report", "ceremony_report"])
    today = clock.office_today()
    rows = list(db.query("SELECT kind, number, seq, issued_on, path FROM documents WHERE id != ? "
                         "ORDER BY seq", [earlier["id"]]))
    assert {r["issued_on"] for r in rows} == {today.isoformat()}
    seqs = [r["seq"] for r in rows]
    assert seqs == list(range(2, 2 + len(rows)))  # after the one already issued, in order
    assert all(r["number"].endswith(f"/{today.year}") for r in rows)
    report = next(r for r in rows if r["kind"] == "release_report")
    text = " ".join(pdftotext((_archive(client) / report["path"]).read_bytes()).split())
    assert "tanggal tiga puluh satu bulan Juli tahun dua ribu dua puluh empat" in text  # the event
    ceremony_report = next(r for r in rows if r["kind"] == "ceremony_report")
    text = " ".join(pdftotext((_archive(client) / ceremony_report["path"]).read_bytes()).split())
    assert f"Jambi, {tanggal(today)}" in text  # signed today
    assert "sebanyak 2 (dua) orang Penerima Manfaat" in text
    # The officials present are listed once; the head, who signs below, is not listed again.
    assert text.count("NIP. 19680512 199403 2 004") == 1
    assert text.count("Mulyadi, S.H.") == 1 and "Pembina Tingkat I (IV/b) NIP. 19720915 199803 1 004" in text  # one line each
    # A reprint of unchanged data reuses every number.
    _print(client, staff, ceremony["id"], ["pledge", "release_report", "ceremony_report"])
    assert db.execute("SELECT count(*) FROM documents").fetchone()[0] == len(rows) + 1


def _archive(client):
    return client.application.extensions["pulang"].settings.archive


def test_the_register_lists_every_number_without_names(client, staff, db):
    case = new_case(client, staff, [APBD, KEMENSOS], release_date="2024-07-31", release_place="Aula")
    made = [make(client, staff, case["id"], kind)[0]["number"]
            for kind in ("pledge", "aid_receipt", "release_report")]
    year = clock.office_today().year
    body = client.get(f"/api/v1/register?year={year}", headers=staff).json
    assert [e["number"] for e in body["entries"]] == made
    assert body["entries"][1]["subject"] == "Kuitansi Bantuan Penerima Manfaat (APBD)"
    assert NAME.split()[0] not in str(body) and "3510154506890003" not in str(body)
    assert client.get("/api/v1/register?year=20x6", headers=staff).status_code == 400


def test_stored_pdfs_carry_no_personal_data_in_their_metadata(client, staff):
    case = new_case(client, staff, [APBD])
    doc, _ = make(client, staff, case["id"], "pledge")
    pdf = client.get(doc["pdf_url"], headers=staff).data
    reader = PdfReader(io.BytesIO(pdf))
    info = " ".join(str(v) for v in (reader.metadata or {}).values())
    xmp = reader.trailer["/Root"].get("/Metadata")
    xmp_text = xmp.get_object().get_data().decode("utf-8", "replace") if xmp else ""
    for secret in ("Sulastri", "Wulandari", "3510154506890003"):
        assert secret not in info and secret not in xmp_text
    assert "pdfaid:part" in xmp_text  # still PDF/A after the layout step
