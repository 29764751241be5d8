"""Languages: Indonesian unless the signed-in user chose English (users.locale). The
browser's Accept-Language is deliberately ignored (API.md): an office PC set up in English
must not turn the clerks' screens English.

Message ids are the Indonesian text; service/translations/en holds the English catalogue.
Also here: the Jinja filters for Indonesian formats, and the translation of the reasons
the record layer gives (in English, as the API returns them) into what a clerk reads.
"""

import re

from babel.dates import format_date, format_datetime
from flask_babel import Babel, get_locale, gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..clock import office_time
from ..http import reasons as reasons_table
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
    moment = office_time(value)
    pattern = "d MMMM y, HH.mm" if _lang() == "id" else "d MMMM y, HH:mm"
    return format_datetime(moment, pattern, locale=_lang())


# The record layer's reasons in the reader's words: service/http/reasons.py (the import
# problems the API words in Indonesian use them too).
reason = reasons_table.reason

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
FIELD_LABELS = reasons_table.FIELD_LABELS
field_reason = reasons_table.field_reason


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
