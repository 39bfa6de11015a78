"""events_db: newly stored events as they arrive, through LISTEN on the channel the ingest NOTIFYs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

import psycopg

from graph_sitter.adapters.events_db import NOTIFY_CHANNEL


@dataclass(frozen=True)
class EventFilter:
    """What a live subscriber wants: empty filters match everything; `predicate` must be contained in the payload."""

    sources: Sequence[str] = ()
    event_types: Sequence[str] = ()
    actions: Sequence[str] = ()
    predicate: Mapping[str, Any] = field(default_factory=dict)

    def matches(self, note: Mapping[str, Any]) -> bool:
        """True when the notification's source, type and action pass the filters (the predicate is checked apart)."""
        return ((not self.sources or note.get("source") in self.sources)
                and (not self.event_types or note.get("event_type") in self.event_types)
                and (not self.actions or note.get("action") in self.actions))


def filter_of_subscription(conn: psycopg.Connection[Any], organization_id: Any, name: str) -> EventFilter:
    """The filters of the stored subscription `name`."""
    from graph_sitter.adapters.event_subscriptions import SubscriptionStore

    sub = SubscriptionStore(conn, organization_id).get(name)
    return EventFilter(sub.sources, sub.event_types, sub.actions, sub.predicate)


def listen(conninfo: str, wanted: EventFilter, *, limit: int | None = None, timeout: float | None = None,
           ready: Callable[[], None] | None = None) -> Iterator[dict[str, Any]]:
    """Yield a summary of each newly stored event that matches `wanted`, as it is committed.

    Stops after `limit` events or `timeout` seconds without one, whichever comes first; `ready` is called once
    the LISTEN is in place (events committed before that are not seen).
    """
    with psycopg.connect(conninfo, autocommit=True) as conn, psycopg.connect(conninfo, autocommit=True) as lookup:
        conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
        if ready is not None:
            ready()
        seen = 0
        while limit is None or seen < limit:
            got = False
            for notify in conn.notifies(timeout=timeout, stop_after=1):
                got = True
                note = json.loads(notify.payload)
                if not wanted.matches(note):
                    continue
                if wanted.predicate and not _payload_contains(lookup, note, wanted.predicate):
                    continue
                seen += 1
                yield note
            if not got:
                return


def _payload_contains(conn: psycopg.Connection[Any], note: Mapping[str, Any], predicate: Mapping[str, Any]) -> bool:
    row = conn.execute("SELECT payload @> %s::jsonb FROM events WHERE id = %s AND occurred_at = %s",
                       (json.dumps(dict(predicate)), note["id"], note["occurred_at"])).fetchone()
    return bool(row and row[0])
