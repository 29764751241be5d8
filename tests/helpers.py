"""Helpers for tests: reading PDFs as a person (or a scanner) would."""

import subprocess
import tempfile


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
