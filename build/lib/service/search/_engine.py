"""Query evaluation over Whoosh's postings, by case.

Whoosh stores the index; this module reads its posting lists a block at a time and does
the matching, scoring and grouping itself, with Python sets and dicts. Whoosh's own
matcher tree scores every matching entry through several layers of Python calls, which
for a common name (every "Siti") cost 150–350 ms at 100,000 documents; reading the same
postings in blocks costs a few.

Matching, per query word, at two levels: a case entry matches through its own fields
(names, NIK, case number, facility, origin); a document entry through its own (number,
text) or through its case's. A document matches the query when every word matches it
or its case; a case matches when its case entry does, or one of its documents does.
Scores are BM25-style (idf × saturated term frequency × boost, no length norm), summed
over a word's alternatives and over the words.

Per segment, a table (case id, entry type, date of each document) is read from Whoosh's
columns once and cached by segment id; segments never change except for deletions, which
are checked per search.

Postings are read a block at a time through _whoosh_internals.py, the one module that
touches Whoosh's private attributes (and says which, and why).
"""

from __future__ import annotations

import math
import threading
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from itertools import repeat
from operator import sub

from whoosh.util.times import datetime_to_long

from ._query import CASE, Filters, Plan, Unit
from ._whoosh_internals import deleted_docs, read_postings

K1 = 1.2
_SIGNED = 1 << 63            # Whoosh stores signed NUMERIC column values offset by 2**63
_NO_DATE = (1 << 64) - 1     # DATETIME column value of an entry without a date
_NONE = -1


class SegmentTable:
    """What a search needs to know about each entry of one segment, by local docnum."""

    __slots__ = ("case_of", "is_case", "created", "case_entry", "docs_of", "dated", "dates")

    def __init__(self, reader):
        n = reader.doc_count_all()
        self.case_of = array("q", (v - _SIGNED for v in reader.column_reader("case_id", translate=False)))
        keys = reader.column_reader("key", translate=False)
        self.is_case = bytearray(1 if k[:2] == b"c:" else 0 for k in keys)
        # A segment with no dated entry has no column: its reader gives a default value.
        self.created = array("q", (_NONE if v == _NO_DATE or v <= 0 else v
                                   for v in reader.column_reader("created", translate=False)))
        self.case_entry: dict[int, int] = {}
        self.docs_of: dict[int, list[int]] = {}
        for local in range(n):
            cid = self.case_of[local]
            if self.is_case[local]:
                self.case_entry[cid] = local
            else:
                self.docs_of.setdefault(cid, []).append(local)
        pairs = sorted((self.created[i], i) for i in range(n)
                       if not self.is_case[i] and self.created[i] != _NONE)
        self.dates = array("q", (p[0] for p in pairs))
        self.dated = array("q", (p[1] for p in pairs))


class _TableCache:
    def __init__(self):
        self._lock = threading.Lock()
        self._tables: dict[str, SegmentTable] = {}

    def get(self, reader) -> SegmentTable:
        sid = reader.segment().segment_id()
        with self._lock:
            table = self._tables.get(sid)
        if table is None:
            table = SegmentTable(reader)
            with self._lock:
                self._tables[sid] = table
        return table

    def keep_only(self, segment_ids: set[str]) -> None:
        with self._lock:
            for sid in list(self._tables):
                if sid not in segment_ids:
                    del self._tables[sid]


@dataclass
class _Seg:
    reader: object
    offset: int
    table: SegmentTable
    deleted: frozenset


def _tf(weight: float) -> float:
    return weight * (K1 + 1) / (weight + K1)


@dataclass
class _Scores:
    cases: dict[int, float] = field(default_factory=dict)    # case id → score (case entries)
    docs: dict[int, float] = field(default_factory=dict)     # global docnum → score


