"""Print workers that need no shared disk (issue 14, items 3 and 4), on one machine:
Redis on loopback, `pulang serve` with its own consumer off, and two `pulang worker
--server` processes, each with its own empty folder, in a mount namespace where the
archive's folder is an empty tmpfs (they cannot see the archive). A 100-case job
completes with both taking chunks; one is SIGKILLed mid-chunk and the job still ends
with one letter per woman and kind, numbers 1..n without gaps."""

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from service import db as database
from tests.helpers import PULANG, free_port, office_archive, pulang_serve, wait_for, wait_for_job
from tests.test_ceremonies_data import make_cases, make_ceremony
from tests.test_jobs import start
from tests.test_jobs_workers import Worker, _check_result, redis_url  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


class Response:
    def __init__(self, status: int, body: bytes, headers=None):
        self.status_code, self.data, self.headers = status, body, dict(headers or {})

    @property
    def json(self):
        return json.loads(self.data)


class Http:
    """The calls tests/test_ceremonies_data.py makes on a Flask test client, over HTTP to
    the served app."""

    def __init__(self, base: str):
        self.base = base

    def request(self, method, path, headers=None, json_body=None, data=None, content_type=None):
        body = json.dumps(json_body).encode() if json_body is not None else data
        request = urllib.request.Request(self.base + path, method=method, data=body,
                                         headers=dict(headers or {}))
        if body is not None:
            request.add_header("Content-Type", content_type or "application/json")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return Response(response.status, response.read(), response.headers)
        except urllib.error.HTTPError as error:
            return Response(error.code, error.read())

    def post(self, path, headers=None, json=None):
        return self.request("POST", path, headers, json)

    def get(self, path, headers=None):
        return self.request("GET", path, headers)


class HiddenArchiveWorker(Worker):
    """`pulang worker --server` in a mount namespace where `hidden` (the server's folder)
    is an empty tmpfs: the archive's path does not exist for it."""

    def __init__(self, folder: Path, name: str, hidden: Path, server: str, propagation: str, **env):
        super().__init__(folder, name, **env)
        self.hidden, self.server, self.propagation = hidden, server, propagation

    def start(self):
        self._out = open(self.log, "ab")
        script = 'mount -t tmpfs -o size=1m,mode=700 hidden "$1" && exec "$2" worker --server "$3"'
        self.proc = subprocess.Popen(
            ["unshare", "--mount", "--propagation", self.propagation, "sh", "-c", script, "sh",
             str(self.hidden), PULANG, self.server],
            env=self.env, stdout=self._out, stderr=subprocess.STDOUT)
        return self


