"""Word rendering: a template plus a context gives a filled .docx.

Templates run in the sandbox of service/letters/sandbox.py (plain data only, attribute
access and calls by allow-list, a budget of time, loops and text per render), with
StrictUndefined and autoescape on: a name typed as `Siti & <Aminah>` prints as typed, a
misspelt variable is an error instead of a blank on a signed letter.

What the service, not the template, does around a render:

- **The context is plain data** (`sandbox.check_plain`): nothing in it has attributes
  a template could walk to reach the service's objects.
- **The logo goes in after rendering.** `office_logo` is a plain marker text (or "" when
  the office has no logo); each marker left in a rendered part is replaced here by the
  picture, added to that part by python-docx. The template never holds an object of the
  document (docxtpl's InlineImage carried the live DocxTemplate: `office_logo.tpl.save()`).
- **Nothing reaches outside** (service/letters/external.py): a template with an external
  relationship or an including field is refused before it renders, and every rendered
  part is checked again.
- **Document properties are neutral**: title = the document kind, author = the office,
  everything else empty. docxtpl would render them as templates (a name in the title ends
  up in the PDF's metadata); here they are set, never rendered.
- **Errors say what went wrong in staff terms, without the letter's data**: an exception
  message can quote a value (`invalid literal for int() with base 10: '<her name>'`), so
  it never reaches a log, a response or the document's row. Logs carry the exception
  type, the template's kind and version and the document ids only. `RenderError.detail`
  keeps the exception's text for the upload check, which renders invented sample data.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate

from ..errors import PulangError
from ..records.kinds import KIND_LABELS
from . import external
from .sandbox import Limits, TemplateLimit, budget, check_plain, make_env

log = logging.getLogger(__name__)

LOGO_HEIGHT = Mm(22)


class RenderError(PulangError):
    """A template could not be filled. `message` is safe to show and store (no letter
    data); `detail` is the underlying error's own text, for sample data only."""

    status = 422
    code = "render_failed"

    def __init__(self, message: str, *, detail: str = "", reason: str = "", **extra):
        super().__init__(message, **extra)
        self.detail = detail or message
        self.reason = reason


@dataclass(frozen=True)
class About:
    """What a render is of, for its messages, logs and document properties: never data."""

    kind: str = ""
    version: int | None = None
    documents: tuple[int, ...] = ()
    office: str = ""   # the office's name: the document's author

    def named(self) -> str:
        """"the Surat Pernyataan template (version 3)" """
        label = KIND_LABELS.get(self.kind, self.kind)
        return ("the " + (f"{label} " if label else "") + "template"
                + (f" (version {self.version})" if self.version else ""))


@dataclass
class _Run:
    logo: Path | None
    marker: str
    reached: list = field(default_factory=list)


class _Docx(DocxTemplate):
    """docxtpl with the service's steps around its rendering (see the module docstring)."""

    run: _Run

    def render_xml_part(self, src_xml, part, context, jinja_env=None):
        xml = super().render_xml_part(src_xml, part, context, jinja_env)
        self.run.reached += external.in_part(str(part.partname).lstrip("/"), xml)
        if self.run.marker in xml:
            xml = xml.replace(self.run.marker, self._picture(part))
        return xml

    def _picture(self, part) -> str:
        """The logo as a run of its own (the marker sits in a w:t: close it, add the
        picture's run, open a new w:t for what followed), or nothing where a picture
        cannot go (a footnote)."""
        if self.run.logo is None or not hasattr(part, "new_pic_inline"):
            return ""
        inline = part.new_pic_inline(str(self.run.logo), None, LOGO_HEIGHT).xml
        return ('</w:t></w:r><w:r><w:drawing>%s</w:drawing></w:r><w:r>'
                '<w:t xml:space="preserve">' % inline)

    def render_properties(self, context, jinja_env=None):
        """Never rendered: set to fixed, neutral values."""