class Snapshot:
    """One searcher's view: its segments with their tables, and lookups across them."""

    def __init__(self, searcher, cache: _TableCache):
        self.searcher = searcher
        self.segs: list[_Seg] = []
        for reader, offset in searcher.reader().leaf_readers():
            if reader.doc_count_all() == 0 or reader.segment() is None:
                continue
            self.segs.append(_Seg(reader, offset, cache.get(reader), deleted_docs(reader)))
        self.offsets = [s.offset for s in self.segs]
        self.total = max(1, searcher.doc_count())
        self._newest: dict[int, int] | None = None
        self._lock = threading.Lock()

    # --- lookups ---

    def _seg_of(self, gid: int) -> _Seg:
        return self.segs[bisect_left(self.offsets, gid + 1) - 1]

    def case_of(self, gid: int) -> int:
        seg = self._seg_of(gid)
        return seg.table.case_of[gid - seg.offset]

    def created(self, gid: int) -> int:
        seg = self._seg_of(gid)
        return seg.table.created[gid - seg.offset]

    def _columns_of(self, docs: list[int], column: str) -> list[int]:
        """A table column's values for many docnums (sorted ascending) at once."""
        out: list[int] = []
        for i, seg in enumerate(self.segs):
            lo = seg.offset
            a = bisect_left(docs, lo)
            b = bisect_left(docs, self.segs[i + 1].offset) if i + 1 < len(self.segs) else len(docs)
            if a < b:
                values = getattr(seg.table, column)
                out.extend(map(values.__getitem__, map(sub, docs[a:b], repeat(lo))))
        return out

    def cases_of(self, docs: list[int]) -> list[int]:
        """case_of for many docnums (sorted ascending)."""
        return self._columns_of(docs, "case_of")

    def created_of(self, docs: list[int]) -> list[int]:
        """created for many docnums (sorted ascending)."""
        return self._columns_of(docs, "created")

    def case_entry(self, case_id: int) -> int | None:
        for seg in reversed(self.segs):
            local = seg.table.case_entry.get(case_id)
            if local is not None and local not in seg.deleted:
                return seg.offset + local
        return None

    def docs_of(self, case_id: int) -> list[int]:
        out = []
        for seg in self.segs:
            for local in seg.table.docs_of.get(case_id, ()):
                if local not in seg.deleted:
                    out.append(seg.offset + local)
        return out

    def all_cases(self) -> list[int]:
        """Live case entries' case ids."""
        out = []
        for seg in self.segs:
            for cid, local in seg.table.case_entry.items():
                if local not in seg.deleted:
                    out.append(cid)
        return out

    def orphan_docs(self) -> list[int]:
        """Live documents with no live case entry (a ceremony's roster, case 0)."""
        cases = set(self.all_cases())
        out = []
        for seg in self.segs:
            for cid, locals_ in seg.table.docs_of.items():
                if cid not in cases:
                    out.extend(seg.offset + l for l in locals_ if l not in seg.deleted)
        return out

    def newest(self) -> dict[int, int]:
        """Case id → date of its newest live document (computed once per snapshot)."""
        with self._lock:
            if self._newest is None:
                newest: dict[int, int] = {}
                for seg in self.segs:
                    created, deleted = seg.table.created, seg.deleted
                    for cid, locals_ in seg.table.docs_of.items():
                        best = newest.get(cid, _NONE)
                        for l in locals_:
                            if l not in deleted and created[l] > best:
                                best = created[l]
                        newest[cid] = best
                self._newest = newest
            return self._newest

    # --- postings ---

    def _postings(self, fieldname: str, term: str):
        """(segment, local ids, weights) of a term in each segment, deletions included."""
        out = []
        for seg in self.segs:
            reader = seg.reader
            if (fieldname, term) not in reader:
                continue
            ids, weights = read_postings(reader.postings(fieldname, term))
            out.append((seg, ids, weights))
        return out

    def _idf(self, fieldname: str, term: str) -> float:
        # Whoosh counts deleted entries in a term's frequency until their segment is
        # merged away, so a name replaced a few times can count more often than there
        # are entries; capped, its weight stays positive (BM25's idf, never below 0).
        df = min(self.searcher.doc_frequency(fieldname, term), self.total)
        return math.log(1 + (self.total - df + 0.5) / (df + 0.5))

    def term_docs(self, fieldname: str, term: str) -> set[int]:
        """Live global docnums holding the term."""
        out: set[int] = set()
        for seg, ids, _ in self._postings(fieldname, term):
            off, deleted = seg.offset, seg.deleted
            out.update(off + i for i in ids if i not in deleted)
        return out

    def term_cases(self, fieldname: str, term: str) -> set[int]:
        """Case ids of the live case entries holding the term."""
        out: set[int] = set()
        for seg, ids, _ in self._postings(fieldname, term):
            case_of, deleted = seg.table.case_of, seg.deleted
            out.update(case_of[i] for i in ids if i not in deleted)
        return out

    def dated_docs(self, start: int | None, end: int | None) -> set[int]:
        """Live documents with start <= created < end (column values)."""
        out: set[int] = set()
        for seg in self.segs:
            dates, dated, deleted = seg.table.dates, seg.table.dated, seg.deleted
            lo = bisect_left(dates, start) if start is not None else 0
            hi = bisect_left(dates, end) if end is not None else len(dates)
            off = seg.offset
            out.update(off + dated[i] for i in range(lo, hi) if dated[i] not in deleted)
        return out

    # --- scoring ---

    def unit_scores(self, unit: Unit) -> _Scores:
        scores = _Scores()
        for alt in unit.alts:
            target = scores.cases if alt.level == CASE else scores.docs
            if len(alt.terms) == 1:
                self._add_term(target, alt.level, *alt.terms[0])
                continue
            # Every term in the same entry: rarest first, each next one looked up only
            # for the entries still in the running (a letter number's "2024" or "dinsos"
            # is in most letters).
            terms = sorted(alt.terms, key=lambda t: self.searcher.doc_frequency(t[0], t[1]))
            acc: dict[int, float] | None = None
            for fieldname, term, boost in terms:
                if acc is not None and not acc:
                    break
                part: dict[int, float] = {}
                if acc is not None and alt.level != CASE and \
                        len(acc) * 20 < self.searcher.doc_frequency(fieldname, term):
                    self._add_term_within(part, fieldname, term, boost, acc)
                else:
                    self._add_term(part, alt.level, fieldname, term, boost)
                acc = part if acc is None else {k: v + part[k] for k, v in acc.items() if k in part}
            for key, value in (acc or {}).items():
                target[key] = target.get(key, 0.0) + value
        return scores

    def _add_term_within(self, target: dict, fieldname: str, term: str, boost: float,
                         wanted: dict[int, float]) -> None:
        """`_add_term` for documents, looking up only the wanted docnums (skipping blocks)."""
        base = boost * self._idf(fieldname, term)
        for seg in self.segs:
            reader = seg.reader
            lo, hi = seg.offset, seg.offset + reader.doc_count_all()
            local_ids = sorted(g - lo for g in wanted if lo <= g < hi)
            if not local_ids or (fieldname, term) not in reader:
                continue
            m = reader.postings(fieldname, term)
            for local in local_ids:
                if not m.is_active():
                    break
                m.skip_to(local)
                if m.is_active() and m.id() == local:
                    target[lo + local] = base * _tf(m.weight())

    def _add_term(self, target: dict, level: str, fieldname: str, term: str, boost: float) -> None:
        """Add the term's score to `target` (case id or global docnum → score)."""
        postings = self._postings(fieldname, term)
        if not postings:
            return
        base = boost * self._idf(fieldname, term)
        get = target.get
        for seg, ids, weights in postings:
            if level == CASE:
                keys = list(map(seg.table.case_of.__getitem__, ids))
            else:
                keys = list(map(seg.offset.__add__, ids))
            if seg.deleted:
                deleted = seg.deleted
                live = [j for j, i in enumerate(ids) if i not in deleted]
                keys = [keys[j] for j in live]
                weights = [weights[j] for j in live]
            if weights.count(1.0) == len(weights):          # the usual case for names
                if not target:
                    target.update(dict.fromkeys(keys, base))
                else:
                    for k in keys:
                        target[k] = get(k, 0.0) + base
            else:
                k1 = K1
                scale = base * (K1 + 1)
                for k, w in zip(keys, weights):
                    target[k] = get(k, 0.0) + scale * w / (w + k1)


