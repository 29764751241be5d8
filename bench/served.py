"""The product as `make run` serves it, for the benchmarks: a temporary archive, an office,
a user and a token made with the `pulang` command line, then `pulang serve` as its own
process on a free loopback port; HTTP calls to it; the CPU time and resident memory of
the server and of every process it started (LibreOffice workers, stamping processes).

    with Served(pool_size=2) as server:
        status, headers, body = server.call("POST", "/api/v1/cases", {...})
        server.memory()   # MB: {"service": …, "libreoffice": …, "stamping": …, "total": …}
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from service.ops import demo  # noqa: E402

PULANG = str(Path(sys.executable).parent / "pulang")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, token, body=None, timeout=300):
    """(status, headers, body bytes); status 0 when the server did not answer."""
    request = urllib.request.Request(
        base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()
    except OSError as exc:  # refused, reset, timed out: counted as errors
        return 0, {}, str(exc).encode()


class Served:
    """`pulang serve` on a fresh archive (an office set, so letters are real, not samples)."""

    def __init__(self, pool_size: int = 2, env: dict | None = None, keep: bool = False):
        self.work = Path(tempfile.mkdtemp(prefix="pulang-bench-"))
        self.archive, port = self.work / "archive", free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.keep = keep
        self.env = dict(os.environ, PULANG_ARCHIVE=str(self.archive), PULANG_PORT=str(port),
                        PULANG_HOST="127.0.0.1", PULANG_POOL_SIZE=str(pool_size),
                        PULANG_SECRET_KEY="bench", **(env or {}))
        self.pulang("init")
        self.pulang("office", "set", input=json.dumps(demo.OFFICE))
        self.pulang("user", "create", "beban", "--role", "supervisor", "--password-stdin",
                    input="kata sandi beban panjang\n")
        self.token = self.pulang("token", "create", "beban").strip().splitlines()[-1]
        self.log = self.work / "serve.log"
        self._log_file = open(self.log, "w")
        started = time.monotonic()
        self.server = subprocess.Popen([PULANG, "serve"], env=self.env, stdout=self._log_file,
                                       stderr=subprocess.STDOUT)
        self._wait_ready()
        self.start_seconds = time.monotonic() - started

    def pulang(self, *args, input: str | None = None) -> str:
        return subprocess.run([PULANG, *args], env=self.env, check=True, capture_output=True,
                              text=True, input=input if input is not None else "").stdout

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                    if json.loads(r.read())["status"] == "ok":
                        return
            except OSError:
                pass
            if self.server.poll() is not None or time.monotonic() > deadline:
                self.server.kill()
                sys.exit("server did not start:\n" + self.log.read_text()[-3000:])
            time.sleep(0.2)

    def call(self, method, path, body=None, timeout=300):
        return call(self.base, method, path, self.token, body, timeout)

    def json(self, method, path, body=None, expect=(200, 201)):
        status, _, data = self.call(method, path, body)
        if status not in expect:
            raise RuntimeError(f"{method} {path}: {status} {data[:300]!r}")
        return json.loads(data)

    def processes(self) -> dict[int, str]:
        """pid → role of the server and everything it started."""
        found = {self.server.pid: "service"}
        todo = [self.server.pid]
        children = _children()
        while todo:
            for child in children.get(todo.pop(), []):
                found[child] = _role(child)
                todo.append(child)
        return found

    def memory(self) -> dict[str, float]:
        """Memory in MB by role (service, libreoffice, stamping, other), and total: each
        process's proportional set size (its resident pages, a page shared by n processes
        counted 1/n in each), so forked processes are not counted twice."""
        out: dict[str, float] = {}
        for pid, role in self.processes().items():
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            pss = next(int(line.split()[1]) for line in rollup.splitlines()
                       if line.startswith("Pss:")) / 1024
            out[role] = round(out.get(role, 0) + pss, 1)
        out["total"] = round(sum(out.values()), 1)
        return out

    def cpu(self) -> dict[str, float]:
        """CPU seconds (user + system) so far by role; a process that ended is not counted,
        so take differences over stretches in which none ends (no worker recycled)."""
        out: dict[str, float] = {}
        for pid, role in self.processes().items():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[role] = out.get(role, 0) + (int(fields[11]) + int(fields[12])) / TICKS
        return out

    def close(self) -> None:
        self.server.send_signal(signal.SIGTERM)
        try:
            self.server.wait(timeout=120)
        finally:
            self._log_file.close()
            if not self.keep:
                shutil.rmtree(self.work, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _role(pid: int) -> str:
    try:
        command = (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
    except OSError:
        return "other"
    if any(name in command for name in ("soffice", "oosplash", "worker_main")):
        return "libreoffice"
    if "multiprocessing" in command or "processes" in command:
        return "stamping"
    return "other"
