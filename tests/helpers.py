"""Helpers for tests: reading PDFs as a person (or a scanner) would, serving the app,
and waiting for things to happen (poll a condition with a generous timeout: never a
fixed sleep, never an assertion on how long something took)."""

import contextlib
import hashlib
import os
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path
from typing import NamedTuple

from service.letters.sample import OFFICIALS


# Where browser tests put their screenshots: docs/screenshots/ (tracked, shown in the docs)
# only when asked, `PULANG_SCREENSHOTS=1 make test`; else a scratch folder, so that a test
# run leaves the working tree as it found it.
SCREENSHOTS = (Path(__file__).resolve().parent.parent / "docs" / "screenshots"
               if os.environ.get("PULANG_SCREENSHOTS") == "1"
               else Path(tempfile.gettempdir()) / f"pulang-screenshots-{os.getuid()}")

PULANG = str(Path(sys.executable).parent / "pulang")  # the command line, as an office runs it


def xlsx(rows: list[list], header=("No", "Nama Lengkap", "NIK", "Tempat Lahir", "Tanggal Lahir",
                                   "Alamat Asal", "Daerah Asal", "Lokasi")) -> bytes:
    """An .xlsx of `rows` under `header`, as a clerk's spreadsheet for the import."""
    import io

    from openpyxl import Workbook
    book = Workbook()
    sheet = book.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def pdftotext(data: bytes) -> str:
    """Text of a PDF by poppler's pdftotext, as a reader would copy it."""
    # Keyed by content: walks that download one stored PDF as several roles read it once.
    key = hashlib.sha256(data).hexdigest()
    if key not in _TEXTS:
        with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
            fh.write(data)
            fh.flush()
            _TEXTS[key] = subprocess.run(["pdftotext", "-layout", fh.name, "-"], check=True,
                                         capture_output=True, text=True).stdout
    return _TEXTS[key]


_TEXTS: dict[str, str] = {}


def qr_payloads(data: bytes, page: int = 1) -> list[str]:
    """Every QR code zbarimg finds on a page rendered at 200 dpi."""
    with tempfile.TemporaryDirectory() as tmp:
        pdf = f"{tmp}/in.pdf"
        with open(pdf, "wb") as fh:
            fh.write(data)
        subprocess.run(["pdftoppm", "-r", "200", "-png", "-f", str(page), "-l", str(page),
                        pdf, f"{tmp}/page"], check=True)
        import glob
        png = sorted(glob.glob(f"{tmp}/page*.png"))[0]
        out = subprocess.run(["zbarimg", "--quiet", "--raw", png], capture_output=True, text=True)
        return [line for line in out.stdout.splitlines() if line]


def backup_contents(path, key_dir) -> dict[str, bytes]:
    """What an encrypted backup (pulang backup) holds, opened with the key folder's
    backup key as the age tool would: {path in the archive: bytes}."""
    import io
    import tarfile

    import pyrage
    from pyrage import x25519
    identity = x25519.Identity.from_str((Path(key_dir) / "backup.key").read_text().strip())
    plain = pyrage.decrypt(Path(path).read_bytes(), [identity])
    with tarfile.open(fileobj=io.BytesIO(plain)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def index_on_disk(index_dir) -> str:
    """Everything the search index's files hold, as text: its raw bytes (terms are kept
    as written), and every stored field of every document in every segment, deleted ones
    included (Whoosh compresses stored fields, and a deletion only marks a document until
    its segment is rewritten). What someone reading the index folder would learn."""
    from whoosh import index as windex
    raw = b"".join(p.read_bytes() for p in Path(index_dir).rglob("*") if p.is_file())
    stored = []
    ix = windex.open_dir(str(index_dir))
    with ix.reader() as reader:
        for segment_reader, _offset in reader.leaf_readers():
            for docnum in range(segment_reader.doc_count_all()):
                stored.append(repr(segment_reader.stored_fields(docnum)))
    ix.close()
    return raw.decode("latin-1") + "\n".join(stored)


# -- waiting -----------------------------------------------------------------------------

def wait_for(condition, timeout: float = 60, *, what: str = "the condition", detail=None):
    """Call `condition` until it returns something true, and return that. Fails the test
    after `timeout` seconds, naming `what` was awaited and adding `detail()` (a log tail,
    the last state seen) if given. Exceptions from `condition` are not caught."""
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:g} s for {what}" + (f": {detail()}" if detail else ""))
        time.sleep(0.05)
    return result


