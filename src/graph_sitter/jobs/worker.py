"""`gsdb worker`: run queued analysis jobs. Start as many as you like, on one machine or many.

Workers share nothing but PostgreSQL: procrastinate hands each job to one worker (SELECT … FOR UPDATE SKIP
LOCKED) and keeps jobs of one codebase apart (its job lock). Every worker sends a heartbeat; a worker that dies
without saying so (SIGKILL, a lost machine) stops sending it, and once its heartbeat is older than
`stalled_after` seconds any other worker puts its running job back on the queue — at start-up and then every
`recovery_interval` seconds. The job then runs again from the start: an analysis is idempotent per codebase (the
killed run was never committed, and the next run marks it failed), so the job completes exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from graph_sitter.config import Settings
from graph_sitter.jobs.queue import QUEUE, queue_app

log = logging.getLogger("graph_sitter.jobs")


@dataclass(frozen=True)
class WorkerOptions:
    """How a worker runs."""

    concurrency: int = 1             # analyses at once; each uses all cores already, so 1 per machine is typical
    burst: bool = False              # leave once the queue is empty instead of waiting for more
    name: str | None = None
    heartbeat: float = 10.0          # seconds between heartbeats
    stalled_after: float = 60.0      # a worker silent this long is dead: its job goes back on the queue
    recovery_interval: float = 15.0  # how often to look for such jobs
    poll_interval: float = 5.0       # fallback polling; LISTEN/NOTIFY wakes the worker at once normally


async def recover_stalled_jobs(app: Any, stalled_after: float) -> list[int]:
    """Put the running jobs of workers silent for `stalled_after` seconds back on the queue; their ids."""
    from procrastinate import exceptions

    retried = []
    for job in await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        if job.id is None:
            continue
        try:
            await app.job_manager.retry_job_by_id_async(job.id, retry_at=datetime.now(timezone.utc))
        except exceptions.ConnectorException:
            continue  # another worker put it back first
        log.warning("job %s of a stalled worker is back on the queue (attempt %s)", job.id, job.attempts + 1)
        retried.append(job.id)
    return retried


async def _recovery_loop(app: Any, options: WorkerOptions) -> None:
    while True:
        await asyncio.sleep(options.recovery_interval)
        try:
            await recover_stalled_jobs(app, options.stalled_after)
        except Exception as exc:  # a failed look-up is retried at the next interval; the worker keeps working
            log.warning("looking for stalled jobs failed: %s", exc)


async def _run(settings: Settings, options: WorkerOptions) -> None:
    app = queue_app(settings, pool_size=options.concurrency + 3)
    async with app.open_async():
        await recover_stalled_jobs(app, options.stalled_after)
        recovery = asyncio.create_task(_recovery_loop(app, options))
        try:
            await app.run_worker_async(
                queues=[QUEUE], wait=not options.burst, concurrency=options.concurrency,
                name=options.name or f"{socket.gethostname()}:{os.getpid()}",
                update_heartbeat_interval=options.heartbeat, stalled_worker_timeout=options.stalled_after,
                fetch_job_polling_interval=options.poll_interval, additional_context={"settings": settings},
                install_signal_handlers=True, listen_notify=True, delete_jobs="never")
        finally:
            recovery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await recovery


def run_worker(settings: Settings, options: WorkerOptions = WorkerOptions()) -> None:
    """Run queued analysis jobs until stopped (SIGINT/SIGTERM finish the running job first), or until the
    queue is empty with `burst`."""
    from graph_sitter.adapters.setup import ensure_ready

    ensure_ready(settings)
    asyncio.run(_run(settings, options))
