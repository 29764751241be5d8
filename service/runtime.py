"""What the pipeline needs to run, built once per process: settings, the converter and
the search index. Flask keeps one in app.extensions; the CLI and jobs make their own.
Nothing here knows about the web layer."""

from pathlib import Path

from . import db as database
from .config import Settings
from .letters.convert import ConverterPool, convert_cli
from .search import IndexEntry, IndexWriterThread, SearchIndex


class Runtime:
    def __init__(self, settings: Settings, *, pool=False, background_index: bool = False):
        """`pool`: True gives this runtime a converter pool of its own; a ConverterPool is
        borrowed (tests share one across archives); False converts with one soffice call
        per document. A pool starts LibreOffice at its first conversion, or at warm()."""
        self.settings = settings
        settings.ensure_dirs()
        self.pool = None
        self._owns_pool = pool is True
        if isinstance(pool, ConverterPool):
            self.pool = pool
        elif pool:
            self.pool = ConverterPool(settings.pool_size, settings.run_dir / "converters",
                                      timeout=settings.convert_timeout,
                                      recycle_after=settings.recycle_after)
        self.index = SearchIndex(settings.index_dir)
        self.index_writer = IndexWriterThread(self.index) if background_index else None

    def warm(self) -> None:
        """Start the converter pool now, so the first letter does not wait for LibreOffice
        (`pulang serve` does this before it listens). Raises ConverterUnavailable."""
        if self.pool is not None:
            self.pool.start()

    def db(self):
        return database.connect(self.settings.db_path)

    def convert(self, docx: Path, pdf: Path, *, bookmarks: bool = False) -> None:
        if self.pool is not None:
            self.pool.convert(docx, pdf, bookmarks=bookmarks)
        else:
            convert_cli(docx, pdf, bookmarks=bookmarks, timeout=self.settings.convert_timeout,
                        profile_dir=self.settings.run_dir / "cli-profile")

    def submit_index(self, entries: list[IndexEntry]) -> None:
        """Off the request path when a writer thread runs (the service); at once otherwise."""
        if self.index_writer is not None:
            self.index_writer.submit(entries)
        else:
            self.index.add(entries)

    def flush_index(self) -> None:
        if self.index_writer is not None:
            self.index_writer.flush()

    def close(self) -> None:
        if self.index_writer is not None:
            self.index_writer.close()
        if self.pool is not None and self._owns_pool:
            self.pool.close()
        self.index.close()
