"""events_db: webhook sources with their encrypted signing secrets, and the counters of rejected requests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg

from graph_sitter.adapters.secret_box import SecretBox
from graph_sitter.errors import GraphSitterError

#: The providers `gsdb serve` receives webhooks from.
WEBHOOK_PROVIDERS: tuple[str, ...] = ("github", "linear", "slack", "notion")
REJECTION_REASONS = ("missing_signature", "bad_signature", "stale_timestamp", "no_secret", "handshake_refused")


class SourceError(GraphSitterError):
    """An event source that does not exist, or a request that contradicts one."""

    exit_code = 1


@dataclass(frozen=True)
class SourceInfo:
    """An event source as listed: whether it has a secret, never the secret."""

    id: uuid.UUID
    name: str
    provider: str
    has_secret: bool
    secret_key_id: str | None
    is_active: bool
    description: str | None
    created_at: datetime
    updated_at: datetime


_INFO = ("SELECT id, name, provider, secret_encrypted IS NOT NULL, secret_key_id, is_active, description, created_at,"
         " updated_at FROM event_sources")

RECORD_REJECTION_SQL = (
    "INSERT INTO webhook_rejections (source, reason, period_start, rejection_count)"
    " VALUES (%s, %s, date_trunc('hour', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', 1)"
    " ON CONFLICT (source, reason, period_start) DO UPDATE"
    " SET rejection_count = webhook_rejections.rejection_count + 1, last_rejected_at = now()"
)

PROVIDER_SECRETS_SQL = (
    "SELECT id, name, secret_encrypted, secret_key_id FROM event_sources"
    " WHERE organization_id IS NOT DISTINCT FROM %s AND provider = %s AND is_active AND secret_encrypted IS NOT NULL"
    " ORDER BY created_at, name"
)


class EventSourceStore:
    """Event sources of one organization over one connection; secrets go in and out through a SecretBox."""

    def __init__(self, conn: psycopg.Connection[Any], organization_id: uuid.UUID | None, box: SecretBox) -> None:
        self.conn = conn
        self.organization_id = organization_id
        self.box = box

    def add(self, name: str, provider: str, secret: str | None = None, description: str | None = None,
            replace: bool = False) -> SourceInfo:
        """Create the source `name` (or, with `replace`, update it) with its secret encrypted."""
        if not name.strip():
            raise SourceError("a source needs a name")
        encrypted = self.box.encrypt(secret) if secret else None
        key = self.box.key_id if secret else None
        with self.conn.transaction():
            existing = self._row(name)
            if existing is not None and not replace:
                raise SourceError(f"event source {name!r} exists already (use --replace to change it)")
            if existing is not None and existing.provider != provider:
                raise SourceError(f"event source {name!r} is a {existing.provider} source, not {provider}")
            self.conn.execute(
                "INSERT INTO event_sources (organization_id, name, provider, description, secret_encrypted,"
                " secret_key_id) VALUES (%s, %s, %s, %s, %s, %s)"
                " ON CONFLICT ON CONSTRAINT event_sources_name_org_unique DO UPDATE SET"
                " description = coalesce(EXCLUDED.description, event_sources.description),"
                " secret_encrypted = coalesce(EXCLUDED.secret_encrypted, event_sources.secret_encrypted),"
                " secret_key_id = coalesce(EXCLUDED.secret_key_id, event_sources.secret_key_id), is_active = true",
                (self.organization_id, name, provider, description, encrypted, key),
            )
        return self.get(name)

    def _row(self, name: str) -> SourceInfo | None:
        row = self.conn.execute(f"{_INFO} WHERE organization_id IS NOT DISTINCT FROM %s AND name = %s",
                                (self.organization_id, name)).fetchone()
        return None if row is None else SourceInfo(*row)

    def get(self, name: str) -> SourceInfo:
        """The source named `name`."""
        found = self._row(name)
        if found is None:
            raise SourceError(f"no event source named {name!r}")
        return found

    def list(self) -> list[SourceInfo]:
        """Every source of the organization, by provider and name."""
        rows = self.conn.execute(f"{_INFO} WHERE organization_id IS NOT DISTINCT FROM %s ORDER BY provider, name",
                                 (self.organization_id,)).fetchall()
        return [SourceInfo(*r) for r in rows]

    def remove(self, name: str) -> None:
        """Delete the source `name` (its events stay, detached from it)."""
        with self.conn.transaction():
            gone = self.conn.execute(
                "DELETE FROM event_sources WHERE organization_id IS NOT DISTINCT FROM %s AND name = %s RETURNING id",
                (self.organization_id, name)).fetchone()
        if gone is None:
            raise SourceError(f"no event source named {name!r}")

    def reveal(self, name: str) -> str:
        """The clear secret of `name` (for Notion's verification token, which must be pasted back into Notion)."""
        row = self.conn.execute(
            "SELECT secret_encrypted, secret_key_id FROM event_sources"
            " WHERE organization_id IS NOT DISTINCT FROM %s AND name = %s", (self.organization_id, name)).fetchone()
        if row is None:
            raise SourceError(f"no event source named {name!r}")
        if row[0] is None:
            raise SourceError(f"event source {name!r} has no secret")
        return self.box.decrypt(row[0], row[1], f"event source {name!r}")

    def provider_secrets(self, provider: str) -> list[tuple[uuid.UUID, str]]:
        """(source id, clear secret) of every active source of `provider` that has a secret."""
        rows = self.conn.execute(PROVIDER_SECRETS_SQL, (self.organization_id, provider)).fetchall()
        return [(r[0], self.box.decrypt(r[2], r[3], f"event source {r[1]!r}")) for r in rows]

    def rejections(self) -> list[tuple[str, str, int]]:
        """(source, reason, count) of every rejected webhook request ever counted."""
        return [(r[0], r[1], int(r[2])) for r in self.conn.execute(
            "SELECT source, reason, sum(rejection_count) FROM webhook_rejections GROUP BY 1, 2 ORDER BY 1, 2")]


def record_rejection(conn: psycopg.Connection[Any], source: str, reason: str) -> None:
    """Count one rejected request of `source` for `reason` in the current hour."""
    with conn.transaction():
        conn.execute(RECORD_REJECTION_SQL, (source, reason))


async def provider_secrets_async(conn: psycopg.AsyncConnection[Any], organization_id: uuid.UUID | None,
                                 provider: str, box: SecretBox) -> list[tuple[uuid.UUID, str]]:
    """(source id, clear secret) of every active source of `provider` that has a secret."""
    cur = await conn.execute(PROVIDER_SECRETS_SQL, (organization_id, provider))
    return [(r[0], box.decrypt(r[2], r[3], f"event source {r[1]!r}")) for r in await cur.fetchall()]


async def record_rejection_async(conn: psycopg.AsyncConnection[Any], source: str, reason: str) -> None:
    """Count one rejected request of `source` for `reason` in the current hour."""
    async with conn.transaction():
        await conn.execute(RECORD_REJECTION_SQL, (source, reason))


async def store_verification_token_async(conn: psycopg.AsyncConnection[Any], organization_id: uuid.UUID | None,
                                         provider: str, token: str, box: SecretBox) -> bool:
    """Keep Notion's verification token as the secret of the source named after the provider, unless that
    provider already has a secret (then False: a stranger must not replace a working token)."""
    async with conn.transaction():
        # serialize handshakes: two at once must not both see "no secret yet"
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('graph_sitter.handshake:' || %s))", (provider,))
        cur = await conn.execute(
            "SELECT 1 FROM event_sources WHERE organization_id IS NOT DISTINCT FROM %s AND provider = %s"
            " AND is_active AND secret_encrypted IS NOT NULL", (organization_id, provider))
        if await cur.fetchone() is not None:
            return False
        await conn.execute(
            "INSERT INTO event_sources (organization_id, name, provider, description, secret_encrypted, secret_key_id)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT ON CONSTRAINT event_sources_name_org_unique DO UPDATE SET"
            " secret_encrypted = EXCLUDED.secret_encrypted, secret_key_id = EXCLUDED.secret_key_id, is_active = true",
            (organization_id, provider, provider, "verification token from the subscription handshake",
             box.encrypt(token), box.key_id))
    return True
