"""Subscriptions over real HTTP: callbacks retried with backoff until they succeed; live tail through LISTEN."""

from __future__ import annotations

import hashlib
import hmac
import json
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from graph_sitter.adapters.database import Cluster
from tests.conftest import GSDB, REPO, run_gsdb
from tests.events.conftest import Server, fixture, github_headers


class FlakyReceiver:
    """A local HTTP receiver that answers 500 to the first `failures` callbacks, then 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[dict[str, str], bytes, float]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.calls.append((dict(self.headers), body, time.monotonic()))
                self.send_response(500 if len(receiver.calls) <= receiver.failures else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture()
def receiver() -> Iterator[FlakyReceiver]:
    r = FlakyReceiver(failures=2)
    yield r
    r.httpd.shutdown()


def test_callbacks_are_retried_with_backoff_until_they_succeed(server: Server, cluster: Cluster,
                                                               receiver: FlakyReceiver) -> None:
    name = f"sub-{uuid.uuid4().hex[:8]}"
    secret = "cb-" + uuid.uuid4().hex
    added = subprocess.run([GSDB, "events", "subscriptions", "add", name, "--url", receiver.url, "--source", "github",
                            "--type", "push", "--match", '{"ref": "refs/heads/main"}', "--backoff", "0.2",
                            "--max-attempts", "5", "--secret-stdin"], input=secret + "\n", env=server.env,
                           capture_output=True, text=True, cwd=REPO, timeout=60)
    assert added.returncode == 0, added.stderr
    other = json.dumps(dict(fixture("github_push"), ref="refs/heads/feature")).encode()
    assert server.post("github", other, github_headers(other)).status_code == 200  # predicate does not match
    body = json.dumps(dict(fixture("github_push"), after=uuid.uuid4().hex)).encode()
    headers = github_headers(body)
    assert server.post("github", body, headers).status_code == 200
    deadline = time.monotonic() + 30
    while len(receiver.calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(receiver.calls) == 3, receiver.calls
    gaps = [b[2] - a[2] for a, b in zip(receiver.calls, receiver.calls[1:])]
    assert gaps[1] > gaps[0] * 1.3, gaps  # exponential: 0.2 s, then 0.4 s
    sent_headers, sent, _ = receiver.calls[-1]
    document = json.loads(sent)
    assert document["event"]["external_id"] == headers["X-GitHub-Delivery"]
    assert document["event"]["metadata"]["clone_url"].endswith("Hello-World.git")
    expected = "sha256=" + hmac.new(secret.encode(), sent, hashlib.sha256).hexdigest()
    assert sent_headers["X-Graph-Sitter-Signature-256"] == expected
    time.sleep(0.3)
    with cluster.connect("events_db") as conn:
        rows = conn.execute(
            "SELECT d.status, d.attempts, d.response_status FROM subscription_deliveries d"
            " JOIN subscriptions s ON s.id = d.subscription_id WHERE s.name = %s", (name,)).fetchall()
        raw = conn.execute("SELECT secret_encrypted FROM subscriptions WHERE name = %s", (name,)).fetchone()[0]
    assert rows == [("delivered", 3, 200)]
    assert secret.encode() not in bytes(raw)
    one_pass = run_gsdb(server.env, "events", "deliver", "--json")  # the library pass behind the serve loop
    assert one_pass.returncode == 0 and json.loads(one_pass.stdout)["failed"] == 0, one_pass.stderr
    assert run_gsdb(server.env, "events", "subscriptions", "remove", name).returncode == 0


def test_tail_streams_matching_events_as_they_arrive(server: Server, cluster: Cluster) -> None:
    tail = subprocess.Popen([GSDB, "events", "tail", "--source", "github", "--type", "pull_request", "--limit", "1",
                             "--json", "--timeout", "60"], env=server.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert tail.stderr is not None and "listening" in tail.stderr.readline()
        push = json.dumps(fixture("github_push")).encode()
        server.post("github", push, github_headers(push, "push"))  # filtered out by --type
        body = json.dumps(fixture("github_pull_request")).encode()
        headers = github_headers(body, "pull_request")
        assert server.post("github", body, headers).status_code == 200
        out, err = tail.communicate(timeout=60)
    finally:
        if tail.poll() is None:
            tail.kill()
    assert tail.returncode == 0, err
    lines = [json.loads(line) for line in out.splitlines() if line.strip()]
    assert len(lines) == 1
    assert (lines[0]["source"], lines[0]["event_type"], lines[0]["action"]) == ("github", "pull_request", "opened")
    assert lines[0]["target_name"] == "Codertocat/Hello-World#2"
