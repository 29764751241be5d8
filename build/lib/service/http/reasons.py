"""The record layer's reasons (English, as the API returns them in `fields`) in the
reader's words: Indonesian, or English for a user who chose it. The pages show every
field problem through this table (service/web/i18n.py), and the import problems the
API words for the office's admins too (service/http/messages.py). An unknown reason is
shown as it is rather than hidden."""

import re

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from ..records import formats
from ..records.kinds import KIND_LABELS


def _tanggal(value) -> str:
    return formats.tanggal(value)


_REASONS = [
    (r"is required", lambda m: gettext("wajib diisi")),
    (r"must be text", lambda m: gettext("harus berupa teks")),
    (r"must be at most (\d+) characters", lambda m: gettext("paling banyak %(n)s karakter", n=m[1])),
    (r"contains control characters", lambda m: gettext("berisi karakter yang tidak diizinkan")),
    (r"must be a date written (YYYY-MM-DD|dd/mm/yyyy)",
     lambda m: gettext("tidak dapat dibaca; tulis hari/bulan/tahun (hh/bb/tttt)")),
    (r"a NIP has 18 digits", lambda m: gettext("NIP harus 18 angka")),
    (r"at most (\d+) officials", lambda m: gettext("paling banyak %(n)s pejabat", n=m[1])),
    (r"must not be before (\S+)", lambda m: gettext("tidak boleh sebelum %(d)s", d=_tanggal(m[1]))),
    (r"must not be in the future", lambda m: gettext("tidak boleh di masa depan")),
    (r"must be a whole number", lambda m: gettext("harus berupa angka bulat")),
    (r"must be between (\S+) and (\S+)",
     lambda m: gettext("harus antara %(a)s dan %(b)s", a=m[1], b=m[2])),
    (r"must be one of: .*", lambda m: gettext("pilihan tidak dikenal")),
    (r"NIK must have 16 digits", lambda m: gettext("NIK harus terdiri dari 16 angka")),
    (r"NIK must contain digits only", lambda m: gettext("NIK hanya boleh berisi angka")),
    (r"NIK has an unknown region code or an impossible birth date",
     lambda m: gettext("kode wilayah pada NIK tidak dikenal, atau tanggal lahir di dalamnya tidak mungkin")),
    (r"NIK has an impossible birth date.*",
     lambda m: gettext("tanggal lahir di dalam NIK (angka ke-7 sampai ke-12) tidak mungkin")),
    (r"NIK is not valid", lambda m: gettext("NIK tidak valid")),
    (r"already recorded on another case", lambda m: gettext("sudah tercatat pada kasus lain")),
    (r"the birth date in the NIK differs from the birth date given",
     lambda m: gettext("Tanggal lahir di dalam NIK berbeda dengan tanggal lahir yang diisi. "
                       "NIK tetap disimpan seperti tertulis; periksa kembali KTP-nya.")),
    (r"no aid items recorded on this case",
     lambda m: gettext("Belum ada bantuan yang dicatat untuk kasus ini.")),
    (r"must contain \{seq\}", lambda m: gettext("harus memuat {seq}")),
    (r"already taken", lambda m: gettext("sudah dipakai")),
    (r"use 1 to 64 letters, digits, dots, dashes or underscores",
     lambda m: gettext("pakai 1 sampai 64 huruf, angka, titik, tanda hubung atau garis bawah")),
    (r"must have at least (\d+) characters", lambda m: gettext("paling sedikit %(n)s karakter", n=m[1])),
    (r"unknown fields: (.*)", lambda m: gettext("kolom tidak dikenal: %(f)s", f=m[1])),
    # Uploads of scanned pages and the review tray (issue 13).
    (r"file (\d+): (.*)", lambda m: gettext("berkas ke-%(n)s: %(why)s", n=m[1], why=reason(m[2]))),
    (r"is empty", lambda m: gettext("berkasnya kosong")),
    (r"is larger than (\d+) MB", lambda m: gettext("lebih besar dari %(n)s MB", n=m[1])),
    (r"must be a PDF, JPEG or PNG file", lambda m: gettext("harus berkas PDF, JPEG atau PNG")),
    (r"is encrypted", lambda m: gettext("terkunci dengan kata sandi")),
    (r"is not a readable (PDF|JPEG|PNG)", lambda m: gettext("tidak dapat dibaca sebagai %(kind)s", kind=m[1])),
    (r"has no pages", lambda m: gettext("tidak berisi halaman")),
    (r"(?:has )?(\d+) pages; at most (\d+) an upload",
     lambda m: gettext("%(n)s halaman; paling banyak %(max)s halaman sekali unggah", n=m[1], max=m[2])),
    (r"has more than (\d+) million pixels", lambda m: gettext("lebih dari %(n)s juta piksel", n=m[1])),
    (r"at most (\d+) files an upload", lambda m: gettext("paling banyak %(n)s berkas sekali unggah", n=m[1])),
    (r"no such document", lambda m: gettext("surat tidak ditemukan")),
    (r"must be from 1 to (\d+)", lambda m: gettext("harus 1 sampai %(n)s", n=m[1])),
    (r"already signed", lambda m: gettext("halaman ini sudah punya salinan bertanda tangan")),
    (r"void", lambda m: gettext("surat ini sudah dibatalkan")),
    (r"superseded", lambda m: gettext("surat ini sudah diganti; pilih surat penggantinya")),
    # The office's set-up (service/records/office.py)
    (r"a NIP begins with a birth date \(YYYYMMDD\) and an appointment month \(YYYYMM\)",
     lambda m: gettext("8 angka pertama NIP adalah tanggal lahir (TTTTBBHH) dan 6 berikutnya "
                       "bulan pengangkatan (TTTTBB)")),
    (r"the 15th digit of a NIP is 1 \(man\) or 2 \(woman\)",
     lambda m: gettext("angka ke-15 NIP adalah 1 (laki-laki) atau 2 (perempuan)")),
    (r"use 1 to 10 capital letters or digits", lambda m: gettext("1 sampai 10 huruf besar atau angka")),
    (r"use letters, digits, dots or dashes \(it is part of letter numbers\)",
     lambda m: gettext("pakai huruf, angka, titik atau tanda hubung (kode ini masuk ke nomor surat)")),
    (r"must be an address such as .*",
     lambda m: gettext("isi alamat lengkap, misalnya https://pulang.dinsos.jambikota.go.id")),
    (r"must be an e-mail address", lambda m: gettext("alamat surel tidak valid")),
    (r"a classification code is digits and dots, such as 400\.9",
     lambda m: gettext("kode klasifikasi berupa angka dan titik, misalnya 400.9")),
    (r"the head of office signs beside this official: choose another person",
     lambda m: gettext("kepala dinas menandatangani surat yang sama dengan pejabat ini: pilih orang lain")),
    (r"same pattern and code as (\w+): .*",
     lambda m: gettext("pola dan kodenya sama dengan %(kind)s: beri kode sendiri, atau pakai satu "
                       "buku agenda untuk semua surat", kind=KIND_LABELS.get(m[1], m[1]))),
    (r"cannot be used as a letter-number pattern", lambda m: gettext("pola tidak dapat dipakai")),
    (r"must contain \{year\}", lambda m: gettext("harus memuat {year}")),
    (r"must be a number", lambda m: gettext("harus berupa angka")),
    (r"must be true or false", lambda m: gettext("harus ya atau tidak")),
    (r"unknown field", lambda m: gettext("kolom tidak dikenal")),
    (r"Kemensos money is central government money: apbn",
     lambda m: gettext("bantuan Kemensos adalah dana APBN")),
]
_COMPILED = [(re.compile(rf"^{pattern}$"), say) for pattern, say in _REASONS]


