"""LibreOffice is the service's alone, and reaches nothing outside (issue 10, items 3, 9).

Two walls, each enough on its own for what it guards:

- The profile every LibreOffice we start reads (`registrymodifications.xcu`) blocks
  links to anything outside the document (`BlockUntrustedRefererLinks`: an image linked
  by URL is not fetched; tested with a .docx whose picture points at a local HTTP
  server), never updates links on load, and runs no macro.
- Each converter process gets a network namespace of its own (`unshare --net`): only a
  loopback interface, so a document, a LibreOffice bug or a filter cannot open a
  connection anywhere, and the UNO socket a worker's soffice listens on (TCP, inside
  that namespace) is reachable by no other process on the machine. As root (the office
  server, CI) that is `unshare --net`; as another user, `unshare --net --map-root-user`
  where the kernel allows user namespaces. Where neither works (a container that forbids
  unshare), conversions run in the service's own namespace: logged once, as a warning,
  with what it means (the worker's UNO port on 127.0.0.1 is then open to local users).

The pool's XML-RPC socket is a unix socket in a folder only the service's user may enter
(pool.py), in either case.
"""

import functools
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

WORKER_MAIN = str(Path(__file__).with_name("worker_main.py"))

PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" oor:op="fuse"><value>2</value></prop></item>
</oor:items>
"""


def write_profile_settings(profile: Path) -> None:
    """Before LibreOffice first starts on `profile` (its UserInstallation folder): the
    settings above, which it reads at start and keeps."""
    user = Path(profile) / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(PROFILE_SETTINGS)


@functools.cache
def network_prefix() -> tuple[str, ...]:
    """What to put before a converter's command so it runs in a network namespace of its
    own: ("unshare", "--net", ...), or () where that is impossible (logged once)."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return _degraded("there is no `unshare` (util-linux)")
    tries = [(unshare, "--net")] if os.geteuid() == 0 else []
    tries.append((unshare, "--net", "--map-root-user"))
    why = ""
    for prefix in tries:
        # The same check a worker makes when it starts: its loopback can be brought up.
        probe = subprocess.run([*prefix, sys.executable, "-P", WORKER_MAIN, "--check-network"],
                               capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return prefix
        why = (probe.stderr.strip().splitlines() or [f"exit {probe.returncode}"])[-1]
    return _degraded(f"`unshare --net` failed ({why})")


def _degraded(why: str) -> tuple[str, ...]:
    log.warning("LibreOffice runs without a network namespace of its own: %s. Documents "
                "still cannot fetch links (the profile blocks them), but each converter's "
                "UNO port on 127.0.0.1 is open to other local users; run the service as "
                "root or allow user namespaces to close it (docs/reliability.md)", why)
    return ()


def isolated() -> bool:
    """Whether conversions run in a network namespace of their own."""
    return bool(network_prefix())
