"""event_received fires for webhook events (in-process server); counts kept current; spikes against a baseline."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

import httpx
import psycopg
import pytest
import uvicorn

from graph_sitter import plugins
from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.event_stats import counts, detect_spikes
from graph_sitter.adapters.events_ingest import Delivery, Outcome, ingest_async
from graph_sitter.adapters.setup import organization_id
from graph_sitter.config import Settings
from graph_sitter.plugins import hookimpl
from graph_sitter.service.app import create_app
from graph_sitter.service.config import ServiceConfig
from tests.events.conftest import SECRETS, fixture, free_port, github_headers


class Listener:
    """A plugin that keeps the events it is told about."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    @hookimpl
    def event_received(self, event: Any) -> None:
        self.events.append(event)


@pytest.fixture()
def in_process(settings: Settings, cluster: Cluster) -> Iterator[tuple[str, Listener]]:
    """The app under uvicorn on a thread of this process, with a Listener plugin registered."""
    plugins.reset_plugin_manager()
    listener = Listener()
    plugins.plugin_manager().register(listener, name="test-listener")
    config = ServiceConfig(env_secrets={"github": SECRETS["github"]}, spike_interval=0)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, config=config), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", listener
    server.should_exit = True
    thread.join(20)
    plugins.reset_plugin_manager()


def test_event_received_gets_repository_ref_and_clone_url(in_process: tuple[str, Listener]) -> None:
    url, listener = in_process
    body = json.dumps(fixture("github_push")).encode()
    headers = github_headers(body)
    assert httpx.post(f"{url}/webhooks/github", content=body, headers=headers).status_code == 200
    deadline = time.monotonic() + 10
    while not listener.events and time.monotonic() < deadline:
        time.sleep(0.05)
    [event] = listener.events
    assert (event.source, event.event_type, event.delivery_id) == ("github", "push", headers["X-GitHub-Delivery"])
    assert event.repository == "Codertocat/Hello-World"
    assert event.metadata["ref"] == "refs/heads/main"
    assert event.metadata["clone_url"] == "https://github.com/Codertocat/Hello-World.git"
    assert event.payload["repository"]["full_name"] == "Codertocat/Hello-World"


def _slack(event_type: str, k: int) -> Delivery:
    payload = fixture("slack_message")
    payload["event"] = dict(payload["event"], type=event_type)
    payload["event_id"] = f"Ev{uuid.uuid4().hex}"
    payload["event_time"] = int(time.time())
    return Delivery("slack", json.dumps(payload), datetime.now(timezone.utc))


def _ingest(conninfo: str, org: uuid.UUID, deliveries: list[Delivery]) -> list[Outcome]:
    async def run() -> list[Outcome]:
        async with await psycopg.AsyncConnection.connect(conninfo) as conn:
            return await ingest_async(conn, org, deliveries)

    return asyncio.run(run())


def test_counts_are_current_and_a_spike_is_detected(settings: Settings, cluster: Cluster) -> None:
    kind = f"spike_{uuid.uuid4().hex[:8]}"
    org = organization_id(settings.organization)
    now = datetime.now(timezone.utc)
    hour = now.replace(minute=0, second=0, microsecond=0)
    with cluster.connect("events_db") as conn:
        # a quiet baseline: 1 or 2 events in each of the previous 24 hours
        with conn.transaction():
            for h in range(1, 25):
                start = hour - timedelta(hours=h)
                conn.execute("INSERT INTO event_aggregations (organization_id, source, event_type, bucket,"
                             " period_start, period_end, event_count) VALUES (%s, 'slack', %s, 'hour', %s, %s, %s)",
                             (org, kind, start, start + timedelta(hours=1), 1 + h % 2))
        outcomes = _ingest(cluster.conninfo("events_db"), org, [_slack(kind, k) for k in range(30)])
        assert [o.status for o in outcomes] == ["stored"] * 30
        current = [c for c in counts(conn, bucket="hour", source="slack", event_type=kind) if c.period_start == hour]
        assert current and current[0].event_count == 30
        spikes = [a for a in detect_spikes(conn, now) if a.event_type == kind]
        assert len(spikes) == 1 and spikes[0].observed_value == 30 and 1.4 < spikes[0].expected_value < 1.6
        assert not [a for a in detect_spikes(conn, now) if a.event_type == kind]  # once per hour
