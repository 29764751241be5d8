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
    db.execute("PRAGMA synchronous=NORMAL")  # durable at checkpoint; WAL makes this safe
    db.execute("PRAGMA busy_timeout=30000")
    return db


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database):
    """BEGIN IMMEDIATE: take the write lock first, so read-then-write steps such as
    "next letter number" cannot interleave with another writer's."""
    db.commit()  # the driver may have opened an implicit transaction for a read
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.rollback()
        raise
    else:
        db.conn.execute("COMMIT")


def migrate(db: sqlite_utils.Database) -> None:
    migrations.apply(db)


@migrations()
def m001_initial(db):
    db.executescript(
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
def m003_web(db):
    # Sign-in lockout survives a restart (the in-memory rate limiter does not), and the
    # admin's user list shows when each account last signed in.
    db.executescript(
        """
        ALTER TABLE users ADD COLUMN locked_until TEXT;
        ALTER TABLE users ADD COLUMN last_login_at TEXT;
        """
    )
