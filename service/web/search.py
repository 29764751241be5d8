"""The search page. The form is POSTed, so a name typed in the box never sits in a URL,
the browser's history or a server log; results are rendered in the POST's answer rather
than redirected to (a redirect would have to carry the query somewhere).

The search itself (and its audit entry, without the query text) is the one the API runs
(service/http/search.py), so the two can never disagree.
"""

from flask import Blueprint, render_template
from markupsafe import Markup

from ..errors import InvalidInput
from ..http.search import run_search
from ..http.support import get_db
from ..records.cases import facility_names, masked_niks
from .auth import requires
from .forms import SearchForm
from .i18n import reasons

bp = Blueprint("search", __name__)
PAGE_SIZE = 20  # the index's page length


def _page(value) -> int:
    return int(value) if str(value or "").isdigit() and 0 < int(value) <= 10_000 else 1


@bp.route("/search", methods=["GET", "POST"])
@requires("search")
def search():
    db = get_db()
    form = SearchForm()
    form.set_facilities(facility_names(db))
    found = None
    if form.validate_on_submit():
        query = {"q": form.q.data or "", "facility": form.facility.data or "",
                 "kind": form.kind.data or "", "from": form.date_from.data or None,
                 "to": form.date_to.data or None, "page": _page(form.page.data),
                 "unsigned": bool(form.unsigned.data)}
        try:
            found = run_search(query)
        except InvalidInput as exc:
            names = {"from": "date_from", "to": "date_to"}
            for name, why in reasons(exc.fields).items():
                getattr(form, names.get(name, name), form.q).errors = [why]
        else:
            niks = masked_niks(db, [hit["case_id"] for hit in found["results"]])
            for hit in found["results"]:
                hit["nik_masked"] = niks.get(hit["case_id"], "")
                # The index escapes every snippet and adds only <mark>.
                hit["highlights"] = {k: Markup(v) for k, v in hit["highlights"].items()}
            found["pages"] = max(1, -(-found["total_cases"] // found["pagelen"]))
    return render_template("web/search.html", form=form, found=found)
