"""Small checks shared by every entry point (API, forms, imports): each returns the clean
value or raises FieldError with the reason, which callers gather per field."""

import datetime as dt
import unicodedata

from ..clock import office_today


class FieldError(ValueError):
    """The reason one field's value is refused."""


def _bad_char(ch: str, multiline: bool) -> bool:
    if multiline and ch in "\n\t":
        return False
    if ch in "\ufffe\uffff":
        return True
    return unicodedata.category(ch) in ("Cc", "Cs")


def text(value, *, max_len: int, required: bool = False, multiline: bool = False) -> str:
    """Free text: stripped; control characters (they corrupt Word XML) are refused."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldError("must be text")
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n")).strip()
    if required and not value:
        raise FieldError("is required")
    if len(value) > max_len:
        raise FieldError(f"must be at most {max_len} characters")
    if any(_bad_char(ch, multiline) for ch in value):
        raise FieldError("contains control characters")
    return value


def date(value, *, required: bool = False, not_future: bool = False,
         earliest: dt.date = dt.date(1900, 1, 1)) -> dt.date | None:
    if value in (None, ""):
        if required:
            raise FieldError("is required")
        return None
    if not isinstance(value, str):
        raise FieldError("must be a date written YYYY-MM-DD")
    try:
        parsed = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise FieldError("must be a date written YYYY-MM-DD") from None
    if parsed < earliest:
        raise FieldError(f"must not be before {earliest.isoformat()}")
    if not_future and parsed > office_today():
        raise FieldError("must not be in the future")
    return parsed


def whole_number(value, *, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise FieldError("must be a whole number")
    if not minimum <= value <= maximum:
        raise FieldError(f"must be between {minimum:,} and {maximum:,}".replace(",", "."))
    return value


def choice(value, choices) -> str:
    if value not in choices:
        raise FieldError(f"must be one of: {', '.join(choices)}")
    return value


def flag(value) -> bool:
    if not isinstance(value, bool):
        raise FieldError("must be true or false")
    return value


def collect(data: dict, checks: dict, *, unknown_allowed=()) -> tuple[dict, dict]:
    """Run `checks` (field -> function of the raw value) over the fields present in
    `data`; return (clean values, {field: reason}). Unknown fields are reported too, so
    a typo is not silently ignored."""
    clean, problems = {}, {}
    if not isinstance(data, dict):
        return {}, {"body": "must be a JSON object"}
    for name in data:
        if name not in checks and name not in unknown_allowed:
            problems[name] = "unknown field"
    for name, check in checks.items():
        if name in data:
            try:
                clean[name] = check(data[name])
            except FieldError as exc:
                problems[name] = str(exc)
    return clean, problems
