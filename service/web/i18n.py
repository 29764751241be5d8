"""Languages: Indonesian unless the signed-in user chose English (users.locale). The
browser's Accept-Language is deliberately ignored (API.md): an office PC set up in English
must not turn the clerks' screens English.

Message ids are the Indonesian text; service/translations/en holds the English catalogue.
Also here: the Jinja filters for Indonesian formats, and the translation of the reasons
the record layer gives (in English, as the API returns them) into what a clerk reads.
"""

import datetime as dt
import re

from babel.dates import format_date, format_datetime
from flask_babel import Babel, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..clock import OFFICE_TZ
from ..records import formats, kinds

LOCALES = ("id", "en")
LOCALE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
babel = Babel()


def select_locale() -> str:
    if current_user and current_user.is_authenticated and current_user.locale in LOCALES:
        return current_user.locale
    return "id"


def _lang() -> str:
    return str(get_locale() or "id")


def tanggal(value) -> str:
    """31 Juli 2024 (DOMAIN.md); 31 July 2024 for an English screen."""
    if _lang() == "id":
        return formats.tanggal(value)
    d = formats.as_date(value)
    return format_date(d, "d MMMM y", locale="en") if d else formats.EMPTY


def waktu(value) -> str:
    """A stored UTC timestamp as the office's local date and time: 31 Juli 2024 14.05."""
    if not value:
        return formats.EMPTY
    moment = dt.datetime.fromisoformat(str(value)).astimezone(OFFICE_TZ)
    pattern = "d MMMM y, HH.mm" if _lang() == "id" else "d MMMM y, HH:mm"
    return format_datetime(moment, pattern, locale=_lang())


# The record layer's reasons, as the API sends them, and what a clerk reads instead.
_REASONS = [
    (r"is required", lambda m: gettext("wajib diisi")),
    (r"must be text", lambda m: gettext("harus berupa teks")),
    (r"must be at most (\d+) characters", lambda m: gettext("paling banyak %(n)s karakter", n=m[1])),
    (r"contains control characters", lambda m: gettext("berisi karakter yang tidak diizinkan")),
    (r"must be a date written (YYYY-MM-DD|dd/mm/yyyy)",
     lambda m: gettext("tidak dapat dibaca; tulis hari/bulan/tahun (hh/bb/tttt)")),
    (r"a NIP has 18 digits", lambda m: gettext("NIP harus 18 angka")),
    (r"at most (\d+) officials", lambda m: gettext("paling banyak %(n)s pejabat", n=m[1])),
    (r"must not be before (\S+)", lambda m: gettext("tidak boleh sebelum %(d)s", d=tanggal(m[1]))),
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
]
_COMPILED = [(re.compile(rf"^{pattern}$"), say) for pattern, say in _REASONS]

# Why a template could not be filled (letters/render.py RenderError.what), in staff terms.
_RENDER_FAILURES = {
    "syntax": lambda n: gettext("ada tag yang salah tulis"),
    "undefined": lambda n: gettext("templat memakai nama atau nilai yang tidak ada pada surat ini"),
    "forbidden": lambda n: gettext("templat mencoba sesuatu yang tidak diizinkan"),
    "time": lambda n: gettext("pengisiannya lebih lama dari %(seconds)s detik",
                              seconds="%g" % n.get("seconds", 0)),
    "loops": lambda n: gettext("perulangannya berjalan lebih dari %(times)s kali", times=n.get("times")),
    "text": lambda n: gettext("templat membuat teks jauh lebih banyak daripada isi sebuah surat"),
    "value": lambda n: gettext("templat membuat nilai yang jauh lebih besar daripada yang "
                               "diperlukan surat"),
    "recursion": lambda n: gettext("templat memanggil dirinya sendiri terlalu dalam"),
    "data": lambda n: gettext("data surat ini tidak cocok dengan yang dilakukan templat "
                              "terhadapnya (%(error)s)", error=n.get("error", "")),
    "outside": lambda n: gettext("templat merujuk ke sesuatu di luar dokumen"),
    "unreadable": lambda n: gettext("berkas templat tidak dapat dibuka sebagai dokumen Word"),
}


def render_failure(exc) -> str:
    """A RenderError as a clerk reads it: which template, what went wrong, what to do.
    Built from the error's codes and numbers only (its message has no letter data either)."""
    about = exc.about
    why = _RENDER_FAILURES.get(exc.what, lambda n: reason(exc.message))(exc.numbers)
    if about is None or not about.kind:
        return gettext("Templat tidak dapat diisi untuk surat ini: %(why)s.", why=why)
    return gettext("Templat %(kind)s versi %(version)s tidak dapat diisi untuk surat ini: "
                   "%(why)s. Minta admin memeriksa templat itu.",
                   kind=KIND_LABELS.get(about.kind, about.kind), version=about.version or "?",
                   why=why)


def reason(text: str) -> str:
    """The clerk's wording of one reason; an unknown one is shown as it is."""
    for pattern, say in _COMPILED:
        match = pattern.match(text or "")
        if match:
            return say(match)
    return text


def reasons(fields: dict) -> dict:
    """{field: "Judul wajib diisi"}: each field's reason, named, in the reader's language."""
    return {name: field_reason(name, why) for name, why in (fields or {}).items()}


def _translated(labels: dict) -> dict:
    """The record layer's Indonesian labels (service/records/kinds.py, where pybabel
    finds them), each looked up in the reader's language when shown."""
    return {key: _l(label) for key, label in labels.items()}


AID_LABELS = _translated(kinds.AID_KINDS)
KIND_LABELS = _translated(kinds.KIND_LABELS)
STATUS_LABELS = _translated(kinds.STATUS_LABELS)
CASE_STATUS_LABELS = _translated(kinds.CASE_STATUS_LABELS)
# A print job's state as the clerk reads it (the API keeps the codes).
JOB_STATES = {
    "queued": _l("antre"),
    "running": _l("diproses"),
    "done": _l("selesai"),
    "failed": _l("gagal"),
    "cancelled": _l("dibatalkan"),
}
# What changed in a letter already issued (service/letters/facts.py's groups).
CHANGE_LABELS = {
    "identity": _l("identitas"),
    "aid": _l("bantuan"),
    "release": _l("data pelepasan"),
    "ceremony": _l("data upacara"),
    "people": _l("daftar penerima manfaat"),
    "unknown": _l("data surat lama tidak tercatat"),
}
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
    said = reason(why)
    label = FIELD_LABELS.get(name)
    if label and said[:1].islower():
        return f"{label} {said}"
    return said[:1].upper() + said[1:]


ROLE_LABELS = {
    "admin": _l("Admin"),
    "supervisor": _l("Supervisor"),
    "staff": _l("Staf"),
    "auditor": _l("Auditor"),
}


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "id")
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Jakarta")
    babel.init_app(app, locale_selector=select_locale)
    filters = dict(formats.FILTERS, tanggal=tanggal, waktu=waktu, reason=reason,
                   ddmmyyyy=formats.ddmmyyyy)
    app.jinja_env.filters.update(filters)
    app.jinja_env.globals.update(
        AID_LABELS=AID_LABELS, KIND_LABELS=KIND_LABELS, STATUS_LABELS=STATUS_LABELS,
        ROLE_LABELS=ROLE_LABELS, LOCALE_NAMES=LOCALE_NAMES, current_lang=_lang,
        CHANGE_LABELS=CHANGE_LABELS, CASE_STATUS_LABELS=CASE_STATUS_LABELS, JOB_STATES=JOB_STATES,
        field_reason=field_reason)
