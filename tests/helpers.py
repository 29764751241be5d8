"""Helpers for tests: reading PDFs as a person (or a scanner) would."""

import contextlib
import subprocess
import tempfile
import threading
import types


def pdftotext(data: bytes) -> str:
    """Text of a PDF by poppler's pdftotext, as a reader would copy it."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as fh:
        fh.write(data)
        fh.flush()
        return subprocess.run(["pdftotext", "-layout", fh.name, "-"], check=True,
                              capture_output=True, text=True).stdout


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


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served(archive, converter_pool):
    """The real app on waitress in a thread, on a free loopback port, as browsers see it.
    Yields a namespace with base (URL), runtime, app and db (a connection for seeding)."""
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


@contextlib.contextmanager
def pulang_serve(env: dict, port: int, log_path, *, timeout: float = 120):
    """`pulang serve` as a separate process, as an office runs it; yields its base URL
    once /healthz says ok, and stops it (SIGTERM) afterwards. Its output goes to log_path."""
    import json
    import sys
    import time
    import urllib.request
    from pathlib import Path

    pulang = str(Path(sys.executable).parent / "pulang")
    base = f"http://127.0.0.1:{port}"
    with open(log_path, "w") as log:
        server = subprocess.Popen([pulang, "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                        if json.loads(r.read())["status"] == "ok":
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("pulang serve did not come up: "
                                       + Path(log_path).read_text()[-2000:])
                time.sleep(0.5)
            yield base
        finally:
            server.terminate()
            try:
                server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                server.kill()
