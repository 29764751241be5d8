"""The `pulang` command (contract: ../shared/API.md)."""

import json
import sys

import click

from . import db as database
from . import keys
from .auth.roles import ROLES
from .auth.users import create_token, create_user, generate_password
from .clock import now_iso
from .config import Settings
from .errors import PulangError
from .records import audit as audit_log
from .records import templates


def _settings() -> Settings:
    settings = Settings.from_env()
    settings.ensure_dirs()
    return settings


def _open_db(settings: Settings, *, made: list | None = None):
    """The archive's database, migrated, with its keys checked (made if it never had
    them: `made` collects their names, for `init` to tell the admin)."""
    db = database.connect(settings.db_path)
    database.migrate(db)
    try:
        created = keys.prepare(settings, db)
    except keys.KeyFolderError as exc:
        raise click.ClickException(exc.message) from None
    if made is not None:
        made.extend(created)
    templates.register_builtins(db, settings)
    return db


KEEP_A_COPY = """\
Made the archive's keys in {folder} ({names}).
Keep a copy of that folder somewhere other than this computer and its backups (a USB
stick in the office safe): without it no backup can be read, and the audit log cannot
be checked. It is shown only this once."""


@click.group()
def main():
    """Pulang: case files, letters and release ceremonies for a Dinas Sosial office."""
    from .sealed import set_umask
    set_umask()  # whatever any command writes is the service user's alone


@main.command()
def init():
    """Create the archive (database, index, folders); on first run, an admin account."""
    from .search import archive_index
    settings = _settings()
    made: list[str] = []
    db = _open_db(settings, made=made)
    index = archive_index(settings)
    if not index.keys() and db["cases"].count:
        # An index of an older schema was recreated empty (issue 10: blind NIK terms).
        from .ops.maintenance import reindex as rebuild
        click.echo(f"Rebuilt the search index: {rebuild(db, index, settings.archive)} entries.")
    index.close()
    if made:
        click.echo(KEEP_A_COPY.format(folder=settings.key_dir, names=", ".join(made)))
    if not db["users"].count:
        password = generate_password()
        create_user(db, "admin", "admin", password)
        audit_log.record(db, "user.create", target_type="user", target_id="admin",
                         detail={"role": "admin", "by": "init"})
        click.echo("Created the first account. Write this password down; it is shown only once.")
        click.echo("  username: admin")
        click.echo(f"  password: {password}")
    click.echo(f"Archive ready at {settings.archive}")
    if not db["cases"].count:
        # `make run` on a fresh archive: offer the demo office to a person at the keyboard.
        if sys.stdin.isatty() and click.confirm("The archive is empty. Load the invented demo office?",
                                                default=False):
            click.get_current_context().invoke(demo)
        else:
            click.echo("Tip: `pulang demo` loads an invented office to try the product with.")


@main.group()
def user():
    """Manage user accounts."""


@user.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(name, role, password_stdin):
    """Create a user; prints a generated password once unless one is given on stdin."""
    db = _open_db(_settings())
    password = sys.stdin.readline().rstrip("\n") if password_stdin else generate_password()
    try:
        create_user(db, name, role, password)
    except PulangError as exc:
        raise click.ClickException(f"{exc.message}: {json.dumps(exc.fields)}") from None
    audit_log.record(db, "user.create", target_type="user", target_id=name,
                     detail={"role": role, "by": "cli"})
    click.echo(f"Created user {name} ({role}).")
    if not password_stdin:
        click.echo(f"password: {password}")


@main.group()
def token():
    """Manage API tokens."""


@token.command("create")
@click.argument("name")
@click.option("--days", type=int, default=None,
              help="Days until the token expires (default PULANG_TOKEN_DAYS, 90).")
def token_create(name, days):
    """Print a new API token for NAME (shown once, stored only as a hash)."""
    settings = _settings()
    db = _open_db(settings)
    days = settings.token_days if days is None else days
    try:
        value = create_token(db, name, days=days)
    except PulangError as exc:
        raise click.ClickException(f"{exc.message}: {json.dumps(exc.fields)}") from None
    audit_log.record(db, "token.create", target_type="user", target_id=name)
    click.echo(f"API token for {name} (shown once; expires in {days} days):")
    click.echo(value)


@token.command("list")
@click.argument("name")
def token_list(name):
    """List NAME's tokens: id, prefix, dates (the tokens themselves are not stored)."""
    db = _open_db(_settings())
    rows = list(db.query("SELECT api_tokens.* FROM api_tokens JOIN users ON users.id = user_id "
                         "WHERE users.username = ? ORDER BY api_tokens.id", [name]))
    for row in rows:
        expired = row["expires_at"] and row["expires_at"] <= now_iso()  # both UTC ISO strings
        state = (f"revoked {row['revoked_at']}" if row["revoked_at"]
                 else f"{'expired' if expired else 'expires'} {row['expires_at']}")
        used = f"last used {row['last_used_at']}" if row["last_used_at"] else "never used"
        click.echo(f"{row['id']}\t{row['prefix']}…\tcreated {row['created_at']}\t{used}\t{state}")
    if not rows:
        click.echo(f"{name} has no API tokens.")


