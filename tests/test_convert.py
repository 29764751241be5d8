"""docx → PDF/A-2b with real LibreOffice: the soffice CLI fallback and the unoserver pool,
including what happens when LibreOffice hangs, crashes, or is asked too much at once."""

import contextlib
import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from pypdf import PdfReader

from service.letters.convert import (
    ConversionError,
    ConversionTimeout,
    ConverterPool,
    ConverterUnavailable,
    QueueFull,
    convert_cli,
)
from service.letters.convert import cli
from tests.helpers import alive, descendants, processes, soffice_of, wait_for

pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")

BODY = "Surat Keterangan Pulang atas nama Siti Aminah binti Ahmad"
FAULT_TIMEOUT = 2  # seconds, for the conversions that are meant to hang; others get 60


# -- documents ---------------------------------------------------------------------------

def _bookmark(paragraph, name: str, id_: int) -> None:
    start = OxmlElement("w:bookmarkStart")
    start.set(qn("w:id"), str(id_))
    start.set(qn("w:name"), name)
    end = OxmlElement("w:bookmarkEnd")
    end.set(qn("w:id"), str(id_))
    paragraph._p.insert(0, start)
    paragraph._p.append(end)


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("docs")
    letter = docx.Document()
    letter.add_heading("Dinas Sosial", level=1)
    letter.add_paragraph(BODY)
    letter.add_paragraph("Demikian surat ini dibuat untuk dipergunakan sebagaimana mestinya.")
    letter.save(d / "letter.docx")

    marked = docx.Document()
    _bookmark(marked.add_paragraph("Surat pertama"), "surat-1", 1)
    marked.add_page_break()
    _bookmark(marked.add_paragraph("Surat kedua"), "surat-2", 2)
    marked.save(d / "bookmarks.docx")

    # Long enough (a second or so to convert) that a kill lands mid-conversion.
    long = docx.Document()
    for i in range(1500):
        long.add_paragraph(f"{BODY}, baris {i}. " * 4)
    long.save(d / "long.docx")
    return {"letter": d / "letter.docx", "bookmarks": d / "bookmarks.docx", "long": d / "long.docx"}


def assert_pdfa2b_with_text(pdf: Path, text: str = BODY) -> None:
    reader = PdfReader(pdf)
    # The first page: the text sought is there, and the long document has 150 more.
    assert text in " ".join(reader.pages[0].extract_text().split())
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")2\b", xmp), xmp
    assert re.search(r"pdfaid:conformance(>|=\")B\b", xmp), xmp


def assert_bookmark_destinations(pdf: Path) -> None:
    reader = PdfReader(pdf)
    dests = {name.lstrip("/"): dest for name, dest in reader.named_destinations.items()}
    assert {"surat-1", "surat-2"} <= dests.keys()
    assert reader.get_destination_page_number(dests["surat-1"]) == 0
    assert reader.get_destination_page_number(dests["surat-2"]) == 1


def open_files(pid: int) -> set[str]:
    """The paths a process has open, from /proc."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    paths = set()
    for fd in fds:
        with contextlib.suppress(OSError):
            paths.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
    return paths


# -- the CLI fallback --------------------------------------------------------------------

def test_cli_writes_pdfa2b_atomically(docs, tmp_path):
    out = tmp_path / "out" / "letter.pdf"
    convert_cli(docs["letter"], out)
    assert_pdfa2b_with_text(out)
    assert list(out.parent.iterdir()) == [out]  # no scratch left beside it


def test_cli_bookmarks_become_named_destinations(docs, tmp_path):
    out = tmp_path / "marked.pdf"
    convert_cli(docs["bookmarks"], out, bookmarks=True, profile_dir=tmp_path / "profile")
    assert_bookmark_destinations(out)


def test_cli_timeout_kills_soffice(docs, tmp_path):
    before = {r.pid for r in descendants()}
    with pytest.raises(ConversionTimeout, match="longer than 0.3 s"):
        convert_cli(docs["letter"], tmp_path / "late.pdf", timeout=0.3)
    left = [r for r in descendants() if r.pid not in before and not r.zombie]
    assert not [r for r in left if r.comm in ("soffice.bin", "oosplash")], left
    assert not (tmp_path / "late.pdf").exists()


def test_missing_input_is_a_conversion_error(tmp_path):
    with pytest.raises(ConversionError, match="no such file"):
        convert_cli(tmp_path / "nope.docx", tmp_path / "nope.pdf")


# -- the pool ----------------------------------------------------------------------------

@pytest.fixture
def pool(converter_pool):
    """The session's pool of two workers, started."""
    converter_pool.start()
    return converter_pool


