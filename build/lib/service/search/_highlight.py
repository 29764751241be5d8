"""HTML snippets for a hit: everything escaped, matches wrapped in <mark>…</mark>.

Computed here rather than by Whoosh's highlighter because a name can match through its
normalised, prefix, phonetic or joined forms, which the stored text does not contain.
NIKs are only ever shown masked, in the NIK field and inside letter text alike.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from . import _analysis as an
from ._query import ParsedQuery

SNIPPET_CHARS = 160
_NIK_RUN = re.compile(r"(?<!\d)\d{16}(?!\d)")


def mask_nik(nik: str) -> str:
    """1571********0001, as in lists and rosters."""
    if len(nik) < 8:
        return "*" * len(nik)
    return nik[:4] + "*" * (len(nik) - 8) + nik[-4:]


def _mark(text: str, spans: list[tuple[int, int]]) -> str:
    """Escape `text`, wrapping the (start, end) spans in <mark>."""
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append("<mark>" + html.escape(text[start:end]) + "</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _name_matches(word: str, pq: ParsedQuery, *, past: int = 0) -> bool:
    """Does a query word match this name word? With `past`, the word is two joined name
    words and a prefix match counts only if it reaches past the first `past` letters."""
    names = pq.names
    if word in names.raw:
        return True
    norms = an.forms(word)
    if names.norm.intersection(norms):
        return True
    if any(len(q) >= an.MIN_PREFIX and len(q) > past and norm.startswith(q)
           for q in names.norm for norm in norms):
        return True
    if names.codes and len(word) >= an.MIN_PHONETIC:
        return bool(names.codes.intersection(an.phonetic(word, *norms)))
    return False


def name(full_name: str, pq: ParsedQuery) -> str | None:
    if not (pq.names.raw or pq.names.norm):
        return None
    spans = an.word_spans(full_name)
    marked = {i for i, (_, _, word) in enumerate(spans) if _name_matches(word, pq)}
    # Two words a query word spells as one: "Nur Hayati" for the query "Nurhayati".
    for i in range(len(spans) - 1):
        if i in marked and i + 1 in marked:
            continue
        first = spans[i][2]
        if _name_matches(first + spans[i + 1][2], pq, past=len(an.normalise(first))):
            marked.update((i, i + 1))
    if not marked:
        return None
    return _mark(full_name, [(spans[i][0], spans[i][1]) for i in marked])


def exact(value: str, pq: ParsedQuery) -> str | None:
    """Case number or letter number typed in full."""
    if value and value.lower() in pq.tokens:
        return _mark(value, [(0, len(value))])
    return None


def nik(pq: ParsedQuery, matched: bool) -> str | None:
    for digits in pq.digits:
        if matched and len(digits) == 16:
            return "<mark>" + html.escape(mask_nik(digits)) + "</mark>"
    return None


def words(value: str, terms: set[str]) -> str | None:
    """Facility or origin: the words of `value` that the query named."""
    if not value or not terms:
        return None
    spans = [(s, e) for s, e, w in an.word_spans(value) if w in terms]
    return _mark(value, spans) if spans else None


@lru_cache(maxsize=256)
def _term_pattern(terms: frozenset[str]) -> re.Pattern:
    alts = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<![^\W_])(?:{alts})(?![^\W_])", re.IGNORECASE)


def text(body: str, pq: ParsedQuery) -> str | None:
    """A window of the letter around the first match, matches marked, NIKs masked."""
    if not body or not pq.text:
        return None
    pattern = _term_pattern(frozenset(pq.text))
    first = pattern.search(body)
    if first is None:
        return None
    start = max(0, first.start() - SNIPPET_CHARS // 3)
    end = min(len(body), start + SNIPPET_CHARS)
    # Snap to whole words.
    if start > 0:
        space = body.find(" ", start)
        start = space + 1 if 0 <= space < first.start() else start
    if end < len(body):
        space = body.rfind(" ", first.end(), end)
        end = space if space > 0 else end
    window = body[start:end]
    # Find the matches, then mask NIK runs (a mask keeps the length, so spans stay valid).
    window = " ".join(window.split("\n"))
    spans = [(m.start(), m.end()) for m in pattern.finditer(window)]
    window = _NIK_RUN.sub(lambda m: mask_nik(m.group()), window)
    snippet = _mark(window, spans)
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(body) else "")