def wait_for_job(client, headers, job_id, timeout: float = 240) -> tuple[dict, list[int]]:
    """A print job polled through the API until it is done or failed: (the job, every
    `done` count seen on the way)."""
    seen: list[int] = []
    last: dict = {}

    def finished():
        last.update(client.get(f"/api/v1/jobs/{job_id}", headers=headers).json)
        seen.append(last["done"])
        return last["state"] in ("done", "failed")

    wait_for(finished, timeout, what=f"print job {job_id} to finish", detail=lambda: last)
    return last, seen


@contextlib.contextmanager
def job_consumer(runtime, db, workers: int = 3):
    """A print-job consumer inside the test process on the runtime's archive and converter
    pool, as `pulang serve` runs one; stopped gracefully afterwards."""
    from service.ceremonies.queue import consumer, queue_for
    c = consumer(queue_for(runtime), db, workers=workers, embedded=True)
    try:
        yield c
    finally:
        c.stop(graceful=True)


@contextlib.contextmanager
def scan_consumer(runtime, db):
    """The one-thread consumer that reads uploaded scans, as `pulang serve` runs one."""
    from service.ceremonies.queue import consumer
    from service.scans.queue import scan_queue_for
    c = consumer(scan_queue_for(runtime), db, workers=1, embedded=True)
    try:
        yield c
    finally:
        c.stop(graceful=True)


# -- processes ---------------------------------------------------------------------------

class Proc(NamedTuple):
    pid: int
    ppid: int
    pgid: int
    stat: str  # "Z..." for a zombie, "T..." for a stopped process
    comm: str

    @property
    def zombie(self) -> bool:
        return "Z" in self.stat