@dataclass
class Group:
    """One result: a case (or a document with no case) and its matching documents."""

    key: object
    case_id: int
    score: float
    entry: int | None = None                   # the case entry's global docnum
    entry_score: float | None = None           # set when every word matched the case itself
    docs: dict[int, float] = field(default_factory=dict)   # matching documents → score
    newest: int = _NONE


def _dp(n: int, unit_score, join_score, whole_score) -> float | None:
    """Best total over the words, each matched alone or with its neighbour as one name."""
    best: list[float | None] = [0.0] + [None] * n
    for k in range(1, n + 1):
        cur = None
        prev = best[k - 1]
        if prev is not None:
            s = unit_score(k - 1)
            if s is not None:
                cur = prev + s
        if k >= 2 and best[k - 2] is not None:
            s = join_score(k - 2)
            if s is not None:
                cand = best[k - 2] + s
                cur = cand if cur is None or cand > cur else cur
        best[k] = cur
    total = best[n]
    w = whole_score()
    if w is not None and (total is None or w > total):
        total = w
    return total


class Evaluator:
    def __init__(self, snap: Snapshot, plan: Plan | None, flt: Filters):
        self.snap = snap
        self.plan = plan
        self.flt = flt
        self.papers = 0  # of the groups last counted, how many are documents with no case
        self.allowed_cases: set[int] | None = None
        self.allowed_docs: set[int] | None = None
        if flt.facility:
            self.allowed_cases = snap.term_cases("facility", flt.facility)
        if flt.on_documents:
            docs: set[int] | None = None
            if flt.kind:
                docs = snap.term_docs("kind", flt.kind)
            if flt.start is not None or flt.end is not None:
                dated = snap.dated_docs(_col(flt.start), _col(flt.end))
                docs = dated if docs is None else docs & dated
            if flt.unsigned:
                # Entries indexed before issue 13 hold no "signed" term: none was signed then.
                waiting = snap.term_docs("status", "valid") - snap.term_docs("signed", "yes")
                docs = waiting if docs is None else docs & waiting
            self.allowed_docs = docs

    # --- the groups, best first ---

    def page(self, start: int, stop: int) -> tuple[int, list[Group]]:
        """(how many groups match, the groups from `start` to `stop`, best first)."""
        if self.plan is None:
            return self._listing(start, stop)
        return self._search(start, stop)

    def _case_allowed(self, case_id: int) -> bool:
        return self.allowed_cases is None or case_id in self.allowed_cases

    def _doc_allowed(self, gid: int) -> bool:
        return self.allowed_docs is None or gid in self.allowed_docs

    def _search(self, start: int, stop: int) -> tuple[int, list[Group]]:
        snap, plan, flt = self.snap, self.plan, self.flt
        n = len(plan.units)
        units = [snap.unit_scores(u) for u in plan.units]
        joins = [snap.unit_scores(j) if j is not None else None for j in plan.joins]
        whole = snap.unit_scores(plan.whole) if plan.whole is not None else None

        def score_of(scores: _Scores | None, c: int, d: int | None) -> float | None:
            if scores is None:
                return None
            a = scores.cases.get(c)
            b = scores.docs.get(d) if d is not None else None
            if a is None:
                return b
            return a if b is None else a + b

        def _empty(scores: _Scores | None) -> bool:
            return scores is None or not (scores.cases or scores.docs)

        if all(_empty(j) for j in joins) and _empty(whole):
            joins, whole = [None] * len(joins), None

            def match(c: int, d: int | None) -> float | None:
                total = 0.0                           # no joined words: just add up
                for u in units:
                    s = score_of(u, c, d)
                    if s is None:
                        return None
                    total += s
                return total
        else:
            def match(c: int, d: int | None) -> float | None:
                return _dp(n, lambda k: score_of(units[k], c, d),
                           lambda k: score_of(joins[k], c, d),
                           lambda: score_of(whole, c, d))

        # Candidates: what matches the most selective word (alone or joined with a
        # neighbour); every candidate is then checked against all the words.
        def cover(k: int) -> tuple[set[int], set[int]]:
            parts = [units[k], whole]
            if k > 0:
                parts.append(joins[k - 1])
            if k < n - 1:
                parts.append(joins[k])
            cases, docs = set(), set()
            for p in parts:
                if p is not None:
                    cases.update(p.cases)
                    docs.update(p.docs)
            return cases, docs

        covers = [cover(k) for k in range(n)]
        cases_k, docs_k = min(covers, key=lambda cd: len(cd[0]) + len(cd[1]))

        # A case matches by itself only if every word matches its case entry.
        by_case = set(cases_k).intersection(*(cases for cases, _ in covers))
        if self.allowed_cases is not None:
            by_case &= self.allowed_cases
        single = units[0].cases if n == 1 and whole is None else None
        # Per group key (a case id, or ("doc", docnum) for a letter with no case):
        best: dict[object, float] = {}             # the group's score
        entry_scores: dict[int, float] = {}        # cases that match by themselves
        doc_scores: dict[object, dict[int, float]] = {}
        for c in by_case:
            score = single[c] if single is not None else match(c, None)
            if score is not None and snap.case_entry(c) is not None:
                best[c] = entry_scores[c] = score

        if not flt.cases_only:
            # Documents that match a word themselves (their text, their number).
            own: set[int] = set()
            for scores in units + joins + [whole]:
                if scores is not None:
                    own.update(scores.docs)
            if self.allowed_docs is not None:
                own &= self.allowed_docs
            if len(own) > len(docs_k) + 2 * len(cases_k):
                # A common text word with a rarer name ("siti mixer"): reach the letters
                # through the name's cases rather than test every letter with the word.
                narrowed = own & docs_k
                for c in cases_k:
                    narrowed.update(d for d in snap.docs_of(c) if d in own)
                own = narrowed
            docs = sorted(own)
            has_entry: dict[int, bool] = {}
            one = units[0] if n == 1 and whole is None else None
            for d, c in zip(docs, snap.cases_of(docs)):
                if d not in docs_k and c not in cases_k:
                    continue
                entry = has_entry.get(c)
                if entry is None:
                    entry = has_entry[c] = c > 0 and snap.case_entry(c) is not None
                if self.allowed_cases is not None and not (entry and c in self.allowed_cases):
                    continue                          # a letter with no case has no facility
                if one is not None:                   # one word: no joins to weigh
                    score = one.docs[d] + one.cases.get(c, 0.0)
                else:
                    score = match(c, d)
                    if score is None:
                        continue
                key = c if entry else ("doc", d)
                if key in doc_scores:
                    doc_scores[key][d] = score
                else:
                    doc_scores[key] = {d: score}
                if score > best.get(key, -1.0):
                    best[key] = score

        if flt.on_documents:
            # The case entry does not count; its letters that pass the filter do.
            for c, score in entry_scores.items():
                allowed = [d for d in snap.docs_of(c) if d in self.allowed_docs]
                if not allowed:
                    if c not in doc_scores:
                        del best[c]
                    continue
                mine = doc_scores.setdefault(c, {})
                for d in allowed:
                    mine.setdefault(d, score)
            entry_scores = {}

        order = sorted(best, key=lambda k: (-best[k], -(k if isinstance(k, int) else -1)))
        self.papers = sum(1 for k in order if not isinstance(k, int))
        page = []
        for key in order[start:stop]:
            if isinstance(key, int):
                group = Group(key=key, case_id=key, score=best[key], entry=snap.case_entry(key),
                              entry_score=entry_scores.get(key), docs=doc_scores.get(key, {}))
            else:
                d = key[1]
                group = Group(key=key, case_id=snap.case_of(d), score=best[key],
                              docs=doc_scores[key])
            page.append(group)
        return len(order), page

    def _listing(self, start: int, stop: int) -> tuple[int, list[Group]]:
        """Every case the filters allow, newest letter first; Groups for one page only."""
        snap, flt = self.snap, self.flt
        if flt.on_documents:
            docs = sorted(self.allowed_docs or ())
            newest_of: dict[object, int] = {}
            get = newest_of.get
            for d, c, t in zip(docs, snap.cases_of(docs), snap.created_of(docs)):
                key = c if c > 0 else ("doc", d)
                if t > get(key, _NONE - 1):
                    newest_of[key] = t
            if self.allowed_cases is not None:
                newest_of = {k: v for k, v in newest_of.items() if k in self.allowed_cases}
            rows = [(t, key) for key, t in newest_of.items()]
        else:
            newest = snap.newest()
            cases = snap.all_cases()
            if self.allowed_cases is not None:
                cases = [c for c in cases if c in self.allowed_cases]
            rows = [(newest.get(c, _NONE), c) for c in cases]
            if self.allowed_cases is None and not flt.cases_only:
                rows.extend((snap.created(d), ("doc", d)) for d in snap.orphan_docs())
        rows.sort(key=lambda r: (r[0], r[1] if isinstance(r[1], int) else -1), reverse=True)
        self.papers = sum(1 for _, key in rows if not isinstance(key, int))
        page = []
        for newest_, key in rows[start:stop]:
            if isinstance(key, int):
                group = Group(key=key, case_id=key, score=0.0, entry=snap.case_entry(key),
                              newest=newest_)
                if flt.on_documents:
                    group.docs = dict.fromkeys(
                        (d for d in snap.docs_of(key) if d in self.allowed_docs), 0.0)
                else:
                    group.entry_score = 0.0
            else:
                d = key[1]
                group = Group(key=key, case_id=snap.case_of(d), score=0.0, docs={d: 0.0},
                              newest=newest_)
            page.append(group)
        return len(rows), page

    # --- a group's documents, best first ---

    def documents(self, group: Group) -> list[int]:
        snap = self.snap
        if self.flt.cases_only:
            return []
        docs = dict(group.docs)
        if group.entry_score is not None and not self.flt.on_documents:
            for d in snap.docs_of(group.case_id):
                docs.setdefault(d, group.entry_score)
        return sorted(docs, key=lambda d: (-docs[d], -snap.created(d)))


def _col(value) -> int | None:
    """A datetime as Whoosh's DATETIME column stores it."""
    return None if value is None else datetime_to_long(value)
