"""API tokens under /api/v1 (admins): list a user's tokens (prefix and dates, never the
token: only its sha256 is stored) and revoke one. A new token is made with
`pulang token create` or on the admin's user page, and shown once there. A token
expires (`expires_at`, PULANG_TOKEN_DAYS after it was made) and records `last_used_at`."""

from flask import jsonify

from ..auth.users import get_token, revoke_token, tokens
from ..http.support import get_db, log
from . import bp
from .auth import requires

_FIELDS = ("id", "user_id", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")


@bp.get("/users/<int:user_id>/tokens")
@requires("user.manage")
def list_tokens(user_id):
    return jsonify({"tokens": [{k: r[k] for k in _FIELDS} for r in tokens(get_db(), user_id)]})


@bp.post("/tokens/<int:token_id>/revoke")
@requires("user.manage")
def revoke(token_id):
    db = get_db()
    token = get_token(db, token_id)
    revoke_token(db, token_id)
    log("token.revoke", target_type="token", target_id=token_id, detail={"user_id": token["user_id"]})
    row = get_token(db, token_id)
    return jsonify({k: row[k] for k in _FIELDS})
