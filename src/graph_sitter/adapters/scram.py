"""SCRAM-SHA-256 password verifiers computed on the client, so CREATE/ALTER ROLE never carries a clear password."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

_ITERATIONS = 4096  # PostgreSQL's default scram_iterations


def scram_verifier(password: str, iterations: int = _ITERATIONS, salt: bytes | None = None) -> str:
    """The rolpassword string PostgreSQL stores for `password` (RFC 5802/7677)."""
    salt = salt or os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"