@pytest.fixture
def small_pool(tmp_path):
    """One worker, for the fault tests (each may break its worker)."""
    p = ConverterPool(1, tmp_path / "run", max_waiting=1)
    p.start()
    yield p
    p.close()


def test_pool_writes_pdfa2b_atomically(pool, docs, tmp_path):
    out = tmp_path / "letter.pdf"
    pool.convert(docs["letter"], out)
    assert_pdfa2b_with_text(out)
    assert list(tmp_path.iterdir()) == [out]
    assert pool.stats()["conversions"] >= 1


def test_pool_bookmarks_become_named_destinations(pool, docs, tmp_path):
    out = tmp_path / "marked.pdf"
    pool.convert(docs["bookmarks"], out, bookmarks=True)
    assert_bookmark_destinations(out)


def test_pool_without_bookmarks_has_no_destinations(pool, docs, tmp_path):
    out = tmp_path / "plain.pdf"
    pool.convert(docs["bookmarks"], out)
    assert not PdfReader(out).named_destinations


def convert_at_once(pool: ConverterPool, docx: Path, out: Path, count: int) -> list[Path]:
    """`count` conversions of one document from as many threads at once; their PDFs."""
    errors: list[Exception] = []

    def one(i: int) -> None:
        try:
            pool.convert(docx, out / f"{i}.pdf")
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return [out / f"{i}.pdf" for i in range(count)]


def test_pool_from_many_threads(pool, docs, tmp_path):
    for pdf in convert_at_once(pool, docs["letter"], tmp_path, 6):
        assert_pdfa2b_with_text(pdf)
    stats = pool.stats()
    assert stats["alive"] == 2 and stats["busy"] == 0 and stats["waiting"] == 0


def libraries(pid: int) -> str:
    with open(f"/proc/{pid}/maps") as f:
        return f.read()


def test_soffice_runs_on_jemalloc_unless_told_otherwise(pool, docs, tmp_path, monkeypatch):
    """jemalloc makes LibreOffice about 15 % quicker (docs/decisions.md); an office can
    keep glibc's allocator, and letters convert the same either way."""
    assert "libjemalloc" in libraries(soffice_of(pool))
    monkeypatch.setenv("PULANG_LIBREOFFICE_MALLOC", "system")
    monkeypatch.setattr(cli, "_jemalloc", functools.cache(cli._jemalloc.__wrapped__))
    with ConverterPool(1, tmp_path / "run") as plain:
        plain.convert(docs["letter"], tmp_path / "plain.pdf")
        assert "libjemalloc" not in libraries(soffice_of(plain))
    assert_pdfa2b_with_text(tmp_path / "plain.pdf")


def test_a_pool_starts_at_its_first_conversion_once(docs, tmp_path):
    """Tests and tools that make no letter never start LibreOffice; the first callers,
    however many at once, start the workers once."""
    p = ConverterPool(2, tmp_path / "run")
    try:
        assert not p.started and p.stats()["alive"] == 0
        assert not [w for w in p._workers if w.proc is not None]
        for pdf in convert_at_once(p, docs["letter"], tmp_path, 4):
            assert_pdfa2b_with_text(pdf)
        assert p.started and p.stats()["alive"] == 2
        assert p.stats()["conversions"] == 4 and p.stats()["restarts"] == 0
    finally:
        p.close()


def test_a_worker_whose_soffice_will_not_start_says_why_and_the_pool_tries_again(
        docs, tmp_path, monkeypatch):
    from service.letters.convert import pool as pool_module
    p = ConverterPool(1, tmp_path / "run")
    try:
        monkeypatch.setattr(pool_module, "soffice_path", lambda: "/bin/false")
        with pytest.raises(ConverterUnavailable, match="before it listened"):
            p.convert(docs["letter"], tmp_path / "never.pdf")
        assert not p.started and not (tmp_path / "never.pdf").exists()
        monkeypatch.undo()
        p.convert(docs["letter"], tmp_path / "later.pdf")  # LibreOffice is back
        assert_pdfa2b_with_text(tmp_path / "later.pdf")
    finally:
        p.close()


def test_pool_missing_input_keeps_worker(pool, tmp_path):
    with pytest.raises(ConversionError, match="no such file"):
        pool.convert(tmp_path / "nope.docx", tmp_path / "nope.pdf")
    assert pool.stats()["alive"] == 2


