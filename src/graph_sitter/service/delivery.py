"""Subscription callbacks: post each due delivery to its subscriber, retry failures with exponential backoff.

A pass claims due rows of subscription_deliveries, posts them concurrently and records each outcome: 2xx is
delivered; anything else (an error status, a refused connection, a timeout) is retried after base·2^(n-1)
seconds, until the subscription's max_attempts, then the row is dead. `gsdb serve` runs passes in a loop;
`deliver_once` runs one pass for scripts and tests.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import httpx
import psycopg
from psycopg_pool import AsyncConnectionPool

from graph_sitter.adapters.event_subscriptions import DueDelivery, claim_due, record_delivered, record_failed
from graph_sitter.adapters.secret_box import SecretBox, SecretUnreadable
from graph_sitter.service.verification import sign

log = logging.getLogger("graph_sitter.service")

#: Seconds a subscriber has to answer.
CALLBACK_TIMEOUT = 10.0
#: Deliveries claimed per pass.
BATCH = 100


@dataclass
class DeliveryReport:
    """What one pass did."""

    attempted: int = 0
    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def callback_body(delivery: DueDelivery) -> bytes:
    """The JSON document posted to the subscriber."""
    return json.dumps({"subscription": delivery.subscription_name, "delivery_id": str(delivery.id),
                       "attempt": delivery.attempts, "event": delivery.event},
                      separators=(",", ":"), default=str).encode()


def callback_headers(delivery: DueDelivery, body: bytes, box: SecretBox) -> dict[str, str]:
    """Headers of a callback; signed like GitHub's webhooks when the subscription has a secret."""
    event = delivery.event
    headers = {"Content-Type": "application/json", "User-Agent": "graph-sitter-events",
               "X-Graph-Sitter-Delivery": str(delivery.id),
               "X-Graph-Sitter-Event": f"{event.get('source')}/{event.get('event_type')}"}
    if delivery.secret_encrypted is not None:
        secret = box.decrypt(delivery.secret_encrypted, delivery.secret_key_id,
                             f"subscription {delivery.subscription_name!r}")
        headers["X-Graph-Sitter-Signature-256"] = sign(secret, body)
    return headers


async def _send(client: httpx.AsyncClient, pool: AsyncConnectionPool, box: SecretBox, delivery: DueDelivery,
                report: DeliveryReport) -> None:
    status: int | None = None
    try:
        body = callback_body(delivery)
        response = await client.post(delivery.callback_url, content=body,
                                     headers=callback_headers(delivery, body, box))
        status = response.status_code
        error = None if 200 <= status < 300 else f"HTTP {status}"
    except SecretUnreadable as exc:
        error = str(exc)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    async with pool.connection() as conn:
        if error is None:
            await record_delivered(conn, delivery.id, status or 200)
            report.delivered += 1
        else:
            await record_failed(conn, delivery, status, error)
            report.failed += 1
            report.errors.append(f"{delivery.subscription_name}: {error}")


async def deliver_due(pool: AsyncConnectionPool, box: SecretBox, client: httpx.AsyncClient,
                      limit: int = BATCH) -> DeliveryReport:
    """One pass: claim up to `limit` due deliveries, post them concurrently, record each outcome."""
    report = DeliveryReport()
    async with pool.connection() as conn:
        due = await claim_due(conn, limit)
    report.attempted = len(due)
    await asyncio.gather(*(_send(client, pool, box, d, report) for d in due))
    return report


async def delivery_loop(pool: AsyncConnectionPool, box: SecretBox, interval: float) -> None:
    """Deliver forever: a pass every `interval` seconds, at once again when a pass was full."""
    async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT, follow_redirects=False) as client:
        while True:
            try:
                report = await deliver_due(pool, box, client)
            except (psycopg.Error, OSError) as exc:
                log.error("subscription delivery pass failed: %s", str(exc).strip().splitlines()[0] if str(exc)
                          else type(exc).__name__)
                report = DeliveryReport()
            for error in report.errors:
                log.info("callback failed: %s", error)
            if report.attempted < BATCH:
                await asyncio.sleep(interval)


def deliver_once(settings: Any, limit: int = BATCH) -> DeliveryReport:
    """Run one delivery pass against this install's events_db (the library function behind `gsdb events deliver`)."""
    from graph_sitter.adapters.setup import ensure_ready

    cluster = ensure_ready(settings)
    box = SecretBox.from_settings(settings)

    async def run() -> DeliveryReport:
        async with AsyncConnectionPool(cluster.conninfo("events_db"), min_size=1, max_size=4, open=False) as pool:
            async with httpx.AsyncClient(timeout=CALLBACK_TIMEOUT, follow_redirects=False) as client:
                return await deliver_due(pool, box, client, limit)

    return asyncio.run(run())

