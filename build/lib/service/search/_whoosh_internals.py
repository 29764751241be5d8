"""Every read of whoosh-reloaded's internals, in one place.

The search engine (_engine.py) reads a term's whole posting list and scores it in Python.
Through Whoosh's public matcher API that costs four Python calls a posting (is_active, id,
weight, next): for a common name (every "Siti") that was most of a 150–350 ms query at
100,000 documents. Whoosh's file codec keeps postings in blocks of up to 128, decoded
into arrays a block at a time, so reading those arrays costs two calls a block. Doing so
needs the private names listed in PRIVATE, of whoosh-reloaded 2.7.5 (pinned exactly in
pyproject.toml). Nothing else in Pulang touches a private Whoosh name. (The codec's
default never keeps postings inline in the term index, so every on-disk term comes as a
W3LeafMatcher; anything else, such as a ListMatcher, takes the public path.)

tests/test_whoosh_internals.py checks each of them against the installed Whoosh and
fails naming the one that changed. Should one be missing anyway (Whoosh upgraded without
running the tests), that matcher class is read one posting at a time through the public
API, with a warning in the log: slower, the same result.
"""

from __future__ import annotations

import logging

from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import SegmentReader

try:                                         # the block reader of Whoosh's file codec
    from whoosh.codec.whoosh3 import W3LeafMatcher
except ImportError:                          # pragma: no cover - another Whoosh
    W3LeafMatcher = None

log = logging.getLogger(__name__)

# Class → the names this module reads on its instances. Attributes set per instance (or
# per block) are in the list as much as methods: hasattr() on a live object finds both.
PRIVATE: dict[type, tuple[str, ...]] = {}
if W3LeafMatcher is not None:
    # On-disk postings: decode the current block's ids and weights, move to the next.
    PRIVATE[W3LeafMatcher] = ("_read_ids", "_read_weights", "_ids", "_weights", "_next_block")
# A reader's deleted documents as a frozenset, computed once per reader (a cached
# property; not underscored, but not in Whoosh's documented reader API either).
PRIVATE[SegmentReader] = ("deleted_docs_set",)


def missing(obj) -> list[str]:
    """The names in PRIVATE for ``obj``'s class that ``obj`` does not have."""
    return [name for name in PRIVATE.get(type(obj), ()) if not hasattr(obj, name)]


_checked: dict[type, bool] = {}  # class → its private names are all there (per process)


def _usable(obj) -> bool:
    cls = type(obj)
    ok = _checked.get(cls)
    if ok is None:
        gone = missing(obj)
        if gone:
            log.warning("whoosh %s lacks %s: reading it through the public API (slower)",
                        cls.__name__, ", ".join(gone))
        ok = _checked[cls] = cls in PRIVATE and not gone
    return ok


def read_postings(matcher) -> tuple[list[int], list[float]]:
    """All (local docnum, weight) of one term's matcher, deleted documents included (the
    caller filters them), a block at a time where possible."""
    if isinstance(matcher, FilterMatcher):     # the reader's filter of deleted documents
        matcher = matcher.child
    ids: list[int] = []
    weights: list[float] = []
    if W3LeafMatcher is not None and type(matcher) is W3LeafMatcher and _usable(matcher):
        while matcher.is_active():
            matcher._read_ids()
            matcher._read_weights()
            ids.extend(matcher._ids)
            weights.extend(matcher._weights)
            matcher._next_block()
        return ids, weights
    while matcher.is_active():                 # any other matcher: one posting at a time
        ids.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return ids, weights


def deleted_docs(reader) -> frozenset:
    """A segment reader's deleted local docnums."""
    if not reader.has_deletions():
        return frozenset()
    if type(reader) is SegmentReader and _usable(reader):
        return reader.deleted_docs_set
    return frozenset(d for d in range(reader.doc_count_all()) if reader.is_deleted(d))
