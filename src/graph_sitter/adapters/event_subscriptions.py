"""events_db: subscriptions (source, type, action and JSON predicate filters) and their callback outbox.

New events are matched to subscriptions when they are stored (events_db.FANOUT_CTES): each match becomes a
subscription_deliveries row. The delivery worker claims due rows (FOR UPDATE SKIP LOCKED, so several workers
never send the same row twice), posts them, and records success, or failure with the next attempt after an
exponential backoff; a row out of attempts is dead.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

import psycopg

from graph_sitter.adapters.secret_box import SecretBox
from graph_sitter.errors import GraphSitterError

#: Seconds before the first retry when a subscription does not say (delivery_config.backoff_seconds).
DEFAULT_BACKOFF_SECONDS = 10.0
#: No retry waits longer than this.
MAX_BACKOFF_SECONDS = 3600.0
#: A delivery claimed longer ago than this was interrupted (the worker died): it is retried.
STALE_IN_FLIGHT = "5 minutes"


class SubscriptionError(GraphSitterError):
    """A subscription that does not exist or cannot be created as asked."""


@dataclass(frozen=True)
class Subscription:
    """A subscription as listed (its callback secret stays encrypted)."""

    id: uuid.UUID
    name: str
    sources: list[str]
    event_types: list[str]
    actions: list[str]
    predicate: dict[str, Any]
    delivery_method: str
    callback_url: str | None
    status: str
    max_attempts: int
    has_secret: bool
    delivery_config: dict[str, Any]
    created_at: datetime


_SUBSCRIPTION = ("SELECT id, name, sources, event_types, actions, predicate, delivery_method, callback_url, status,"
                 " max_attempts, secret_encrypted IS NOT NULL, delivery_config, created_at FROM subscriptions")


class SubscriptionStore:
    """Subscriptions of one organization over one connection."""

    def __init__(self, conn: psycopg.Connection[Any], organization_id: uuid.UUID | None) -> None:
        self.conn = conn
        self.organization_id = organization_id

    def add(self, name: str, *, callback_url: str | None, sources: Sequence[str] = (), event_types: Sequence[str] = (),
            actions: Sequence[str] = (), predicate: Mapping[str, Any] | None = None, max_attempts: int = 5,
            backoff_seconds: float | None = None, secret: str | None = None, box: SecretBox | None = None,
            description: str | None = None) -> Subscription:
        """Create a subscription; with a callback URL its matches are posted there (signed when it has a secret)."""
        if callback_url is not None and not callback_url.lower().startswith(("http://", "https://")):
            raise SubscriptionError(f"callback URL {callback_url!r} must start with http:// or https://")
        if max_attempts < 1:
            raise SubscriptionError("max attempts must be at least 1")
        config: dict[str, Any] = {}
        if backoff_seconds is not None:
            config["backoff_seconds"] = backoff_seconds
        encrypted = box.encrypt(secret) if secret and box else None
        with self.conn.transaction():
            exists = self.conn.execute(
                "SELECT 1 FROM subscriptions WHERE organization_id IS NOT DISTINCT FROM %s AND name = %s",
                (self.organization_id, name)).fetchone()
            if exists:
                raise SubscriptionError(f"subscription {name!r} exists already")
            self.conn.execute(
                "INSERT INTO subscriptions (organization_id, name, description, sources, event_types, actions,"
                " predicate, delivery_method, callback_url, delivery_config, secret_encrypted, secret_key_id,"
                " max_attempts) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (self.organization_id, name, description, list(sources), list(event_types), list(actions),
                 json.dumps(dict(predicate or {})), "webhook" if callback_url else "internal", callback_url,
                 json.dumps(config), encrypted, box.key_id if encrypted and box else None, max_attempts))
        return self.get(name)

    def get(self, name: str) -> Subscription:
        """The subscription named `name`."""
        row = self.conn.execute(f"{_SUBSCRIPTION} WHERE organization_id IS NOT DISTINCT FROM %s AND name = %s",
                                (self.organization_id, name)).fetchone()
        if row is None:
            raise SubscriptionError(f"no subscription named {name!r}")
        return Subscription(*row)

    def list(self) -> list[Subscription]:
        """Every subscription of the organization, by name."""
        rows = self.conn.execute(f"{_SUBSCRIPTION} WHERE organization_id IS NOT DISTINCT FROM %s ORDER BY name",
                                 (self.organization_id,)).fetchall()
        return [Subscription(*r) for r in rows]

    def remove(self, name: str) -> None:
        """Delete a subscription and its outbox rows."""
        with self.conn.transaction():
            gone = self.conn.execute(
                "DELETE FROM subscriptions WHERE organization_id IS NOT DISTINCT FROM %s AND name = %s RETURNING id",
                (self.organization_id, name)).fetchone()
        if gone is None:
            raise SubscriptionError(f"no subscription named {name!r}")

    def deliveries(self, name: str) -> list[tuple[str, int, int | None, str | None]]:
        """(status, attempts, last response status, last error) of every delivery of one subscription."""
        sub = self.get(name)
        return [tuple(r) for r in self.conn.execute(  # type: ignore[misc]
            "SELECT status, attempts, response_status, last_error FROM subscription_deliveries"
            " WHERE subscription_id = %s ORDER BY created_at", (sub.id,))]


# -- the delivery worker's queries (async: the worker runs inside `gsdb serve`) ------------------------------
@dataclass(frozen=True)
class DueDelivery:
    """A claimed delivery with what it takes to send it."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    subscription_name: str
    attempts: int
    max_attempts: int
    callback_url: str
    secret_encrypted: bytes | None
    secret_key_id: str | None
    backoff_seconds: float
    event: dict[str, Any]


