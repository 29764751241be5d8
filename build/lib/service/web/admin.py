"""User accounts and API tokens (admin only).

A new password or token is shown once, in the answer to the POST that made it: never in
a URL or a flashed message (flashes travel in the session cookie, which is signed, not
encrypted).
"""

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import login as attempts
from ..auth import users as accounts
from ..errors import Conflict, InvalidInput
from ..http.support import get_db, log, runtime
from .auth import requires
from .forms import ActionForm, RoleForm, UserCreateForm
from .i18n import reasons

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _refuse_self(user: dict) -> bool:
    """An admin does not demote, lock out or deactivate herself: the office could be left
    with nobody able to manage accounts."""
    if user["id"] == current_user.row["id"]:
        flash(_("Anda tidak dapat mengubah peran atau menonaktifkan akun Anda sendiri."), "error")
        return True
    return False


def _change(db, user_id: int, changes: dict, action: str, message: str, detail=None) -> None:
    # A new role or a deactivation also ends the user's sessions and revokes their tokens.
    revoked = accounts.update_account(db, user_id, changes)
    log(action, target_type="user", target_id=user_id, detail={**(detail or {}), "tokens_revoked": revoked}
        if revoked else detail)
    flash(message, "success")
    if revoked:
        flash(_("%(n)d token API akun ini dicabut.", n=revoked), "info")


@bp.get("/users")
@requires("user.manage")
def users(form: UserCreateForm | None = None):
    db = get_db()
    unknown, unknown_from = attempts.unknown_names(db)
    return render_template("web/admin/users.html", users=accounts.list_accounts(db),
                           attacked=attempts.under_attack(db), unknown=unknown,
                           unknown_from=unknown_from, form=form or UserCreateForm(formdata=None))


@bp.post("/users")
@requires("user.manage")
def create():
    form = UserCreateForm()
    if form.validate_on_submit():
        password = form.password.data or accounts.generate_password()
        try:
            user = accounts.create_user(get_db(), form.username.data, form.role.data, password)
        except (InvalidInput, Conflict) as exc:
            for name, why in reasons(exc.fields).items():
                getattr(form, name, form.username).errors = [why]
        else:
            log("user.create", target_type="user", target_id=user["id"], detail={"role": user["role"]})
            if form.password.data:
                flash(_("Akun %(name)s dibuat.", name=user["username"]), "success")
                return redirect(url_for("admin.user", user_id=user["id"]))
            return render_template("web/admin/once.html", user=user, password=password)
    return users(form=form), 400


@bp.get("/users/<int:user_id>")
@requires("user.manage")
def user(user_id):
    db = get_db()
    row = accounts.get_account(db, user_id)
    return render_template("web/admin/user.html", user=row, tokens=accounts.tokens(db, user_id),
                           failures=attempts.account_failures(db, user_id),
                           role_form=RoleForm(formdata=None, role=row["role"]),
                           action_form=ActionForm(formdata=None))


@bp.post("/users/<int:user_id>/role")
@requires("user.manage")
def change_role(user_id):
    db = get_db()
    row = accounts.get_account(db, user_id)
    form = RoleForm()
    if form.validate_on_submit() and not _refuse_self(row) and form.role.data != row["role"]:
        _change(db, user_id, {"role": form.role.data}, "user.role", _("Peran diubah."),
                detail={"from": row["role"], "to": form.role.data})
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/active")
@requires("user.manage")
def toggle_active(user_id):
    db = get_db()
    row = accounts.get_account(db, user_id)
    if ActionForm().validate_on_submit() and not _refuse_self(row):
        # Deactivating also ends the user's sessions and revokes their API tokens.
        if row["active"]:
            _change(db, user_id, {"active": 0}, "user.deactivate", _("Akun dinonaktifkan."))
        else:
            _change(db, user_id, {"active": 1}, "user.activate", _("Akun diaktifkan."))
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/unlock")
@requires("user.manage")
def unlock(user_id):
    db = get_db()
    accounts.get_account(db, user_id)
    if ActionForm().validate_on_submit():
        accounts.unlock(db, user_id)
        log("user.unlock", target_type="user", target_id=user_id)
        flash(_("Penundaan masuk untuk akun ini dihapus."), "success")
    return redirect(url_for("admin.user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@requires("user.manage")
def reset_password(user_id):
    db = get_db()
    row = accounts.get_account(db, user_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("admin.user", user_id=user_id))
    # A new password also ends the user's sessions and revokes their API tokens.
    password, revoked = accounts.reset_password(db, user_id)
    log("user.password_reset", target_type="user", target_id=user_id, detail={"tokens_revoked": revoked})
    return render_template("web/admin/once.html", user=row, password=password, revoked=revoked)


@bp.post("/users/<int:user_id>/tokens")
@requires("user.manage")
def new_token(user_id):
    db = get_db()
    row = accounts.get_account(db, user_id)
    if not ActionForm().validate_on_submit() or not row["active"]:
        return redirect(url_for("admin.user", user_id=user_id))
    days = runtime().settings.token_days
    token = accounts.create_token(db, row["username"], days=days)
    log("token.create", target_type="user", target_id=user_id)
    return render_template("web/admin/once.html", user=row, token=token, days=days)


@bp.post("/tokens/<int:token_id>/revoke")
@requires("user.manage")
def revoke(token_id):
    db = get_db()
    token = accounts.get_token(db, token_id)
    if ActionForm().validate_on_submit():
        accounts.revoke_token(db, token_id)
        log("token.revoke", target_type="token", target_id=token_id, detail={"user_id": token["user_id"]})
        flash(_("Token dicabut."), "success")
    return redirect(url_for("admin.user", user_id=token["user_id"]))
