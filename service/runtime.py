"""What the pipeline needs to run, built once per process: settings, the converter and
the search index, which it keeps current from the database's index outbox (its writer
thread in the service, at once elsewhere). Flask keeps one in app.extensions; the CLI
and jobs make their own. Nothing here knows about the web layer."""

from contextlib import nullcontext
from pathlib import Path

from . import db as database
from . import keys
from .config import Settings
from .letters.bulk import Workshop
from .letters.convert import ConverterPool, convert_cli
from .letters.priority import lower_this_thread
from .records import indexing
from .search import IndexWriterThread, archive_index


def prepare_archive(settings: Settings) -> list[str]:
    """The database migrated and the key folder checked (keys made for an archive that
    never had them; their names are returned). Raises keys.KeyFolderError."""
    db = database.connect(settings.db_path)
    try:
        database.migrate(db)
        return keys.prepare(settings, db)
    finally:
        db.close()


class Runtime:
    def __init__(self, settings: Settings, *, pool=False, background_index: bool = False):
        """`pool`: True gives this runtime a converter pool of its own; a ConverterPool is
        borrowed (tests share one across archives); False converts with one soffice call
        per document. A pool starts LibreOffice at its first conversion, or at warm()."""
        self.settings = settings
        settings.ensure_dirs()
        self.keys_made = prepare_archive(settings)
        self.pool = None
        self._owns_pool = pool is True
        if isinstance(pool, ConverterPool):
            self.pool = pool
        elif pool:
            self.pool = ConverterPool(settings.pool_size, settings.run_dir / "converters",
                                      timeout=settings.convert_timeout,
                                      recycle_after=settings.recycle_after)
        self.index = archive_index(settings)
        self._writer_db = None
        self.index_writer = None
        if background_index:
            self.index_writer = IndexWriterThread(self.index, drain=self._drain_in_writer)
            self.index_writer.poke()  # what a crash left between a commit and the index
        # Commits in this process that change what search finds reach this index
        # (service/records/indexing.py), whichever connection made them.
        indexing.listen(settings.db_path, self._index_changed)

    def warm(self) -> None:
        """Start the converter pool now, so the first letter does not wait for LibreOffice
        (`pulang serve` does this before it listens). Raises ConverterUnavailable."""
        if self.pool is not None:
            self.pool.start()

    def db(self):
        return database.connect(self.settings.db_path)

    def admit(self):
        """A place in the converters' queue, to pass to convert() (pool.py's admit), or
        QueueFull (429) now. Use it as a context manager: leaving the block gives back a
        place no conversion used. Without a pool there is no queue: the place is None."""
        return self.pool.admit() if self.pool is not None else nullcontext()

    def convert(self, docx: Path, pdf: Path, *, bookmarks: bool = False, place=None) -> None:
        if self.pool is not None:
            self.pool.convert(docx, pdf, bookmarks=bookmarks, place=place)
        else:
            convert_cli(docx, pdf, bookmarks=bookmarks, timeout=self.settings.convert_timeout,
                        profile_dir=self.settings.run_dir / "cli-profile")

    @property
    def template_cache(self) -> Path:
        """Where templates made ready (letters/prepare.py) and combined are kept."""
        return self.settings.run_dir / "templates"

    def workshop(self):
        """What making many letters needs here (letters/bulk.py): this runtime's converter,
        scratch folder and template cache."""
        return Workshop(convert=self.convert, scratch=self.settings.tmp_dir,
                        template_cache=self.template_cache,
                        converters=self.pool.size if self.pool is not None else 1,
                        render_seconds=self.settings.render_seconds)

    def logo(self) -> Path | None:
        """The office's letterhead logo file (the lambang daerah), if one was uploaded."""
        logo = self.settings.logo_path
        return logo if logo.exists() else None

    def unit_logo(self) -> Path | None:
        """The office's own logo (right of the letterhead), if one was uploaded."""
        logo = self.settings.logo_path.with_name("unit_logo.png")
        return logo if logo.exists() else None

    def _index_changed(self, db, wait: bool) -> None:
        """After a commit in this process to this archive's database that queued index
        work: the writer thread drains it off the request path; without one, drain now."""
        if self.index_writer is None:
            indexing.drain(db, self.index)
            return
        self.index_writer.poke()
        if wait:
            self.index_writer.flush(timeout=60)

    def _drain_in_writer(self) -> None:
        if self._writer_db is None:
            db = database.connect(self.settings.db_path)
            if "index_outbox" not in db.table_names():  # `serve` migrates after this starts
                db.close()
                return
            self._writer_db = db
        indexing.drain(self._writer_db, self.index)

    def flush_index(self) -> None:
        """Return once the index holds every change committed so far, by any connection."""
        if self.index_writer is not None:
            self.index_writer.poke()
            self.index_writer.flush()
            return
        db = database.connect(self.settings.db_path)
        try:
            indexing.drain(db, self.index)
        finally:
            db.close()

    def close(self) -> None:
        indexing.unlisten(self.settings.db_path, self._index_changed)
        if self.index_writer is not None:
            self.index_writer.close()
        if self._writer_db is not None:
            self._writer_db.close()
        if self.pool is not None and self._owns_pool:
            self.pool.close()
        self.index.close()


class RuntimeTasks:
    """What the archive's huey queues share (print chunks, ceremonies/queue.py; uploads
    to read, scans/queue.py): huey's context_task enters the queue around every task it
    runs and passes it in; a task reaches the Runtime of this process through runtime();
    consumer threads lower their CPU priority as they start (letters/priority.py)."""

    what = "queue"

    def __init__(self, huey, runtime) -> None:
        """`runtime`: a function returning the Runtime (None once it is closed)."""
        self.huey = huey
        self.huey.on_startup("lower-priority")(lower_this_thread)
        self._runtime = runtime

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return False

    def runtime(self) -> "Runtime":
        runtime = self._runtime() if self._runtime is not None else None
        if runtime is None:
            raise RuntimeError(f"the runtime of this {self.what} has been closed")
        return runtime
