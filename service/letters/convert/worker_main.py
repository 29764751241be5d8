"""One converter worker's process: unoserver's XML-RPC server in front of its own soffice.

The pool runs this file by path (`python worker_main.py --port ... --uno-port ...`), not as
part of the `service` package, so a worker starts without importing Flask and the rest.

It is `python -m unoserver.server` without that module's fixed waits: unoserver 3.7 sleeps
5 s after starting soffice and 2 s more after starting its XML-RPC thread, and retries a
refused UNO connection only every 2 s, whatever the machine. Here we watch the UNO socket
instead and start unoserver's server (its own `serve`, unchanged) as soon as soffice
accepts; the pool's readiness check (an `info()` call that goes through to LibreOffice)
then answers within about a cold soffice start.

The process exits when its soffice does, and kills its process group when its parent (the
service) goes away without closing the pool, e.g. SIGKILLed: else a 200 MB soffice would
outlive us. (PR_SET_PDEATHSIG would fire when the parent's starting thread ends, too early.)
"""

import argparse
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

from unoserver.server import UnoServer

POLL = 0.05  # seconds between looks at soffice's UNO socket


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--port", required=True)
    parser.add_argument("--uno-port", required=True)
    parser.add_argument("--executable", required=True)
    parser.add_argument("--user-installation", required=True, type=Path)
    parser.add_argument("--temp-dir", required=True)
    args = parser.parse_args()

    _die_with(os.getppid())
    server = UnoServer(args.interface, args.port, args.interface, args.uno_port,
                       args.user_installation.as_uri(), temp_dir=args.temp_dir)
    # The command line UnoServer.start() gives soffice.
    accept = f"socket,host={args.interface},port={args.uno_port},tcpNoDelay=1;urp;StarOffice.ComponentContext"
    soffice = server.libreoffice_process = subprocess.Popen([
        args.executable, "--headless", "--invisible", "--nocrashreport", "--nodefault",
        "--nologo", "--nofirststartwizard", "--norestore",
        f"-env:UserInstallation={server.user_installation}", f"--accept={accept}"])
    while not _accepts(args.interface, int(args.uno_port)):
        if soffice.poll() is not None:
            raise SystemExit(f"soffice exited with status {soffice.returncode} before it listened")
        time.sleep(POLL)
    threading.Thread(target=server.serve, daemon=True, name="xmlrpc").start()
    raise SystemExit(f"soffice exited with status {soffice.wait()}")


def _accepts(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def _die_with(parent: int) -> None:
    def watch():
        while os.getppid() == parent:
            time.sleep(1)
        os.killpg(0, signal.SIGKILL)
    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


if __name__ == "__main__":
    main()