RELEASE_STALE_SQL = (
    "UPDATE subscription_deliveries SET status = 'failed', last_error = 'interrupted while in flight',"
    " next_attempt_at = now()"
    f" WHERE status = 'in_flight' AND last_attempt_at < now() - interval '{STALE_IN_FLIGHT}'"
    " AND attempts < max_attempts"
)

CLAIM_SQL = """
UPDATE subscription_deliveries d
   SET status = 'in_flight', attempts = d.attempts + 1, last_attempt_at = now()
  FROM subscriptions s, events e
 WHERE d.id IN (SELECT id FROM subscription_deliveries
                 WHERE status IN ('pending', 'failed') AND next_attempt_at <= now() AND attempts < max_attempts
                 ORDER BY next_attempt_at LIMIT %s FOR UPDATE SKIP LOCKED)
   AND s.id = d.subscription_id AND s.status = 'active' AND s.callback_url IS NOT NULL
   AND e.id = d.event_id AND e.occurred_at = d.event_occurred_at
RETURNING d.id, d.subscription_id, s.name, d.attempts, d.max_attempts, s.callback_url, s.secret_encrypted,
          s.secret_key_id, s.delivery_config,
          json_build_object('id', e.id, 'occurred_at', e.occurred_at, 'received_at', e.received_at,
                            'source', e.source, 'event_type', e.event_type, 'action', e.action,
                            'external_id', e.external_id, 'title', e.title, 'actor_external_id', e.actor_external_id,
                            'actor_name', e.actor_name, 'target_type', e.target_type, 'target_id', e.target_id,
                            'target_name', e.target_name, 'target_url', e.target_url, 'repository', e.repository,
                            'thread_id', e.thread_id, 'metadata', e.metadata, 'payload', e.payload)
"""

DELIVERED_SQL = (
    "WITH done AS (UPDATE subscription_deliveries SET status = 'delivered', delivered_at = now(),"
    " response_status = %s, last_error = NULL WHERE id = %s RETURNING subscription_id)"
    " UPDATE subscriptions SET last_delivery_at = now() WHERE id IN (SELECT subscription_id FROM done)"
)

FAILED_SQL = (
    "UPDATE subscription_deliveries SET"
    " status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'failed' END,"
    " next_attempt_at = now() + make_interval(secs => %s), response_status = %s, last_error = left(%s, 2000)"
    " WHERE id = %s"
)


def backoff(base_seconds: float, attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: base, 2·base, 4·base, … capped at an hour."""
    return min(MAX_BACKOFF_SECONDS, base_seconds * (2 ** max(0, attempts - 1)))


async def claim_due(conn: psycopg.AsyncConnection[Any], limit: int) -> list[DueDelivery]:
    """Claim up to `limit` due deliveries (their attempt is counted now), in one short transaction."""
    async with conn.transaction():
        await conn.execute(RELEASE_STALE_SQL)
        cur = await conn.execute(CLAIM_SQL, (limit,))
        rows = await cur.fetchall()
    return [DueDelivery(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
                        float((r[8] or {}).get("backoff_seconds", DEFAULT_BACKOFF_SECONDS)), r[9]) for r in rows]


async def record_delivered(conn: psycopg.AsyncConnection[Any], delivery_id: uuid.UUID, status: int) -> None:
    """The callback answered 2xx."""
    async with conn.transaction():
        await conn.execute(DELIVERED_SQL, (status, delivery_id))


async def record_failed(conn: psycopg.AsyncConnection[Any], delivery: DueDelivery, status: int | None,
                        error: str) -> None:
    """The callback failed: retry after the backoff, or dead when out of attempts."""
    async with conn.transaction():
        await conn.execute(FAILED_SQL, (backoff(delivery.backoff_seconds, delivery.attempts),
                                        status if status is not None and 100 <= status <= 599 else None, error,
                                        delivery.id))
