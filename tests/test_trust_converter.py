"""The converter is the service's alone and reaches nothing (issue 10, items 9 and 3).

Before: each worker's unoserver XML-RPC port and its soffice's UNO port listened on
127.0.0.1 without authentication, so any local user could have LibreOffice convert
`<archive>/secret_key` into a PDF, or drive LibreOffice through UNO; and a document whose
picture is linked by URL made LibreOffice fetch that URL while converting.

Now: XML-RPC over a unix socket in a 0700 folder; soffice in a network namespace of its
own (unshare --net), its UNO port there; LibreOffice's profile blocks linked content."""

import http.server
import io
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import zipfile

import pytest

from service.letters.convert import cli as convert_cli_module
from service.letters.convert import convert_cli, isolation
from tests.helpers import processes, soffice_of

ROOT = os.geteuid() == 0


@pytest.fixture
def started(converter_pool, tmp_path):
    """The session's pool, with a letter converted (so every worker runs)."""
    docx = _docx(tmp_path / "plain.docx", None)
    converter_pool.convert(docx, tmp_path / "plain.pdf")
    return converter_pool


def _docx(path, base: str | None):
    """A small .docx; with `base`, its picture is linked (not embedded) at base/linked.png
    and it has INCLUDEPICTURE and INCLUDETEXT fields pointing at base."""
    from docx import Document
    from PIL import Image
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    png.seek(0)
    doc = Document()
    doc.add_paragraph("Surat uji")
    doc.add_picture(png)
    buf = io.BytesIO()
    doc.save(buf)
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin, zipfile.ZipFile(path, "w") as out:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if base and item.filename == "word/_rels/document.xml.rels":
                data = re.sub(rb'Target="media/image1.png"',
                              f'Target="{base}/linked.png" TargetMode="External"'.encode(), data)
            if base and item.filename == "word/document.xml":
                fields = (f'<w:p><w:fldSimple w:instr=\' INCLUDEPICTURE "{base}/field.png" \\d \'>'
                          f'<w:r><w:t>pic</w:t></w:r></w:fldSimple></w:p>'
                          f'<w:p><w:fldSimple w:instr=\' INCLUDETEXT "{base}/text.docx" \'>'
                          f'<w:r><w:t>txt</w:t></w:r></w:fldSimple></w:p>').encode()
                data = data.replace(b"r:embed=", b"r:link=").replace(b"<w:sectPr", fields + b"<w:sectPr", 1)
            out.writestr(item, data)
    return path


@pytest.fixture
def listener():
    """An HTTP server on loopback that records every request (and answers with a PNG)."""
    from PIL import Image
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            png = io.BytesIO()
            Image.new("RGB", (40, 40), "blue").save(png, "PNG")
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            self.wfile.write(png.getvalue())

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits, server.server_address[1]
    server.shutdown()
    server.server_close()


def _net_ns(pid) -> str:
    return os.readlink(f"/proc/{pid}/ns/net")


def _listening_inodes() -> set[str]:
    """Inodes of TCP sockets listening in this process's network namespace."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            for line in fh.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A":  # LISTEN
                    found.add(fields[9])
    return found


def _socket_inodes(pid) -> set[str]:
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
            if target.startswith("socket:["):
                out.add(target[8:-1])
    except OSError:
        pass
    return out


def test_no_converter_listens_where_other_processes_can_reach_it(started):
    """No TCP port of a converter in the service's network namespace; soffice and
    unoserver run in namespaces of their own; the XML-RPC sockets sit in a 0700 folder."""
    assert isolation.isolated(), "unshare --net should work here (root, or user namespaces)"
    mine = _net_ns(os.getpid())
    listening = _listening_inodes()
    for index, worker in enumerate(started._workers):
        pgid = worker.proc.pid
        members = [p.pid for p in processes() if p.pgid == pgid and not p.zombie]
        assert soffice_of(started, index) in members
        for pid in members:
            assert _net_ns(pid) != mine, f"converter process {pid} shares the service's network"
            assert not (_socket_inodes(pid) & listening), f"converter process {pid} listens here"
        # Its UNO port, from here: nothing there.
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", int(isolation_port())), timeout=5).close()
        assert worker.socket.is_socket() and worker.socket.parent == started.socket_dir
    assert oct(started.socket_dir.stat().st_mode & 0o777) == oct(0o700)


def isolation_port() -> str:
    from service.letters.convert.pool import UNO_PORT
    return UNO_PORT


_AS_ANOTHER_USER = r"""
import os, sys, xmlrpc.client, http.client, socket
os.setgid(65534); os.setgroups([]); os.setuid(65534)   # nobody
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX); self.sock.connect(sys.argv[1])
class T(xmlrpc.client.Transport):
    def make_connection(self, host): return C("x")
