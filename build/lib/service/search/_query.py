"""From the user's search box to a plan of exact term look-ups (no expansion at query time).

The query is split into words. Each word must match the case or one of its documents
(AND); a word matches if it is the case number, the letter number, the NIK, a word of the
facility or origin, a word of the letter text, or a name word in any of its forgiving
forms (see `_analysis`). Two adjacent query words may instead match one joined name word
("Nur Hayati" finds "Nurhayati"), and so may all of them together.

Boosts rank a name written exactly above its normalised, prefix and phonetic matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from . import _analysis as an

B_ID = 10.0      # case number, letter number, NIK: an exact identifier
B_RAW = 4.0      # the name word as written
B_NORM = 2.0     # the normalised spelling
B_PRE = 1.0      # a prefix of a normalised word
B_PHON = 0.75    # a Double Metaphone code
B_PLACE = 1.0    # facility and origin words
B_TEXT = 0.5     # the letter's text
B_JOINED = 0.8   # damping for words matched as one joined name word

CASE = "case"    # fields held by the case entry
DOC = "doc"      # fields held by document entries

_STRIP = ".,;:()[]{}\"'!?"


@dataclass
class NameForms:
    raw: set[str] = field(default_factory=set)
    norm: set[str] = field(default_factory=set)
    codes: set[str] = field(default_factory=set)


@dataclass
class ParsedQuery:
    """What the query looks for, kept for highlighting."""

    tokens: list[str] = field(default_factory=list)     # lower-cased, punctuation stripped
    digits: set[str] = field(default_factory=set)
    nik_terms: dict[str, str] = field(default_factory=dict)  # digits → their blind NIK term
    names: NameForms = field(default_factory=NameForms)
    places: set[str] = field(default_factory=set)
    text: set[str] = field(default_factory=set)


@dataclass
class Alt:
    """Terms that must all match in one entry, at one level (case entry or document)."""

    level: str
    terms: list[tuple[str, str, float]]


@dataclass
class Unit:
    """One query word: it matches if any alternative does; the scores add up."""

    alts: list[Alt]
    name_word: str | None = None      # set when the word is a single name word


@dataclass
class Plan:
    units: list[Unit]
    joins: list[Unit | None]          # joins[i]: units i and i+1 written as one name word
    whole: Unit | None                # all units written as one name word (3 or more)
    parsed: ParsedQuery


def _name_alts(word: str, forms: NameForms, boost: float = 1.0) -> list[Alt]:
    norms = an.forms(word)
    if an.muhammad(word):
        # "M.", "Moh.", "Mochammad" find every spelling of Muhammad, also in entries
        # indexed before the canonical word was added to them.
        norms = norms + tuple(f for f in an.MUHAMMAD_FORMS if f not in norms)
    codes = an.phonetic(word, *norms)
    forms.raw.add(word)
    forms.norm.update(norms)
    forms.codes.update(codes)
    alts = [Alt(CASE, [("name", word, B_RAW * boost)])]
    for norm in norms:
        alts.append(Alt(CASE, [("name_norm", norm, B_NORM * boost)]))
        if len(norm) >= an.MIN_PREFIX:
            alts.append(Alt(CASE, [("name_pre", norm[:an.MAX_PREFIX], B_PRE * boost)]))
    alts.extend(Alt(CASE, [("name_phon", c, B_PHON * boost)]) for c in codes)
    return alts


def _word_alts(word_text: str, parsed: ParsedQuery) -> list[Alt]:
    """Facility, origin and letter text, for a word or an identifier."""
    alts = []
    places = an.plain_terms(word_text)
    if places:
        parsed.places.update(places)
        alts.append(Alt(CASE, [("facility_words", w, B_PLACE) for w in places]))
        alts.append(Alt(CASE, [("origin", w, B_PLACE) for w in places]))
    text = an.text_terms(word_text)
    if text:
        parsed.text.update(text)
        alts.append(Alt(DOC, [("text", w, B_TEXT) for w in text]))
    return alts


def _units(tok: str, parsed: ParsedQuery, nik_term) -> list[Unit]:
    low = tok.lower().strip(_STRIP)
    if not low:
        return []
    parsed.tokens.append(low)
    words = an.name_words(tok)
    if len(words) > 1 and all(w.isalpha() for w in words):
        # "Nur-Hayati", "M.Rizky": several name words in one token, each a query word.
        return [Unit(_name_alts(w, parsed.names) + _word_alts(w, parsed), name_word=w)
                for w in words]
    alts = [Alt(CASE, [("case_number", low, B_ID)]), Alt(DOC, [("number", low, B_ID)])]
    digits = low.replace(".", "").replace("-", "")
    if digits.isdigit():
        parsed.digits.add(digits)
        term = nik_term(digits)  # the index holds a keyed hash of each NIK, never the NIK
        if term:
            parsed.nik_terms[digits] = term
            alts.append(Alt(CASE, [("nik", term, B_ID)]))
    name_word = words[0] if len(words) == 1 and not words[0].isdigit() else None
    if name_word:
        alts.extend(_name_alts(name_word, parsed.names))
    alts.extend(_word_alts(tok, parsed))
    return [Unit(alts, name_word=name_word)]


def _joined(words: list[str], parsed: ParsedQuery) -> Unit:
    return Unit(_name_alts("".join(words), parsed.names, B_JOINED))


def parse(q: str, nik_term=lambda digits: "") -> Plan | None:
    """The plan for a search box string (None if it has nothing to look for). `nik_term`
    turns a run of digits into the index's blind NIK term ("" to not look for a NIK)."""
    parsed = ParsedQuery()
    units = [u for raw in q.split() for u in _units(raw, parsed, nik_term)]
    # A one-letter word beside longer name words is an initial ("Winarsih S."): the
    # records seldom carry it, so it must not hide her. It is left out, unless it is an
    # abbreviation of Muhammad ("M. Rizky"), which stands for a whole word.
    initials = [u for u in units if u.name_word and len(u.name_word) == 1 and not an.muhammad(u.name_word)]
    if initials and any(u.name_word and len(u.name_word) > 1 for u in units):
        units = [u for u in units if u not in initials]
    if not units:
        return None
    joins: list[Unit | None] = []
    for a, b in zip(units, units[1:]):
        joins.append(_joined([a.name_word, b.name_word], parsed)
                     if a.name_word and b.name_word else None)
    whole = None
    if len(units) > 2 and all(u.name_word for u in units):
        whole = _joined([u.name_word for u in units], parsed)
    return Plan(units, joins, whole, parsed)


