"""The search page. The form is POSTed, so a name typed in the box never sits in a URL,
the browser's history or a server log; the POST is answered with a redirect to an opaque
result id held on the server for this session (search_results.py), which is a plain GET:
Back from a case returns to the results, and the pager is a list of links.

The search itself (and its audit entry, without the query text) is the one the API runs
(service/http/search.py), so the two can never disagree.
"""

import secrets

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from markupsafe import Markup

from ..errors import InvalidInput
from ..http.search import check_search, run_search
from ..http.support import get_db, runtime
from ..records.cases import facility_names, masked_niks
from .auth import requires
from .forms import SearchForm
from .i18n import reasons
from .search_results import Results

bp = Blueprint("search", __name__)
_FIELDS = {"q": "q", "facility": "facility", "kind": "kind", "from": "date_from", "to": "date_to",
           "unsigned": "unsigned"}


def _results() -> Results:
    held = current_app.extensions.get("pulang_search_results")
    if held is None:
        held = current_app.extensions["pulang_search_results"] = Results(
            runtime().settings.session_minutes * 60)
    return held


def _owner() -> str:
    """This session's key for its held searches (made at its first search)."""
    if "search_key" not in session:
        session["search_key"] = secrets.token_hex(16)
    return session["search_key"]


def _asked(query: dict) -> dict:
    """The held query as service/http/search.py takes it (no date: None)."""
    return dict(query, unsigned=bool(query.get("unsigned")),
                **{k: query[k] or None for k in ("from", "to")})


def _page(value) -> int:
    return int(value) if str(value or "").isdigit() and 0 < int(value) <= 10_000 else 1


def _form(query: dict | None = None) -> SearchForm:
    form = SearchForm(formdata=None if query is not None else request.form,
                      data={name: (query or {}).get(key) for key, name in _FIELDS.items()})
    form.set_facilities(facility_names(get_db()))
    return form


@bp.get("/search")
@requires("search")
def search():
    return render_template("web/search.html", form=_form({}), found=None)


@bp.post("/search")
@requires("search")
def ask():
    form = _form()
    if not form.validate_on_submit():
        return render_template("web/search.html", form=form, found=None), 400
    query = {key: getattr(form, name).data or "" for key, name in _FIELDS.items()}
    # Checked now, so a bad date is shown on the form rather than after the redirect.
    try:
        check_search(_asked(query))
    except InvalidInput as exc:
        for name, why in reasons(exc.fields).items():
            getattr(form, _FIELDS.get(name, name), form.q).errors = [why]
        return render_template("web/search.html", form=form, found=None), 400
    rid = _results().keep(_owner(), query)
    return redirect(url_for("search.results", rid=rid), code=303)


@bp.get("/search/r/<rid>")
@requires("search")
def results(rid):
    query = _results().get(session.get("search_key", ""), rid)
    if query is None:
        return render_template("web/search.html", form=_form({}), found=None, expired=True), 404
    page = _page(request.args.get("page"))
    found = run_search(dict(_asked(query), page=page))
    db = get_db()
    niks = masked_niks(db, [hit["case_id"] for hit in found["results"]])
    for hit in found["results"]:
        hit["nik_masked"] = niks.get(hit["case_id"], "")
        # The index escapes every snippet and adds only <mark>.
        hit["highlights"] = {k: Markup(v) for k, v in hit["highlights"].items()}
    found["pages"] = max(1, -(-found["total_cases"] // found["pagelen"]))
    found["cases"] = found["total_cases"] - found["total_papers"]
    return render_template("web/search.html", form=_form(query), found=found, rid=rid)
