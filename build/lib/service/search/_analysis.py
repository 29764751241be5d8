"""Text analysis for the archive index: forgiving names, letter text, query words.

Names are expanded at index time into four token lists (see `name_tokens`), so a query
is a handful of exact term look-ups and never a fuzzy or prefix expansion:

    name       the words as written, lower-cased, accents folded; nothing dropped
               ("M. Rizky An Yusuf" → m rizky an yusuf)
    name_norm  each word in its normal spelling(s) (old spellings modernised, doubled
               letters collapsed, a few transliteration variants merged), plus every adjacent
               pair of words joined and, for 3+ words, the whole name joined
               ("Nur Hayati" → nur hayati nurhayati)
    name_phon  Double Metaphone codes of the written and normalised words and pairs
    name_pre   edge n-grams (2 letters up) of the normalised words and pairs, so a
               partial word ("Sulas") is one term look-up

Everything here is plain functions on strings; the index's schema only holds stock
Whoosh analyzers (nothing of ours is pickled into it).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from whoosh.analysis import (
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    SpaceSeparatedTokenizer,
    StopFilter,
)
from whoosh.lang.dmetaphone import double_metaphone
from whoosh.support.charset import accent_map

# Shortest edge n-gram kept in name_pre. One letter would make a term that matches most
# of the archive; a one-letter query word is still matched exactly in `name`.
MIN_PREFIX = 2
# Longest n-gram: beyond this a prefix is as good as the whole word.
MAX_PREFIX = 24
# A query word this short gets no phonetic expansion (its code would be too common).
MIN_PHONETIC = 3

# Words: letters and digits. Apostrophes and similar marks inside a name are dropped
# first, so "Ma'ruf" and "Maruf" are one word.
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile(r"['\u2018\u2019\u02bc`\u00b4]")

# Old (pre-1972) spellings and common transliteration variants, applied left to right in
# one pass. A "j" that is not word-initial and not part of "dj" is the old spelling of
# "y" (Tjahjo → Cahyo, Widjaja → Wijaya, Soerjo → Suryo).
_OLD = re.compile(r"oe|dj|tj|sj|nj|ch|kh|dh|th|ph|q|(?<=[a-z])j")
_OLD_MAP = {
    "oe": "u", "dj": "j", "tj": "c", "sj": "sy", "nj": "ny",
    "ch": "h",   # ch → kh (Achmad/Akhmad) and kh → h (Akhmad/Ahmad, Khairul/Hairul)
    "kh": "h",
    "dh": "d",   # Ramadhan/Ramadan
    "th": "t",   # Fathimah/Fatimah
    "ph": "f",
    "q": "k",    # Qomariah/Komariah
    "j": "y",
}
_DOUBLED = re.compile(r"(.)\1+")
_FINAL_Y = re.compile(r"(?<=[b-df-hj-np-tv-z])y$")   # Rizky → rizki


def fold(text: str) -> str:
    """Lower-case, accents removed, apostrophes dropped."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _APOSTROPHES.sub("", text).lower()


def name_words(name: str) -> list[str]:
    """The words of a name as written, folded: 'M. Rizky An Yusuf' → m rizky an yusuf."""
    return _WORD.findall(fold(name))


def name_key(name: str) -> str:
    """A name in one spelling with its words run together, as the index compares names:
    'Siti Aminnah', 'siti aminah' and 'SitiAminah' give the same key."""
    return "".join(normalise(w) for w in name_words(name))


def word_spans(name: str) -> list[tuple[int, int, str]]:
    """(start, end, folded word) for each word, offsets into the original string."""
    spans = []
    for m in _WORD.finditer(name):
        word = fold(m.group())
        if word:
            spans.append((m.start(), m.end(), word))
    return spans


@lru_cache(maxsize=65536)
def normalise(word: str) -> str:
    """One spelling for the variants of a folded word: soekarno → sukarno, djoko → joko,
    tjahjo → cahyo, aminnah → aminah, achmad → ahmad, rizky → rizki."""
    word = _OLD.sub(lambda m: _OLD_MAP[m.group()], word)
    word = _DOUBLED.sub(r"\1", word)
    return _FINAL_Y.sub("i", word)


@lru_cache(maxsize=65536)
def forms(word: str) -> tuple[str, ...]:
    """The normal spellings of a word: usually one. Old "dj" is modern "j" (Djoko) but
    also modern "dy" (Widjaningsih = Widyaningsih), so such a word has two."""
    out = [normalise(word)]
    if "dj" in word:
        alt = normalise(word.replace("dj", "dy"))
        if alt not in out:
            out.append(alt)
    return tuple(out)


@lru_cache(maxsize=65536)
def _metaphone(word: str) -> tuple[str, ...]:
    return tuple(code for code in double_metaphone(word) if code)


