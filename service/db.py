"""The SQLite database: connections and schema migrations.

Each request, job or command opens its own connection (SQLite connections are not shared
between threads). WAL lets readers work while one writer writes; a generous busy timeout
lets concurrent writers queue instead of failing.
"""

import contextlib
import sqlite3
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("pulang")


def connect(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(str(path), timeout=30, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    with db.ensure_autocommit_on():
        db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA foreign_keys=ON")
    # Deleted and overwritten content is zeroed, not left in free pages: an anonymised
    # woman's name must not survive in the file (issue 10, item 6).
    db.execute("PRAGMA secure_delete=ON")
    db.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoint; WAL makes this safe
    db.execute("PRAGMA busy_timeout=30000")
    return db


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database):
    """BEGIN IMMEDIATE: take the write lock first, so read-then-write steps such as
    "next letter number" cannot interleave with another writer's. What after_commit
    registered inside runs once the transaction has committed (and not if it rolls back)."""
    db.commit()  # the driver may have opened an implicit transaction for a read
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        _after_commit(db).clear()
        raise
    else:
        db.conn.execute("COMMIT")
    hooks = _after_commit(db)
    while hooks:
        hooks.pop(0)(db)


def _after_commit(db) -> list:
    if not hasattr(db, "_pulang_after_commit"):
        db._pulang_after_commit = []
    return db._pulang_after_commit


def after_commit(db: sqlite_utils.Database, hook) -> None:
    """Inside write_transaction: call hook(db) after the commit, once, however often it
    is registered (e.g. wake the index writer once for a transaction of many changes)."""
    hooks = _after_commit(db)
    if hook not in hooks:
        hooks.append(hook)


def forget_old_pages(db: sqlite_utils.Database) -> None:
    """Copy the write-ahead log into the database and empty it, so old versions of
    changed pages (an anonymised woman's row before the change) leave the -wal file too.
    Best effort: a reader in the middle of a transaction keeps the log until it is done,
    and the next checkpoint then does it."""
    with db.ensure_autocommit_on():
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def migrate(db: sqlite_utils.Database) -> None:
    migrations.apply(db)


def script(db: sqlite_utils.Database, sql: str) -> None:
    """Run the statements of `sql` inside the migration's transaction. sqlite-utils'
    executescript does the same there, but it finds the statements' ends by asking
    sqlite3.complete_statement after every character (quadratic: 90 ms of CPU for a
    fresh archive, most of a test's set-up); a statement can only end at a semicolon, so
    asking there is enough (one inside a trigger or a string is not complete yet)."""
    statement = ""
    for piece in sql.split(";"):
        statement += piece + ";"
        if sqlite3.complete_statement(statement):
            if statement.strip(" \n\t;"):
                db.execute(statement)
            statement = ""


@migrations()
def m001_initial(db):
    script(db,
        """
        CREATE TABLE facilities (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            kind TEXT NOT NULL DEFAULT '',
            region TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL
        );
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            username TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'staff', 'auditor')),
            locale TEXT NOT NULL DEFAULT 'id',
            active INTEGER NOT NULL DEFAULT 1,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL
        );
        CREATE TABLE api_tokens (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            token_hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        );
        CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            case_number TEXT NOT NULL UNIQUE,
            full_name TEXT NOT NULL,
            nik TEXT,
            birth_place TEXT NOT NULL DEFAULT '',
            birth_date TEXT,
            origin_address TEXT NOT NULL DEFAULT '',
            origin_region TEXT NOT NULL DEFAULT '',
            facility_id INTEGER NOT NULL REFERENCES facilities(id),
            notes TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'released', 'closed', 'anonymised')),
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE INDEX cases_nik ON cases(nik);
        CREATE TABLE aid_items (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id),
            kind TEXT NOT NULL,
            amount INTEGER NOT NULL CHECK (amount > 0),
            source TEXT NOT NULL DEFAULT '',
            description TEXT NOT NULL DEFAULT '',
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX aid_items_case ON aid_items(case_id);
        CREATE TABLE templates (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            version INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            path TEXT NOT NULL,
            active INTEGER NOT NULL DEFAULT 0,
            uploaded_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            UNIQUE (kind, version)
        );
        CREATE TABLE counters (
            name TEXT NOT NULL,
            year INTEGER NOT NULL,
            value INTEGER NOT NULL,
            PRIMARY KEY (name, year)
        );
        -- A document row is made with its letter number before the file exists
        -- (status 'pending'): the number is then never handed out twice, and a number
        -- whose document failed stays on record as 'failed' with the reason.
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            case_id INTEGER REFERENCES cases(id),
            kind TEXT NOT NULL,
            number TEXT NOT NULL UNIQUE,
            year INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            token TEXT NOT NULL UNIQUE,
            issued_on TEXT NOT NULL,
            template_version INTEGER NOT NULL,
            template_sha256 TEXT NOT NULL,
            sha256 TEXT,
            pages INTEGER,
            path TEXT,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'valid', 'void', 'superseded', 'failed')),
            supersedes_id INTEGER REFERENCES documents(id),
            void_reason TEXT,
            error TEXT,
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (kind, year, seq)
        );
        CREATE INDEX documents_case ON documents(case_id);
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            user_id INTEGER,
            username TEXT NOT NULL DEFAULT '',
            action TEXT NOT NULL,
            target_type TEXT NOT NULL DEFAULT '',
            target_id TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '{}',
            ip TEXT NOT NULL DEFAULT '',
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );
        -- Append-only: the database itself refuses edits and deletions; the hash chain
        -- catches anything done behind its back (a copied file, a dropped trigger).
        CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
        """
    )


@migrations()
def m002_ceremonies(db):
    # Named m002 (issue 4) though appended after m003: sqlite-utils applies migrations in
    # the order they are defined and records them by name.
    script(db,
        """
        CREATE TABLE ceremonies (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL,
            date TEXT NOT NULL,
            place TEXT NOT NULL,
            officials TEXT NOT NULL DEFAULT '[]',  -- JSON [{name, title, nip}]
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        -- A case is in one ceremony at a time: case_id is unique here.
        CREATE TABLE ceremony_cases (
            ceremony_id INTEGER NOT NULL REFERENCES ceremonies(id),
            case_id INTEGER NOT NULL UNIQUE REFERENCES cases(id),
            destination TEXT NOT NULL DEFAULT '',
            added_at TEXT NOT NULL,
            PRIMARY KEY (ceremony_id, case_id)
        );
        -- Documents a ceremony's print jobs made, with a hash of the data they were made
        -- from: a reprint reuses a valid one made from the same data instead of taking a
        -- new number. case_id is NULL for the roster and the ceremony report.
        CREATE TABLE ceremony_documents (
            document_id INTEGER PRIMARY KEY REFERENCES documents(id),
            ceremony_id INTEGER NOT NULL REFERENCES ceremonies(id),
            case_id INTEGER REFERENCES cases(id),
            kind TEXT NOT NULL,
            context_sha256 TEXT NOT NULL
        );
        CREATE INDEX ceremony_documents_lookup ON ceremony_documents(ceremony_id, kind, case_id);
        -- A ceremony document (roster, report) belongs to every case it lists.
        CREATE TABLE document_cases (
            document_id INTEGER NOT NULL REFERENCES documents(id),
            case_id INTEGER NOT NULL REFERENCES cases(id),
            PRIMARY KEY (document_id, case_id)
        );
        CREATE INDEX document_cases_case ON document_cases(case_id);
        CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY,
            ceremony_id INTEGER NOT NULL REFERENCES ceremonies(id),
            state TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'done', 'failed')),
            options TEXT NOT NULL,  -- JSON: kinds, copies, duplex, order, base_url
            total INTEGER NOT NULL DEFAULT 0,
            done INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            result_path TEXT,
            pages INTEGER,
            sha256 TEXT,
            printer_job TEXT,
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            updated_at TEXT NOT NULL
        );
        -- Two jobs of one ceremony never generate at the same time: at most one is active.
        CREATE UNIQUE INDEX print_jobs_one_active ON print_jobs(ceremony_id)
            WHERE state IN ('queued', 'running');
        -- What a job prints, in order, and which document each (case, kind) got: the
        -- record that makes a resumed job reuse its numbers instead of taking new ones.
        CREATE TABLE print_job_items (
            job_id INTEGER NOT NULL REFERENCES print_jobs(id),
            case_id INTEGER NOT NULL DEFAULT 0,  -- 0: a ceremony document
            kind TEXT NOT NULL,
            position INTEGER NOT NULL,
            chunk TEXT NOT NULL,
            document_id INTEGER REFERENCES documents(id),
            reused INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (job_id, case_id, kind)
        );
        -- The job's tasks (one per chunk of one kind), each claimed by one worker at a
        -- time through a lease that a live worker renews.
        CREATE TABLE print_job_chunks (
            job_id INTEGER NOT NULL REFERENCES print_jobs(id),
            chunk TEXT NOT NULL,
            kind TEXT NOT NULL,
            size INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'todo' CHECK (state IN ('todo', 'done')),
            lease_owner TEXT,
            lease_until REAL,
            worker_pid INTEGER,
            worker_host TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            finished_at TEXT,
            PRIMARY KEY (job_id, chunk)
        );
        """
    )


@migrations()
def m003_web(db):
    # Sign-in lockout survives a restart (the in-memory rate limiter does not), and the
    # admin's user list shows when each account last signed in.
    script(db,
        """
        ALTER TABLE users ADD COLUMN locked_until TEXT;
        ALTER TABLE users ADD COLUMN last_login_at TEXT;
        """
    )


@migrations()
def m004_office_tools(db):
    # Imports: the column mapping a clerk chose, remembered per sheet layout (a hash of
    # the header row, so no header text is needed to find it), and each import's report
    # (row numbers, outcomes and reason codes; never a name or a NIK).
    script(db,
        """
        CREATE TABLE import_mappings (
            header_key TEXT PRIMARY KEY,
            mapping TEXT NOT NULL,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE import_reports (
            id INTEGER PRIMARY KEY,
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            rows INTEGER NOT NULL,
            added INTEGER NOT NULL,
            skipped INTEGER NOT NULL,
            report TEXT NOT NULL
        );
        """
    )


@migrations()
def m005_trust(db):
    # Retention (issue 5): when a case was closed and anonymised, and which documents'
    # PDFs were destroyed then (the rows stay: their numbers remain on record).
    script(db,
        """
        ALTER TABLE cases ADD COLUMN closed_at TEXT;
        ALTER TABLE cases ADD COLUMN anonymised_at TEXT;
        ALTER TABLE documents ADD COLUMN destroyed_at TEXT;
        """
    )


@migrations()
def m006_index_outbox(db):
    # Issue 9: the search index is kept current from an outbox written in the same
    # transaction as each change (service/records/indexing.py), so a crash between the
    # commit and the index loses nothing. `held` names the print job that indexes its
    # letters itself, in one commit at its end.
    script(db,
        """
        CREATE TABLE index_outbox (
            id INTEGER PRIMARY KEY,
            case_id INTEGER,
            document_id INTEGER,
            text TEXT,
            held TEXT,
            CHECK ((case_id IS NULL) != (document_id IS NULL))
        );
        CREATE INDEX index_outbox_held ON index_outbox(held, id);
        """
    )


@migrations()
def m007_listed_documents(db):
    # Issue 9: the documents that exist as a file and are listed, downloaded and verified
    # (service/records/kinds.py LISTED), written once instead of in every query.
    script(db,
        """
        CREATE VIEW listed_documents AS
            SELECT * FROM documents WHERE status IN ('valid', 'void', 'superseded');
        """
    )


@migrations()
def m008_worker_tokens(db):
    # Issue 14: print workers on other machines authenticate with a token of their own
    # kind (auth/worker_tokens.py), which can fetch a chunk's inputs and return its
    # letters and nothing else: no user, no role, no session.
    script(db,
        """
        CREATE TABLE worker_tokens (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            token_hash TEXT NOT NULL UNIQUE,
            prefix TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_used_at TEXT,
            revoked_at TEXT
        );
        """
    )


@migrations()
def m009_key_fingerprints(db):
    # Issue 10: the keys kept outside the archive (service/keys.py), named by fingerprint
    # the first time the archive uses them, so a lost or swapped key folder is refused.
    script(db,
        """
        CREATE TABLE key_fingerprints (
            name TEXT PRIMARY KEY,
            fingerprint TEXT NOT NULL
        );
        """
    )


@migrations()
def m010_forgotten_prints(db):
    # Issue 10, item 6: a print result that held an anonymised woman is deleted; the job
    # says so (result_removed: why, and when) instead of offering a file.
    script(db,
        """
        ALTER TABLE print_jobs ADD COLUMN result_removed TEXT;
        ALTER TABLE print_jobs ADD COLUMN result_removed_at TEXT;
        """
    )


@migrations()
def m011_scans(db):
    # Issue 13: the signed paper comes back. An upload of scanned pages (`scans`, read by
    # a background task) and each page of it (`scan_pages`): attached to a document's
    # page as its signed copy, in the review tray, discarded, a repeat of a page already
    # on file (stored once), or skipped (a print job's cover sheet). A document's
    # signed_at is set in the transaction that attaches the last of its pages.
    script(db,
        """
        ALTER TABLE documents ADD COLUMN signed_at TEXT;
        CREATE TABLE scans (
            id INTEGER PRIMARY KEY,
            state TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'running', 'done', 'failed')),
            files INTEGER NOT NULL,
            pages INTEGER NOT NULL DEFAULT 0,  -- pages received, counted at upload
            done INTEGER NOT NULL DEFAULT 0,   -- pages read so far
            error TEXT,
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            updated_at TEXT NOT NULL
        );
        CREATE TABLE scan_pages (
            id INTEGER PRIMARY KEY,
            scan_id INTEGER NOT NULL REFERENCES scans(id),
            position INTEGER NOT NULL,         -- from 1, over the upload in the order received
            fingerprint TEXT NOT NULL,         -- sha256 of the page's pixels as read
            state TEXT NOT NULL
                CHECK (state IN ('attached', 'tray', 'discarded', 'repeat', 'skipped')),
            reason TEXT,                       -- why it is not attached (a code)
            document_id INTEGER REFERENCES documents(id),
            page INTEGER,                      -- the document's page it is the signed copy of
            same_as INTEGER REFERENCES scan_pages(id),  -- a repeat: the page on file
            path TEXT,                         -- the stored one-page PDF, by id
            sha256 TEXT,
            attached_by INTEGER REFERENCES users(id),   -- NULL: matched by its code
            attached_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (scan_id, position)
        );
        -- One signed copy per page of a document.
        CREATE UNIQUE INDEX scan_pages_signed ON scan_pages(document_id, page)
            WHERE state = 'attached';
        CREATE INDEX scan_pages_fingerprint ON scan_pages(fingerprint);
        CREATE INDEX scan_pages_state ON scan_pages(state, id);
        """
    )


@migrations()
def m012_sessions_throttle_tokens(db):
    # Issue 10, items 10-12. A session names its user's session_version; sign-out, a
    # password change, a role change or deactivation bumps it, ending every session of
    # that user on the server. Failed sign-ins are counted per (address, name), never per
    # address or per account alone (auth/login.py); the name is kept as a hash (people
    # type passwords into the name box). API tokens expire; those made before this get
    # the standard 90 days from now.
    script(db,
        """
        ALTER TABLE users ADD COLUMN session_version INTEGER NOT NULL DEFAULT 0;
        CREATE TABLE login_failures (
            address TEXT NOT NULL,
            name_key TEXT NOT NULL,
            user_id INTEGER REFERENCES users(id),
            failures INTEGER NOT NULL,
            first_at TEXT NOT NULL,
            last_at TEXT NOT NULL,
            wait_until TEXT,
            PRIMARY KEY (address, name_key)
        );
        CREATE INDEX login_failures_user ON login_failures(user_id, last_at);
        ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
        UPDATE api_tokens SET expires_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '+90 days')
            WHERE expires_at IS NULL;
        """
    )


@migrations()
def m013_letter_facts(db):
    # Issue 12: what each letter states, as hashes per group (service/letters/facts.py),
    # so a letter holding old data is seen (the case page says "data berubah") and a
    # ceremony print reuses a letter whose data has not changed instead of replacing it;
    # a print job a person cancelled (its state stays 'failed': over, never resumed).
    script(db,
        """
        ALTER TABLE documents ADD COLUMN facts TEXT;
        ALTER TABLE print_jobs ADD COLUMN cancelled_at TEXT;
        ALTER TABLE print_jobs ADD COLUMN cancelled_by INTEGER REFERENCES users(id);
        """
    )


@migrations()
def m014_papers(db):
    # Issue 11. A release (date, place) recorded on the case, for a release report made
    # outside a ceremony; text meant for the paper, apart from the internal notes that
    # never print. Aid items say whose money they are: the office's own budget (APBD,
    # paid by its treasurer against a kuitansi) or central government money (APBN,
    # Kemensos, paid into her account): they never share a receipt.
    # Sample letters (made while the office's set-up is incomplete) are kept apart from
    # the documents table: they take no number and never enter the register.
    script(db,
        """
        ALTER TABLE cases ADD COLUMN release_date TEXT;
        ALTER TABLE cases ADD COLUMN release_place TEXT NOT NULL DEFAULT '';
        ALTER TABLE cases ADD COLUMN paper_notes TEXT NOT NULL DEFAULT '';
        ALTER TABLE aid_items ADD COLUMN fund TEXT NOT NULL DEFAULT 'apbd'
            CHECK (fund IN ('apbd', 'apbn'));
        UPDATE aid_items SET fund = 'apbn' WHERE kind = 'kemensos_transfer'
            OR lower(source) LIKE '%kemensos%' OR lower(source) LIKE '%kementerian sosial%'
            OR lower(source) LIKE '%apbn%';
        CREATE TABLE sample_letters (
            id INTEGER PRIMARY KEY,
            case_id INTEGER REFERENCES cases(id),
            kind TEXT NOT NULL,
            path TEXT,
            sha256 TEXT,
            pages INTEGER,
            created_by INTEGER REFERENCES users(id),
            created_at TEXT NOT NULL
        );
        CREATE INDEX sample_letters_case ON sample_letters(case_id);
        """
    )
