"""Word rendering: a template plus a context gives a filled .docx.

Templates run in a sandboxed Jinja environment with StrictUndefined and autoescape on:
a name typed as `Siti & <Aminah>` prints as typed (docxtpl's default would silently drop
it), a misspelt variable is an error instead of a blank on a signed letter, and a
template uploaded by an office cannot reach Python internals.
"""

import functools
from pathlib import Path

import jinja2
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2.sandbox import SandboxedEnvironment

from ..errors import PulangError
from ..records.formats import FILTERS


class RenderError(PulangError):
    """A template could not be filled (bad template or missing data)."""

    status = 422
    code = "render_failed"


class _Environment(SandboxedEnvironment):
    """Compiles each template part once: docxtpl hands the same XML to `from_string` on
    every letter, and compiling it is a third of a letter's rendering."""

    @functools.lru_cache(maxsize=64)
    def _compiled(self, source: str):
        return super().from_string(source)

    def from_string(self, source, globals=None, template_class=None):
        if globals is None and template_class is None and isinstance(source, str):
            return self._compiled(source)
        return super().from_string(source, globals, template_class)


def make_env() -> SandboxedEnvironment:
    env = _Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters.update(FILTERS)
    return env


_ENV = make_env()


def render_docx(template: Path, context: dict, out: Path, *, logo: Path | None = None) -> None:
    """Fill `template` with `context` and save the result to `out`.

    `office_logo` in the context becomes the letterhead image when a logo file is given,
    otherwise an empty string, so templates can always refer to it.
    """
    doc = DocxTemplate(str(template))
    context = dict(context)
    context["office_logo"] = InlineImage(doc, str(logo), height=Mm(22)) if logo else ""
    try:
        doc.render(context, jinja_env=_ENV, autoescape=True)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"template syntax error: {exc.message}") from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(f"template uses an unknown value: {exc.message}") from exc
    except jinja2.exceptions.SecurityError as exc:
        raise RenderError(f"template tried something not allowed: {exc}") from exc
    doc.save(str(out))
