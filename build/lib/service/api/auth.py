"""Bearer-token authentication and role checks for the API."""

import functools

from flask import g, request

from ..auth.roles import allowed
from ..auth.users import TokenRefused, user_for_token
from ..errors import Forbidden, Unauthorized
from ..http.support import get_db


def current_api_user() -> dict:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token>")
    try:
        return user_for_token(get_db(), token.strip())
    except TokenRefused as exc:
        raise Unauthorized(str(exc)) from None


def requires(permission: str):
    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            g.user = current_api_user()
            if not allowed(g.user["role"], permission):
                raise Forbidden("your role may not do this")
            return view(*args, **kwargs)
        wrapper.permission = permission
        return wrapper
    return decorate


def json_body() -> dict:
    from ..errors import InvalidInput
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # "[[[[…" nested thousands deep; found by issue 5's hostile tests
        data = None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object", fields={"body": "must be a JSON object"})
    return data
