"""One exception tree for the whole product.

Every error carries its HTTP status, a stable code and, for bad input, the fields at
fault with the reason. One handler (service/http/errors.py) renders them, as JSON for
API clients and as a page for browsers.
"""


class PulangError(Exception):
    """Base of every error the product raises on purpose."""

    status = 500
    code = "error"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        self.extra = extra


class InvalidInput(PulangError):
    """The request's data is wrong; `fields` says which field and why."""

    status = 400
    code = "invalid_input"


class NotFound(PulangError):
    """No such thing (or not one this user may know about)."""

    status = 404
    code = "not_found"


class Conflict(PulangError):
    """The request clashes with what is already recorded."""

    status = 409
    code = "conflict"


class Unauthorized(PulangError):
    """No valid credentials."""

    status = 401
    code = "unauthorized"


class Forbidden(PulangError):
    """Signed in, but this role may not do this."""

    status = 403
    code = "forbidden"


class Gone(PulangError):
    """It existed, and was removed on purpose (e.g. a print result after anonymisation)."""

    status = 410
    code = "gone"


class OfficeIncomplete(Conflict):
    """The office's set-up lacks what official letters need (a ceremony cannot print)."""

    code = "office_incomplete"