def neutral_properties(docx, about: About) -> None:
    """Title = the document kind, author = the office; nothing else (python-docx's
    core properties; docProps/app.xml and custom.xml are never rendered)."""
    props = docx.core_properties
    props.title = KIND_LABELS.get(about.kind, "")
    props.author = about.office
    for name in ("subject", "comments", "keywords", "category", "identifier",
                 "content_status", "last_modified_by", "version"):
        setattr(props, name, "")


_ENV = make_env()
# Exception types whose text is the template's own (a tag written wrongly), never data.
_TEMPLATE_TEXT = (jinja2.TemplateSyntaxError,)


def _reason(exc: BaseException, limits: Limits) -> str:
    """What went wrong, in staff terms, without quoting the letter's data."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"a tag is written wrongly ({exc.message})"
    if isinstance(exc, TemplateLimit):
        return {
            "time": f"it took longer than {limits.seconds:g} seconds",
            "loops": f"its loops ran more than {limits.loop_iterations} times",
            "text": "it made far more text than a letter holds",
        }.get(exc.what, "it built a value far larger than a letter needs")
    if isinstance(exc, jinja2.UndefinedError):
        return "it uses a name or a value this letter does not have"
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return "it tries something templates may not do"
    if isinstance(exc, RecursionError):
        return "it calls itself too deeply"
    if isinstance(exc, jinja2.TemplateError):
        return f"it cannot be filled ({type(exc).__name__})"
    return f"this letter's data does not fit what the template does with it ({type(exc).__name__})"


def _scale(context: dict) -> int:
    """How many letters (or listed women) a render holds, for its budget."""
    for key in ("records", "cases"):
        if isinstance(context.get(key), list):
            return max(1, len(context[key]))
    return 1


def render_docx(template: Path, context: dict, out: Path, *, logo: Path | None = None,
                about: About | None = None, limits: Limits | None = None) -> None:
    """Fill `template` with `context` and save the result to `out`.

    `office_logo` in the context is a marker replaced by `logo` after rendering (or ""
    when there is none), so templates can always refer to it. Raises RenderError (422)
    for anything the template does wrong, TypeError for a context that is not plain data.
    """
    about = about or About()
    limits = (limits or Limits()).scaled(_scale(context))
    check_plain(context)
    reached = external.in_file(Path(template))
    if reached:
        raise _failed(about, "refers to something outside the document", f"{reached[0].code}: "
                      f"{reached[0].detail}", what="outside")
    marker = f"pulanglogo{secrets.token_hex(16)}"
    context = dict(context, office_logo=marker if logo else "")
    try:
        doc = _Docx(str(template))
        doc.init_docx()
    except Exception as exc:  # not a Word file python-docx can open
        raise _failed(about, "cannot be opened as a Word document", type(exc).__name__,
                      what="unreadable") from None
    doc.run = _Run(logo, marker)
    failure = None
    try:
        with budget(limits):
            doc.render(context, jinja_env=_ENV, autoescape=True)
    except Exception as exc:  # anything a template does: see _reason
        failure = (type(exc).__name__, _reason(exc, limits),
                   exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc))
    if failure:
        # Raised outside the except block: the original exception (whose text may quote
        # the letter's data) is not chained to it, so no traceback can print it.
        name, reason, detail = failure
        log.warning("render failed: %s in %s template version %s, documents %s",
                    name, about.kind or "?", about.version, list(about.documents))
        raise RenderError(f"{about.named()} could not be filled: {reason}",
                          detail=detail, reason=reason)
    if doc.run.reached:
        raise _failed(about, "builds a reference to something outside the document",
                      f"{doc.run.reached[0].code}: {doc.run.reached[0].detail}", what="outside")
    neutral_properties(doc.docx, about)
    doc.save(str(out))


def _failed(about: About, reason: str, detail: str, *, what: str) -> RenderError:
    log.warning("render refused: %s in %s template version %s, documents %s",
                what, about.kind or "?", about.version, list(about.documents))
    return RenderError(f"{about.named()} could not be filled: it {reason}",
                       detail=detail, reason=reason)