def reason(text: str) -> str:
    """The clerk's wording of one reason; an unknown one is shown as it is."""
    for pattern, say in _COMPILED:
        match = pattern.match(text or "")
        if match:
            return say(match)
    return text




# Field names as the record layer reports them, as a clerk calls them.
FIELD_LABELS = {
    "full_name": _l("Nama lengkap"), "nik": _l("NIK"), "birth_place": _l("Tempat lahir"),
    "birth_date": _l("Tanggal lahir"), "origin_address": _l("Alamat asal"),
    "origin_region": _l("Daerah asal"), "facility": _l("Lokasi"), "notes": _l("Catatan"),
    "title": _l("Judul"), "date": _l("Tanggal"), "place": _l("Tempat"),
    "officials": _l("Pejabat yang hadir"), "case_ids": _l("Penerima manfaat"),
    "kinds": _l("Jenis surat"), "copies": _l("Salinan"), "order": _l("Urutan"),
    "kind": _l("Jenis"), "amount": _l("Jumlah"), "source": _l("Sumber dana"),
    "description": _l("Keterangan"), "reason": _l("Alasan"), "destination": _l("Tujuan"),
    "q": _l("Kata pencarian"), "from": _l("Dari tanggal"), "to": _l("Sampai tanggal"),
    "page": _l("Halaman"), "username": _l("Nama pengguna"), "password": _l("Kata sandi"),
    "role": _l("Peran"), "status": _l("Status"), "file": _l("Berkas"),
}


def field_reason(name: str, why: str) -> str:
    """"Judul wajib diisi": the field as a clerk calls it, then the reason in her words
    (a reason that is already a sentence, "NIK harus terdiri dari 16 angka", stays so)."""
    label = FIELD_LABELS.get(name)
    if label and why == "is required":  # as the forms say it: "Title is required"
        return gettext("%(label)s wajib diisi", label=label)
    said = reason(why)
    if label and said[:1].islower():
        return f"{label} {said}"
    return said[:1].upper() + said[1:]
