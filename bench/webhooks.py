"""Benchmark of the webhook service and the bulk import, with their floors measured in the same run.

    python bench/webhooks.py [--requests 20000] [--concurrency 64] [--workers 1] [--import-lines 100000]

On a private embedded PostgreSQL (a temporary GRAPH_SITTER_HOME, stopped at the end) it starts `gsdb serve`, then:

1. sends signed GitHub push deliveries over loopback from an asyncio HTTP/1.1 client on keep-alive
   connections (every request signed beforehand, so the timed loop does no HMAC work), and reports
   deliveries/s, p50 and p99 latency, and the zero-loss check: every request answered 200 and exactly one
   events row per delivery id, counted afterwards;
2. the floor of that: the same client against a route that answers 404 without touching the database;
3. `gsdb events import` of a generated JSON-lines file of GitHub, Linear, Slack and Notion envelopes;
4. the floor of that: COPY of the same file into a one-column temporary table.

Prints one table.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "webhooks"
SECRET = "bench-" + uuid.uuid4().hex
GSDB = str(Path(sys.executable).parent / "gsdb")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed_requests(n: int, port: int) -> tuple[list[bytes], list[str]]:
    """n raw HTTP requests of distinct GitHub push deliveries, each body signed with the secret."""
    base = json.loads((FIXTURES / "github_push.json").read_text())
    requests, ids = [], []
    for k in range(n):
        delivery = str(uuid.uuid4())
        base["after"] = hashlib.sha1(delivery.encode()).hexdigest()
        body = json.dumps(base).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        head = (f"POST /webhooks/github HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                f"User-Agent: GitHub-Hookshot/bench\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: {delivery}\r\n"
                f"X-Hub-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
        requests.append(head + body)
        ids.append(delivery)
    return requests, ids


async def _connection(port: int, queue: list[bytes], latencies: list[float], statuses: dict[int, int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while queue:
            request = queue.pop()
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        writer.close()


async def load(port: int, requests: list[bytes], concurrency: int) -> tuple[float, list[float], dict[int, int]]:
    """Send every request over `concurrency` keep-alive connections; (seconds, latencies, statuses)."""
    queue = list(reversed(requests))
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    await asyncio.gather(*(_connection(port, queue, latencies, statuses) for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, statuses


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def write_import_file(path: Path, lines: int) -> int:
    """A JSON-lines file of envelopes cycling through the fixtures; returns its size in bytes."""
    kinds = [("github", "push", json.loads((FIXTURES / "github_push.json").read_text())),
             ("github", "pull_request", json.loads((FIXTURES / "github_pull_request.json").read_text())),
             ("linear", "Issue", json.loads((FIXTURES / "linear_issue_create.json").read_text())),
             ("slack", None, json.loads((FIXTURES / "slack_message.json").read_text())),
             ("notion", None, json.loads((FIXTURES / "notion_page_created.json").read_text()))]
    with open(path, "w") as out:
        for k in range(lines):
            source, event, payload = kinds[k % len(kinds)]
            delivery = f"bench-{k}"
            if source == "slack":
                payload = dict(payload, event_id=f"Ev{k}")
            elif source == "notion":
                payload = dict(payload, id=str(uuid.UUID(int=k)))
            out.write(json.dumps({"source": source, "event": event, "delivery_id": delivery, "payload": payload},
                                 separators=(",", ":")) + "\n")
    return path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--workers", type=int, default=1, help="gsdb serve --workers")
    parser.add_argument("--import-lines", type=int, default=100000)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="gsdb-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAPH_SITTER_", "POSTGRES_"))}
    env.update(GRAPH_SITTER_HOME=str(home), GRAPH_SITTER_GITHUB_WEBHOOK_SECRET=SECRET,
               GRAPH_SITTER_SPIKE_INTERVAL="0")
    os.environ.update(env)
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.adapters.setup import run_setup
    from graph_sitter.config import load_settings

    settings = load_settings(env)
    run_setup(settings)
    cluster = Cluster(settings)
    port = free_port()
    server = subprocess.Popen([GSDB, "serve", "--port", str(port), "--workers", str(args.workers),
                               "--log-level", "warning"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    rows: list[tuple[str, str]] = []
    try:
        for _ in range(300):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        try:
            import uvloop  # the load generator gets the fast loop too

            uvloop.install()
        except ImportError:
            pass
        warm, _ = signed_requests(1000, port)
        asyncio.run(load(port, warm, args.concurrency))
        requests, ids = signed_requests(args.requests, port)
        seconds, latencies, statuses = asyncio.run(load(port, requests, args.concurrency))
        with cluster.connect("events_db") as conn:
            stored = conn.execute("SELECT count(*) FROM events WHERE source = 'github' AND delivery_id = ANY(%s)",
                                  (ids,)).fetchone()[0]
        ok = statuses.get(200, 0)
        lossless = ok == len(ids) and stored == len(ids)
        floor_request = (f"POST /webhooks/unknown HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 2\r\n\r\n"
                         "{}").encode()
        floor_seconds, _, _ = asyncio.run(load(port, [floor_request] * args.requests, args.concurrency))
        rows += [
            ("signed GitHub deliveries/s (loopback, "
             f"{args.concurrency} connections, {args.workers} worker{'s' if args.workers > 1 else ''})",
             f"{len(ids) / seconds:,.0f}"),
            ("latency p50 / p99", f"{percentile(latencies, 50) * 1000:.1f} ms / {percentile(latencies, 99) * 1000:.1f} ms"),
            ("answered 200 / stored rows / sent", f"{ok:,} / {stored:,} / {len(ids):,}"),
            ("zero loss", "yes" if lossless else f"NO (statuses {statuses})"),
            ("floor: same client, 404 route without database, req/s", f"{args.requests / floor_seconds:,.0f}"),
        ]
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()

    try:
        from graph_sitter.adapters.events_import import import_jsonl
        from graph_sitter.adapters.setup import organization_id

        data = home / "import.jsonl"
        size = write_import_file(data, args.import_lines)
        report = import_jsonl(cluster.conninfo("events_db"), organization_id(settings.organization), data, jobs=2)
        again = import_jsonl(cluster.conninfo("events_db"), organization_id(settings.organization), data, jobs=2)
        with cluster.connect("events_db") as conn:
            conn.execute("CREATE TEMP TABLE floor_lines (line text)")
            started = time.perf_counter()
            with conn.cursor().copy("COPY floor_lines FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x01', QUOTE E'\\x02')") \
                    as copy, open(data, "rb") as f:
                while block := f.read(1 << 20):
                    copy.write(block)
            copy_seconds = time.perf_counter() - started
        rows += [
            (f"import: {report.lines:,} lines ({size / 1048576:.0f} MB), rows/s", f"{report.rows_per_second:,.0f}"),
            ("import again (all duplicates), rows/s", f"{again.rows_per_second:,.0f} ({again.stored} stored)"),
            ("floor: COPY of the same file into a one-column temp table, rows/s",
             f"{report.lines / copy_seconds:,.0f}"),
        ]
    finally:
        if cluster.embedded is not None:
            cluster.embedded.stop()
        shutil.rmtree(home, ignore_errors=True)

    width = max(len(r[0]) for r in rows)
    print(f"| {'measure':<{width}} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")


if __name__ == "__main__":
    main()
