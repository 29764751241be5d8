"""Invented sample data for template previews and tests.

Every person, number and official here is made up. The dictionaries have exactly the
keys the Word templates may use (see docs/templates.md), so a template that renders
with these renders with real data too.
"""

import datetime as dt

from ..records.kinds import AID_KINDS  # the seven aid kinds, in roster order, with labels
from ..records.formats import nik_mask

OFFICE = {
    "name": "DINAS SOSIAL",
    "parent": "PEMERINTAH KOTA JAMBI",
    "address": "Jalan Jenderal Sudirman No. 1, Thehok, Kota Jambi 36122",
    "city": "Jambi",
    "unit": "DINSOS",
    "phone": "(0741) 000000",
    "email": "dinsos@jambikota.go.id",
}

OFFICIALS = {
    "head": {"name": "Dra. Hj. Rosmawati, M.Si.", "title": "Kepala Dinas Sosial Kota Jambi",
             "nip": "196805121994032004"},
    "treasurer": {"name": "Yuliana Sari, S.E.", "title": "Bendahara Pengeluaran",
                  "nip": "198507222010012015"},
    "witness": {"name": "Ahmad Fauzi, S.Sos.", "title": "Pekerja Sosial",
                "nip": "199003152015031002"},
}

FACILITY = "Rumah Singgah Dinas Sosial Kota Jambi"
CEREMONY_DATE = dt.date(2024, 7, 31)


def aid_item(kind: str, amount: int, source: str, description: str = "") -> dict:
    return {"kind": kind, "label": AID_KINDS[kind], "amount": amount, "source": source,
            "description": description}


def case(full_name, nik, birth_place, birth_date, origin_address, origin_region,
         case_number, aid_items, notes="") -> dict:
    """A case as the case documents see it."""
    return {
        "full_name": full_name,
        "nik": nik,
        "nik_masked": nik_mask(nik),
        "birth_place": birth_place,
        "birth_date": birth_date,
        "origin_address": origin_address,
        "origin_region": origin_region,
        "facility": FACILITY,
        "case_number": case_number,
        "notes": notes,
        "aid_items": aid_items,
        "aid_total": sum(item["amount"] for item in aid_items),
    }


def _standard_aid(ticket: int) -> list[dict]:
    return [
        aid_item("business_capital", 3_000_000, "APBD Kota Jambi TA 2024",
                 "Modal usaha warung kelontong"),
        aid_item("ticket", ticket, "APBD Kota Jambi TA 2024", "Tiket bus ke daerah asal"),
        aid_item("living_allowance", 2_250_000, "Kementerian Sosial RI",
                 "Jatah hidup 3 bulan"),
    ]


def _cases() -> list[dict]:
    return [
        case("Sulastri", "3510154506890003", "Banyuwangi", dt.date(1989, 6, 5),
             "Dusun Krajan RT 002 RW 001, Desa Kedungringin, Kecamatan Muncar",
             "Banyuwangi, Jawa Timur", "JMB-2024-0013", _standard_aid(1_750_000)),
        case("Nur Hayati", "3578064811920002", "Surabaya", dt.date(1992, 11, 8),
             "Jalan Kedung Cowek Gang III No. 14, Kelurahan Tanah Kali Kedinding",
             "Surabaya, Jawa Timur", "JMB-2024-0014", _standard_aid(1_500_000)),
        case("Siti Aminah", "", "Indramayu", None,
             "Blok Karangsinom RT 005 RW 002, Desa Juntinyuat",
             "Indramayu, Jawa Barat", "JMB-2024-0015",
             _standard_aid(1_500_000) + [aid_item("transport", 250_000,
                                                  "APBD Kota Jambi TA 2024",
                                                  "Transportasi lokal ke terminal")],
             notes="Belum memiliki e-KTP; dokumen kependudukan diurus di daerah asal."),
        case("Maria Goreti Lawa", "5371025007950001", "Kupang", dt.date(1995, 7, 10),
             "RT 011 RW 004, Kelurahan Alak, Kecamatan Alak", "Kota Kupang, NTT",
             "JMB-2024-0016", _standard_aid(2_000_000)),
        case("Rina Marlina", "1571036302900004", "Jambi", dt.date(1990, 2, 23),
             "Lorong Pinang RT 018, Kelurahan Payo Selincah, Kecamatan Paal Merah",
             "Kota Jambi, Jambi", "JMB-2024-0017",
             [aid_item("business_capital", 3_000_000, "APBD Kota Jambi TA 2024",
                       "Modal usaha kue kering"),
              aid_item("equipment", 850_000, "APBD Kota Jambi TA 2024",
                       "Satu buah mixer dan satu buah blender")]),
    ]


