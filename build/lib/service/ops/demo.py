"""`pulang demo`: an invented but realistic office, so a newcomer sees the product
working at once. Every person here is made up; the places are those of the reports the
product was built from. Deterministic: the same archive every time."""

import datetime as dt
import random

from ..clock import office_today
from ..db import write_transaction
from ..letters.sample import OFFICIALS
from ..records import office
from ..records.cases import add_aid, create_case

# Institutions she stays in and leaves: her papers name the institution, never her past
# (DOMAIN.md, Dignity).
FACILITIES = ("UPTD Rumah Perlindungan Sosial Kota Jambi", "Rumah Singgah Dinas Sosial Kota Jambi")
OFFICE = {
    "name": "Dinas Sosial", "region": "Pemerintah Kota Jambi", "city": "Jambi",
    "address": "Jl. Jenderal Sudirman No. 1, Thehok, Kota Jambi 36122", "unit": "DINSOS",
    "phone": "(0741) 000000", "email": "dinsos@jambikota.go.id",
    "case_prefix": "JMB",
    "officials": OFFICIALS,  # the same invented officials as the templates' samples
}
FIRST = ("Sulastri", "Nurhayati", "Siti Aminah", "Sri Wahyuni", "Dewi Lestari", "Yuliana",
         "Rina", "Ratna Sari", "Endang", "Wartini", "Suryani", "Marlina", "Lilis", "Eka Putri",
         "Ani Susanti", "Maria Goreti", "Fransiska", "Ni Made Ayu", "Kartika", "Yanti",
         "Susi Susanti", "Nur Aini", "Indah", "Tuti", "Mega", "Erna", "Sumiati", "Wulan",
         "Fitri", "Lusiana")
FAMILY = ("", "", "", "Rahayu", "Handayani", "Pratiwi", "Wulandari", "Ningsih", "Lestari",
          "Safitri", "Manafe", "Boimau", "Sitompul", "Simanjuntak", "Hasibuan", "Purba")
# (NIK region code, birth place, origin region, address)
ORIGINS = (
    ("3506", "Kediri", "Kabupaten Kediri, Jawa Timur", "Desa Pare RT 003 RW 002, Kec. Pare"),
    ("3510", "Banyuwangi", "Kabupaten Banyuwangi, Jawa Timur", "Dusun Krajan RT 001 RW 004, Kec. Muncar"),
    ("3578", "Surabaya", "Kota Surabaya, Jawa Timur", "Jl. Kapasan Dalam No. 12"),
    ("3273", "Bandung", "Kota Bandung, Jawa Barat", "Jl. Cibadak Gg. Sukamulya No. 7"),
    ("3201", "Bogor", "Kabupaten Bogor, Jawa Barat", "Kp. Cibeureum RT 002 RW 005"),
    ("3374", "Semarang", "Kota Semarang, Jawa Tengah", "Jl. Bandarharjo No. 30"),
    ("5371", "Kupang", "Kota Kupang, Nusa Tenggara Timur", "Kel. Oesapa RT 010 RW 003"),
    ("1571", "Jambi", "Kota Jambi, Jambi", "Kel. Payo Selincah RT 015"),
    ("1271", "Medan", "Kota Medan, Sumatera Utara", "Jl. Bromo Gg. Sehati No. 4"),
)
AID = (("kemensos_transfer", 5_050_000, "Kementerian Sosial RI"),
       ("ticket", 1_500_000, "APBD Kota Jambi"),
       ("living_allowance", 1_800_000, "APBD Kota Jambi"),
       ("business_capital", 3_000_000, "APBD Kota Jambi"),
       ("transport", 250_000, "APBD Kota Jambi"))


def _nik(rng, region: str, birth: dt.date) -> str:
    district = f"{rng.randint(1, 20):02d}"
    return f"{region}{district}{birth.day + 40:02d}{birth.month:02d}{birth.year % 100:02d}{rng.randint(1, 9999):04d}"


def people(count: int = 80, seed: int = 2024):
    rng = random.Random(seed)
    for i in range(count):
        first, family = rng.choice(FIRST), rng.choice(FAMILY)
        region, place, origin, address = rng.choice(ORIGINS)
        birth = dt.date(rng.randint(1978, 2004), rng.randint(1, 12), rng.randint(1, 28))
        person = {
            "full_name": f"{first} {family}".strip(),
            "birth_place": place, "birth_date": birth.isoformat(),
            "origin_address": address, "origin_region": origin,
            "facility": FACILITIES[i % 2] if i < 60 else FACILITIES[0],
        }
        if rng.random() < 0.8:  # many have no e-KTP
            person["nik"] = _nik(rng, region, birth)
        yield person, rng


def set_office(db) -> None:
    """Give the archive the demo office (complete and valid): its letters are then real
    letters with numbers, not samples. The benches start from it too."""
    current = office.get_all(db)
    settings, problems = office.check(OFFICE, current)
    assert not problems, problems
    with write_transaction(db):
        office.save(db, settings, current)


def load(db, user: dict | None, *, count: int = 80) -> list[int]:
    """Add the demo office's settings, cases and aid; return the new case ids."""
    if db["cases"].count:
        raise ValueError("the archive already holds cases; the demo goes into an empty archive")
    set_office(db)
    ids = []
    for person, rng in people(count):
        case, _warnings = create_case(db, {**person, "allow_duplicate": True}, user)
        ids.append(case["id"])
        for kind, amount, source in rng.sample(AID, rng.randint(1, 4)):
            add_aid(db, case["id"], {"kind": kind, "amount": amount, "source": source}, user,
                    ceiling=1_000_000_000)
    _past_ceremony(db, ids[:12], user)
    return ids


def _past_ceremony(db, case_ids: list[int], user) -> None:
    """The release of 12 women last July, as the Jambi reports describe one."""
    from ..ceremonies import records
    records.create(db, {
        "title": "Pelepasan dan Pemulangan Penerima Manfaat ke Daerah Asal Tahap I",
        "date": dt.date(office_today().year - 1, 7, 31).isoformat(),
        "place": "Aula Rumah Dinas Wali Kota Jambi",
        "officials": [{"name": "Dra. Hj. Rosmawati, M.Si.", "title": "Kepala Dinas Sosial Kota Jambi",
                       "rank": "Pembina Utama Muda (IV/c)", "nip": "196805121994032004"},
                      {"name": "Mulyadi, S.H.", "title": "Kepala Satuan Polisi Pamong Praja Kota Jambi",
                       "rank": "Pembina Tingkat I (IV/b)", "nip": "197209151998031004"}],
        "case_ids": case_ids}, user)