@dataclass
class Filters:
    facility: str | None = None
    kind: str | None = None
    start: datetime | None = None     # office-local, inclusive
    end: datetime | None = None       # office-local, exclusive
    unsigned: bool = False            # valid letters not (wholly) back signed (issue 13)

    @property
    def cases_only(self) -> bool:
        return self.kind == "case"

    @property
    def on_documents(self) -> bool:
        """A document filter: case entries are left out, only matching letters count."""
        return ((bool(self.kind) and self.kind != "case") or self.start is not None
                or self.end is not None or self.unsigned)


def filters(*, facility: str | None, kind: str | None, date_from: date | None,
            date_to: date | None, unsigned: bool = False) -> Filters:
    return Filters(
        unsigned=unsigned,
        facility=facility or None,
        kind=kind or None,
        start=_day_start(date_from) if date_from is not None else None,
        end=_day_end(date_to) if date_to is not None else None,
    )


def _day_end(d: date) -> datetime:
    """The start of the next day; 9999-12-31 has none (found by issue 5's hostile tests)."""
    start = _day_start(d)
    return start + timedelta(days=1) if start.date() < date.max else datetime.max


def _day_start(d: date) -> datetime:
    if isinstance(d, datetime):
        d = d.date()
    return datetime.combine(d, time.min)
