"""Invented sample data for template previews and tests.

Every person, number and official here is made up. The contexts are built by the same
functions as real letters (context.py), so they have exactly the keys the Word templates
may use (docs/templates.md): a template that renders with these renders with real data
too.
"""

import copy
import datetime as dt

from ..records import office
from ..records.kinds import AID_KINDS, AID_PHRASES, default_fund
from .context import case_document_context, ceremony_document_context

OFFICE = {
    "name": "Dinas Sosial",
    "region": "Pemerintah Kota Jambi",
    "address": "Jalan Jenderal Sudirman No. 1, Thehok, Kota Jambi 36122",
    "city": "Jambi",
    "unit": "DINSOS",
    "phone": "(0741) 000000",
    "email": "dinsos@jambikota.go.id",
}

OFFICIALS = {
    "head": {"name": "Dra. Hj. Rosmawati, M.Si.", "title": "Kepala Dinas Sosial Kota Jambi",
             "rank": "Pembina Utama Muda (IV/c)", "nip": "196805121994032004"},
    "treasurer": {"name": "Yuliana Sari, S.E.", "title": "Bendahara Pengeluaran",
                  "rank": "Penata Muda Tingkat I (III/b)", "nip": "198507222010012015"},
    "witness": {"name": "Ahmad Fauzi, S.Sos.", "title": "Pekerja Sosial Ahli Pertama",
                "rank": "Penata Muda (III/a)", "nip": "199003152015031002"},
}

FACILITY = "Rumah Singgah Dinas Sosial Kota Jambi"
CEREMONY_DATE = dt.date(2024, 7, 31)
PLACE = "Aula Rumah Dinas Wali Kota Jambi"
CASE_NUMBER = "400/013/DINSOS/2024"
CEREMONY_NUMBER = "400/014/DINSOS/2024"


def settings(**changes) -> dict:
    """The invented office's settings, as office.get_all gives them; `changes` replace
    whole groups ("stamp_duty", "receipts", "layout" …)."""
    found = copy.deepcopy(office.DEFAULTS)
    found["office"].update(OFFICE)
    found["officials"] = copy.deepcopy(OFFICIALS)
    found.update(copy.deepcopy(changes))
    return found


def aid_item(kind: str, amount: int, source: str, description: str = "", fund: str = "") -> dict:
    """An aid item as the records give it (label, in-sentence label, fund)."""
    fund = fund or default_fund(kind, source)
    return {"kind": kind, "label": AID_KINDS[kind], "label_lower": AID_PHRASES[kind],
            "amount": amount, "fund": fund, "source": source, "description": description}


def case(full_name, nik, birth_place, birth_date, origin_address, origin_region,
         case_number, aid_items, notes="", destination="") -> dict:
    """A case as the records give it, with its aid items under "aid_items"."""
    return {
        "full_name": full_name, "nik": nik, "birth_place": birth_place,
        "birth_date": birth_date, "origin_address": origin_address,
        "origin_region": origin_region, "facility": FACILITY, "case_number": case_number,
        "paper_notes": notes, "aid_items": aid_items, "destination": destination,
    }


def _standard_aid(ticket: int) -> list[dict]:
    return [
        aid_item("business_capital", 3_000_000, "APBD Kota Jambi",
                 "Modal usaha warung kelontong"),
        aid_item("ticket", ticket, "APBD Kota Jambi", "Tiket bus ke daerah asal"),
        aid_item("kemensos_transfer", 5_050_000, "Kementerian Sosial RI",
                 "Bantuan usaha dan jatah hidup, ditransfer ke rekening penerima"),
    ]


def people() -> list[dict]:
    """The five invented women (as `case()` makes them), with their aid."""
    return _cases()


