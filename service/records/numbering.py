"""Letter numbers and case numbers.

A sequence is per kind per year. `next_value` must be called inside a write transaction
(db.write_transaction): BEGIN IMMEDIATE holds the write lock from the read of the counter
to the insert of the document row, so two requests can never get the same number, and a
number once handed out is never handed out again.
"""

import datetime as dt
import string

from ..errors import InvalidInput
from .formats import romawi

PATTERN_FIELDS = {"code", "seq", "unit", "month", "month_roman", "year", "kind"}


def next_value(db, name: str, year: int) -> int:
    db.execute(
        "INSERT INTO counters (name, year, value) VALUES (?, ?, 1) "
        "ON CONFLICT (name, year) DO UPDATE SET value = value + 1",
        [name, year])
    return db.execute("SELECT value FROM counters WHERE name = ? AND year = ?",
                      [name, year]).fetchone()[0]


def check_pattern(pattern: str) -> None:
    """Refuse a pattern that names unknown fields or lacks the sequence."""
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(pattern) if f}
    except ValueError as exc:
        raise InvalidInput("bad letter-number pattern", fields={"pattern": str(exc)}) from exc
    unknown = names - PATTERN_FIELDS
    if unknown:
        raise InvalidInput("bad letter-number pattern",
                           fields={"pattern": f"unknown fields: {', '.join(sorted(unknown))}"})
    if "seq" not in names:
        raise InvalidInput("bad letter-number pattern", fields={"pattern": "must contain {seq}"})


def check_distinct(patterns: dict, codes: dict) -> None:
    """Sequences are per kind, so two kinds with the same pattern and code would print
    the same numbers. Refuse such settings before they reach a letter."""
    seen = {}
    for kind, pattern in patterns.items():
        key = (pattern, codes.get(kind, "")) if "{kind}" not in pattern else (kind,)
        if key in seen:
            raise InvalidInput("two kinds of letter would get the same numbers", fields={
                f"number_codes.{kind}": f"same pattern and code as {seen[key]}; give it its own code"})
        seen[key] = kind


def format_number(pattern: str, *, seq: int, kind: str, code: str, unit: str, on: dt.date) -> str:
    return pattern.format(seq=seq, kind=kind, code=code, unit=unit, month=on.month,
                          month_roman=romawi(on.month), year=on.year)


def case_number(prefix: str, year: int, seq: int) -> str:
    return f"{prefix}-{year}-{seq:04d}"