def processes() -> list[Proc]:
    """Every process on the machine, from ps."""
    out = subprocess.run(["ps", "-eo", "pid=,ppid=,pgid=,stat=,comm="],
                         capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        pid, ppid, pgid, stat, comm = line.split(None, 4)
        rows.append(Proc(int(pid), int(ppid), int(pgid), stat, comm.strip()))
    return rows


def descendants(root: int | None = None) -> list[Proc]:
    """The processes started by `root` (this test process by default), and theirs."""
    rows = processes()
    found, frontier = [], {os.getpid() if root is None else root}
    while frontier:
        children = [r for r in rows if r.ppid in frontier]
        found += children
        frontier = {r.pid for r in children}
    return found


def zombies(settle: float = 10) -> list[Proc]:
    """Zombies among our descendants (soffice, unoserver, their launchers). A process
    killed a moment ago is one until reaped, so reaping gets up to `settle` seconds."""
    deadline = time.monotonic() + settle
    while True:
        found = [r for r in descendants() if r.zombie]
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def soffice_of(pool, worker: int = 0) -> int:
    """The pid of a converter worker's soffice.bin (it is in the worker's process group)."""
    pgid = pool._workers[worker].proc.pid
    return wait_for(lambda: next((r.pid for r in processes() if r.pgid == pgid
                                  and r.comm == "soffice.bin" and not r.zombie), None),
                    30, what=f"worker {worker}'s soffice.bin")


def alive(pid: int) -> bool:
    """Whether a process runs (a zombie does not)."""
    return any(r.pid == pid and not r.zombie for r in processes())


# -- serving -----------------------------------------------------------------------------

def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(archive, converter_pool, *, office: bool = True):
    """The real app on waitress in a thread, on a free loopback port, as browsers see it.
    Yields a namespace with base (URL), runtime, app and db (a connection for seeding).
    `office`: set up TEST_OFFICE (False leaves the first-run state)."""
    from waitress.server import create_server

    from service import create_app
    from service import db as database
    from service.config import Settings
    from service.runtime import Runtime

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings.from_env(archive=archive, host="127.0.0.1", port=port, base_url=base)
    runtime = Runtime(settings, pool=converter_pool, background_index=True)
    app = create_app({"archive": archive, "base_url": base}, runtime=runtime)
    db = database.connect(settings.db_path)
    if office:
        complete_office(db)
    server = create_server(app, host="127.0.0.1", port=port, threads=4)

    def run():
        try:
            server.run()
        except (OSError, ValueError):
            pass  # the listening socket was closed under the loop, as pulang serve stops

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield types.SimpleNamespace(base=base, runtime=runtime, app=app, db=db)
    finally:
        server.close()
        thread.join(timeout=10)
        db.close()
        runtime.close()


def signed_in_page(browser, base: str, username: str, password: str, **context_options):
    """A new page at the office laptop's 1366×768, signed in through the sign-in form.
    Close it with page.context.close()."""
    page = browser.new_context(viewport={"width": 1366, "height": 768}, **context_options).new_page()
    page.goto(base + "/login")
    page.get_by_label("Nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    return page


def office_archive(archive, port: int, *, role: str = "staff", pool_size: int = 1,
                   office: bool = True, **env) -> types.SimpleNamespace:
    """An archive set up from the command line as an office does: `pulang init`, the
    office's set-up (`pulang office set`, TEST_OFFICE, unless `office` is False), the user
    ani (password "kata sandi yang panjang") of `role`, and her API token. Yields env
    (for `pulang serve` on `port`, with `env` added), token, and init (what the first
    `pulang init` printed)."""
    env = dict(os.environ, PULANG_ARCHIVE=str(archive), PULANG_PORT=str(port),
               PULANG_POOL_SIZE=str(pool_size), **env)
    env.pop("PULANG_CRASH_AT", None)

    def pulang(*args, input=None):
        return subprocess.run([PULANG, *args], env=env, input=input, capture_output=True,
                              text=True, check=True).stdout

    init = pulang("init")
    if office:
        import json
        pulang("office", "set", input=json.dumps(TEST_OFFICE))
    pulang("user", "create", "ani", "--role", role, "--password-stdin", input="kata sandi yang panjang\n")
    token = pulang("token", "create", "ani").strip().splitlines()[-1]
    return types.SimpleNamespace(env=env, token=token, init=init)


@contextlib.contextmanager
def pulang_serve(env: dict, port: int, log_path, *, timeout: float = 120):
    """`pulang serve` as a separate process, as an office runs it; yields its base URL
    once /healthz says ok, and stops it (SIGTERM) afterwards. Its output goes to log_path."""
    import json
    import urllib.request

    base = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        server = subprocess.Popen([PULANG, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)

        def up() -> bool:
            assert server.poll() is None, "pulang serve exited: " + Path(log_path).read_text()[-2000:]
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=5) as r:
                    return json.loads(r.read())["status"] == "ok"
            except OSError:
                return False

        try:
            wait_for(up, timeout, what="pulang serve to answer /healthz",
                     detail=lambda: Path(log_path).read_text()[-2000:])
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()


# -- the office ----------------------------------------------------------------------------

# A complete invented office (the body of PUT /api/v1/office), with the templates' sample
# officials (service/letters/sample.py). An archive's letters are
# samples ("CONTOH") until its office is complete, so tests that make real letters start
# from this one; tests of the first run use the `fresh_office` marker.
TEST_OFFICE = {
    "name": "Dinas Sosial", "region": "Pemerintah Kota Jambi", "city": "Jambi",
    "address": "Jl. Jenderal Sudirman No. 1, Thehok, Kota Jambi 36122", "unit": "DINSOS",
    "case_prefix": "JMB",
    "officials": OFFICIALS,
}


def complete_office(db, **changes) -> dict:
    """Give the archive TEST_OFFICE (with `changes`, in the API's shape), as an admin's
    PUT /api/v1/office would; returns the stored settings."""
    from service.db import write_transaction
    from service.records import office
    with write_transaction(db):
        current = office.get_all(db)
        new, problems = office.check({**TEST_OFFICE, **changes}, current)
        assert not problems, problems
        office.save(db, new, current)
    return new


def numbers_taken(db) -> dict[str, list[int]]:
    """Every letter number taken, by register (service/records/numbering.py): one
    office-wide sequence (the default), or one per kind; each list sorted."""
    from service.records import numbering, office
    register = office.get_all(db).get("number_register", "per_kind")
    out: dict[str, list[int]] = {}
    for row in db.query("SELECT kind, seq FROM documents ORDER BY seq"):
        out.setdefault(numbering.counter_name(register, row["kind"]), []).append(row["seq"])
    return out
