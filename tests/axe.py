"""Page checks the browser tests run on every signed-in page state: axe-core's
accessibility rules (the npm package, pinned in tests/axe/package-lock.json and installed by
`make test`), and the width check for phones (nothing wider than the window).

axe is put into the page by Playwright's evaluate, which runs beside the page's own
scripts and is not subject to its Content-Security-Policy: the strict CSP stays on
while the page is checked."""

import subprocess
from pathlib import Path

AXE_JS = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}    # a common phone, portrait
LAPTOP = {"width": 1366, "height": 768}  # the office laptop
WIDTHS = {"390": PHONE, "1366": LAPTOP}


def _source() -> str:
    """axe.min.js; installed as `make axe` does when a worktree has not run it yet (the
    same pinned npm ci, so every checkout checks with the same rules)."""
    if not AXE_JS.is_file():
        subprocess.run(["npm", "ci", "--prefix", str(AXE_JS.parents[2]), "--no-audit",
                        "--no-fund", "--loglevel=error"], check=True, capture_output=True)
    return AXE_JS.read_text()


def violations(page) -> list[str]:
    """axe's violations on the page as it is now, one line each: rule, impact, where."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\\n')[1])}));
    }""")
    return [f"{v['id']} ({v['impact']}): {'; '.join(v['nodes'])}" for v in found]


def overflow(page) -> int:
    """How many pixels the page is wider than its window (0 when nothing spills out)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def check_page(page, state: str) -> list[str]:
    """Every problem of this page state, labelled with it: axe's violations and, at any
    width, content wider than the window."""
    problems = [f"{state}: {v}" for v in violations(page)]
    extra = overflow(page)
    if extra > 0:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .filter(e => !e.closest('.table-scroll'))
            .filter(e => !e.children.length).slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))""")
        problems.append(f"{state}: {extra} px wider than the window ({', '.join(wide)})")
    return problems


def check_widths(page, state: str) -> list[str]:
    """check_page at a phone's and the laptop's width, as every signed-in page state is
    checked (issue 12); the page is left at the laptop's width."""
    problems = []
    for width, size in sorted(WIDTHS.items()):
        page.set_viewport_size(size)
        problems += check_page(page, f"{state}@{width}")
    page.set_viewport_size(LAPTOP)
    return problems
