"""A refusal from the record layer (InvalidInput, Conflict) as the sentences a clerk reads:
the woman named, not her case id; no field or kind codes ("kinds", "aid_receipt"). The
API keeps its codes and English reasons; only the pages say it this way. An unknown
refusal falls back to "<field> <reason>" in her words (service/web/i18n.py)."""

from flask_babel import gettext as _

from ..records.cases import get_case
from ..errors import NotFound
from .i18n import CASE_STATUS_LABELS, field_reason


def _name(db, case_id) -> str:
    try:
        return get_case(db, case_id)["full_name"]
    except (NotFound, TypeError, ValueError):
        return _("penerima manfaat yang dipilih")


def refusal(db, exc) -> list[str]:
    """Sentences for `exc`, one per problem."""
    extra, message = exc.extra, exc.message
    if message == "a receipt needs aid":
        return [_("%(name)s belum punya bantuan yang dicatat. Catat bantuannya dulu, atau jangan "
                  "pilih Tanda Terima Bantuan.", name=extra.get("full_name") or _name(db, extra.get("case_id")))]
    if message == "the ceremony has no cases":
        return [_("Pelepasan ini belum berisi penerima manfaat. Tambahkan dulu.")]
    if message == "a print job for this ceremony is already running":
        return [_("Cetakan untuk pelepasan ini sedang berjalan. Tunggu sampai selesai, atau "
                  "batalkan dulu dari halaman cetakan.")]
    if message == "a case is already in a ceremony":
        conflicts = extra.get("conflicts") or [{}]
        return [_("%(name)s sudah masuk pelepasan lain.", name=_name(db, c.get("case_id")))
                for c in conflicts]
    if message == "only open cases can be released":
        case_id = extra.get("case_id")
        return [_("%(name)s tidak dapat dipulangkan lagi: kasusnya sudah %(status)s.",
                  name=_name(db, case_id), status=_case_status(db, case_id))]
    if message == "the print request has invalid fields" and "kinds" in exc.fields:
        return [_("Pilih paling sedikit satu jenis surat untuk dicetak.")]
    return [field_reason(name, why) for name, why in exc.fields.items()] or [_("Permintaan tidak dapat diproses.")]


def _case_status(db, case_id) -> str:
    row = db.execute("SELECT status FROM cases WHERE id = ?", [case_id]).fetchone()
    return CASE_STATUS_LABELS.get(row[0], row[0]) if row else "-"