@token.command("revoke")
@click.argument("name")
@click.option("--id", "token_id", type=int, default=None, help="Only this token (see `token list`).")
def token_revoke(name, token_id):
    """Revoke NAME's API tokens (all, or the one given by --id): they stop working at once."""
    from .auth.users import revoke_token
    db = _open_db(_settings())
    rows = list(db.query("SELECT api_tokens.id FROM api_tokens JOIN users ON users.id = user_id "
                         "WHERE users.username = ? AND revoked_at IS NULL", [name]))
    ids = [r["id"] for r in rows if token_id is None or r["id"] == token_id]
    if not ids:
        raise click.ClickException(f"{name} has no such active token")
    for one in ids:
        revoke_token(db, one)
        audit_log.record(db, "token.revoke", target_type="token", target_id=one,
                         detail={"by": "cli"})
    click.echo(f"Revoked {len(ids)} token(s) of {name}.")


@main.command()
@click.option("--host", default=None, help="Address to listen on (PULANG_HOST).")
@click.option("--port", default=None, type=int, help="Port (PULANG_PORT).")
def serve(host, port):
    """Run the web service with its converter pool, index writer and print-job consumer."""
    from .server import run
    overrides = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    run(Settings.from_env(**overrides))


@main.command()
@click.option("--threads", default=None, type=int,
              help="Chunks worked on at once (PULANG_JOB_WORKERS; default pool size + 2).")
@click.option("--server", default=None, metavar="URL",
              help="Work for the server at URL, without its archive (needs PULANG_QUEUE_URL=redis://…).")
@click.option("--token", envvar="PULANG_WORKER_TOKEN", default=None,
              help="The worker token from `pulang worker-token create` (or PULANG_WORKER_TOKEN).")
def worker(threads, server, token):
    """Run print jobs: beside the archive (more capacity besides `serve`'s own), or with
    --server on another machine, with PULANG_ARCHIVE an empty folder of its own."""
    if server is None:
        from .ceremonies.worker import run
        settings = _settings()
        _open_db(settings).close()
        run(settings, threads=threads)
        return
    from .ceremonies.remote_worker import ServerError, run
    settings = Settings.from_env()
    if not settings.queue_url.startswith(("redis://", "rediss://", "unix://")):
        raise click.ClickException("a worker for a server needs the queue: PULANG_QUEUE_URL=redis://…")
    if not token:
        raise click.ClickException("give the worker token: --token or PULANG_WORKER_TOKEN")
    try:
        run(settings, server_url=server, token=token, threads=threads)
    except ServerError as exc:
        raise click.ClickException(str(exc)) from None


@main.group("worker-token")
def worker_token():
    """Tokens for print workers on other machines (they open the worker routes only)."""


@worker_token.command("create")
@click.argument("name")
def worker_token_create(name):
    """Print a new token for the worker machine NAME (shown once, stored only as a hash)."""
    from .auth import worker_tokens
    db = _open_db(_settings())
    try:
        value = worker_tokens.create(db, name)
    except PulangError as exc:
        raise click.ClickException(f"{exc.message}: {json.dumps(exc.fields)}") from None
    audit_log.record(db, "worker_token.create", target_type="worker", target_id=name)
    click.echo(f"Worker token for {name} (shown once):")
    click.echo(value)


@worker_token.command("list")
def worker_token_list():
    """Worker tokens: id, name, prefix, dates."""
    from .auth import worker_tokens
    rows = worker_tokens.listing(_open_db(_settings()))
    for row in rows:
        state = f"revoked {row['revoked_at']}" if row["revoked_at"] else "active"
        click.echo(f"{row['id']}\t{row['name']}\t{row['prefix']}…\tcreated {row['created_at']}\t{state}")
    if not rows:
        click.echo("No worker tokens.")


@worker_token.command("revoke")
@click.argument("name")
def worker_token_revoke(name):
    """Revoke the worker NAME's tokens: it can fetch and return nothing from then on."""
    from .auth import worker_tokens
    db = _open_db(_settings())
    try:
        count = worker_tokens.revoke(db, name)
    except PulangError as exc:
        raise click.ClickException(exc.message) from None
    audit_log.record(db, "worker_token.revoke", target_type="worker", target_id=name)
    click.echo(f"Revoked {count} token(s) of worker {name}.")


@main.command()
def reindex():
    """Rebuild the search index from the database and the stored PDFs."""
    from .ops.maintenance import reindex as rebuild
    from .search import archive_index
    settings = _settings()
    db = _open_db(settings)
    index = archive_index(settings)
    count = rebuild(db, index, settings.archive)
    index.close()
    click.echo(f"Indexed {count} entries.")


@main.command()
@click.option("--repair", is_flag=True, help="Repair what can be repaired safely.")
@click.option("--stale-after", default=900.0, show_default=True,
              help="Seconds after which an unfinished document counts as interrupted.")
