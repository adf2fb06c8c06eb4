"""The service's settings (设置) in one object, read from the environment once at start.

Every setting the ledger, the reports and the service take from outside is a field of :class:`Settings`
(pydantic-settings): its environment variable, its default and its meaning are listed in the README
(“Settings”). No module reads the environment for these itself: the program's entry points (``subsidy …``,
``subsidy serve``, :func:`app.main.create_app`) read them once with :func:`load`, and the code asks
:func:`current`. Tests construct a :class:`Settings` explicitly and install it with :func:`use`.

The variable names are the ones the project has always used: ``DATABASE_URL`` and ``DATABASE_OWNER_URL``
(no prefix), everything else ``SUBSIDY_*``. A malformed value (``SUBSIDY_THREADS=many``) stops the start
with a message naming the variable.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """What can be set from outside, with its default. Immutable: a change means a new object."""

    model_config = SettingsConfigDict(env_prefix="SUBSIDY_", extra="ignore", frozen=True,
                                      populate_by_name=True, env_ignore_empty=True)

    database_url: str = Field(f"sqlite:///{ROOT / 'var' / 'subsidy.db'}",
                              validation_alias=AliasChoices("DATABASE_URL", "database_url"))
    """The service's database (SQLite under var/ by default; ``postgresql+psycopg://…`` in production)."""
    database_owner_url: str | None = Field(None, validation_alias=AliasChoices("DATABASE_OWNER_URL",
                                                                               "database_owner_url"))
    """The schema owner's connection, used only to migrate; unset: the service's own."""
    db_pool: int = Field(20, ge=1, le=500)
    """PostgreSQL connections kept open per process."""
    threads: int = Field(8, ge=1, le=256)
    """Worker threads per process for the synchronous routes."""
    lockout_failures: int = Field(5, ge=1, le=100)
    """Wrong passwords in a row before an account is locked."""
    lockout_minutes: int = Field(15, ge=1, le=24 * 60)
    """How long a locked account stays locked."""
    session_hours: int = Field(8, ge=1, le=24 * 30)
    """How long a sign-in (page cookie or API token) lasts."""
    checkpoint_alg: str = "sm3"
    """The checkpoints' HMAC hash: sm3 or sha256."""
    checkpoint_key: SecretStr | None = None
    """The checkpoint signing key itself (else the key file)."""
    checkpoint_key_file: Path = ROOT / "var" / "checkpoint.key"
    """The checkpoint signing key's file (made on first use, mode 0600)."""
    checkpoint_dir: Path = ROOT / "var" / "checkpoints"
    """Where signed checkpoints are written."""
    jobs_per_user: int = Field(2, ge=1, le=100)
    """Background jobs one user may have queued or running at once."""
    job_threads: int = Field(2, ge=0, le=32)
    """Job worker threads per service process (0: this process runs no jobs, another does)."""
    job_stale_seconds: int = Field(60, ge=5, le=24 * 3600)
    """A running job whose worker has not reported for this long is taken as interrupted."""
    job_attempts: int = Field(2, ge=1, le=10)
    """Runs of an interrupted job before it is marked failed."""
    job_keep_days: int = Field(7, ge=1, le=3650)
    """Days a finished job's file is kept for download."""

    def owner_url(self) -> str:
        return self.database_owner_url or self.database_url


class SettingsError(RuntimeError):
    """An environment variable's value is not usable (the message names it, in Chinese)."""


_current: Settings | None = None


RULES = {"int_parsing": "应为整数", "greater_than_equal": "不得小于 {ge}", "less_than_equal": "不得大于 {le}",
         "string_type": "应为文字", "path_type": "应为文件路径"}


def load() -> Settings:
    """Read the settings from the environment now (entry points call this once, at start) and make them
    the current ones. A value that is not usable: :class:`SettingsError` naming the variable and the rule."""
    try:
        return use(Settings())
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            name = str(e["loc"][0]) if e["loc"] else "?"
            var = name if name.isupper() else f"SUBSIDY_{name.upper()}"
            rule = RULES.get(e["type"], e["msg"]).format(**e.get("ctx", {}))
            lines.append(f"环境变量 {var} 的值 {e['input']!r} 不可用：{rule}")
        raise SettingsError("；".join(lines)) from None


def use(settings: Settings | None) -> Settings:
    """Install ``settings`` as the current ones (``None``: read the environment again)."""
    global _current
    _current = settings if settings is not None else Settings()
    return _current


def current() -> Settings:
    """The settings read at start (read now, once, if no entry point has read them yet)."""
    return _current if _current is not None else load()