def test_broken_document_is_a_conversion_error_not_a_crash(pool, tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    restarts = pool.stats()["restarts"]
    with pytest.raises(ConversionError, match="Could not load document") as err:
        pool.convert(broken, tmp_path / "broken.pdf")
    assert type(err.value) is ConversionError and err.value.status == 500
    assert not (tmp_path / "broken.pdf").exists()
    assert pool.stats()["restarts"] == restarts and pool.stats()["alive"] == 2


def test_cli_broken_document(tmp_path):
    broken = tmp_path / "broken.docx"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ConversionError, match="soffice could not convert broken.docx"):
        convert_cli(broken, tmp_path / "broken.pdf")
    assert not (tmp_path / "broken.pdf").exists()


@pytest.mark.slow
def test_hang_times_out_and_worker_restarts(small_pool, docs, tmp_path):
    hung = soffice_of(small_pool)
    os.kill(hung, signal.SIGSTOP)
    with pytest.raises(ConversionTimeout, match=f"longer than {FAULT_TIMEOUT} s") as err:
        small_pool.convert(docs["letter"], tmp_path / "hung.pdf", timeout=FAULT_TIMEOUT)
    assert err.value.status == 504 and err.value.code == "conversion_timeout"
    assert not (tmp_path / "hung.pdf").exists()

    small_pool.convert(docs["letter"], tmp_path / "after.pdf")  # waits for the restart
    assert_pdfa2b_with_text(tmp_path / "after.pdf")
    assert not alive(hung)
    assert small_pool.stats()["restarts"] == 1


@pytest.mark.slow
def test_crash_while_idle_is_retried(small_pool, docs, tmp_path):
    os.kill(soffice_of(small_pool), signal.SIGKILL)
    small_pool.convert(docs["letter"], tmp_path / "retried.pdf")
    assert_pdfa2b_with_text(tmp_path / "retried.pdf")
    assert small_pool.stats()["restarts"] == 1


@pytest.mark.slow
def test_crash_mid_conversion(small_pool, docs, tmp_path):
    victim = soffice_of(small_pool)
    outcome: list = []

    def convert():
        try:
            small_pool.convert(docs["long"], tmp_path / "long.pdf")
            outcome.append("ok")
        except ConversionError as e:
            outcome.append(e)

    t = threading.Thread(target=convert)
    t.start()
    # Mid-conversion: LibreOffice has the document open (it keeps it open until done).
    wait_for(lambda: str(docs["long"].resolve()) in open_files(victim), what="soffice to open the document")
    os.kill(victim, signal.SIGKILL)
    t.join(timeout=60)
    assert not t.is_alive()
    print("crash mid-conversion:", outcome)
    if outcome == ["ok"]:  # retried on a fresh worker
        assert_pdfa2b_with_text(tmp_path / "long.pdf", f"{BODY}, baris 0.")
    else:  # or a clear error, never a half-written PDF
        assert isinstance(outcome[0], ConverterUnavailable) and "crashed" in str(outcome[0])
        assert not (tmp_path / "long.pdf").exists()
    assert small_pool.stats()["restarts"] >= 1

    small_pool.convert(docs["letter"], tmp_path / "next.pdf")
    assert_pdfa2b_with_text(tmp_path / "next.pdf")


def test_a_place_in_the_queue_counts_until_used_or_given_back(tmp_path, docs):
    """admit() holds a place: held places fill the queue like waiting conversions, the
    conversion given one is not refused, and a place left unused is given back when its
    block ends, however it ends."""
    p = ConverterPool(1, tmp_path / "run", max_waiting=1)  # not started: no worker idle yet
    try:
        with pytest.raises(RuntimeError):
            with p.admit():
                with pytest.raises(QueueFull) as err:  # one place to wait, and it is held
                    p.admit()
                assert err.value.retry_after >= 1 and p.stats()["held"] == 1
                raise RuntimeError("the letter failed before converting")
        assert p.stats()["held"] == 0
        with p.admit() as place:
            p.convert(docs["letter"], tmp_path / "let-in.pdf", place=place)
            assert p.stats()["held"] == 0  # used up by its conversion
        assert_pdfa2b_with_text(tmp_path / "let-in.pdf")
        with p.admit(), p.admit():  # started: one will convert at once, one wait
            with pytest.raises(QueueFull):
                p.admit()
            with pytest.raises(QueueFull):  # nor does a conversion without a place get in
                p.convert(docs["letter"], tmp_path / "refused.pdf")
        assert (p.stats()["held"], p.stats()["waiting"]) == (0, 0)
    finally:
        p.close()


