"""docx → PDF/A-2b with LibreOffice.

Two ways in, one result: `ConverterPool` keeps warm unoserver workers (the service), and
`convert_cli` runs one `soffice --convert-to` per document (scripts, tests, when no pool
runs). Both write exactly the `pdf` path given, atomically, as PDF/A-2b; with
`bookmarks=True` every Writer bookmark becomes a PDF named destination.

LibreOffice escapes destination names: letters, digits and "-" stay as they are, anything
else is hex-escaped ("letter_1" → "letter5F1", "a.b" → "a2Eb"). Name bookmarks with
[A-Za-z0-9-] only if you look them up by name in the PDF.
"""

from ...errors import PulangError


class ConversionError(PulangError):
    """LibreOffice could not turn this document into a PDF."""

    status = 500
    code = "conversion_failed"


class ConversionTimeout(ConversionError):
    """The conversion passed its timeout; the worker was killed and is being restarted."""

    status = 504
    code = "conversion_timeout"


class ConverterUnavailable(ConversionError):
    """No LibreOffice to convert with: a worker failed to start, or crashed twice."""

    status = 503
    code = "converter_unavailable"


class QueueFull(ConversionError):
    """Too many callers already wait for a worker; try again after `retry_after` seconds."""

    status = 429
    code = "queue_full"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


def pdf_filter_data(bookmarks: bool) -> dict[str, int | bool]:
    """The writer_pdf_Export FilterData both ways of converting pass."""
    data: dict[str, int | bool] = {"SelectPdfVersion": 2}  # 2 = PDF/A-2b
    if bookmarks:
        data["ExportBookmarksToPDFDestination"] = True
    return data


def looks_like_pdf(path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(5) == b"%PDF-"
    except OSError:
        return False


# Imported last: cli and pool take the exceptions above from this package.
from .cli import convert_cli  # noqa: E402
from .pool import ConverterPool  # noqa: E402

__all__ = [
    "ConversionError",
    "ConversionTimeout",
    "ConverterPool",
    "ConverterUnavailable",
    "QueueFull",
    "convert_cli",
]
