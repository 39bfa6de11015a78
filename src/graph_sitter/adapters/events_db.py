"""events_db: the typed API over event sources and events, ingested once through the event_deliveries ledger."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping, Sequence

import psycopg

#: Namespace of event ids derived from (source, delivery id): a redelivered event gets the id it had the first time.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c1d2e-3b7a-5e44-9a57-3c2f8d0b1e42")


def event_id_for(source: str, delivery_id: str) -> uuid.UUID:
    """The deterministic id of the event delivered as `delivery_id` by `source`."""
    return uuid.uuid5(EVENT_ID_NAMESPACE, f"{source}\x00{delivery_id}")


@dataclass(frozen=True)
class NewEvent:
    """An event to ingest; `delivery_id` is what makes a redelivery recognisable."""

    source: str
    event_type: str
    delivery_id: str
    occurred_at: datetime
    action: str | None = None
    external_id: str | None = None
    organization_id: uuid.UUID | None = None
    event_source_id: uuid.UUID | None = None
    title: str | None = None
    actor_external_id: str | None = None
    actor_name: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    target_name: str | None = None
    target_url: str | None = None
    repository: str | None = None
    status: str = "received"
    parent_event_id: uuid.UUID | None = None
    thread_id: str | None = None
    event_fingerprint: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict)
    tags: Sequence[str] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredEvent:
    """A row of events, as the `event_received` hook and the queries see it."""

    id: uuid.UUID
    occurred_at: datetime
    source: str
    event_type: str
    action: str | None
    external_id: str | None
    delivery_id: str | None
    title: str | None
    target_type: str | None
    target_id: str | None
    target_name: str | None
    status: str
    parent_event_id: uuid.UUID | None
    thread_id: str | None
    payload: dict[str, Any]
    tags: list[str]
    metadata: dict[str, Any]
    received_at: datetime | None = None
    repository: str | None = None
    actor_external_id: str | None = None
    actor_name: str | None = None
    target_url: str | None = None
    organization_id: uuid.UUID | None = None
    event_source_id: uuid.UUID | None = None

    @property
    def name(self) -> str:
        """`event_type.action`, e.g. `analysis.completed` (just the type when there is no action)."""
        return f"{self.event_type}.{self.action}" if self.action else self.event_type


_COLUMNS = ("id", "occurred_at", "source", "event_type", "action", "external_id", "delivery_id", "title",
            "target_type", "target_id", "target_name", "status", "parent_event_id", "thread_id", "payload", "tags",
            "metadata", "received_at", "repository", "actor_external_id", "actor_name", "target_url",
            "organization_id", "event_source_id")
#: The columns of a StoredEvent, in its field order, for SELECT and RETURNING lists.
EVENT_COLUMNS = ", ".join(_COLUMNS)
_SELECT = f"SELECT {EVENT_COLUMNS} FROM events"

#: NOTIFY channel of newly stored events (`gsdb events tail` listens to it).
NOTIFY_CHANNEL = "gsdb_events"

#: What every newly stored event sets off, as CTEs over a CTE `inserted` that returns EVENT_COLUMNS:
#: - event_count of its hour and day in event_aggregations, per (source, event_type) and over all sources (NULL),
#:   kept current in the same transaction (gs_refresh_event_aggregations recomputes the distinct counts);
#: - a subscription_deliveries row (the outbox of HTTP callbacks) for each active webhook subscription it matches.
#: Aggregation rows are locked in one order, so concurrent batches wait for each other instead of deadlocking.
AGGREGATE_CTE = """
aggregated AS (
    INSERT INTO event_aggregations AS a (organization_id, source, event_type, bucket, period_start, period_end,
                                         event_count)
    SELECT i.organization_id, g.source, g.event_type, b.bucket, b.start, b.start + b.length, count(*)
      FROM inserted i
     CROSS JOIN LATERAL (VALUES (i.source, i.event_type), (NULL, NULL)) AS g (source, event_type)
     CROSS JOIN LATERAL (VALUES
           ('hour', date_trunc('hour', i.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', interval '1 hour'),
           ('day', date_trunc('day', i.occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', interval '24 hours'))
           AS b (bucket, start, length)
     GROUP BY 1, 2, 3, 4, 5, 6
     ORDER BY 1, 2 NULLS FIRST, 3 NULLS FIRST, 4, 5
    ON CONFLICT ON CONSTRAINT event_aggregations_unique DO UPDATE SET event_count = a.event_count + EXCLUDED.event_count
)"""
OUTBOX_CTE = """
outbox AS (
    INSERT INTO subscription_deliveries (subscription_id, event_id, event_occurred_at, max_attempts)
    SELECT s.id, i.id, i.occurred_at, s.max_attempts
      FROM inserted i
      JOIN subscriptions s
        ON s.status = 'active' AND s.delivery_method = 'webhook'
       AND s.organization_id IS NOT DISTINCT FROM i.organization_id
       AND (cardinality(s.sources) = 0 OR i.source = ANY (s.sources))
       AND (cardinality(s.event_types) = 0 OR i.event_type = ANY (s.event_types))
       AND (cardinality(s.actions) = 0 OR i.action = ANY (s.actions))
       AND i.payload @> s.predicate
    ON CONFLICT ON CONSTRAINT subscription_deliveries_unique DO NOTHING
)"""
FANOUT_CTES = f"{AGGREGATE_CTE},{OUTBOX_CTE}"

#: A select-list item that notifies the listeners of NOTIFY_CHANNEL (delivered at commit) about a row of `inserted`.
NOTIFY_ITEM = f"""pg_notify('{NOTIFY_CHANNEL}', json_build_object(
    'id', id, 'occurred_at', occurred_at, 'source', source, 'event_type', event_type, 'action', action,
    'title', left(title, 300), 'target_type', target_type, 'target_name', left(target_name, 300),
    'repository', repository, 'actor', left(actor_name, 200))::text)"""


def _stored(row: Sequence[Any]) -> StoredEvent:
    return StoredEvent(*row)


class EventStore:
    """Writes and reads events_db over one connection."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def ensure_source(self, organization_id: uuid.UUID | None, name: str, provider: str,
                      description: str | None = None) -> uuid.UUID:
        """The id of the event source named `name`, created on first use."""
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO event_sources (organization_id, name, provider, description) VALUES (%s, %s, %s, %s)"
                " ON CONFLICT ON CONSTRAINT event_sources_name_org_unique DO NOTHING",
                (organization_id, name, provider, description),
            )
            row = self.conn.execute(
                "SELECT id FROM event_sources WHERE organization_id IS NOT DISTINCT FROM %s AND name = %s",
                (organization_id, name),
            ).fetchone()
        assert row is not None
        return row[0]

    def ensure_partition(self, occurred_at: datetime) -> None:
        """Create the month's partition of events for `occurred_at` if missing, in its own short transaction."""
        # It may lock the default partition until commit, so it must not share a transaction with the inserts.
        with self.conn.transaction():
            self.conn.execute("SELECT gs_ensure_time_partition('events'::regclass, %s)", (occurred_at,))

    def ingest(self, event: NewEvent) -> StoredEvent | None:
        """Store an event once: None when its (source, delivery id) was ingested before."""
        event_id = event_id_for(event.source, event.delivery_id)
        with self.conn.transaction():
            claimed = self.conn.execute(
                "INSERT INTO event_deliveries (source, delivery_id, event_id, occurred_at, event_source_id)"
                " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING event_id",
                (event.source, event.delivery_id, event_id, event.occurred_at, event.event_source_id),
            ).fetchone()
            if claimed is None:
                return None
            # aggregations, subscription outbox and NOTIFY follow in the same statement (FANOUT_CTES)
            row = self.conn.execute(
                "WITH inserted AS ("
                "INSERT INTO events (id, organization_id, event_source_id, source, event_type, action, external_id,"
                " delivery_id, title, actor_external_id, actor_name, target_type, target_id, target_name, target_url,"
                " repository, occurred_at, status, processed_at, parent_event_id, thread_id, payload,"
                " event_fingerprint, tags, metadata)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                " CASE WHEN %s = 'processed' THEN now() END, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (source, external_id, occurred_at) DO NOTHING"
                f" RETURNING {EVENT_COLUMNS}), {FANOUT_CTES}"
                f" SELECT {EVENT_COLUMNS}, {NOTIFY_ITEM} FROM inserted",
                (event_id, event.organization_id, event.event_source_id, event.source, event.event_type,
                 event.action, event.external_id, event.delivery_id, event.title, event.actor_external_id,
                 event.actor_name, event.target_type, event.target_id, event.target_name, event.target_url,
                 event.repository, event.occurred_at, event.status, event.status, event.parent_event_id,
                 event.thread_id, json.dumps(dict(event.payload), default=str), event.event_fingerprint,
                 list(event.tags), json.dumps(dict(event.metadata), default=str)),
            ).fetchone()
            if row is None:
                # The provider's external id is already stored under another delivery id (a re-send with a new
                # delivery id): point the ledger at that event and report nothing new.
                self.conn.execute(
                    "UPDATE event_deliveries SET event_id = e.id FROM events e WHERE event_deliveries.source = %s"
                    " AND event_deliveries.delivery_id = %s AND e.source = %s AND e.external_id = %s"
                    " AND e.occurred_at = %s",
                    (event.source, event.delivery_id, event.source, event.external_id, event.occurred_at),
                )
                return None
        return _stored(row[:len(_COLUMNS)])

    def events(self, *, source: str | None = None, event_type: str | None = None, action: str | None = None,
               codebase_id: uuid.UUID | str | None = None, thread_id: str | None = None,
               limit: int | None = None) -> list[StoredEvent]:
        """Events matching every given filter, oldest first."""
        where, params = self._filters(source, event_type, action, codebase_id, thread_id)
        query = f"{_SELECT}{where} ORDER BY occurred_at, received_at, id"
        if limit is not None:
            query += " LIMIT %s"
            params.append(limit)
        return [_stored(r) for r in self.conn.execute(query, params).fetchall()]

    def count(self, *, source: str | None = None, event_type: str | None = None, action: str | None = None,
              codebase_id: uuid.UUID | str | None = None, thread_id: str | None = None) -> int:
        """How many events match every given filter."""
        where, params = self._filters(source, event_type, action, codebase_id, thread_id)
        row = self.conn.execute(f"SELECT count(*) FROM events{where}", params).fetchone()
        return 0 if row is None else int(row[0])

    @staticmethod
    def _filters(source: str | None, event_type: str | None, action: str | None,
                 codebase_id: uuid.UUID | str | None, thread_id: str | None) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("source", source), ("event_type", event_type), ("action", action),
                              ("metadata ->> 'codebase_id'", None if codebase_id is None else str(codebase_id)),
                              ("thread_id", thread_id)):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), params