def _cases() -> list[dict]:
    return [
        case("Sulastri", "3510154506890003", "Banyuwangi", dt.date(1989, 6, 5),
             "Dusun Krajan RT 002 RW 001, Desa Kedungringin, Kecamatan Muncar",
             "Banyuwangi, Jawa Timur", "JMB-2024-0013", _standard_aid(1_750_000)),
        # The first woman's papers are the sparse sample (no notes); the full sample
        # (upload check) fills every optional value.
        case("Nur Hayati", "3578064811920002", "Surabaya", dt.date(1992, 11, 8),
             "Jalan Kedung Cowek Gang III No. 14, Kelurahan Tanah Kali Kedinding",
             "Surabaya, Jawa Timur", "JMB-2024-0014", _standard_aid(1_500_000),
             notes="Didampingi pekerja sosial sampai ke terminal keberangkatan."),
        case("Siti Aminah", "", "Indramayu", None,
             "Blok Karangsinom RT 005 RW 002, Desa Juntinyuat",
             "Indramayu, Jawa Barat", "JMB-2024-0015",
             _standard_aid(1_500_000) + [aid_item("transport", 250_000, "APBD Kota Jambi",
                                                  "Transportasi lokal ke terminal")]),
        case("Maria Goreti Lawa", "5371025007950001", "Kupang", dt.date(1995, 7, 10),
             "RT 011 RW 004, Kelurahan Alak, Kecamatan Alak", "Kota Kupang, NTT",
             "JMB-2024-0016", _standard_aid(2_000_000)),
        case("Rina Marlina", "1571036302900004", "Jambi", dt.date(1990, 2, 23),
             "Lorong Pinang RT 018, Kelurahan Payo Selincah, Kecamatan Paal Merah",
             "Kota Jambi, Jambi", "JMB-2024-0017",
             [aid_item("business_capital", 3_000_000, "APBD Kota Jambi",
                       "Modal usaha kue kering"),
              aid_item("equipment", 850_000, "APBD Kota Jambi",
                       "Satu buah mixer dan satu buah blender")]),
    ]


def _images(context: dict) -> dict:
    context.update(office_logo="", unit_logo="")
    return context


def case_document(person: dict, kind: str = "pledge", *, number: str = CASE_NUMBER,
                  office_settings: dict | None = None, **overrides) -> dict:
    """A case document's context for `person` (as `case()` makes one), with the logo keys
    a preview renders without logos."""
    context = case_letter(person, kind, number=number, office_settings=office_settings)
    context.update(overrides)
    return _images(context)


def case_letter(person: dict, kind: str, *, number: str,
                office_settings: dict | None = None) -> dict:
    """The same context as a real letter has it, without logo keys (the render adds the
    logos): the shape a print job's combined template is made and cached for."""
    return case_document_context(
        person, person["aid_items"], office_settings or settings(), kind=kind, number=number,
        issued_on=CEREMONY_DATE,
        release={"date": CEREMONY_DATE, "place": PLACE, "destination": _destination(person)})


def _destination(person: dict) -> str:
    return person.get("destination") or person["origin_region"]


def sample_case_context(kind: str = "pledge") -> dict:
    """Context of a case document (pledge, receipts, per-person release report)."""
    return case_document(_cases()[0], kind)


CEREMONY = {
    "title": "Pelepasan dan Pemulangan Penerima Manfaat ke Daerah Asal",
    "date": CEREMONY_DATE,
    "place": PLACE,
    "officials": [
        {"name": "Drs. H. Sri Purwanto, M.M.", "title": "Penjabat Wali Kota Jambi",
         "rank": "", "nip": ""},
        {"name": "Hendra Wijaya, S.Sos., M.Si.",
         "title": "Kepala Sentra Alyatama Jambi, Kementerian Sosial RI",
         "rank": "Pembina (IV/a)", "nip": "197511202000031002"},
        dict(OFFICIALS["head"]),
        {"name": "Mulyadi, S.H.", "title": "Kepala Satuan Polisi Pamong Praja Kota Jambi",
         "rank": "Pembina Tingkat I (IV/b)", "nip": "197209151998031004"},
    ],
}


def ceremony_context(cases: list[dict], *, office_settings: dict | None = None,
                     ceremony: dict | None = None, **overrides) -> dict:
    """Context of a ceremony document built from case dicts (as `case()` makes them):
    numbers the cases, adds `destination` (origin region unless given) and `aid_by_kind`,
    and sums the aid per kind. Tests use it to make rosters of any size."""
    context = ceremony_letter(cases, number=CEREMONY_NUMBER, office_settings=office_settings,
                              ceremony=ceremony)
    context.update(overrides)
    return _images(context)


def ceremony_letter(cases: list[dict], *, number: str, office_settings: dict | None = None,
                    ceremony: dict | None = None) -> dict:
    """ceremony_context as a real letter has it, without logo keys (see case_letter)."""
    people = [(person, person["aid_items"], _destination(person)) for person in cases]
    return ceremony_document_context(people, ceremony or CEREMONY, office_settings or settings(),
                                     number=number, issued_on=CEREMONY_DATE)


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


def full_case_context(kind: str = "pledge") -> dict:
    """sample_case_context with every optional value filled and every aid kind."""
    return case_document(_full_case(), kind)


def full_ceremony_context() -> dict:
    """sample_ceremony_context with every aid kind given and every woman's notes filled."""
    people = [dict(person, paper_notes=person["paper_notes"] or _FULL_NOTES) for person in _cases()]
    return ceremony_context(people + [_full_case()])


# A 1 × 1 PNG: the logo of the full samples (any picture exercises the same template paths).
SAMPLE_LOGO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408"
    "d763606060000000040001f61738550000000049454e44ae426082")
