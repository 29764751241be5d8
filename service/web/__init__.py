"""The staff web interface (HTML pages, sign-in, forms)."""


def init_app(app) -> None:
    """Register the web blueprints, sign-in and CSRF protection on `app`."""
