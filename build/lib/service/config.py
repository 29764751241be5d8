"""Settings from the environment. Every path derives from one archive root."""

import os
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def default_key_dir(archive: Path) -> Path:
    """PULANG_KEY_DIR, or a keys/ folder beside the archive folder (never inside it: a
    copy of the archive must not carry its keys; see service/keys.py)."""
    configured = os.environ.get("PULANG_KEY_DIR")
    return Path(configured).resolve() if configured else Path(archive).resolve().parent / "keys"


@dataclass(frozen=True)
class Settings:
    archive: Path = Path("archive")
    key_dir: Path | None = None  # PULANG_KEY_DIR; None: keys/ beside the archive
    host: str = "127.0.0.1"
    port: int = 5000
    base_url: str = ""
    secret_key: str = ""
    # "pool" keeps warm LibreOffice workers (pulang serve); "cli" runs one soffice per
    # document, for scripts and tests that convert rarely.
    converter: str = "cli"
    pool_size: int = field(default_factory=lambda: os.cpu_count() or 2)
    convert_timeout: float = 60.0
    render_seconds: float = 10.0  # a template's wall-clock limit per letter (letters/sandbox.py)
    recycle_after: int = 500
    amount_ceiling: int = 1_000_000_000
    session_minutes: int = 30   # a web session ends after this long without a request
    session_hours: int = 12     # ... and this long after signing in, whatever happens
    # Behind an HTTPS proxy: cookies only over HTTPS, and HSTS. proxy_hops: how many
    # proxies in front set X-Forwarded-For/-Proto/-Host (0: trust none of them).
    https: bool = False
    proxy_hops: int = 0
    token_days: int = 90        # an API token expires this long after it is made
    retention_years: int = 5  # a closed case may be anonymised this long after closing
    # Print jobs: huey's SQLite storage under run/ unless a Redis URL is given (offices
    # with print workers on other machines); the CUPS printer to send results to, if any.
    queue_url: str = ""
    queue_name: str = "pulang"
    # Consumer threads; None = pool size + 2 (see ceremonies/queue.py); 0 = `pulang serve`
    # runs no print jobs itself (its workers, on other machines, make the letters).
    job_workers: int | None = None
    printer: str = ""
    templates_dir: Path = Path(__file__).resolve().parent.parent / "templates"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        host = os.environ.get("PULANG_HOST", "127.0.0.1")
        port = _int("PULANG_PORT", 5000)
        values = dict(
            archive=Path(os.environ.get("PULANG_ARCHIVE", "archive")),
            host=host,
            port=port,
            base_url=os.environ.get("PULANG_BASE_URL", ""),
            secret_key=os.environ.get("PULANG_SECRET_KEY", ""),
            converter=os.environ.get("PULANG_CONVERTER", "cli"),
            pool_size=_int("PULANG_POOL_SIZE", os.cpu_count() or 2),
            convert_timeout=float(os.environ.get("PULANG_CONVERT_TIMEOUT", 60)),
            render_seconds=float(os.environ.get("PULANG_RENDER_SECONDS", 10)),
            recycle_after=_int("PULANG_RECYCLE_AFTER", 500),
            amount_ceiling=_int("PULANG_AMOUNT_CEILING", 1_000_000_000),
            session_minutes=_int("PULANG_SESSION_MINUTES", 30),
            session_hours=_int("PULANG_SESSION_HOURS", 12),
            https=_flag("PULANG_HTTPS"),
            proxy_hops=_int("PULANG_PROXY_HOPS", 0),
            token_days=_int("PULANG_TOKEN_DAYS", 90),
            retention_years=_int("PULANG_RETENTION_YEARS", 5),
            queue_url=os.environ.get("PULANG_QUEUE_URL", ""),
            queue_name=os.environ.get("PULANG_QUEUE_NAME", "pulang"),
            job_workers=_int("PULANG_JOB_WORKERS", 0) if os.environ.get("PULANG_JOB_WORKERS") else None,
            printer=os.environ.get("PULANG_PRINTER", ""),
        )
        known = {f.name for f in fields(cls)}
        values.update({k: v for k, v in overrides.items() if k in known})
        settings = cls(**values)
        settings = replace(settings, archive=Path(settings.archive).resolve())
        settings = replace(settings, key_dir=Path(settings.key_dir).resolve() if settings.key_dir
                           else default_key_dir(settings.archive))
        if not settings.base_url:
            settings = replace(settings, base_url=f"http://{settings.host}:{settings.port}")
        return settings

    @property
    def db_path(self) -> Path:
        return self.archive / "pulang.db"

    @property
    def documents_dir(self) -> Path:
        return self.archive / "documents"

    @property
    def index_dir(self) -> Path:
        return self.archive / "index"

    @property
    def run_dir(self) -> Path:
        return self.archive / "run"

    @property
    def tmp_dir(self) -> Path:
        return self.archive / "tmp"

    @property
    def office_templates_dir(self) -> Path:
        return self.archive / "templates"

    @property
    def logo_path(self) -> Path:
        return self.archive / "settings" / "logo.png"

    def ensure_dirs(self) -> None:
        """The archive's folders, each 0700, and an archive from before that rule sealed
        (service/sealed.py)."""
        from .sealed import make_dir, seal
        seal(self.archive)
        for path in (self.archive, self.documents_dir, self.index_dir, self.run_dir,
                     self.tmp_dir, self.office_templates_dir, self.logo_path.parent):
            make_dir(path)

    def load_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the archive (mode 600)."""
        if self.secret_key:
            return self.secret_key
        path = self.archive / "secret_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return path.read_text().strip()