@pytest.mark.slow
def test_queue_full_when_too_many_wait(small_pool, docs, tmp_path):
    stopped = soffice_of(small_pool)
    os.kill(stopped, signal.SIGSTOP)  # the worker holds the first conversion until SIGCONT
    results: dict[str, object] = {}

    def convert(name: str) -> None:
        try:
            small_pool.convert(docs["letter"], tmp_path / f"{name}.pdf")
            results[name] = "ok"
        except ConversionError as e:
            results[name] = e

    stuck = threading.Thread(target=convert, args=("stuck",))
    stuck.start()
    wait_for(lambda: small_pool.stats()["busy"] == 1)
    waiter = threading.Thread(target=convert, args=("waiter",))
    waiter.start()
    wait_for(lambda: small_pool.stats()["waiting"] == 1)

    with pytest.raises(QueueFull) as err:  # max_waiting=1 and one already waits
        small_pool.convert(docs["letter"], tmp_path / "refused.pdf")
    assert err.value.status == 429 and err.value.retry_after >= 1
    assert small_pool.stats()["waiting"] == 1  # the refused call did not wait

    os.kill(stopped, signal.SIGCONT)
    stuck.join(timeout=60)
    waiter.join(timeout=60)
    assert results == {"stuck": "ok", "waiter": "ok"}  # the waiter had its turn
    assert_pdfa2b_with_text(tmp_path / "waiter.pdf")
    assert not (tmp_path / "refused.pdf").exists()


@pytest.mark.slow
def test_recycle_after_n_conversions(docs, tmp_path):
    with ConverterPool(1, tmp_path / "run", recycle_after=2) as p:
        first = soffice_of(p)
        for i in range(3):
            p.convert(docs["letter"], tmp_path / f"{i}.pdf")
        assert soffice_of(p) != first
        assert p.stats()["restarts"] == 1 and p.stats()["conversions"] == 3


@pytest.mark.slow
def test_close_leaves_no_process_behind(docs, tmp_path):
    before = {r.pid for r in descendants()}  # the session's pool may run too
    p = ConverterPool(2, tmp_path / "run")
    p.start()
    p.convert(docs["letter"], tmp_path / "one.pdf")
    groups = {w.proc.pid for w in p._workers}
    os.kill(soffice_of(p, 1), signal.SIGSTOP)  # a stopped soffice must go too
    p.close()

    left = [r for r in descendants() if r.pid not in before]
    assert not [r for r in left if r.comm in ("soffice.bin", "oosplash", "python3")], left
    zombies = [r for r in processes() if r.ppid == os.getpid() and r.zombie]
    assert not zombies, zombies
    in_groups = [r for r in processes() if r.pgid in groups and not r.zombie]
    assert not in_groups, in_groups
    assert p.stats()["alive"] == 0
    with pytest.raises(ConverterUnavailable):
        p.convert(docs["letter"], tmp_path / "closed.pdf")


SUBREAPER_SCRIPT = r"""
import ctypes, json, os, sys
from pathlib import Path
# As a subreaper (like PID 1 in a container) orphaned soffice processes become our children.
assert ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
from service.letters.convert import ConversionTimeout, ConverterPool, convert_cli
work, docx = Path(sys.argv[1]), Path(sys.argv[2])
try:
    convert_cli(docx, work / "late.pdf", timeout=0.3)
except ConversionTimeout:
    pass
with ConverterPool(2, work / "run") as pool:
    pool.convert(docx, work / "ok.pdf")
children = []
for entry in filter(str.isdigit, os.listdir("/proc")):
    try:
        stat = open(f"/proc/{entry}/stat").read()
    except OSError:
        continue
    comm, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
    if int(rest[1]) == os.getpid():
        children.append([int(entry), comm, rest[0]])
print(json.dumps(children))
"""


@pytest.mark.slow
def test_no_zombies_when_orphans_come_to_us(docs, tmp_path):
    """In a container without an init, killed soffice processes are reparented to the
    service itself: it must reap them."""
    out = subprocess.run([sys.executable, "-c", SUBREAPER_SCRIPT, str(tmp_path), str(docs["letter"])],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
    assert_pdfa2b_with_text(tmp_path / "ok.pdf")



@pytest.mark.slow
def test_workers_die_with_a_service_that_never_closed(tmp_path):
    """A service killed without close() must not leave 200 MB soffice processes behind."""
    script = ("import os, sys; from pathlib import Path; from service.letters.convert import ConverterPool\n"
              "p = ConverterPool(1, Path(sys.argv[1])); p.start()\n"
              "print(p._workers[0].proc.pid, flush=True); os._exit(0)\n")
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path / "run")],
                         capture_output=True, text=True, timeout=120)
    pgid = int(out.stdout.split()[-1])
    wait_for(lambda: not [r for r in processes() if r.pgid == pgid and not r.zombie], 30,
             what="the orphaned worker's process group to go")
