"""`pulang worker --server URL --token TOKEN`: a print worker on a machine that has no
archive, only the Redis queue and the server's address.

It takes a chunk's task from the queue (ids only: job id, chunk name), claims the chunk
from the server over HTTP (api/workers.py) and gets its inputs in return (letters/chunk.py:
numbers already reserved, the letters' contexts, the template and logo by hash), makes
the letters (letters/bulk.py, its own LibreOffice pool and stamping processes), renews
its lease while it works, and returns the stamped PDFs to the server, which checks,
stores, indexes and merges them. Its folder (PULANG_ARCHIVE) keeps only caches: templates
and the logo by hash (run/cache/), templates made ready and combined (run/templates/),
the LibreOffice profiles; renders and PDFs live in tmp/ only while a chunk is made.
At its start it makes and drops invented letters the server hands out (warm_up,
ceremonies/warmup.py), so its first real chunk runs warm.

Killed at any moment it loses nothing: its lease runs out, the server's keeper queues the
chunk again, another worker makes the same letters with the same numbers, and a late
answer from this one would be refused.
"""

import hashlib
import json
import logging
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

import urllib3

from ..errors import PulangError
from ..letters import bulk, processes
from ..letters.chunk import MadeLetter, from_wire
from ..letters.convert import ConverterPool
from . import leases, runner, warmup
from .queue import JobQueue, consumer, workers_for

log = logging.getLogger("pulang.worker")


class ServerError(Exception):
    """The server could not be reached or answered unexpectedly (the chunk is left to
    the server's keeper)."""


class Server:
    """The server's worker routes, over one keep-alive connection pool."""

    def __init__(self, url: str, token: str, *, connections: int = 4):
        self.url = url.rstrip("/") + "/api/v1/worker"
        self.headers = {"Authorization": f"Bearer {token}"}
        # Connection failures are retried (every route may be repeated safely: a claim by
        # the same worker is the same claim; a result already taken gets a 409).
        retries = urllib3.Retry(total=4, connect=4, read=2, status=0, other=0,
                                allowed_methods=None, backoff_factor=0.5, raise_on_status=False)
        self.http = urllib3.PoolManager(maxsize=connections, retries=retries,
                                        timeout=urllib3.Timeout(connect=10, read=300))

    def _call(self, method: str, path: str, **kwargs) -> urllib3.BaseHTTPResponse:
        try:
            return self.http.request(method, self.url + path, headers=self.headers, **kwargs)
        except urllib3.exceptions.HTTPError as exc:
            raise ServerError(f"{type(exc).__name__} talking to the server") from None

    @staticmethod
    def _error(response) -> dict:
        """The error's code and message, and what else the answer carried (retry_in)."""
        try:
            body = json.loads(response.data)
            return {**body.get("error", {}), **{k: v for k, v in body.items() if k != "error"}}
        except (ValueError, AttributeError):
            return {}

    def _expect(self, response, *ok: int) -> urllib3.BaseHTTPResponse:
        if response.status in ok:
            return response
        if response.status == 401:
            raise ServerError("the server refused the worker token")
        raise ServerError(f"the server answered {response.status} "
                          f"{self._error(response).get('code', '')}".rstrip())

    def ping(self) -> None:
        self._expect(self._call("GET", "/ping"), 204)

    def claim(self, job_id: int, chunk: str, owner: str) -> dict | None:
        """The chunk's inputs, or None when there is nothing to make; Busy when another
        worker holds it."""
        response = self._call("POST", f"/chunks/{job_id}/{chunk}", json={"worker": owner})
        if response.status == 410:
            return None
        if response.status == 409:
            raise runner.Busy(chunk, float(self._error(response).get("retry_in", 5)))
        return self._expect(response, 200).json()

    def warm_up(self) -> list[dict]:
        """Invented letters of every kind to make and drop (api/workers.py)."""
        return self._expect(self._call("GET", "/warm-up"), 200).json()["chunks"]

    def file(self, sha256: str) -> bytes:
        return self._expect(self._call("GET", f"/files/{sha256}"), 200).data

    def renew(self, job_id: int, chunk: str, lease: str) -> bool:
        response = self._call("POST", f"/chunks/{job_id}/{chunk}/lease", json={"lease": lease})
        return response.status == 204

    def give_back(self, job_id: int, chunk: str, lease: str, made: list[MadeLetter]) -> dict | None:
        """Return the letters; None when the server no longer takes them from us."""
        manifest = {"lease": lease, "letters": [
            {"doc_id": m.doc_id, "pages": m.pages, "sha256": m.sha256} for m in made]}
        fields = [("manifest", json.dumps(manifest))] + [
            ("pdf", (f"{m.doc_id}.pdf", m.pdf, "application/pdf")) for m in made]
        response = self._call("POST", f"/chunks/{job_id}/{chunk}/letters", fields=fields)
        if response.status == 409:
            return None
        return self._expect(response, 200).json()

    def failed(self, job_id: int, chunk: str, lease: str, reason: str) -> None:
        self._call("POST", f"/chunks/{job_id}/{chunk}/failure", json={"lease": lease, "reason": reason})


