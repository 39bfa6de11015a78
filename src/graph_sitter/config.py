"""Settings from the environment: where PostgreSQL is, where data lives, how databases are named."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from graph_sitter.errors import ConfigurationError

#: The seven databases, in the order setup creates them; analytics_db is last because it imports the others.
DATABASES: tuple[str, ...] = (
    "task_db",
    "projects_db",
    "prompts_db",
    "codebase_db",
    "events_db",
    "learning_db",
    "analytics_db",
)

#: Files larger than this are skipped (and recorded) by the analysis unless told otherwise.
DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024

_PREFIX_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,20}$")
_SSLMODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


def default_home() -> Path:
    """Per-user data directory used when GRAPH_SITTER_HOME is not set."""
    import platformdirs

    return Path(platformdirs.user_data_dir("graph_sitter", appauthor=False))


@dataclass(frozen=True)
class Settings:
    """Everything that decides which server and which databases a command talks to."""

    home: Path
    database_url: str | None = None
    db_prefix: str = ""
    sslmode: str | None = None
    organization: str = "default"
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def external(self) -> bool:
        """True when an external server was configured instead of the embedded one."""
        return self.database_url is not None

    def database_name(self, db: str) -> str:
        """The real name of one of the seven databases, prefix included."""
        return f"{self.db_prefix}{db}"

    def owner_role(self, db: str) -> str:
        """The login role that owns one database's objects: task_db -> task_user."""
        return f"{self.db_prefix}{db.removesuffix('_db')}_user"

    @property
    def readonly_role(self) -> str:
        """The role that may read every table of every database and write none."""
        return f"{self.db_prefix}analytics_readonly"

    @property
    def admin_role(self) -> str:
        """The maintenance role: CREATEDB and CREATEROLE, never SUPERUSER."""
        return f"{self.db_prefix}graph_sitter_admin"

    def all_roles(self) -> list[str]:
        """Every role setup manages."""
        return [self.owner_role(db) for db in DATABASES] + [self.readonly_role, self.admin_role]

    def password_override(self, role: str) -> str | None:
        """A password for `role` from GRAPH_SITTER_<ROLE>_PASSWORD, prefix left out of the name."""
        bare = role.removeprefix(self.db_prefix).upper()
        return self.environ.get(f"GRAPH_SITTER_{bare}_PASSWORD") or None


def _external_url(env: Mapping[str, str]) -> str | None:
    url = env.get("GRAPH_SITTER_DATABASE_URL")
    if url:
        return url
    if not any(env.get(k) for k in ("POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_ADMIN_USER")):
        return None
    from psycopg.conninfo import make_conninfo

    return make_conninfo(
        host=env.get("POSTGRES_HOST", "localhost"),
        port=env.get("POSTGRES_PORT", "5432"),
        user=env.get("POSTGRES_ADMIN_USER", "postgres"),
        password=env.get("POSTGRES_ADMIN_PASSWORD") or None,
        dbname=env.get("POSTGRES_ADMIN_DB", "postgres"),
    )


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment (GRAPH_SITTER_*, POSTGRES_*)."""
    env = dict(os.environ if env is None else env)
    home = Path(env["GRAPH_SITTER_HOME"]).expanduser() if env.get("GRAPH_SITTER_HOME") else default_home()
    prefix = env.get("GRAPH_SITTER_DB_PREFIX", "")
    if prefix and not _PREFIX_PATTERN.match(prefix):
        raise ConfigurationError(
            f"GRAPH_SITTER_DB_PREFIX={prefix!r} is invalid: use lowercase letters, digits and _, starting with a letter"
        )
    sslmode = env.get("POSTGRES_SSLMODE") or None
    if sslmode and sslmode not in _SSLMODES:
        raise ConfigurationError(f"POSTGRES_SSLMODE={sslmode!r} is invalid: one of {', '.join(sorted(_SSLMODES))}")
    return Settings(
        home=home.resolve(),
        database_url=_external_url(env),
        db_prefix=prefix,
        sslmode=sslmode,
        organization=env.get("GRAPH_SITTER_ORGANIZATION", "default"),
        environ=env,
    )