try:
    xmlrpc.client.ServerProxy("http://x", transport=T(), allow_none=True).convert(
        sys.argv[2], None, "/tmp/stolen.pdf", "pdf", None, [], True, None, None)
except PermissionError:
    print("refused"); sys.exit(0)
print("converted"); sys.exit(1)
"""


@pytest.mark.skipif(not ROOT, reason="becoming another user (nobody) needs root")
def test_another_local_user_cannot_use_the_converter(started, tmp_path):
    """The attack of the issue: another account on the machine asks a converter to turn
    the archive's secret into a PDF. The socket's folder is 0700: refused."""
    secret = tmp_path / "secret_key"
    secret.write_text("the session secret")
    for worker in started._workers:
        attempt = subprocess.run([sys.executable, "-c", _AS_ANOTHER_USER, str(worker.socket), str(secret)],
                                 capture_output=True, text=True, timeout=60)
        assert attempt.returncode == 0 and "refused" in attempt.stdout, attempt.stdout + attempt.stderr


def test_a_conversion_fetches_nothing_outside(started, listener, tmp_path):
    """A .docx whose picture is linked by URL (and with INCLUDEPICTURE and INCLUDETEXT
    fields) converts, and the HTTP server it points at gets no request: from the pool,
    and from the one-shot soffice."""
    base, hits, _ = listener
    docx = _docx(tmp_path / "linked.docx", base)
    started.convert(docx, tmp_path / "pool.pdf")
    convert_cli(docx, tmp_path / "cli.pdf", timeout=120, profile_dir=tmp_path / "profile")
    assert (tmp_path / "pool.pdf").read_bytes().startswith(b"%PDF")
    assert (tmp_path / "cli.pdf").read_bytes().startswith(b"%PDF")
    assert hits == []


def test_the_profile_alone_blocks_linked_content(listener, tmp_path, monkeypatch):
    """Each wall on its own: with the network namespace left out, the profile's settings
    keep LibreOffice from fetching; without them too (as before), it fetches."""
    base, hits, _ = listener
    docx = _docx(tmp_path / "linked.docx", base)
    monkeypatch.setattr(convert_cli_module, "network_prefix", lambda: ())
    convert_cli(docx, tmp_path / "blocked.pdf", timeout=120, profile_dir=tmp_path / "p1")
    assert hits == []
    monkeypatch.setattr(convert_cli_module, "write_profile_settings", lambda profile: None)
    convert_cli(docx, tmp_path / "open.pdf", timeout=120, profile_dir=tmp_path / "p2")
    assert hits == ["/linked.png"], "the old behaviour: LibreOffice fetched the linked picture"


def test_the_namespace_alone_reaches_nothing(listener):
    """What a converter's process can reach: not the machine's loopback, not anything."""
    _, _, port = listener
    prefix = isolation.network_prefix()
    assert prefix
    probe = subprocess.run([*prefix, sys.executable, "-c",
                            f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=5)"],
                           capture_output=True, text=True, timeout=60)
    assert probe.returncode != 0 and ("Connection refused" in probe.stderr or "unreachable" in probe.stderr)


def test_without_unshare_conversions_degrade_clearly_and_say_so_once(monkeypatch, caplog):
    monkeypatch.setenv("PATH", "/nonexistent")
    isolation.network_prefix.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="service.letters.convert.isolation"):
            assert isolation.network_prefix() == () and isolation.network_prefix() == ()
        warnings = [r for r in caplog.records if "network namespace" in r.getMessage()]
        assert len(warnings) == 1 and "unshare" in warnings[0].getMessage()
    finally:
        isolation.network_prefix.cache_clear()
