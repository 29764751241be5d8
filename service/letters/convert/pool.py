"""Warm LibreOffice workers: each an unoserver process (with its own soffice.bin) in its own
process group, converting one document at a time.

A worker that passes its timeout is killed, group and all, and restarted in the background,
so the caller hears about it at once. A worker that crashed is restarted and the conversion
tried once more. Linux only: workers' process groups are watched through /proc.

The pool talks to each worker over a unix socket in a folder of its own (0700, under the
system's temporary folder: a unix socket's path must stay under 108 bytes, and an
archive's path need not), and each worker runs in a network namespace of its own where
it can (isolation.py): no other local user or process can reach a converter, and a
converter can reach nothing (issue 10, items 3 and 9).
"""

import http.client
import logging
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import (
    ConversionError,
    ConversionTimeout,
    ConverterUnavailable,
    QueueFull,
    looks_like_pdf,
    pdf_filter_data,
)
from ..priority import BACKGROUND_NICE
from .cli import kill_process_group, soffice_env, soffice_path
from .isolation import WORKER_MAIN, network_prefix, write_profile_settings

log = logging.getLogger(__name__)

STARTUP_TIMEOUT = 60  # a cold soffice starts in about 1.5 s, much slower under load
REVIVE_AFTER = 30  # seconds before a pool whose workers all failed tries starting them again


UNO_PORT = "2002"  # inside a worker's own network namespace, every worker may use it


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None):
        super().__init__("converter", timeout=timeout)
        self._path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            self.sock.settimeout(self.timeout)
        self.sock.connect(self._path)


class _UnixTransport(xmlrpc.client.Transport):
    """XML-RPC over the worker's unix socket (`timeout` None: wait as long as it takes;
    the watchdog ends a call that hangs by killing the worker)."""

    def __init__(self, path: Path, timeout: float | None = None):
        super().__init__()
        self._path, self._timeout = str(path), timeout

    def make_connection(self, host):
        return _UnixConnection(self._path, self._timeout)


def _proxy(path: Path, timeout: float | None = None) -> xmlrpc.client.ServerProxy:
    return xmlrpc.client.ServerProxy("http://converter", transport=_UnixTransport(path, timeout),
                                     allow_none=True)


class _Died(Exception):
    """The worker's unoserver or soffice is gone (or not answering)."""


_ports_lock = threading.Lock()
_ports_taken: set[int] = set()  # by workers of any pool in this process


