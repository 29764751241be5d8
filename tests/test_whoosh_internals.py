"""service/search/_whoosh_internals.py against the installed Whoosh, on a real on-disk
index: every private name it reads is still there (a failure names it), Whoosh still
hands out the matcher classes it knows how to read fast, and reading a block at a time
gives exactly what the public matcher API gives."""

from importlib.metadata import version

import pytest
from whoosh import index as windex
from whoosh.fields import ID, TEXT, Schema
from whoosh.matching.wrappers import FilterMatcher

from service.search import _whoosh_internals as internals

WHOOSH = f"whoosh-reloaded {version('whoosh-reloaded')}"
COMMON = 300    # documents with the common word: more than one 128-posting block


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    """One segment: "siti" in COMMON documents (several on-disk blocks), "fanggidae" in
    one, a few documents deleted."""
    folder = tmp_path_factory.mktemp("whoosh")
    ix = windex.create_in(str(folder), Schema(key=ID(stored=True, unique=True), text=TEXT))
    with ix.writer() as w:
        for i in range(COMMON):
            words = "siti " * (1 + i % 3) + ("fanggidae" if i == 7 else "aminah")
            w.add_document(key=f"d{i}", text=words)
    with ix.writer() as w:
        for i in (3, 150, 299):
            w.delete_by_term("key", f"d{i}")
    searcher = ix.searcher()
    (leaf, _offset), = searcher.reader().leaf_readers()
    yield leaf
    searcher.close()
    ix.close()


def matcher(reader, word):
    m = reader.postings("text", word)
    return m.child if isinstance(m, FilterMatcher) else m


def public(m) -> tuple[list[int], list[float]]:
    ids, weights = [], []
    while m.is_active():
        ids.append(m.id())
        weights.append(m.weight())
        m.next()
    return ids, weights


def test_whoosh_still_hands_out_the_classes_the_adapter_reads(reader):
    assert internals.W3LeafMatcher is not None, \
        f"{WHOOSH} has no whoosh.codec.whoosh3.W3LeafMatcher: search reads every posting " \
        "one call at a time (slow); update service/search/_whoosh_internals.py"
    seen = {type(matcher(reader, "siti")), type(matcher(reader, "fanggidae")), type(reader)}
    for cls in internals.PRIVATE:
        assert cls in seen, f"{WHOOSH} no longer uses {cls.__module__}.{cls.__name__} for an " \
            "on-disk index: update service/search/_whoosh_internals.py"


def test_every_private_name_the_adapter_reads_is_still_there(reader):
    live = {type(o): o for o in (matcher(reader, "siti"), matcher(reader, "fanggidae"), reader)}
    for cls, names in internals.PRIVATE.items():
        for name in names:
            assert hasattr(live[cls], name), \
                f"{WHOOSH} changed {cls.__name__}.{name}, which service/search/_whoosh_internals.py " \
                "reads for speed: adapt it there (search now falls back to the slow public API)"


@pytest.mark.parametrize("word", ["siti", "fanggidae", "aminah", "tidakada"])
def test_block_reading_equals_the_public_api(reader, word):
    if ("text", word) not in reader:
        assert word == "tidakada"
        return
    fast = internals.read_postings(reader.postings("text", word))  # deleted ones included
    slow = public(matcher(reader, word))
    assert fast == slow
    if word == "siti":
        assert len(fast[0]) == COMMON and set(fast[1]) == {1.0, 2.0, 3.0}


def test_deleted_documents(reader):
    public = {d for d in range(reader.doc_count_all()) if reader.is_deleted(d)}
    assert internals.deleted_docs(reader) == public == {3, 150, 299}
