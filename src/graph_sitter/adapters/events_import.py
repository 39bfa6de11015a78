"""events_db: bulk import of exported webhook payloads (JSON lines) with COPY and the webhooks' deduplication.

Each line is either an envelope, as `gsdb events export` writes it and as a webhook arrives:

    {"source": "github", "event": "push", "delivery_id": "72d3162e-…", "received_at": "…", "payload": {…}}

or a bare payload of the provider named by `--source` (Slack, Notion and Linear payloads carry their own ids; a
bare GitHub payload needs `--event` and is deduplicated by its content hash).

The file is streamed into a temporary table with COPY, untouched: the CSV format with a delimiter and a quote
character that JSON text cannot contain (control characters must be escaped in JSON) passes each line through
as is, so Python never parses or escapes a payload. Each chunk is then parsed and normalized with
gs_normalize_webhook into a second temporary table, the months it covers get their partitions (rows of a month
without one would land in the default partition, to be moved later), and one INSERT … SELECT claims the deliveries
in the ledger, inserts the new events and adds them to event_aggregations.
Chunks commit one by one: re-running an interrupted import stores only what is missing. Imports are history:
they are not sent to subscriptions or to `gsdb events tail`, but `event_received` listeners hear about them.
"""

from __future__ import annotations

import io
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import psycopg

from graph_sitter.adapters.event_sources import WEBHOOK_PROVIDERS
from graph_sitter.adapters.events_db import _SELECT, AGGREGATE_CTE, StoredEvent
from graph_sitter.adapters.events_ingest import INPUT_CTE, STORE_CTES
from graph_sitter.errors import GraphSitterError

#: Bytes of the file loaded and inserted per transaction.
CHUNK_BYTES = 32 * 1024 * 1024
_COPY = "COPY gs_import_lines (line) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')"

#: The chunk's lines, parsed and normalized: the rows of gs_import_input (a temporary table: not logged).
NORMALIZED = f"""
WITH raw AS MATERIALIZED (
    SELECT 0::bigint AS ord, coalesce(rec ->> 'source', %(source)s) AS source,
           coalesce(rec ->> 'event', rec ->> 'event_type', %(event)s) AS kind,
           rec ->> 'delivery_id' AS delivery,
           CASE WHEN is_envelope THEN rec -> 'payload' ELSE rec END AS payload,
           coalesce((rec ->> 'received_at')::timestamptz, now()) AS received, NULL::uuid AS event_source_id
      -- OFFSET 0 keeps the subquery apart: pulled up, each reference to rec would parse the line again
      FROM (SELECT line::jsonb AS rec FROM gs_import_lines WHERE line IS NOT NULL AND line !~ '^\\s*$' OFFSET 0) lines
     CROSS JOIN LATERAL (SELECT %(source)s::text IS NULL OR rec ? 'payload') AS e (is_envelope)
), {INPUT_CTE}
SELECT * FROM input
"""
NORMALIZE_SQL = "INSERT INTO gs_import_input " + NORMALIZED
#: The months the chunk's events fall in: their partitions are made before the rows go in.
MONTHS_SQL = ("SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
              " FROM gs_import_input")
#: Claim, insert and count the normalized rows.
IMPORT_SQL = f"""
WITH input AS (SELECT * FROM gs_import_input), {STORE_CTES}, {AGGREGATE_CTE}
"""
_COUNT = "SELECT count(*) FROM inserted"
_IDS = "SELECT id, occurred_at FROM inserted"


class ImportError_(GraphSitterError):
    """A line of the file cannot be imported (the whole chunk holding it is left out)."""

    exit_code = 2


@dataclass
class ImportReport:
    """What one import did."""

    path: str
    lines: int = 0
    stored: int = 0
    bytes: int = 0
    seconds: float = 0.0

    @property
    def duplicates(self) -> int:
        """Lines whose delivery was stored before (or earlier in the file)."""
        return self.lines - self.stored

    @property
    def rows_per_second(self) -> float:
        """Lines imported per second, duplicates included."""
        return self.lines / self.seconds if self.seconds else 0.0


def _chunks(path: Path, start: int, end: int, size: int) -> Iterator[bytes]:
    """The bytes of [start, end) in pieces of about `size`, each ending at a line end."""
    with open(path, "rb") as f:
        f.seek(start)
        position = start
        while position < end:
            block = f.read(min(size, end - position))
            position += len(block)
            if position < end:
                rest = f.readline()
                position += len(rest)
                block += rest
            yield block