def _reserve_ports(n: int) -> list[int]:
    # The OS picks free ports; the set keeps two workers from being handed the same one
    # (a worker whose uno port collides would silently drive another worker's soffice).
    with _ports_lock:
        ports: list[int] = []
        while len(ports) < n:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port not in _ports_taken and port not in ports:
                ports.append(port)
        _ports_taken.update(ports)
        return ports


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class _Worker:
    def __init__(self, index: int, work_dir: Path, socket_dir: Path):
        self.index = index
        self.dir = work_dir / f"worker-{index}"
        self.socket = socket_dir / f"worker-{index}.sock"
        self.proc: subprocess.Popen | None = None
        self.ports: list[int] = []  # its UNO port, when it shares the service's network
        self.conversions = 0
        self.state = "stopped"  # stopped | starting | idle | busy | dead; the pool's lock guards it
        self.closed = False
        self._lock = threading.Lock()  # guards proc: start() against stop() from close()

    def start(self) -> None:
        """One attempt; raises ConverterUnavailable."""
        with self._lock:
            if self.closed:
                raise ConverterUnavailable("the converter pool is closed")
            self._stop()
            # A fresh profile each start: a killed soffice may leave its profile broken or locked.
            for sub in ("profile", "tmp"):
                shutil.rmtree(self.dir / sub, ignore_errors=True)
                (self.dir / sub).mkdir(parents=True)
            write_profile_settings(self.dir / "profile")
            prefix = network_prefix()
            if prefix:  # its own network: the same port in every worker, reachable by none
                uno_port, private = UNO_PORT, ["--private-network"]
            else:
                self.ports = _reserve_ports(1)
                uno_port, private = str(self.ports[0]), []
            self.socket.unlink(missing_ok=True)
            # Run by path; -P keeps this folder (cli.py, pool.py) off the worker's sys.path.
            cmd = [*prefix, sys.executable, "-P", WORKER_MAIN, "--interface", "127.0.0.1",
                   "--socket", str(self.socket), "--uno-port", uno_port, *private,
                   "--executable", soffice_path(), "--user-installation", str(self.dir / "profile"),
                   "--temp-dir", str(self.dir / "tmp"), "--nice", str(BACKGROUND_NICE)]
            env = soffice_env(TMPDIR=str(self.dir / "tmp"))  # soffice's scratch, wiped above
            with open(self.dir / "unoserver.log", "wb") as out:
                # Own session = own process group: killpg takes unoserver, oosplash, soffice.bin.
                self.proc = proc = subprocess.Popen(
                    cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    env=env, cwd=self.dir, start_new_session=True)
            self.conversions = 0
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.ping(proc, timeout=5):
            if proc.poll() is not None or time.monotonic() > deadline:
                why = (f"exited with status {proc.returncode}" if proc.returncode is not None
                       else f"was not ready after {STARTUP_TIMEOUT} s")
                self.stop()
                raise ConverterUnavailable(
                    f"converter worker {self.index} {why}; last log lines: {self.log_tail()}")
            time.sleep(0.2)

    def ping(self, proc: subprocess.Popen | None = None, timeout: float = 3) -> bool:
        """True when unoserver answers and its soffice does too (info() asks LibreOffice)."""
        proc = proc or self.proc
        if proc is None or proc.poll() is not None:
            return False
        try:
            with _proxy(self.socket, timeout) as server:
                server.info()
            return True
        except Exception:
            return False

    def convert(self, docx: Path, out: Path, options: list[str], timeout: float) -> bool:
        """Convert on this worker. Returns whether the watchdog killed the worker (the result
        may still have arrived just in time); raises ConversionTimeout, _Died, ConversionError."""
        proc, fired = self.proc, threading.Event()

        def watchdog():
            fired.set()
            _kill_group(proc)  # closes the socket, which ends the blocked call below

        timer = threading.Timer(timeout, watchdog)
        timer.start()
        try:
            with _proxy(self.socket) as server:
                # unoserver's convert(inpath, indata, outpath, convert_to, filtername,
                # filter_options, update_index, infiltername, password)
                # update_index off: it refreshes the layout twice to update tables of
                # contents, which letters do not have.
                server.convert(str(docx), None, str(out), "pdf", "writer_pdf_Export", options,
                               False, None, None)
        except Exception as e:
            if fired.is_set():
                raise ConversionTimeout(
                    f"converting {docx.name} took longer than {timeout:g} s; "
                    f"converter worker {self.index} was killed and is restarting") from e
            if self.ping():  # LibreOffice is fine: the document is the problem
                raise ConversionError(f"LibreOffice could not convert {docx.name}: {e}") from e
            raise _Died(str(e)) from e
        finally:
            timer.cancel()
            timer.join()
        self.conversions += 1
        return fired.is_set()

    def stop(self) -> None:
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            kill_process_group(proc)
        with _ports_lock:
            _ports_taken.difference_update(self.ports)
            self.ports = []

    def log_tail(self) -> str:
        try:
            text = (self.dir / "unoserver.log").read_text(errors="replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-5:]) or "(empty log)"


class Place:
    """A place held in a pool's queue from admit() to the conversion it is for: the
    conversion given it is not refused, and until then it counts toward the queue's limit.
    Leaving its `with` block gives back a place that was not used (a letter that failed
    before converting), so no exception path shrinks the queue for good."""

    def __init__(self, pool: "ConverterPool"):
        self.pool, self.held = pool, True

    def __enter__(self) -> "Place":
        return self

    def __exit__(self, *exc) -> None:
        self.pool._give_back(self)


class ConverterPool:
    def __init__(self, size: int, work_dir: Path, *, timeout: float = 60,
                 recycle_after: int = 500, max_waiting: int | None = None):
        if size < 1:
            raise ValueError("a converter pool needs at least one worker")
        self.size = size
        self.work_dir = Path(work_dir).resolve()
        self.timeout = timeout
        self.recycle_after = recycle_after
        # Conversions that may wait for a worker before the next is refused (429 with
        # Retry-After). Waiting is cheaper for a clerk than being refused: eight a worker
        # is about four seconds' queue (server.py gives the web threads enough to match).
        self.max_waiting = 8 * size if max_waiting is None else max_waiting
        # The workers' sockets: a folder only this user may enter (mkdtemp makes it 0700).
        self.socket_dir = Path(tempfile.mkdtemp(prefix="pulang-converters-"))
        self._workers = [_Worker(i, self.work_dir, self.socket_dir) for i in range(size)]
        self._idle: list[_Worker] = []
        self._cond = threading.Condition()
        self._waiting = self._conversions = self._restarts = 0
        self._held = 0  # places admitted whose conversion has not begun (Place)
        self._seconds = 1.0  # running average of a conversion, for retry_after
        self._started = self._closed = False
        self._start_lock = threading.Lock()  # one start at a time, however many first callers
        self._revived_at = 0.0
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> "ConverterPool":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def started(self) -> bool:
        return self._started

    def start(self) -> None:
        """Start every worker in parallel; return when all are ready. Optional: the first
        conversion starts a pool nobody started. A pool that could not start stops the
        workers that did and tries again at the next start() or conversion."""
        with self._start_lock:
            if self._started:
                return
            if self._closed:
                raise ConverterUnavailable("the converter pool is closed")
            self.work_dir.mkdir(parents=True, exist_ok=True)
            with ThreadPoolExecutor(self.size) as ex:
                errors = [e for e in ex.map(self._start_worker, self._workers) if e]
            if errors:
                for w in self._workers:
                    w.stop()
                raise ConverterUnavailable(f"the converter pool could not start: {errors[0]}")
            with self._cond:
                self._started = True
                for w in self._workers:
                    w.state = "idle"
                self._idle = list(self._workers)
                self._cond.notify_all()

    def convert(self, docx: Path, pdf: Path, *, bookmarks: bool = False,
                timeout: float | None = None, place: Place | None = None) -> None:
        """Convert docx to PDF/A-2b at pdf, atomically. `timeout` bounds the conversion
        itself, not the wait for a free worker. With a `place` from admit() it waits its
        turn however full the queue is (and uses the place up); without one, a full queue
        raises QueueFull."""
        docx, pdf = Path(docx).resolve(), Path(pdf)
        if not docx.is_file():
            raise ConversionError(f"cannot convert {docx}: no such file")
        options = [f"{k}={str(v).lower()}" for k, v in pdf_filter_data(bookmarks).items()]
        timeout = self.timeout if timeout is None else timeout
        pdf.parent.mkdir(parents=True, exist_ok=True)
        # Beside the target, so the final rename is atomic; LibreOffice creates it (normal mode bits).
        tmp = pdf.parent / f".{pdf.name}.{secrets.token_hex(6)}.pdf"
        if not self._started:
            self.start()
        worker = self._acquire(place)
        restart = False
        began = time.monotonic()
        try:
            try:
                restart = worker.convert(docx, tmp, options, timeout)
            except _Died as first:
                log.warning("converter worker %d died (%s); restarting it and retrying",
                            worker.index, first)
                self._start_worker(worker, raise_=True)
                try:
                    restart = worker.convert(docx, tmp, options, timeout)
                except _Died as second:
                    restart = True
                    raise ConverterUnavailable(
                        f"LibreOffice crashed twice converting {docx.name}: {second}") from second
            if not looks_like_pdf(tmp):
                raise ConversionError(f"LibreOffice wrote no PDF for {docx.name}")
            os.replace(tmp, pdf)
            with self._cond:
                self._conversions += 1
                self._seconds = 0.8 * self._seconds + 0.2 * (time.monotonic() - began)
        except (ConversionTimeout, ConverterUnavailable):
            restart = True
            raise
        finally:
            tmp.unlink(missing_ok=True)
            self._release(worker, restart)

    def close(self) -> None:
        """Stop every worker and its soffice; no process is left behind."""
        with self._cond:
            self._closed = True
            self._idle.clear()
            for w in self._workers:
                w.state = "stopped"
            self._cond.notify_all()
        for w in self._workers:
            with w._lock:
                w.closed = True
                w._stop()
        for t in list(self._threads):
            t.join()
        shutil.rmtree(self.socket_dir, ignore_errors=True)

    def stats(self) -> dict:
        with self._cond:
            states = [w.state for w in self._workers]
            return {"size": self.size, "alive": states.count("idle") + states.count("busy"),
                    "busy": states.count("busy"), "waiting": self._waiting, "held": self._held,
                    "conversions": self._conversions, "restarts": self._restarts}

    # -- workers in and out ------------------------------------------------------------

    def admit(self) -> Place:
        """A place in the queue for one conversion, or QueueFull now. A letter asks before
        it takes its number and converts with the place (`with pool.admit() as place:`),
        so a refusal (429) costs no number in the register, and requests that come between
        its check and its conversion cannot fill the queue under it (issue 14)."""
        with self._cond:
            self._refuse_if_full()
            self._held += 1
            return Place(self)

    def _give_back(self, place: Place) -> bool:
        """Whether the place was still held, and counted, until now."""
        with self._cond:  # reentrant: _acquire calls this holding it
            if not place.held or place.pool is not self:
                return False
            place.held = False
            self._held -= 1
            return True

    def _refuse_if_full(self) -> None:
        # Held places will want a worker too: they queue like those already waiting.
        queued = self._waiting + self._held
        if queued - len(self._idle) >= self.max_waiting:
            retry = math.ceil(self._seconds * (queued + self.size) / self.size)
            raise QueueFull(f"{queued} conversions already wait for a converter",
                            retry_after=max(1, retry))

    def _acquire(self, place: Place | None) -> _Worker:
        with self._cond:
            # A held place becomes this conversion's wait; a call without one may be refused.
            if place is None or not self._give_back(place):
                self._refuse_if_full()
            self._waiting += 1
            try:
                while not self._idle:
                    self._check_usable()
                    self._cond.wait()
            finally:
                self._waiting -= 1
            worker = self._idle.pop()
            worker.state = "busy"
            return worker

    def _check_usable(self) -> None:
        if self._closed or not self._started:
            raise ConverterUnavailable("the converter pool is not running")
        if any(w.state != "dead" for w in self._workers):
            return
        if time.monotonic() - self._revived_at > REVIVE_AFTER:
            self._revived_at = time.monotonic()
            for w in self._workers:
                self._restart_in_background(w)
            return
        raise ConverterUnavailable(
            f"no converter worker is running; last log lines: {self._workers[0].log_tail()}")

    def _release(self, worker: _Worker, restart: bool) -> None:
        with self._cond:
            if worker.state == "dead" or self._closed:
                self._cond.notify_all()  # waiters may all need to give up
                return
            if restart or worker.conversions >= self.recycle_after:
                self._restart_in_background(worker)
                return
            worker.state = "idle"
            self._idle.append(worker)
            self._cond.notify()

    def _restart_in_background(self, worker: _Worker) -> None:
        # Called with the lock held. The caller has its answer (a PDF, or a 504) at once;
        # the worker rejoins the idle list when its new soffice is ready.
        worker.state = "starting"
        t = threading.Thread(target=self._bring_back, args=(worker,), daemon=True,
                             name=f"converter-restart-{worker.index}")
        self._threads = [x for x in self._threads if x.is_alive()] + [t]
        t.start()

    def _bring_back(self, worker: _Worker) -> None:
        ok = self._start_worker(worker) is None
        with self._cond:
            if self._closed:
                worker.state = "stopped"
            elif ok:
                worker.state = "idle"
                self._idle.append(worker)
            else:
                worker.state = "dead"
            self._cond.notify_all()

    def _start_worker(self, worker: _Worker, raise_: bool = False) -> str | None:
        """Start (or restart) a worker, trying twice. Returns the error, or raises it."""
        for attempt in (1, 2):
            try:
                worker.start()
                if self._started:
                    with self._cond:
                        self._restarts += 1
                return None
            except ConverterUnavailable as e:
                log.error("converter worker %d failed to start (attempt %d): %s",
                          worker.index, attempt, e.message)
                if raise_ and (attempt == 2 or worker.closed):
                    with self._cond:
                        worker.state = "dead"
                    raise
                error = e.message
                if worker.closed:
                    break
        return error
