"""One converter worker's process: unoserver's XML-RPC server in front of its own soffice.

The pool runs this file by path (`python worker_main.py --port ... --uno-port ...`), not as
part of the `service` package, so a worker starts without importing Flask and the rest.

It is `python -m unoserver.server` without that module's fixed waits: unoserver 3.7 sleeps
5 s after starting soffice and 2 s more after starting its XML-RPC thread, and retries a
refused UNO connection only every 2 s, whatever the machine. Here we watch the UNO socket
instead and start unoserver's server (its own `serve`, unchanged) as soon as soffice
accepts; the pool's readiness check (an `info()` call that goes through to LibreOffice)
then answers within about a cold soffice start.

Documents are opened hidden (`Hidden=True`, which unoserver does not pass): a document
opened in a view costs LibreOffice about 65 ms more per letter for the same PDF
(docs/decisions.md, "Templates made ready once").

The process exits when its soffice does, and kills its process group when its parent (the
service) goes away without closing the pool, e.g. SIGKILLed: else a 200 MB soffice would
outlive us. (PR_SET_PDEATHSIG would fire when the parent's starting thread ends, too early.)

The XML-RPC server listens on a unix socket (`--socket`, in a folder only the service's
user may enter), not on a TCP port any local process could reach (issue 10, item 9).
With `--private-network` the process was started in a network namespace of its own
(isolation.py): it brings that namespace's loopback up, where soffice's UNO socket then
listens, unreachable from outside. `--check-network` only tries that, for the probe.
"""

import argparse
import fcntl
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import xmlrpc.server
from pathlib import Path

POLL = 0.05  # seconds between looks at soffice's UNO socket


def main() -> None:
    if sys.argv[1:] == ["--check-network"]:
        _loopback_up()
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--interface", default="127.0.0.1")
    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--uno-port", required=True)
    parser.add_argument("--private-network", action="store_true")
    parser.add_argument("--executable", required=True)
    parser.add_argument("--user-installation", required=True, type=Path)
    parser.add_argument("--temp-dir", required=True)
    parser.add_argument("--nice", type=int, default=0)
    args = parser.parse_args()

    if args.nice:  # before soffice starts: it inherits it (letters/priority.py says why)
        os.setpriority(os.PRIO_PROCESS, 0, args.nice)

    _die_with(os.getppid())
    if args.private_network:
        _loopback_up()
    import unoserver.server
    from unoserver.server import UnoServer
    unoserver.server.converter.UnoConverter = _hidden_converter()
    # unoserver builds its XML-RPC server from this name in serve(): listen on the unix
    # socket instead of a TCP port.
    unoserver.server.XMLRPCServer = _unix_server(args.socket)
    server = UnoServer(args.interface, "0", args.interface, args.uno_port,
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


def _hidden_converter():
    """unoserver's converter, whose documents open hidden (no view is made for them)."""
    from com.sun.star.beans import PropertyValue
    from unoserver.converter import UnoConverter

    class Desktop:
        def __init__(self, desktop):
            self._desktop = desktop

        def loadComponentFromURL(self, url, frame, flags, props):  # noqa: N802 (UNO's name)
            hidden = PropertyValue(Name="Hidden", Value=True)
            return self._desktop.loadComponentFromURL(url, frame, flags, (*props, hidden))

        def __getattr__(self, name):
            return getattr(self._desktop, name)

    class Converter(UnoConverter):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.desktop = Desktop(self.desktop)

    return Converter


class _Handler(xmlrpc.server.SimpleXMLRPCRequestHandler):
    disable_nagle_algorithm = False  # TCP_NODELAY: not an option of a unix socket

    def address_string(self) -> str:
        return "unix"  # a unix socket's peer has no (host, port)


def _unix_server(path: Path):
    class UnixXMLRPCServer(xmlrpc.server.SimpleXMLRPCServer):
        address_family = socket.AF_UNIX
        allow_reuse_address = False

        def __init__(self, _addr, allow_none=False):
            path.unlink(missing_ok=True)  # one a killed worker left
            super().__init__(str(path), requestHandler=_Handler, logRequests=False,
                             allow_none=allow_none)

        def server_close(self):
            super().server_close()
            path.unlink(missing_ok=True)

    return UnixXMLRPCServer


def _loopback_up() -> None:
    """Bring `lo` up in this (new) network namespace: SIOCGIFFLAGS, then SIOCSIFFLAGS
    with IFF_UP. Raises OSError where the process may not (no CAP_NET_ADMIN here)."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(s, siocgifflags, request))[1]
        fcntl.ioctl(s, siocsifflags, struct.pack("16sH14x", b"lo", flags | iff_up))


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