def doctor(repair, stale_after):
    """Find (and repair) disagreements between database, files and index."""
    from .ops.maintenance import doctor as examine
    from .search import archive_index
    settings = _settings()
    db = _open_db(settings)
    index = archive_index(settings)
    report = examine(db, index, settings.archive, repair=repair, stale_after=stale_after)
    index.close()
    for line in report.repaired:
        click.echo(f"repaired: {line}")
    for line in report.problems:
        click.echo(f"problem: {line}")
    for line in report.alarms:
        click.echo(f"ALARM: {line}", err=True)
    if report.clean:
        click.echo("All consistent.")
    sys.exit(0 if report.clean else 1)


@main.group()
def audit():
    """The audit log."""


@audit.command("verify")
@click.option("--anchor", "anchor", default=None, metavar="HASH:COUNT",
              help="An anchor printed earlier (`pulang audit anchor`, a print job's cover "
                   "sheet): also prove nothing up to it was removed.")
def audit_verify(anchor):
    """Check the audit log's keyed hash chain; exit 1 at the first bad entry."""
    try:
        pinned = audit_log.parse_anchor(anchor) if anchor else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--anchor") from None
    db = _open_db(_settings())
    count, broken = audit_log.verify(db, anchor=pinned)
    if broken:
        where = f"entry {broken.entry_id}" if broken.entry_id is not None else "the end"
        click.echo(f"BROKEN at {where}: {broken.reason} ({count} entries read)")
        sys.exit(1)
    if pinned:
        click.echo(f"Audit log intact: {count} entries; the anchor's {pinned[1]} are all there.")
    else:
        click.echo(f"Audit log intact: {count} entries.")


@audit.command("anchor")
def audit_anchor():
    """Print the chain's head as HASH:COUNT, to keep outside the server (run it daily)."""
    db = _open_db(_settings())
    click.echo(audit_log.format_anchor(*audit_log.anchor(db)))


@main.command()
def demo():
    """Load an invented but realistic office into an empty archive."""
    from .ops.demo import load
    from .records import indexing
    from .search import archive_index
    settings = _settings()
    db = _open_db(settings)
    try:
        ids = load(db, None)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    with archive_index(settings) as index:
        indexing.drain(db, index)
    audit_log.record(db, "demo.load", detail={"cases": len(ids)})
    click.echo(f"Loaded the demo office: {len(ids)} invented cases with their aid.")


@main.group()
def office():
    """The office's set-up (as GET/PUT /api/v1/office): `show`, or `set` from JSON."""


@office.command("show")
def office_show():
    """Print the office's settings, `complete` and `missing` as JSON."""
    from .records import office as office_settings
    settings = _settings()
    db = _open_db(settings)
    view = office_settings.view(office_settings.get_all(db), settings.base_url,
                                logo=settings.logo_path.exists())
    click.echo(json.dumps(view, ensure_ascii=False, indent=2))


@office.command("set")
def office_set():
    """Read a JSON object from standard input (the body of PUT /api/v1/office) and save
    it; exit 1 naming every refused field."""
    from .db import write_transaction
    from .records import office as office_settings
    from .records import samples
    settings = _settings()
    db = _open_db(settings)
    try:
        data = json.loads(sys.stdin.read() or "{}")
    except ValueError as exc:
        raise click.ClickException(f"standard input is not JSON: {exc}") from None
    with write_transaction(db):
        current = office_settings.get_all(db)
        new, problems = office_settings.check(data, current)
        if problems:
            for field, why in problems.items():
                click.echo(f"{field}: {why}", err=True)
            raise click.ClickException("nothing saved")
        changed = office_settings.save(db, new, current)
    if office_settings.complete(new):
        samples.prune(db, settings.archive, everything=True)
    audit_log.record(db, "settings.update", detail={"changed": changed, "via": "cli"})
    missing = office_settings.missing(new)
    click.echo("Office complete." if not missing else "Still missing: " + ", ".join(missing))


@main.command()
@click.argument("path", type=click.Path())
def backup(path):
    """Write an encrypted snapshot of the archive to the file PATH (in a folder: a dated
    file in it). Safe while the service runs; readable only with the key folder."""
    from .ops.backup import make_backup
    try:
        summary = make_backup(_settings(), path)
    except PulangError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Backup written to {summary['file']}: {summary['documents']} documents, "
               f"{summary['files']} files, encrypted with the key folder's backup key.")


@main.command()
@click.argument("path", type=click.Path(exists=True))
def restore(path):
    """Bring the backup file PATH back into an empty (or not yet existing) $PULANG_ARCHIVE;
    needs the key folder it was made with. Every file is checked first."""
    from .ops.backup import restore_backup
    try:
        summary = restore_backup(Settings.from_env(), path)
    except PulangError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"Restored {summary['files']} files; search index rebuilt with "
               f"{summary['index_entries']} entries.")

if __name__ == "__main__":
    main()