def _propagation(probe: Path) -> str | None:
    """How to make a mount namespace whose mounts stay in it: `private` (unshare makes
    every mount private; "/" must be a mount point, which it is not in a chroot such as
    ../shared/tools/fresh-check's), else `unchanged` where no mount is shared anyway.
    None where mounting is not allowed (not root, no CAP_SYS_ADMIN)."""
    if shutil.which("unshare") is None:
        return None
    probe.mkdir()
    for propagation in ("private", "unchanged"):
        if propagation == "unchanged" and " shared:" in Path("/proc/self/mountinfo").read_text():
            continue  # a mount in the new namespace would show outside it too
        if subprocess.run(["unshare", "--mount", "--propagation", propagation, "sh", "-c",
                           'mount -t tmpfs hidden "$1"', "sh", str(probe)],
                          capture_output=True).returncode == 0:
            return propagation
    return None


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_two_workers_without_the_archive_make_a_100_case_job(tmp_path, redis_url):  # noqa: F811
    propagation = _propagation(tmp_path / "probe")
    if propagation is None:
        pytest.skip("needs unshare --mount (root, or CAP_SYS_ADMIN) to hide the archive")
    import redis

    port = free_port()
    server_dir = tmp_path / "server"
    archive = server_dir / "archive"
    office = office_archive(archive, port, pool_size=1, PULANG_QUEUE_URL=redis_url,
                            PULANG_JOB_WORKERS="0", PULANG_LEASE_SECONDS="6",
                            PULANG_CHUNK_SIZE="25", PULANG_SECRET_KEY="test")
    token = subprocess.run([PULANG, "worker-token", "create", "worker-a"], env=office.env,
                           capture_output=True, text=True, check=True).stdout.split()[-1]
    headers = {"Authorization": f"Bearer {office.token}"}
    folders = [tmp_path / f"worker{i}" for i in (1, 2)]
    for folder in folders:
        folder.mkdir()

    with pulang_serve(office.env, port, tmp_path / "serve.log") as base:
        http = Http(base)
        # The worker routes take a worker token and nothing else; it opens nothing else.
        assert http.get("/api/v1/worker/ping", headers).status_code == 401
        assert http.get("/api/v1/cases/1", {"Authorization": f"Bearer {token}"}).status_code == 401
        cases = make_cases(http, headers, 100)
        ceremony = make_ceremony(http, headers, cases)
        env = {"PULANG_QUEUE_URL": redis_url, "PULANG_POOL_SIZE": "1", "PULANG_JOB_WORKERS": "2",
               "PULANG_WORKER_TOKEN": token}
        workers = [HiddenArchiveWorker(folder, folder.name, server_dir, base, propagation, **env)
                   for folder in folders]
        db = database.connect(archive / "pulang.db")
        try:
            for w in workers:
                w.start()
            for w in workers:
                w.wait_ready()
                # What the worker sees (its mount namespace): its own folder, no archive.
                assert Path(f"/proc/{w.proc.pid}/root{folders[0]}").exists()
                assert Path(f"/proc/{w.proc.pid}/root{server_dir}").exists()
                assert not Path(f"/proc/{w.proc.pid}/root{archive}").exists()
            job_id = start(http, headers, ceremony["id"], duplex=True)
            doomed, other = workers

            def holding(worker):
                return db.execute("SELECT chunk, lease_owner FROM print_job_chunks WHERE job_id = ? "
                                  "AND state = 'todo' AND lease_owner LIKE ?",
                                  [job_id, f"%:{worker.proc.pid}:%"]).fetchone()

            def took_part(worker):
                return holding(worker) or db.execute(
                    "SELECT 1 FROM print_job_chunks WHERE job_id = ? AND worker_pid = ?",
                    [job_id, worker.proc.pid]).fetchone()

            wait_for(lambda: took_part(other), 300, what="the second worker to take a chunk",
                     detail=other.tail)
            chunk, dead_lease = wait_for(lambda: holding(doomed), 300,
                                         what="the first worker to hold a chunk", detail=doomed.tail)
            # Nothing personal in the queue: tasks carry a job id and a chunk name.
            queued = redis.Redis.from_url(redis_url)
            stored = b"".join(queued.dump(key) or b"" for key in queued.keys("*"))
            doomed.kill()  # mid-chunk: its lease, its numbers reserved, its letters not back
            names = [db["cases"].get(c)["full_name"] for c in cases]
            assert not [n for n in names if n.encode() in stored]

            job, _ = wait_for_job(http, headers, job_id, timeout=600)
            assert job["state"] == "done", job
            # The dead worker's late answer is refused, not recorded.
            late = http.request("POST", f"/api/v1/worker/chunks/{job_id}/{chunk}/letters",
                                {"Authorization": f"Bearer {token}"},
                                data=_multipart({"lease": dead_lease, "letters": []}),
                                content_type=f"multipart/form-data; boundary={_BOUNDARY}")
            assert late.status_code == 409 and late.json["error"]["code"] == "lease_lost"
        finally:
            for w in workers:
                w.stop()

        _check_result(db, archive, job_id, ceremony["id"], cases)
        rows = list(db["print_job_chunks"].rows_where("job_id = ?", [job_id]))
        redone = next(r for r in rows if r["chunk"] == chunk)
        assert redone["worker_pid"] == other.proc.pid and redone["attempts"] >= 2
        assert {r["worker_pid"] for r in rows if r["chunk"] != "assemble"} <= {
            doomed.proc.pid, other.proc.pid}
        db.close()

    # The workers' folders hold caches only: templates and logo by hash, combined
    # templates, LibreOffice profiles; no letter, no PDF. (The killed one may have left
    # scratch in tmp/, which its next start removes.)
    for folder in folders:
        for name in _files(folder):
            if name.startswith("tmp/") and folder == folders[0]:
                continue
            assert not name.endswith(".pdf"), name
            assert not name.startswith(("tmp/", "documents/", "index/")), name
            if name.endswith(".docx"):
                assert name.startswith(("run/cache/", "run/templates/")), name
    assert not (folders[1] / "tmp").exists() or not any((folders[1] / "tmp").iterdir())
    # Logs carry ids and counts, never a name.
    logs = "".join(p.read_text(errors="replace") for p in tmp_path.glob("*.log"))
    assert "print job" in logs
    assert not [n for n in names if n in logs]


_BOUNDARY = "pulang-test-boundary"


def _multipart(manifest: dict) -> bytes:
    return (f"--{_BOUNDARY}\r\nContent-Disposition: form-data; name=\"manifest\"\r\n\r\n"
            f"{json.dumps(manifest)}\r\n--{_BOUNDARY}--\r\n").encode()
