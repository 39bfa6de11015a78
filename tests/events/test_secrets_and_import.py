"""Secrets are encrypted at rest and never shown or logged; bulk import with COPY deduplicates."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

from graph_sitter.adapters.database import Cluster
from tests.conftest import GSDB, REPO, run_gsdb
from tests.events.conftest import SECRETS, Server, count_events, fixture, github_headers


def test_source_secret_is_encrypted_at_rest_and_used_to_verify(server: Server, cluster: Cluster) -> None:
    name = f"gh-{uuid.uuid4().hex[:8]}"
    secret = "db-secret-" + uuid.uuid4().hex
    added = subprocess.run([GSDB, "events", "sources", "add", name, "--provider", "github", "--secret-stdin"],
                           input=secret + "\n", env=server.env, capture_output=True, text=True, cwd=REPO, timeout=60)
    assert added.returncode == 0, added.stderr
    assert secret not in added.stdout + added.stderr
    with cluster.connect("events_db") as conn:
        raw, key_id, source_id = conn.execute(
            "SELECT secret_encrypted, secret_key_id, id FROM event_sources WHERE name = %s", (name,)).fetchone()
    assert secret.encode() not in bytes(raw) and key_id
    listed = run_gsdb(server.env, "events", "sources", "list", "--json")
    assert listed.returncode == 0 and secret not in listed.stdout and name in listed.stdout
    body = json.dumps(fixture("github_push")).encode()
    headers = github_headers(body, secret=secret)
    assert server.post("github", body, headers).status_code == 200
    with cluster.connect("events_db") as conn:
        stored = conn.execute("SELECT event_source_id FROM events WHERE delivery_id = %s",
                              (headers["X-GitHub-Delivery"],)).fetchone()
    assert stored[0] == source_id
    assert run_gsdb(server.env, "events", "sources", "remove", name).returncode == 0
    headers = github_headers(body, secret=secret)
    assert server.post("github", body, headers).status_code == 401  # removed: its secret no longer verifies


def test_no_secret_in_the_service_log(server: Server) -> None:
    body = json.dumps(fixture("github_push")).encode()
    server.post("github", body, github_headers(body, secret="wrong"))
    log = server.log.read_text()
    assert "rejected github webhook: bad_signature" in log
    for secret in SECRETS.values():
        assert secret not in log
    assert "X-Hub-Signature" not in log and "sha256=" not in log


def test_missing_secret_input_is_a_one_line_error(server: Server) -> None:
    result = subprocess.run([GSDB, "events", "sources", "add", "x", "--provider", "github"], input="",
                            env=server.env, capture_output=True, text=True, cwd=REPO, timeout=60)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0 and result.stderr.startswith("gsdb: error:")


def test_import_dedups_against_itself_and_the_webhooks(server: Server, cluster: Cluster, tmp_path: Path) -> None:
    # one delivery that the webhook endpoint stored already
    body = json.dumps(fixture("github_push")).encode()
    headers = github_headers(body)
    assert server.post("github", body, headers).status_code == 200
    tag = uuid.uuid4().hex[:8]
    lines = [
        {"source": "github", "event": "push", "delivery_id": headers["X-GitHub-Delivery"],
         "payload": fixture("github_push")},
        {"source": "github", "event": "pull_request", "delivery_id": f"imp-{tag}-1",
         "payload": fixture("github_pull_request")},
        {"source": "linear", "event": "Issue", "delivery_id": f"imp-{tag}-2", "payload": fixture("linear_issue_create")},
        {"source": "github", "event": "pull_request", "delivery_id": f"imp-{tag}-1",
         "payload": fixture("github_pull_request")},
    ]
    data = tmp_path / "export.jsonl"
    data.write_text("".join(json.dumps(line) + "\n" for line in lines) + "\n")
    first = run_gsdb(server.env, "events", "import", str(data), "--json")
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["lines"], report["stored"]) == (4, 2)
    again = json.loads(run_gsdb(server.env, "events", "import", str(data), "--json").stdout)
    assert again["stored"] == 0
    assert count_events(cluster, "github", f"imp-{tag}-1") == 1
    assert count_events(cluster, "github", headers["X-GitHub-Delivery"]) == 1
    # bare Slack payloads carry their own event ids
    bare = tmp_path / "slack.jsonl"
    bare.write_text("\n".join(json.dumps(dict(fixture("slack_message"), event_id=f"EvImp{tag}{k}"))
                              for k in range(3)) + "\n")
    out = json.loads(run_gsdb(server.env, "events", "import", str(bare), "--source", "slack", "--json").stdout)
    assert out["stored"] == 3 and count_events(cluster, "slack", f"EvImp{tag}1") == 1


def test_import_reports_a_bad_line_in_one_line(server: Server, tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text(json.dumps({"source": "github", "event": "push", "delivery_id": "x", "payload": {}}) + "\n"
                    + "{not json\n")
    result = run_gsdb(server.env, "events", "import", str(data))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{data}:2: not valid JSON" in result.stderr


def test_imported_history_goes_straight_to_its_month_partitions(server: Server, cluster: Cluster,
                                                                 tmp_path: Path) -> None:
    """Events of months without a partition get one before they are inserted: none waits in a default partition."""
    tag = uuid.uuid4()
    payload = dict(fixture("notion_page_created"), id=str(tag), timestamp="2019-03-04T05:06:07Z")
    data = tmp_path / "history.jsonl"
    data.write_text(json.dumps(payload) + "\n")
    out = json.loads(run_gsdb(server.env, "events", "import", str(data), "--source", "notion", "--json").stdout)
    assert out["stored"] == 1
    with cluster.connect("events_db") as conn:
        where = conn.execute("SELECT tableoid::regclass::text FROM events WHERE source = 'notion' AND external_id = %s",
                             (str(tag),)).fetchone()
        assert where == ("events_p201903",)
        counted = conn.execute("SELECT DISTINCT tableoid::regclass::text FROM event_aggregations"
                               " WHERE source = 'notion' AND period_start >= '2019-03-01' AND period_start < '2019-04-01'"
                               ).fetchall()
        assert counted == [("event_aggregations_p201903",)]
        assert conn.execute("SELECT count(*) FROM events_default").fetchone() == (0,)
