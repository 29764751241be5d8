"""How many print-worker machines one server feeds (issue 14, item 4), on this machine.

    .venv/bin/python bench/worker_bench.py [--cases 100] [--runs 2] [--pool-size 2]

Each run: Redis on loopback, `pulang serve` with its own consumer off (PULANG_JOB_WORKERS=0)
on a fresh archive with --cases invented women in one ceremony, and ONE `pulang worker
--server` with its own empty folder and --pool-size LibreOffice workers (warm before the
job starts). The job (every kind, duplex: 3 × cases + 2 documents) is timed from the
POST to the merged PDF, and the CPU seconds of each side are read from /proc:

  server   `pulang serve` and its stamping processes: hand out (reserve numbers, build
           contexts), check (pdfium reads every returned PDF), store, record, index,
           merge; its own LibreOffice is idle (it makes no letters)
  worker   `pulang worker --server` and its LibreOffice and stamping processes

A machine of C cores accepts at most C / (server CPU per document) documents a second,
and a worker machine of C cores makes at most C / (worker CPU per document); so, on
machines like this one, one server feeds (worker CPU per document) / (server CPU per
document) workers before it is the bottleneck. Also printed: the worker's measured
documents/s (it shares this machine's cores with the server here, so a machine of its
own does better). A benchmark, not a test: nothing is asserted.
"""

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from ceremony_bench import _cpu_seconds, machine, seed  # noqa: E402

from service import create_app  # noqa: E402
from service.config import Settings  # noqa: E402
from service.runtime import Runtime  # noqa: E402
from service.ops import demo  # noqa: E402

PULANG = str(Path(sys.executable).parent / "pulang")


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise SystemExit(f"waited {timeout:g} s for {what}")
        time.sleep(0.1)
    return result


def _tree(pid: int) -> list[int]:
    """pid and every process below it."""
    children: dict[int, list[int]] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except OSError:
            pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def _call(base, token, method, path, body=None):
    request = urllib.request.Request(base + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read() or b"null")


def one_run(root: Path, cases: int, pool_size: int) -> dict:
    port = _free_port()
    redis_port = _free_port()
    redis = subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(root)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    queue = f"redis://127.0.0.1:{redis_port}/0"
    archive = root / "server"
    env = dict(os.environ, PULANG_ARCHIVE=str(archive), PULANG_PORT=str(port), PULANG_POOL_SIZE="1",
               PULANG_QUEUE_URL=queue, PULANG_JOB_WORKERS="0", PULANG_SECRET_KEY="bench")
    base = f"http://127.0.0.1:{port}"

    def pulang(*args, input=None):
        return subprocess.run([PULANG, *args], env=env, input=input, capture_output=True,
                              text=True, check=True).stdout

    pulang("init")
    pulang("office", "set", input=json.dumps(demo.OFFICE))  # real letters, not samples
    pulang("user", "create", "bench", "--role", "staff", "--password-stdin", input="bench-password-long\n")
    token = pulang("token", "create", "bench").split()[-1]
    worker_token = pulang("worker-token", "create", "bench-worker").split()[-1]
    # The women and the ceremony, in-process, before the server starts.
    settings = Settings.from_env(archive=archive, base_url=base)
    runtime = Runtime(settings)
    client = create_app({"archive": archive, "base_url": base}, runtime=runtime).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    ids = seed(client, headers, cases, random.Random(cases))
    ceremony = client.post("/api/v1/ceremonies", headers=headers, json={
        "title": "Pelepasan Penerima Manfaat", "date": "2024-07-31", "place": "Aula",
        "case_ids": ids, "officials": [{"name": "Drs. H. Sri Purwanto, M.M.",
                                        "title": "Penjabat Wali Kota Jambi", "nip": ""}]}).json
    runtime.close()

    logs = root / "logs"
    logs.mkdir(exist_ok=True)
    server = subprocess.Popen([PULANG, "serve"], env=env, stdout=open(logs / "serve.log", "w"),
                              stderr=subprocess.STDOUT)
    worker_env = dict(os.environ, PULANG_ARCHIVE=str(root / "worker"), PULANG_QUEUE_URL=queue,
                      PULANG_POOL_SIZE=str(pool_size), PULANG_WORKER_TOKEN=worker_token)
    worker = None
    try:
        def up():
            try:
                return _call(base, token, "GET", "/healthz")["status"] == "ok"
            except OSError:
                return False
        _wait(up, 120, "pulang serve")
        worker = subprocess.Popen([PULANG, "worker", "--server", base], env=worker_env,
                                  stdout=open(logs / "worker.log", "w"), stderr=subprocess.STDOUT)
        _wait(lambda: " ready " in (logs / "worker.log").read_text(), 120, "the worker")
        time.sleep(2)  # let start-up work settle before the clocks start
        load = os.getloadavg()[0]
        server_cpu = lambda: _cpu_seconds(_tree(server.pid))  # noqa: E731
        worker_cpu = lambda: _cpu_seconds(_tree(worker.pid))  # noqa: E731
        server_main = lambda: _cpu_seconds([server.pid])  # noqa: E731
        before = server_cpu(), worker_cpu(), server_main()
        started = time.perf_counter()
        job = _call(base, token, "POST", f"/api/v1/ceremonies/{ceremony['id']}/print", {"duplex": True})
        done = _wait(lambda: (lambda j: j if j["state"] in ("done", "failed") else None)(
            _call(base, token, "GET", f"/api/v1/jobs/{job['job_id']}")), 1800, "the job")
        seconds = time.perf_counter() - started
        after = server_cpu(), worker_cpu(), server_main()
        assert done["state"] == "done", done
    finally:
        for proc in (worker, server):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    proc.kill()
        redis.terminate()
        redis.wait()
    docs = 3 * cases + 2
    server_s, worker_s = after[0] - before[0], after[1] - before[1]
    return {"documents": docs, "seconds": round(seconds, 2), "load_at_start": round(load, 2),
            "server_cpu_ms_per_doc": round(1000 * server_s / docs, 1),
            # of which its main process (web, hand out, store, record, merge); the rest is
            # its stamping processes (reading the returned PDFs, the index commit)
            "server_main_process_ms_per_doc": round(1000 * (after[2] - before[2]) / docs, 1),
            "worker_cpu_ms_per_doc": round(1000 * worker_s / docs, 1),
            "worker_documents_per_s": round(docs / seconds, 1),
            "workers_per_server": round(worker_s / server_s, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--pool-size", type=int, default=2, help="the worker's LibreOffice workers")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed")
    runs = []
    for n in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="pulang-worker-bench-") as tmp:
            runs.append(one_run(Path(tmp), args.cases, args.pool_size))
        print(json.dumps({"run": n + 1, **runs[-1]}), file=sys.stderr)
    median = {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0] if k != "documents"}
    print(json.dumps({"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                      "command": ".venv/bin/python " + " ".join(["bench/worker_bench.py", *sys.argv[1:]]),
                      "median_of_runs": median, "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
