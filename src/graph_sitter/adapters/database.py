"""Which server to use and how to connect to each of the seven databases, as which role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from graph_sitter.adapters.credentials import CredentialStore
from graph_sitter.adapters.server import SUPERUSER, EmbeddedServer
from graph_sitter.config import DATABASES, Settings
from graph_sitter.errors import ConfigurationError, DatabaseUnavailable

Role = Literal["owner", "readonly", "admin", "superuser"]
EMBEDDED = "embedded"


@dataclass(frozen=True)
class Endpoint:
    """Host, port and TLS mode of the server, without any credential."""

    host: str
    port: int
    sslmode: str | None

    def describe(self) -> str:
        """host:port, for messages."""
        return f"{self.host}:{self.port}"


class Cluster:
    """The PostgreSQL server graph_sitter talks to: embedded by default, external when configured."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.credentials = CredentialStore(settings.home / "credentials.json")
        self.embedded = None if settings.external else EmbeddedServer(settings.home)

    # -- where --------------------------------------------------------------------------------------------
    def _external_params(self) -> dict[str, Any]:
        assert self.settings.database_url is not None
        try:
            params = conninfo_to_dict(self.settings.database_url)
        except psycopg.ProgrammingError as exc:
            raise ConfigurationError(f"GRAPH_SITTER_DATABASE_URL is not a valid connection string: {exc}") from None
        if self.settings.sslmode:
            params["sslmode"] = self.settings.sslmode
        return params

    @property
    def endpoint(self) -> Endpoint:
        """Where the server listens."""
        if self.embedded is not None:
            return Endpoint("127.0.0.1", self.embedded.port or 0, None)
        params = self._external_params()
        return Endpoint(str(params.get("host") or "localhost"), int(params.get("port") or 5432), params.get("sslmode"))

    @property
    def server_key(self) -> str:
        """Names this server in the credential store."""
        if self.embedded is not None:
            return EMBEDDED
        params = self._external_params()
        return f"{params.get('host') or 'localhost'}:{params.get('port') or 5432}"

    # -- who ----------------------------------------------------------------------------------------------
    def role_name(self, db: str, role: Role) -> str:
        """The PostgreSQL role behind a logical role for one database."""
        if role == "owner":
            return self.settings.owner_role(db)
        if role == "readonly":
            return self.settings.readonly_role
        if role == "admin":
            return self.settings.admin_role
        return self.superuser

    @property
    def superuser(self) -> str:
        """The bootstrap role setup connects as (the server's superuser, or the configured admin)."""
        if self.embedded is not None:
            return SUPERUSER
        return str(self._external_params().get("user") or "postgres")

    def _params(self, dbname: str, role_name: str) -> dict[str, Any]:
        if role_name == self.superuser:
            if self.embedded is not None:
                password = self.credentials.get(EMBEDDED, SUPERUSER)
                params: dict[str, Any] = {"host": "127.0.0.1", "port": self.embedded.port, "password": password}
            else:
                params = self._external_params()
        else:
            params = {k: v for k, v in self._external_params().items() if k not in ("user", "password")} \
                if self.embedded is None else {"host": "127.0.0.1", "port": self.embedded.port}
            params["password"] = self.credentials.get(self.server_key, role_name)
        params.update(user=role_name, dbname=dbname)
        params.setdefault("connect_timeout", 10)
        params.setdefault("application_name", "gsdb")
        return {k: v for k, v in params.items() if v is not None}

    def conninfo(self, db: str, role: Role = "owner") -> str:
        """A libpq connection string for one of the seven databases (db given without prefix)."""
        if db not in DATABASES:
            raise ConfigurationError(f"unknown database {db!r}; expected one of {', '.join(DATABASES)}")
        return make_conninfo(**self._params(self.settings.database_name(db), self.role_name(db, role)))

    def admin_conninfo(self, dbname: str = "postgres") -> str:
        """Connection string for the bootstrap role, to a database given by its real name."""
        return make_conninfo(**self._params(dbname, self.superuser))

    def uri(self, db: str, role: Role = "owner") -> str:
        """A postgresql:// URI usable by psql and scripts."""
        p = conninfo_to_dict(self.conninfo(db, role))
        auth = quote(str(p["user"]), safe="")
        if p.get("password"):
            auth += ":" + quote(str(p["password"]), safe="")
        query = f"?sslmode={p['sslmode']}" if p.get("sslmode") else ""
        host = str(p.get("host", "localhost"))
        if host.startswith("/"):
            return f"postgresql://{auth}@/{quote(str(p['dbname']))}?host={quote(host)}" + query.replace("?", "&")
        return f"postgresql://{auth}@{host}:{p.get('port', 5432)}/{quote(str(p['dbname']))}{query}"

    # -- connecting ---------------------------------------------------------------------------------------
    def _connect(self, conninfo: str, what: str, **kwargs: Any) -> psycopg.Connection[Any]:
        try:
            return psycopg.connect(conninfo, **kwargs)
        except psycopg.OperationalError as exc:
            raise DatabaseUnavailable(describe_connect_error(exc, what, self.endpoint)) from None

    def connect(self, db: str, role: Role = "owner", **kwargs: Any) -> psycopg.Connection[Any]:
        """Open a connection to one of the seven databases as the given role."""
        info = self.conninfo(db, role)
        user = self.role_name(db, role)
        return self._connect(info, f"{self.settings.database_name(db)} as {user}", **kwargs)

    def admin_connect(self, dbname: str = "postgres", **kwargs: Any) -> psycopg.Connection[Any]:
        """Open a connection as the bootstrap role to a database given by its real name."""
        return self._connect(self.admin_conninfo(dbname), f"{dbname} as {self.superuser}", **kwargs)


def describe_connect_error(exc: Exception, what: str, endpoint: Endpoint) -> str:
    """One line saying why a connection failed, with no password in it."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    reason = lines[-1] if lines else type(exc).__name__
    for line in lines:
        if "does not exist" in line or "password authentication failed" in line or "refused" in line:
            reason = line.split("failed: ")[-1]
            break
    hint = ""
    if "does not exist" in reason:
        hint = " (run `gsdb setup`)"
    return f"cannot connect to {what} at {endpoint.describe()}: {reason}{hint}"
