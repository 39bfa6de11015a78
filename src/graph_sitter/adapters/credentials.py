"""Generated role passwords, kept in a 0600 file under the data dir and shown only on request."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
from pathlib import Path
from typing import Iterator


def generate_password() -> str:
    """A random password safe to put in a URI without escaping."""
    return secrets.token_urlsafe(24)


class CredentialStore:
    """Passwords per server and role, in one JSON file only its owner can read."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}

    def _write(self, data: dict[str, dict[str, str]]) -> None:
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def get(self, server: str, role: str) -> str | None:
        """The stored password of `role` on `server`, if any."""
        return self._read().get(server, {}).get(role)

    def set(self, server: str, role: str, password: str) -> None:
        """Store (or replace) the password of `role` on `server`."""
        with self._locked():
            data = self._read()
            data.setdefault(server, {})[role] = password
            self._write(data)

    def get_or_create(self, server: str, role: str, preferred: str | None = None) -> tuple[str, bool]:
        """The password of `role`, generated (or taken from `preferred`) and stored if missing; True if new."""
        with self._locked():
            data = self._read()
            current = data.get(server, {}).get(role)
            if current is not None and (preferred is None or preferred == current):
                return current, False
            password = preferred or generate_password()
            data.setdefault(server, {})[role] = password
            self._write(data)
            return password, True

    def all(self, server: str) -> dict[str, str]:
        """Every stored role password of one server."""
        return dict(self._read().get(server, {}))