class RemoteWorker:
    """Runs the queue's tasks for a server elsewhere: claim, make, give back."""

    def __init__(self, settings, server: Server, pool: ConverterPool):
        self.server = server
        self.cache = settings.run_dir / "cache"
        self.cache.mkdir(parents=True, exist_ok=True)
        self.workshop = bulk.Workshop(convert=pool.convert, scratch=settings.tmp_dir,
                                      template_cache=settings.run_dir / "templates",
                                      converters=pool.size,
                                      render_seconds=settings.render_seconds)
        self.heartbeat = leases.Heartbeat(self._renew, every=1.0)

    def _renew(self, held: set) -> None:
        for job_id, chunk, lease in held:
            self.server.renew(job_id, chunk, lease)

    def run_chunk(self, job_id: int, chunk: str) -> None:
        data = self.server.claim(job_id, chunk, leases.owner())  # Busy goes to the task
        if data is None:
            return
        inputs = from_wire(data)
        key = (job_id, chunk, inputs.lease)
        self.heartbeat.hold(key)
        started = time.perf_counter()
        try:
            template = self._cached(inputs.template_sha256, ".docx")
            logo = self._cached(inputs.logo_sha256, ".png") if inputs.logo_sha256 else None
            unit_logo = (self._cached(inputs.unit_logo_sha256, ".png")
                         if inputs.unit_logo_sha256 else None)
            made = bulk.make(self.workshop, template, inputs, logo=logo, unit_logo=unit_logo)
            for m in made:
                m.sha256, m.text = hashlib.sha256(m.pdf).hexdigest(), None  # the server reads it
            answer = self.server.give_back(job_id, chunk, inputs.lease, made)
        except ServerError as exc:
            log.warning("print job %d chunk %s: %s; the server will queue it again", job_id, chunk, exc)
            return
        except Exception as exc:
            if runner.STOPPING.is_set():
                raise
            reason = exc.message if isinstance(exc, PulangError) else type(exc).__name__
            log.error("print job %d chunk %s failed: %s", job_id, chunk, type(exc).__name__)
            try:
                self.server.failed(job_id, chunk, inputs.lease, reason)
            except ServerError:
                pass
            return
        finally:
            self.heartbeat.release(key)
        if answer is None:
            log.warning("print job %d chunk %s: the server no longer takes it from us "
                        "(lease lost)", job_id, chunk)
        else:
            log.info("print job %d chunk %s: %d letters returned in %.1f s", job_id, chunk,
                     len(inputs.letters), time.perf_counter() - started)

    def warm_up(self) -> None:
        """Make and drop the invented letters the server hands out (ceremonies/warmup.py),
        so the first real chunk finds its templates here, made ready and combined, and
        LibreOffice and the stamping processes warm."""
        warmup.make_and_drop(self.workshop, self._invented)

    def _invented(self) -> tuple:
        """The server's invented letters, their templates and logos fetched (cached)."""
        chunks = [from_wire(data) for data in self.server.warm_up()]
        work = [(self._cached(c.template_sha256, ".docx"), c) for c in chunks]
        first = chunks[0] if chunks else None
        logo = self._cached(first.logo_sha256, ".png") if first and first.logo_sha256 else None
        unit_logo = (self._cached(first.unit_logo_sha256, ".png")
                     if first and first.unit_logo_sha256 else None)
        return work, logo, unit_logo

    def _cached(self, sha256: str, suffix: str) -> Path:
        """A template or the logo by hash: fetched once, checked, kept."""
        path = self.cache / f"{sha256}{suffix}"
        if path.exists():
            return path
        data = self.server.file(sha256)
        if hashlib.sha256(data).hexdigest() != sha256:
            raise ServerError("a file from the server does not match its hash")
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return path


def run(settings, *, server_url: str, token: str, threads: int | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    server = Server(server_url, token)
    server.ping()  # a wrong address or token stops here, before LibreOffice starts
    # Only caches and scratch: no documents/, index/ or database here.
    shutil.rmtree(settings.tmp_dir, ignore_errors=True)  # what a killed worker left mid-chunk
    for folder in (settings.run_dir, settings.tmp_dir):
        folder.mkdir(parents=True, exist_ok=True)
    pool = ConverterPool(settings.pool_size, settings.run_dir / "converters",
                         timeout=settings.convert_timeout, recycle_after=settings.recycle_after)
    log.info("starting %d LibreOffice workers", settings.pool_size)
    pool.start()
    try:
        worker = RemoteWorker(settings, server, pool)
        queue = JobQueue(settings, run=worker.run_chunk)
        processes.run(processes.warm)
        threading.Thread(target=worker.warm_up, name="warm-up", daemon=True).start()
        log.info("print worker %s ready (Redis queue, server %s)", leases.owner(), server_url)
        consumer(queue, None, workers=threads or workers_for(settings, settings.pool_size),
                 embedded=False).run()
    finally:
        runner.STOPPING.set()
        pool.close()
        shutil.rmtree(settings.tmp_dir, ignore_errors=True)
