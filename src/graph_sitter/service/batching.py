"""Group commit: concurrent webhook requests are stored together, one transaction per batch.

Each request waits for the commit of the batch that holds its delivery before it is answered, so a 2xx always
means stored. While one batch commits, the next one fills up with the requests that arrive meanwhile: under load
batches grow by themselves, and a lone request is written at once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import deque
from typing import Any, Callable, Sequence

import psycopg
from psycopg_pool import AsyncConnectionPool

from graph_sitter.adapters.events_ingest import Delivery, Outcome, ingest_async

log = logging.getLogger("graph_sitter.service")

#: A batch that deadlocks or fails serialization is retried this many times before its requests get 503.
RETRIES = 3


class BatchWriter:
    """Queues deliveries and stores them in batches with `writers` concurrent transactions."""

    def __init__(self, pool: AsyncConnectionPool, organization_id: uuid.UUID | None, *, max_batch: int = 256,
                 writers: int = 2, on_stored: Callable[[Sequence[Any]], None] | None = None) -> None:
        self.pool = pool
        self.organization_id = organization_id
        self.max_batch = max_batch
        self.writers = writers
        self.on_stored = on_stored
        self._queue: deque[tuple[Delivery, asyncio.Future[Outcome]]] = deque()
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start the writer tasks (inside the running event loop)."""
        self._tasks = [asyncio.create_task(self._write_forever(), name=f"batch-writer-{n}")
                       for n in range(self.writers)]

    async def stop(self) -> None:
        """Write what is queued, then stop the writers."""
        while self._queue:
            await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @property
    def queued(self) -> int:
        """Deliveries waiting for a batch."""
        return len(self._queue)

    async def submit(self, delivery: Delivery) -> Outcome:
        """Store `delivery` with the next batch; returns once that batch is committed (or failed)."""
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._queue.append((delivery, future))
        self._ready.set()
        return await future

    def _take(self) -> list[tuple[Delivery, asyncio.Future[Outcome]]]:
        batch = []
        while self._queue and len(batch) < self.max_batch:
            batch.append(self._queue.popleft())
        if not self._queue:
            self._ready.clear()
        return batch

    async def _write_forever(self) -> None:
        while True:
            await self._ready.wait()
            batch = self._take()
            if not batch:
                continue
            try:
                outcomes = await self._write([d for d, _ in batch])
            except Exception as exc:  # the database is away: these requests get 503, the service keeps going
                log.error("storing %d webhook deliveries failed: %s", len(batch), _first_line(exc))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), outcome in zip(batch, outcomes):
                if not future.done():
                    future.set_result(outcome)
            stored = [o.event for o in outcomes if o.event is not None]
            if stored and self.on_stored is not None:
                self.on_stored(stored)

    async def _write(self, deliveries: list[Delivery]) -> list[Outcome]:
        for attempt in range(RETRIES + 1):
            try:
                async with self.pool.connection() as conn:
                    return await ingest_async(conn, self.organization_id, deliveries)
            except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure):
                if attempt == RETRIES:
                    raise
                await asyncio.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
