"""Sending a print job's PDF to the office printer through CUPS (`lp`), where the server
has CUPS and a printer is configured (PULANG_PRINTER); otherwise saying so plainly, so
the clerk downloads the PDF and prints it from her PC."""

import re
import shutil
import subprocess

from ..errors import PulangError

TIMEOUT = 20


class PrinterUnavailable(PulangError):
    """The server can't print: no CUPS, or no printer configured."""

    status = 503
    code = "printer_unavailable"


def availability(settings) -> dict:
    if shutil.which("lp") is None:
        return {"available": False, "printer": settings.printer or None,
                "reason": "CUPS is not installed on the server (no lp command): download "
                          "the PDF and print it from a computer"}
    if not settings.printer:
        return {"available": False, "printer": None,
                "reason": "no printer is configured on the server (PULANG_PRINTER): download "
                          "the PDF and print it from a computer"}
    return {"available": True, "printer": settings.printer, "reason": None}


def send(settings, pdf_path, job_id: int) -> str:
    """Queue the file on the configured printer; returns CUPS's request id. The title
    CUPS shows and logs is the job's id, never a name."""
    state = availability(settings)
    if not state["available"]:
        raise PrinterUnavailable(state["reason"])
    try:
        done = subprocess.run(["lp", "-d", settings.printer, "-t", f"pulang-print-{job_id}",
                               "--", str(pdf_path)], capture_output=True, text=True,
                              timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PrinterUnavailable(f"the printer could not be reached: {type(exc).__name__}") from exc
    found = re.search(r"request id is (\S+)", done.stdout)
    if done.returncode != 0 or not found:
        raise PrinterUnavailable(f"CUPS refused the job: {(done.stderr or done.stdout).strip()[:200]}")
    return found.group(1)


def state(settings, request_id: str | None) -> str | None:
    """'queued' while CUPS still holds the request, 'completed' once printed, else None."""
    if not request_id or shutil.which("lpstat") is None:
        return None
    for which, answer in (("not-completed", "queued"), ("completed", "completed")):
        try:
            listed = subprocess.run(["lpstat", "-W", which, "-o"], capture_output=True,
                                    text=True, timeout=TIMEOUT).stdout
        except (OSError, subprocess.TimeoutExpired):
            return None
        if any(line.split()[:1] == [request_id] for line in listed.splitlines()):
            return answer
    return None
