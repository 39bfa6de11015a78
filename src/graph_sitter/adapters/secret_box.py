"""Encryption of the secrets kept in the databases (webhook signing secrets, callback secrets) with Fernet.

The key never goes into a database: it comes from GRAPH_SITTER_SECRET_KEY (a Fernet key) or from
`$GRAPH_SITTER_HOME/secret.key`, generated on first use with mode 0600 like credentials.json. Each ciphertext is
stored with the id of the key that made it, so a row encrypted under another key is reported instead of failing
as a garbled secret.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from graph_sitter.config import Settings
from graph_sitter.errors import ConfigurationError, GraphSitterError

KEY_ENV = "GRAPH_SITTER_SECRET_KEY"
KEY_FILE = "secret.key"


class SecretUnreadable(GraphSitterError):
    """A stored secret was encrypted with another key, or is damaged."""

    exit_code = 2


def key_id(key: bytes) -> str:
    """A short, non-secret name of a key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def _read_or_create_key(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    try:
        # O_EXCL: two processes starting at once agree on the key the first one wrote
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as f:
        f.write(key + b"\n")
    return key


class SecretBox:
    """Encrypts and decrypts secrets with one Fernet key."""

    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError):
            raise ConfigurationError(
                f"{KEY_ENV} (or {KEY_FILE}) is not a Fernet key: 32 url-safe base64-encoded bytes") from None
        self.key_id = key_id(key)

    @classmethod
    def from_settings(cls, settings: Settings) -> "SecretBox":
        """The box of this install: the key from the environment, else the data dir's key file."""
        key = settings.environ.get(KEY_ENV)
        if key:
            return cls(key.strip().encode())
        return cls(_read_or_create_key(settings.home / KEY_FILE))

    def encrypt(self, secret: str) -> bytes:
        """The ciphertext of `secret`."""
        return self._fernet.encrypt(secret.encode())

    def decrypt(self, token: bytes, stored_key_id: str | None, what: str) -> str:
        """The secret in `token`; `what` names it in the error when it cannot be read."""
        if stored_key_id and stored_key_id != self.key_id:
            raise SecretUnreadable(f"the secret of {what} was encrypted with key {stored_key_id}, not with the "
                                   f"current key {self.key_id}; set it again")
        try:
            return self._fernet.decrypt(bytes(token)).decode()
        except InvalidToken:
            raise SecretUnreadable(f"the secret of {what} cannot be decrypted with key {self.key_id}; set it again") \
                from None
