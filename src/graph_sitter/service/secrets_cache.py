"""Each provider's signing secrets, from events_db (decrypted) and the environment, cached for a few seconds."""

from __future__ import annotations

import logging
import time
import uuid

from psycopg_pool import AsyncConnectionPool

from graph_sitter.adapters.event_sources import provider_secrets_async
from graph_sitter.adapters.secret_box import SecretBox, SecretUnreadable
from graph_sitter.service.verification import Secrets

log = logging.getLogger("graph_sitter.service")


class SecretCache:
    """Secrets per provider; a source added or removed with `gsdb events sources` is seen after `ttl` seconds."""

    def __init__(self, pool: AsyncConnectionPool, organization_id: uuid.UUID | None, box: SecretBox,
                 env_secrets: dict[str, str], ttl: float) -> None:
        self.pool = pool
        self.organization_id = organization_id
        self.box = box
        self.env_secrets = env_secrets
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Secrets]] = {}

    async def get(self, provider: str) -> Secrets:
        """(source id or None for the environment's, secret) pairs of `provider`."""
        cached = self._cache.get(provider)
        if cached is not None and time.monotonic() - cached[0] < self.ttl:
            return cached[1]
        found: list[tuple[uuid.UUID | None, str]] = []
        async with self.pool.connection() as conn:
            try:
                found.extend(await provider_secrets_async(conn, self.organization_id, provider, self.box))
            except SecretUnreadable as exc:  # says which source and which key, never the secret
                log.error("%s", exc)
        if provider in self.env_secrets:
            found.append((None, self.env_secrets[provider]))
        self._cache[provider] = (time.monotonic(), found)
        return found

    def forget(self, provider: str) -> None:
        """Drop the cached secrets of `provider` (after the service stored one itself)."""
        self._cache.pop(provider, None)