def sample_case_context() -> dict:
    """Context of a case document (pledge, aid receipt, per-person release report)."""
    context = _cases()[0]
    context.update(
        number="460/013/DINSOS/VII/2024",
        date=CEREMONY_DATE,
        office=dict(OFFICE),
        office_logo="",
        officials={role: dict(person) for role, person in OFFICIALS.items()},
        release={"date": CEREMONY_DATE, "place": "Aula Rumah Dinas Wali Kota Jambi",
                 "destination": "Banyuwangi, Jawa Timur"},
    )
    return context


def ceremony_context(cases: list[dict], **overrides) -> dict:
    """Context of a ceremony document built from case dicts (as `case()` makes them):
    numbers the cases, adds `destination` (origin region unless given) and `aid_by_kind`,
    and sums the aid per kind. Tests use it to make rosters of any size."""
    rows, totals = [], {kind: 0 for kind in AID_KINDS}
    for no, person in enumerate(cases, start=1):
        by_kind = {kind: 0 for kind in AID_KINDS}
        for item in person["aid_items"]:
            by_kind[item["kind"]] += item["amount"]
            totals[item["kind"]] += item["amount"]
        rows.append({**person, "no": no,
                     "destination": person.get("destination") or person["origin_region"],
                     "aid_by_kind": by_kind})
    context = {
        "ceremony": {
            "title": "Pelepasan dan Pemulangan Penerima Manfaat Eks Lokalisasi Payo "
                     "Sigadung ke Daerah Asal",
            "date": CEREMONY_DATE,
            "place": "Aula Rumah Dinas Wali Kota Jambi",
            "officials": [
                {"name": "Drs. H. Sri Purwanto, M.M.", "title": "Penjabat Wali Kota Jambi",
                 "nip": "196703041993031005"},
                {"name": "Hendra Wijaya, S.Sos., M.Si.",
                 "title": "Kepala Sentra Alyatama Jambi, Kementerian Sosial RI",
                 "nip": "197511202000031002"},
                {"name": OFFICIALS["head"]["name"], "title": OFFICIALS["head"]["title"],
                 "nip": OFFICIALS["head"]["nip"]},
                {"name": "Mulyadi, S.H.", "title": "Kepala Satuan Polisi Pamong Praja Kota Jambi",
                 "nip": "197209151998031004"},
            ],
        },
        "cases": rows,
        "aid_columns": [{"kind": kind, "label": label} for kind, label in AID_KINDS.items()
                        if totals[kind]],
        "totals_by_kind": totals,
        "grand_total": sum(totals.values()),
        "number": "460/014/DINSOS/VII/2024",
        "date": CEREMONY_DATE,
        "office": dict(OFFICE),
        "office_logo": "",
        "officials": {role: dict(person) for role, person in OFFICIALS.items()},
    }
    context.update(overrides)
    return context


def sample_ceremony_context() -> dict:
    """Context of a ceremony document (aid roster, ceremony release report)."""
    return ceremony_context(_cases())


# The "full" samples: every optional value filled, every aid kind, notes, a logo. The
# upload check renders each template with the sparse sample above and with these, so a
# branch that only prints when something is present ({% if office_logo %}, {% if notes %})
# runs before the template is kept, not first on a real woman's letter.

_FULL_NOTES = ("Sudah memiliki e-KTP; keluarga menjemput di terminal. Catatan panjang: "
               "dokumen kependudukan lengkap, surat keterangan domisili dari kelurahan.")


def _every_aid() -> list[dict]:
    return [aid_item(kind, 100_000 * (n + 1), "APBD Kota Jambi TA 2024", f"Keterangan {label}")
            for n, (kind, label) in enumerate(AID_KINDS.items())]


def _full_case() -> dict:
    return case("Siti Nurhaliza binti Abdullah", "3510154506890003", "Banyuwangi",
                dt.date(1989, 6, 5), "Dusun Krajan RT 002 RW 001, Desa Kedungringin",
                "Banyuwangi, Jawa Timur", "JMB-2024-0099", _every_aid(), notes=_FULL_NOTES)


def full_case_context() -> dict:
    """sample_case_context with every optional value filled and every aid kind."""
    context = sample_case_context()
    context.update(_full_case())
    return context


def full_ceremony_context() -> dict:
    """sample_ceremony_context with every aid kind given and every woman's notes filled."""
    people = [dict(person, notes=person["notes"] or _FULL_NOTES) for person in _cases()]
    return ceremony_context(people + [_full_case()])


# A 1 × 1 PNG: the logo of the full samples (any picture exercises the same template paths).
SAMPLE_LOGO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408"
    "d763606060000000040001f61738550000000049454e44ae426082")
