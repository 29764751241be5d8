"""The archive search index. Callers use only what `__all__` names; Whoosh stays inside.

    index = SearchIndex(settings.index_dir)
    index.add([IndexEntry(...), ...])                 # upsert by key, one commit
    found = index.search("Nur Hayati", facility="Rumah Singgah Jambi", page=1)
    found.total_cases, found.results[0].highlights["full_name"]

Names are forgiving (spelling variants, old spellings, joined or split words, partial
words) through work done at index time, not at query time. Every word of the query must
match the case (name, NIK, case number, facility, origin) or one of its letters (number,
text); results come one per case, best first, each with its matching letters.

A document entry also stands for its case: adding one indexes its case entry too
("c:<case_id>", from the entry's case fields), so `keys()` lists a case key for every
case with a letter. Entries with case_id 0 (a ceremony's roster) stand alone.

A document entry with text None keeps the text the index holds (a status change).
`update(changes)` holds the write lock while `changes()` reads what to write, so a
writer that reads the database there is never overtaken by an older view of it.

For writes on the request path, an IndexWriterThread commits in batches: entries
submitted to it, or (given a `drain`) whatever that drain writes after a `poke()`, as
the service's does from the database's outbox (service/records/indexing.py); call its
`flush()` before relying on them.
Writers in several processes wait for each other; after LOCK_WAIT seconds a write raises
IndexBusyError (a whoosh LockError).

NIKs are a blind index (issue 10): the index holds HMAC(key, NIK), with the key from the
archive's key folder, and a NIK typed in the search box is hashed the same way; letter
text is stored and indexed without any 16-digit NIK. `archive_index(settings)` opens an
archive's index with its key; `SearchIndex(folder)` without a key indexes no NIK.
Deleting a case (anonymisation) rewrites the segments, so her stored fields leave the
files on disk.
"""

from ._analysis import name_key
from ._index import IndexBusyError, IndexWriterThread, SearchIndex
from ._model import CaseHit, IndexEntry, SearchResults


def archive_index(settings) -> SearchIndex:
    """The archive's index (settings.index_dir) with the blind-index key of its key folder."""
    from .. import keys
    return SearchIndex(settings.index_dir, nik_key=keys.secret(settings.key_dir, keys.NIK))

__all__ = [
    "CaseHit",
    "IndexBusyError",
    "IndexEntry",
    "IndexWriterThread",
    "SearchIndex",
    "SearchResults",
    "archive_index",
    "name_key",
]
