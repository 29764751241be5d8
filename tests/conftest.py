"""Fixtures: an app on a fresh archive per test, sharing one converter pool for the whole
session (starting LibreOffice costs seconds; conversions then cost a fraction). The pool
starts at the session's first conversion: tests that make no letter never start it."""

import os

import pytest

from service import create_app
from service import db as database
from service.auth.users import create_token, create_user
from service.config import Settings
from service.runtime import Runtime

os.environ.setdefault("PULANG_SECRET_KEY", "test-secret")


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes():
    """argon2 at its cheapest in this process: hundreds of test accounts and sign-ins would
    otherwise spend most of a minute on deliberately slow hashing. Hashes carry their own
    parameters, so checking works either way; the service's real cost is asserted where
    `pulang user create` runs as its own process (tests/test_serve.py)."""
    from argon2 import PasswordHasher, profiles

    from service.auth import users
    real, users._hasher = users._hasher, PasswordHasher.from_parameters(profiles.CHEAPEST)
    yield
    users._hasher = real


@pytest.fixture(scope="session", autouse=True)
def url_builders_compiled_once():
    """Every test makes its own app, and werkzeug compiles two small Python functions for
    each of the app's 140 routes as it registers them: 83 ms of CPU an app, most of a
    minute a run. A builder's code depends only on the route (its rule, parts and
    defaults), so in this process each is compiled once and then handed out again. The
    service makes one app per process and is untouched; should werkzeug rename the
    method, this does nothing and the tests are only slower."""
    from werkzeug.routing.rules import Rule
    compile_builder = getattr(Rule, "_compile_builder", None)
    if compile_builder is None:
        yield
        return
    built: dict = {}

    def once(rule, append_unknown=True):
        key = (rule.rule, rule.subdomain, tuple(rule._trace), repr(sorted((rule.defaults or {}).items())),
               append_unknown)
        if key not in built:
            built[key] = compile_builder(rule, append_unknown)
        return built[key]

    Rule._compile_builder = once
    yield
    Rule._compile_builder = compile_builder


@pytest.fixture(scope="session")
def converter_pool(tmp_path_factory):
    from service.letters.convert import ConverterPool
    pool = ConverterPool(2, tmp_path_factory.mktemp("converters"), timeout=60)
    yield pool
    pool.close()


@pytest.fixture
def archive(tmp_path):
    return tmp_path / "archive"


@pytest.fixture
def settings(archive):
    return Settings.from_env(archive=archive, base_url="http://pulang.test")


@pytest.fixture
def runtime(settings, converter_pool):
    rt = Runtime(settings, pool=converter_pool)
    yield rt
    rt.close()


def app_on(settings, runtime, *, office: bool = True):
    """The app on this archive; `office`: set up TEST_OFFICE (tests/helpers.py)."""
    from service import clock
    clock.set_office_zone(clock.DEFAULT_ZONE)  # a zone another test's archive set
    app = create_app({"archive": settings.archive, "base_url": settings.base_url,
                      "TESTING": True}, runtime=runtime)
    if office:
        from .helpers import complete_office
        conn = database.connect(settings.db_path)
        try:
            complete_office(conn)
        finally:
            conn.close()
    return app


@pytest.fixture
def app(request, settings, runtime):
    """The app on a fresh archive whose office is set up (tests/helpers.TEST_OFFICE), so
    letters are real; `@pytest.mark.fresh_office` leaves it as `pulang init` does."""
    yield app_on(settings, runtime, office=request.node.get_closest_marker("fresh_office") is None)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(settings, app):
    conn = database.connect(settings.db_path)
    yield conn
    conn.close()


def user_maker(db):
    """make(role) -> (user row, bearer headers), a new user each call."""
    counter = iter(range(1, 1000))

    def make(role="staff"):
        name = f"{role}{next(counter)}"
        user = create_user(db, name, role, "correct horse battery")
        return user, {"Authorization": f"Bearer {create_token(db, name)}"}
    return make


@pytest.fixture
def make_user(db):
    """make_user(role) -> (user row, bearer headers)."""
    return user_maker(db)


@pytest.fixture
def staff(make_user):
    return make_user("staff")[1]


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (it cannot download a browser of its own here)."""
    from playwright.sync_api import expect, sync_playwright
    # Generous waits, not limits: Playwright's own 5 s made a page that came after a
    # LibreOffice conversion on a loaded machine fail now and then (issue 9, item 9).
    expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
