"""A real `gsdb serve` on a free loopback port for the session, and helpers that sign like each provider does."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from graph_sitter.adapters.database import Cluster
from tests.conftest import GSDB, REPO

FIXTURES = REPO / "fixtures" / "webhooks"
SECRETS = {"github": "gh-" + uuid.uuid4().hex, "linear": "lin-" + uuid.uuid4().hex,
           "slack": "slk-" + uuid.uuid4().hex}
MAX_BODY = 64 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fixture(name: str) -> dict[str, Any]:
    """A provider-shaped example payload from fixtures/webhooks."""
    return json.loads((FIXTURES / f"{name}.json").read_text())


def hexmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def github_headers(body: bytes, event: str = "push", delivery: str | None = None,
                   secret: str | None = None) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-Hub-Signature-256": "sha256=" + hexmac(secret or SECRETS["github"], body)}


def linear_body(payload: dict[str, Any], age_seconds: float = 0) -> bytes:
    return json.dumps(dict(payload, webhookTimestamp=int((time.time() - age_seconds) * 1000))).encode()


def linear_headers(body: bytes, secret: str | None = None, delivery: str | None = None) -> dict[str, str]:
    return {"Content-Type": "application/json", "Linear-Event": "Issue",
            "Linear-Delivery": delivery or str(uuid.uuid4()),
            "Linear-Signature": hexmac(secret or SECRETS["linear"], body)}


def slack_headers(body: bytes, age_seconds: float = 0, secret: str | None = None) -> dict[str, str]:
    stamp = str(int(time.time() - age_seconds))
    return {"Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": "v0=" + hexmac(secret or SECRETS["slack"], f"v0:{stamp}:".encode() + body)}


def notion_headers(body: bytes, token: str) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Notion-Signature": "sha256=" + hexmac(token, body)}


@dataclass
class Server:
    """The running service: its base URL, environment and log file."""

    url: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]

    def post(self, provider: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        return httpx.post(f"{self.url}/webhooks/{provider}", content=body, headers=headers, timeout=30)


@pytest.fixture(scope="session")
def server_env(gsdb_env: dict[str, str]) -> dict[str, str]:
    """The session's environment plus the webhook secrets (Notion's comes from the handshake) and short intervals."""
    env = dict(gsdb_env)
    env.update({f"GRAPH_SITTER_{p.upper()}_WEBHOOK_SECRET": s for p, s in SECRETS.items()})
    env.update(GRAPH_SITTER_WEBHOOK_MAX_BODY_BYTES=str(MAX_BODY), GRAPH_SITTER_DELIVERY_INTERVAL="0.1",
               GRAPH_SITTER_SPIKE_INTERVAL="0", GRAPH_SITTER_SECRET_TTL="0",
               GRAPH_SITTER_REGISTRY_TTL="0")
    return env


@pytest.fixture(scope="session")
def server(server_env: dict[str, str], cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`gsdb serve` in a subprocess for the whole session, real HTTP over loopback."""
    port = free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([GSDB, "serve", "--port", str(port), "--access-log"], env=server_env,
                                   stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"gsdb serve did not start:\n{log.read_text()}")
        time.sleep(0.2)
    yield Server(url, server_env, log, process)
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def count_events(cluster: Cluster, source: str, delivery_id: str) -> int:
    """Rows of events for one delivery."""
    with cluster.connect("events_db") as conn:
        row = conn.execute("SELECT count(*) FROM events WHERE source = %s AND delivery_id = %s",
                           (source, delivery_id)).fetchone()
    return int(row[0]) if row else 0


def rejections(cluster: Cluster, source: str) -> int:
    """Rejections counted for a provider so far."""
    with cluster.connect("events_db") as conn:
        row = conn.execute("SELECT coalesce(sum(rejection_count), 0) FROM webhook_rejections WHERE source = %s",
                           (source,)).fetchone()
    return int(row[0]) if row else 0
