"""NIK (Nomor Induk Kependudukan) checks with python-stdnum.

A malformed NIK is rejected. A NIK whose embedded birth date disagrees with the birth
date typed is kept as written (the number on the card is what it is) and only warned
about. Many women have no e-KTP: an empty NIK is fine.
"""

import datetime as dt
from dataclasses import dataclass, field

from stdnum import exceptions
from stdnum.id import nik as stdnik


@dataclass
class NikCheck:
    value: str | None             # the compact NIK, or None when none was given
    error: str | None = None      # why it is rejected (Indonesian users see a translation)
    warnings: list[str] = field(default_factory=list)


_REASONS = {
    exceptions.InvalidLength: "NIK must have 16 digits",
    exceptions.InvalidFormat: "NIK must contain digits only",
    exceptions.InvalidComponent: "NIK has an unknown region code or an impossible birth date",
}


def check_nik(raw, birth_date: dt.date | None = None) -> NikCheck:
    if raw is None or str(raw).strip() == "":
        return NikCheck(None)
    compact = stdnik.compact(str(raw))
    try:
        stdnik.validate(compact)
    except exceptions.ValidationError as exc:
        reason = next((text for cls, text in _REASONS.items() if isinstance(exc, cls)),
                      "NIK is not valid")
        return NikCheck(None, error=reason)
    embedded = _embedded_birth_date(compact)
    if embedded is None:
        return NikCheck(None, error="NIK has an impossible birth date (digits 7 to 12)")
    check = NikCheck(compact)
    if birth_date is not None:
        if (embedded.day, embedded.month, embedded.year % 100) != (
                birth_date.day, birth_date.month, birth_date.year % 100):
            check.warnings.append(
                "the birth date in the NIK differs from the birth date given")
    return check


def _embedded_birth_date(compact: str) -> dt.date | None:
    """DDMMYY at digits 7-12, women's day plus 40. Checked here because stdnum folds
    any day number into range (it reads day 99 as the 19th)."""
    day, month, year = int(compact[6:8]), int(compact[8:10]), int(compact[10:12])
    if day > 40:
        day -= 40
    try:
        # Only day and month can be impossible; the century is a guess either way.
        return dt.date(2000 + year, month, day) if (month, day) != (2, 29) else dt.date(2000, 2, 29)
    except ValueError:
        return None
