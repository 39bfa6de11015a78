"""Background chores of `gsdb serve`: spike detection every minute, next months' partitions every few hours."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.event_stats import detect_spikes
from graph_sitter.adapters.maintenance_db import MaintenanceStore

log = logging.getLogger("graph_sitter.service")

#: Seconds between two partition checks: months are created ahead, so this only has to run now and then.
PARTITION_INTERVAL = 6 * 3600


def _chores(cluster: Cluster, partitions: bool) -> list[str]:
    with cluster.connect("events_db", autocommit=True) as conn:
        if partitions:
            # rows of a month without its partition would land in the default partition
            for table in ("events", "event_aggregations"):
                MaintenanceStore(conn).create_partitions(table, 0, 2)
        return [a.description or "" for a in detect_spikes(conn, datetime.now(timezone.utc))]


async def maintenance_loop(cluster: Cluster, spike_interval: float) -> None:
    """Detect spikes every `spike_interval` seconds (and create partitions ahead now and then), forever."""
    last_partitions = float("-inf")
    loop = asyncio.get_running_loop()
    while True:
        partitions = loop.time() - last_partitions >= PARTITION_INTERVAL
        try:
            for description in await asyncio.to_thread(_chores, cluster, partitions):
                log.warning("event spike: %s", description)
            if partitions:
                last_partitions = loop.time()
        except Exception as exc:  # a chore that fails is tried again next time; requests are unaffected
            log.error("events maintenance failed: %s", str(exc).strip().splitlines()[0] if str(exc) else exc)
        await asyncio.sleep(spike_interval)
