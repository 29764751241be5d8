"""Invented people and a ceremony for the ceremony, batch and job tests (no tests here:
the helpers live under a test_ceremon* name to stay in the ceremonies' corner)."""

import random

FIRST = ["Siti", "Nur", "Sri", "Dewi", "Rina", "Maria", "Yuliana", "Ratna", "Endang", "Fitri",
         "Agustina", "Kartini", "Wulan", "Aisyah", "Halimah", "Theresia", "Nining", "Lilis"]
LAST = ["Aminah", "Hayati", "Lestari", "Wulandari", "Saragih", "Fanggidae", "Manafe", "Lobo",
        "Rahayu", "Purba", "Sitepu", "Ndun", "Bessie", "Tallo", "Harahap", "Siregar"]
REGIONS = ["Banyuwangi, Jawa Timur", "Kota Kupang, NTT", "Indramayu, Jawa Barat",
           "Surabaya, Jawa Timur", "Kota Jambi, Jambi"]
AID = (("business_capital", 3_000_000), ("ticket", 1_500_000), ("living_allowance", 1_001_000))
TRICKY = 'Siti & <Aminah> "Ina"'  # prints as typed, or autoescape broke


def nik(i: int) -> str:
    """A well-formed NIK (Surabaya, a woman born 8 Nov 1992), serial i."""
    return f"357806481192{i:04d}"


def make_cases(client, headers, count: int, *, seed: int = 4, tricky: bool = True) -> list[int]:
    rng = random.Random(seed)
    ids = []
    for i in range(count):
        name = TRICKY if tricky and i == 0 else f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
        response = client.post("/api/v1/cases", headers=headers, json={
            "full_name": name, "nik": nik(i + 1), "birth_place": "Surabaya",
            "birth_date": "1992-11-08", "origin_address": f"Jl. Mawar No. {i + 1}",
            "origin_region": REGIONS[i % len(REGIONS)], "facility": "Payo Sigadung",
            "allow_duplicate": True})
        assert response.status_code == 201, response.json
        case_id = response.json["id"]
        for kind, amount in AID:
            r = client.post(f"/api/v1/cases/{case_id}/aid", headers=headers,
                            json={"kind": kind, "amount": amount, "source": "APBD 2024"})
            assert r.status_code == 201, r.json
        ids.append(case_id)
    return ids


def make_ceremony(client, headers, case_ids, **extra) -> dict:
    body = {"title": "Pelepasan dan Pemulangan Penerima Manfaat Tahap I",
            "date": "2024-07-31", "place": "Aula Rumah Dinas Wali Kota Jambi",
            "officials": [{"name": "Drs. H. Sri Purwanto, M.M.", "title": "Penjabat Wali Kota",
                           "nip": "196703041993031005"},
                          {"name": "Mulyadi, S.H.", "title": "Kepala Satpol PP", "nip": ""}],
            "case_ids": case_ids, **extra}
    response = client.post("/api/v1/ceremonies", headers=headers, json=body)
    assert response.status_code == 201, response.json
    return response.json