# "Muhammad", the most common first name, is spelled many ways (Muhamad, Mohammad,
# Mochammad, Muchamad, Mohamed) and abbreviated on IDs and letters (M., Moh., Muh., Mhd.,
# Mochd.): each of these, in a name or in a query, also stands for one canonical word.
MUHAMMAD = "muhamad"
MUHAMMAD_FORMS = ("muhamad", "mohamad", "muhamed", "mohamed", "muhamat", "mohamat")
_MUHAMMAD_SHORT = frozenset({"m", "md", "mh", "mhd", "moh", "mohd", "muh", "muhd", "mochd"})


def muhammad(word: str, *, abbreviated: bool = True) -> bool:
    """Whether a folded word is a spelling of Muhammad (or, if `abbreviated`, its
    abbreviation: 'm', 'moh', 'muh', 'mhd', 'moch')."""
    norm = normalise(word)
    return norm in MUHAMMAD_FORMS or (abbreviated and (word in _MUHAMMAD_SHORT or norm in _MUHAMMAD_SHORT))


def phonetic(*words: str) -> list[str]:
    """Double Metaphone codes (primary and secondary) of the given spellings, deduplicated."""
    codes: list[str] = []
    for word in words:
        if len(word) < MIN_PHONETIC or not word.isalpha():
            continue
        for code in _metaphone(word):
            if code not in codes:
                codes.append(code)
    return codes


def prefixes(word: str) -> list[str]:
    """Edge n-grams of a word, 2 letters up to the whole word."""
    top = min(len(word), MAX_PREFIX)
    return [word[:n] for n in range(MIN_PREFIX, top + 1)]


def joined(words: list[str]) -> list[str]:
    """Adjacent pairs joined, and the whole name joined when it has 3 words or more."""
    out = [a + b for a, b in zip(words, words[1:])]
    if len(words) > 2:
        out.append("".join(words))
    return out


def _unique(items) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def name_tokens(full_name: str) -> dict[str, str]:
    """The four name fields of one entry, as space-separated token strings."""
    raw = name_words(full_name)
    norm = [normalise(w) for w in raw]
    extra = [f for w in raw for f in forms(w)[1:]]
    # Any spelling of Muhammad, or its abbreviation as the first word ("M. Rizky"; a
    # lone "M" further on is more likely another name's initial), is also the canonical word.
    if any(muhammad(w, abbreviated=(i == 0 and len(raw) > 1)) for i, w in enumerate(raw)):
        extra.append(MUHAMMAD)
    pairs_raw = joined(raw)
    pairs = joined(norm)
    phon: list[str] = []
    for r, n in zip(raw + pairs_raw, norm + pairs):
        phon.extend(phonetic(r, n))
    phon.extend(phonetic(*extra))
    pre: list[str] = []
    for w in norm + pairs + extra:
        pre.extend(prefixes(w))
    return {
        "name": " ".join(raw),
        "name_norm": " ".join(_unique(norm + pairs + extra)),
        "name_phon": " ".join(_unique(phon)),
        "name_pre": " ".join(_unique(pre)),
    }


# --- letter text -------------------------------------------------------------------------

# Indonesian function words that appear in nearly every letter; dropping them keeps the
# postings small. Names are never analysed with this list.
STOP_WORDS = frozenset("""
    yang dan di ke dari ini itu dengan untuk pada dalam atas oleh sebagai adalah atau
    tersebut akan telah tidak saya kami kita ia nya pun juga bahwa serta agar maka
""".split())

TEXT_PATTERN = r"[^\W_]+"


def text_analyzer():
    return (RegexTokenizer(TEXT_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)
            | StopFilter(stoplist=STOP_WORDS, minsize=1))


def words_analyzer():
    """Facility and origin: every word, no stop list."""
    return RegexTokenizer(TEXT_PATTERN) | LowercaseFilter() | CharsetFilter(accent_map)


def tokens_analyzer():
    """For fields whose tokens are computed here (the name fields): split on spaces."""
    return SpaceSeparatedTokenizer()


def without_words(text: str, words: list[str], nik: str = "") -> str:
    """`text` with the given (folded) words and the NIK blanked out, for indexing."""
    drop = set(words)
    if nik:
        drop.add(nik)
    if not drop:
        return text
    return _WORD.sub(lambda m: " " if fold(m.group()) in drop else m.group(), text)


_TEXT = text_analyzer()
_WORDS = words_analyzer()


def text_terms(text: str) -> list[str]:
    """The terms the text field holds for this text (its own analyzer, so they agree)."""
    return [t.text for t in _TEXT(text)]


def plain_terms(text: str) -> list[str]:
    """The terms the facility and origin fields hold for this text."""
    return [t.text for t in _WORDS(text)]