def _split(path: Path, parts: int) -> list[tuple[int, int]]:
    """Byte ranges of about equal size that start at line starts."""
    total = path.stat().st_size
    bounds = [0]
    with open(path, "rb") as f:
        for k in range(1, parts):
            f.seek(max(bounds[-1], total * k // parts))
            f.readline()
            bounds.append(min(f.tell(), total))
    bounds.append(total)
    return [(a, b) for a, b in zip(bounds, bounds[1:]) if b > a]


def _first_bad_line(path: Path, source: str | None) -> str:
    with open(path, "rb") as f:
        for number, raw in enumerate(f, 1):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError:
                return f"{path}:{number}: not valid JSON"
            if not isinstance(record, dict):
                return f"{path}:{number}: not a JSON object"
            envelope = source is None or "payload" in record
            name = record.get("source", source) if envelope else source
            if name not in WEBHOOK_PROVIDERS:
                return f"{path}:{number}: source {name!r} is not one of {', '.join(WEBHOOK_PROVIDERS)}" + (
                    "" if source else " (bare payloads need --source)")
            if envelope and not isinstance(record.get("payload"), dict):
                return f"{path}:{number}: an envelope needs a \"payload\" object"
    return ""


def _import_range(conninfo: str, organization_id: uuid.UUID | None, path: Path, start: int, end: int,
                  source: str | None, event: str | None, collect_ids: bool) -> tuple[int, int, list[Any]]:
    lines = stored = 0
    ids: list[Any] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        # chunks of tens of MB: their sorts and the materialized CTE stay in memory
        conn.execute("SET work_mem = '256MB'")
        conn.execute("SET temp_buffers = '256MB'")  # before the first temporary table: the chunk stays in memory
        conn.execute("CREATE TEMP TABLE gs_import_lines (line text)")
        params = {"source": source, "event": event, "organization_id": organization_id}
        with conn.transaction():
            # the columns of `input`, from an empty run of the normalization
            conn.execute(f"CREATE TEMP TABLE gs_import_input AS {NORMALIZED} LIMIT 0", params)
        months_ready: set[Any] = set()
        for block in _chunks(path, start, end, CHUNK_BYTES):
            with conn.transaction():
                conn.execute("TRUNCATE gs_import_lines, gs_import_input")
                with conn.cursor().copy(_COPY) as copy:
                    copy.write(block)
                conn.execute(NORMALIZE_SQL, params)
            # Partitions first, each in its own short transaction: rows of a month without one would land in the
            # default partition and have to be moved (written and indexed twice).
            for (month,) in conn.execute(MONTHS_SQL).fetchall():
                if month not in months_ready:
                    for table in ("events", "event_aggregations"):
                        conn.execute("SELECT gs_ensure_time_partition(%s::regclass, %s)", (table, month))
                    months_ready.add(month)
            with conn.transaction():
                rows = conn.execute(IMPORT_SQL + (_IDS if collect_ids else _COUNT), params).fetchall()
            lines += sum(1 for line in block.split(b"\n") if line.strip())
            if collect_ids:
                stored += len(rows)
                ids.extend(rows)
            else:
                stored += int(rows[0][0])
    return lines, stored, ids


def _settle_default_partitions(conninfo: str) -> None:
    # Rows of months without a partition landed in the default partitions: give those months their partitions
    # (gs_ensure_time_partition moves the rows), so that the default partitions stay empty.
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table, column in (("events", "occurred_at"), ("event_aggregations", "period_start")):
            months = conn.execute(f"SELECT DISTINCT date_trunc('month', {column} AT TIME ZONE 'UTC') AT TIME ZONE"
                                  f" 'UTC' FROM {table}_default").fetchall()
            for (month,) in months:
                with conn.transaction():
                    conn.execute("SELECT gs_ensure_time_partition(%s::regclass, %s)", (table, month))


def import_jsonl(conninfo: str, organization_id: uuid.UUID | None, path: Path, *, source: str | None = None,
                 event: str | None = None, jobs: int = 1,
                 on_stored: Callable[[Sequence[StoredEvent]], None] | None = None) -> ImportReport:
    """Import the JSON lines at `path` into events; `jobs` connections load parts of the file side by side.

    `on_stored`, when given, receives the newly stored events (in batches) after they are committed.
    """
    if source is not None and source not in WEBHOOK_PROVIDERS:
        raise ImportError_(f"--source must be one of {', '.join(WEBHOOK_PROVIDERS)}")
    if not path.is_file():
        raise ImportError_(f"{path}: no such file")
    started = time.perf_counter()
    report = ImportReport(str(path), bytes=path.stat().st_size)
    ranges = _split(path, max(1, jobs))
    try:
        with ThreadPoolExecutor(max_workers=len(ranges) or 1) as pool:
            results = list(pool.map(lambda r: _import_range(conninfo, organization_id, path, r[0], r[1], source,
                                                            event, on_stored is not None), ranges))
    except (psycopg.DataError, psycopg.IntegrityError) as exc:
        reason = _first_bad_line(path, source) or str(exc).strip().splitlines()[0]
        raise ImportError_(f"{reason} (chunks before it were imported; fix the line and import again: what is "
                           f"stored already is skipped)") from None
    _settle_default_partitions(conninfo)
    for lines, stored, ids in results:
        report.lines += lines
        report.stored += stored
        if on_stored is not None and ids:
            _dispatch(conninfo, ids, on_stored)
    report.seconds = time.perf_counter() - started
    return report


def _dispatch(conninfo: str, ids: list[Any], on_stored: Callable[[Sequence[StoredEvent]], None]) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for k in range(0, len(ids), 1000):
            part = ids[k:k + 1000]
            rows = conn.execute(f"{_SELECT} WHERE (id, occurred_at) IN (SELECT * FROM unnest(%s::uuid[],"
                                " %s::timestamptz[])) ORDER BY occurred_at, id",
                                ([i for i, _ in part], [t for _, t in part])).fetchall()
            on_stored([StoredEvent(*r) for r in rows])


def export_jsonl(conn: psycopg.Connection[Any], out: io.TextIOBase | Any, *, source: str | None = None,
                 limit: int | None = None) -> int:
    """Write events as import envelopes (one JSON object a line); returns how many."""
    where, params = ("WHERE source = %s", [source]) if source else ("WHERE source = ANY(%s)", [list(WEBHOOK_PROVIDERS)])
    query = (f"SELECT source, event_type, delivery_id, received_at, payload FROM events {where}"
             " ORDER BY occurred_at, id")
    if limit is not None:
        query += " LIMIT %s"
        params.append(limit)
    count = 0
    with conn.cursor(name="gs_export") as cur:
        cur.execute(query, params)
        for src, kind, delivery, received, payload in cur:
            out.write(json.dumps({"source": src, "event": kind, "delivery_id": delivery,
                                  "received_at": received.isoformat(), "payload": payload},
                                 separators=(",", ":")) + "\n")
            count += 1
    return count

