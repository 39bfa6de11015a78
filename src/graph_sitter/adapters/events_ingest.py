"""events_db: verified webhook deliveries stored in batches, once each, normalized by gs_normalize_webhook().

One statement per batch claims the deliveries in the event_deliveries ledger, inserts the new events, keeps the
aggregations current, queues the subscription callbacks and notifies `gsdb events tail` (FANOUT_CTES). A batch
that fails on a bad payload is retried one delivery at a time, so one bad payload rejects only itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence

import psycopg

from graph_sitter.adapters.events_db import EVENT_COLUMNS, FANOUT_CTES, NOTIFY_ITEM, StoredEvent

#: Normalize: over a CTE `raw` (ord, source, kind, delivery, payload jsonb, received, event_source_id), the CTE
#: `input` that STORE_CTES read. external_id is the payload's own event id when there is one, else the delivery
#: id: it dedupes a re-send under a new delivery id (events_source_external_id_key).
INPUT_CTE = """
input AS MATERIALIZED (
    SELECT gen_random_uuid() AS id, raw.ord, raw.source, d.delivery_id,
           coalesce(n.derived_id, d.delivery_id) AS external_id, raw.payload, raw.event_source_id, n.*
      FROM raw
     CROSS JOIN LATERAL gs_normalize_webhook(raw.source, raw.kind, raw.payload, raw.received) AS n
     CROSS JOIN LATERAL (SELECT coalesce(raw.delivery, n.derived_id,
                                         'sha256:' || encode(sha256(convert_to(raw.payload::text, 'UTF8')), 'hex'))
                        ) AS d (delivery_id)
)"""
#: Claim and insert the rows of `input`, ending with a CTE `inserted` that returns EVENT_COLUMNS. A delivery seen
#: twice in one batch is claimed once: the ledger keeps the first id and the join on event_id drops the other.
STORE_CTES = f"""
claimed AS (
    INSERT INTO event_deliveries (source, delivery_id, event_id, occurred_at, event_source_id)
    -- an event stored before under another delivery id: the ledger points at it (one index probe each)
    SELECT i.source, i.delivery_id,
           coalesce((SELECT e.id FROM events e WHERE e.source = i.source AND e.external_id = i.external_id
                        AND e.occurred_at = i.occurred_at LIMIT 1), i.id),
           i.occurred_at, i.event_source_id
      FROM input i
     ORDER BY i.source, i.delivery_id, i.ord
    ON CONFLICT DO NOTHING
    RETURNING source, delivery_id, event_id
), inserted AS (
    INSERT INTO events (id, organization_id, event_source_id, source, event_type, action, external_id, delivery_id,
                        title, actor_external_id, actor_name, target_type, target_id, target_name, target_url,
                        repository, occurred_at, received_at, thread_id, payload, metadata)
    SELECT i.id, %(organization_id)s, i.event_source_id, i.source, i.event_type, i.action, i.external_id,
           i.delivery_id, i.title, i.actor_external_id, i.actor_name, i.target_type, i.target_id, i.target_name,
           i.target_url, i.repository, i.occurred_at, now(), i.thread_id, i.payload, i.metadata
      FROM input i
      JOIN claimed c ON c.source = i.source AND c.delivery_id = i.delivery_id AND c.event_id = i.id
    ON CONFLICT (source, external_id, occurred_at) DO NOTHING
    RETURNING {EVENT_COLUMNS}
)"""
#: Claim, normalize and insert.
PIPELINE_CTES = f"{INPUT_CTE}, {STORE_CTES}"

#: A batch of webhook deliveries, passed as parallel arrays in binary (the text format would escape every body in
#: Python). Returns each stored event with its position in the batch; a delivery without a row was a duplicate.
INGEST_SQL = f"""
WITH raw AS MATERIALIZED (
    SELECT r.ord, r.source, r.kind, r.delivery, r.body::jsonb AS payload, r.received, r.event_source_id
      FROM unnest(%(sources)b::text[], %(kinds)b::text[], %(deliveries)b::text[], %(bodies)b::text[],
                  %(received)b::timestamptz[], %(source_ids)b::uuid[])
           WITH ORDINALITY AS r (source, kind, delivery, body, received, event_source_id, ord)
), {PIPELINE_CTES}, {FANOUT_CTES}
SELECT (SELECT i.ord FROM input i WHERE i.id = inserted.id), {EVENT_COLUMNS}, {NOTIFY_ITEM} FROM inserted
"""

_COLUMN_COUNT = len(EVENT_COLUMNS.split(", "))


@dataclass(frozen=True)
class Delivery:
    """A verified webhook request: who sent it, what the transport says it is, and its raw JSON body."""

    source: str
    body: str
    received_at: datetime
    kind: str | None = None
    delivery_id: str | None = None
    event_source_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Outcome:
    """What became of one delivery: stored (with its event), a duplicate, or refused as malformed."""

    status: str  # "stored" | "duplicate" | "malformed"
    event: StoredEvent | None = None
    error: str | None = None


#: Errors a bad payload causes (not JSON, not an object, a timestamp that does not parse, an event type the
#: table refuses): the batch is retried one delivery at a time to find it.
PAYLOAD_ERRORS: tuple[type[Exception], ...] = (psycopg.DataError, psycopg.IntegrityError)


def batch_params(organization_id: uuid.UUID | None, deliveries: Sequence[Delivery]) -> dict[str, Any]:
    """The parameters of INGEST_SQL for `deliveries`."""
    return {
        "sources": [d.source for d in deliveries],
        "kinds": [d.kind for d in deliveries],
        "deliveries": [d.delivery_id for d in deliveries],
        "bodies": [d.body for d in deliveries],
        "received": [d.received_at for d in deliveries],
        "source_ids": [d.event_source_id for d in deliveries],
        "organization_id": organization_id,
    }


def outcomes(rows: Sequence[Sequence[Any]], count: int) -> list[Outcome]:
    """One Outcome per delivery of the batch from the rows INGEST_SQL returned (missing means seen before)."""
    found: list[Outcome] = [Outcome("duplicate")] * count
    for row in rows:
        found[int(row[0]) - 1] = Outcome("stored", StoredEvent(*row[1:1 + _COLUMN_COUNT]))
    return found


def first_line(exc: BaseException) -> str:
    """The first line of a database error, for a 400 response."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


async def ingest_async(conn: psycopg.AsyncConnection[Any], organization_id: uuid.UUID | None,
                       deliveries: Sequence[Delivery]) -> list[Outcome]:
    """Store a batch of deliveries in one transaction; a bad payload is found by retrying one at a time."""
    try:
        async with conn.transaction():
            cur = await conn.execute(INGEST_SQL, batch_params(organization_id, deliveries))
            rows = await cur.fetchall()
        return outcomes(rows, len(deliveries))
    except PAYLOAD_ERRORS as exc:
        if len(deliveries) == 1:
            return [Outcome("malformed", error=first_line(exc))]
    results: list[Outcome] = []
    for delivery in deliveries:
        results.extend(await ingest_async(conn, organization_id, [delivery]))
    return results
