"""The webhook endpoints over real HTTP: each provider's signed examples stored once, bad requests refused."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import httpx
import pytest

from graph_sitter.adapters.database import Cluster
from tests.events.conftest import (
    MAX_BODY,
    Server,
    count_events,
    fixture,
    github_headers,
    linear_body,
    linear_headers,
    notion_headers,
    rejections,
    slack_headers,
)


def _event(cluster: Cluster, source: str, delivery_id: str) -> dict[str, Any]:
    with cluster.connect("events_db") as conn:
        cur = conn.execute("SELECT source, event_type, action, external_id, title, actor_name, target_type,"
                           " target_name, target_url, repository, metadata, payload, event_source_id"
                           " FROM events WHERE source = %s AND delivery_id = %s", (source, delivery_id))
        names = [d.name for d in cur.description]
        row = cur.fetchone()
    assert row is not None, f"no event for {source} {delivery_id}"
    return dict(zip(names, row))


# -- GitHub ---------------------------------------------------------------------------------------------------
def test_github_push_is_stored_once_with_repository_ref_and_clone_url(server: Server, cluster: Cluster) -> None:
    body = json.dumps(fixture("github_push")).encode()
    headers = github_headers(body, "push")
    first = server.post("github", body, headers)
    assert first.status_code == 200 and first.json()["status"] == "stored", first.text
    again = server.post("github", body, headers)
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    delivery = headers["X-GitHub-Delivery"]
    assert count_events(cluster, "github", delivery) == 1
    event = _event(cluster, "github", delivery)
    assert (event["event_type"], event["action"], event["external_id"]) == ("push", None, delivery)
    assert event["repository"] == "Codertocat/Hello-World" and event["actor_name"] == "Codertocat"
    assert event["metadata"]["ref"] == "refs/heads/main"
    assert event["metadata"]["clone_url"] == "https://github.com/Codertocat/Hello-World.git"
    assert event["title"] == "Update README.md"
    assert event["payload"] == fixture("github_push")


def test_github_pull_request_targets_the_pull_request(server: Server, cluster: Cluster) -> None:
    body = json.dumps(fixture("github_pull_request")).encode()
    headers = github_headers(body, "pull_request")
    assert server.post("github", body, headers).status_code == 200
    event = _event(cluster, "github", headers["X-GitHub-Delivery"])
    assert (event["event_type"], event["action"]) == ("pull_request", "opened")
    assert (event["target_type"], event["target_name"]) == ("pull_request", "Codertocat/Hello-World#2")
    assert event["target_url"] == "https://github.com/Codertocat/Hello-World/pull/2"
    assert event["metadata"]["ref"] == "refs/pull/2/head" and event["metadata"]["head_ref"] == "changes"


@pytest.mark.parametrize("case", ["tampered", "wrong_secret", "missing"])
def test_github_bad_signature_is_401_and_nothing_is_stored(server: Server, cluster: Cluster, case: str) -> None:
    body = json.dumps(fixture("github_push")).encode()
    headers = github_headers(body, secret="not-the-secret" if case == "wrong_secret" else None)
    if case == "tampered":
        body = body.replace(b"Update README.md", b"Update README.mD")
    if case == "missing":
        del headers["X-Hub-Signature-256"]
    before = rejections(cluster, "github")
    response = server.post("github", body, headers)
    assert response.status_code == 401
    assert count_events(cluster, "github", headers["X-GitHub-Delivery"]) == 0
    assert rejections(cluster, "github") == before + 1


def test_github_without_event_header_is_400(server: Server, cluster: Cluster) -> None:
    body = json.dumps(fixture("github_push")).encode()
    headers = github_headers(body)
    del headers["X-GitHub-Event"]
    assert server.post("github", body, headers).status_code == 400


def test_signed_malformed_json_is_400(server: Server, cluster: Cluster) -> None:
    body = b'{"ref": "refs/heads/main", '
    headers = github_headers(body)
    response = server.post("github", body, headers)
    assert response.status_code == 400, response.text
    assert count_events(cluster, "github", headers["X-GitHub-Delivery"]) == 0
    lin = b"[1, 2"
    assert server.post("linear", lin, linear_headers(lin)).status_code == 400


# -- Linear ---------------------------------------------------------------------------------------------------
def test_linear_issue_is_stored(server: Server, cluster: Cluster) -> None:
    body = linear_body(fixture("linear_issue_create"))
    headers = linear_headers(body)
    assert server.post("linear", body, headers).json()["status"] == "stored"
    assert server.post("linear", body, headers).json()["status"] == "duplicate"
    event = _event(cluster, "linear", headers["Linear-Delivery"])
    assert (event["event_type"], event["action"], event["target_name"]) == ("issue", "create", "ENG-123")
    assert event["actor_name"] == "Linear Admin" and event["title"] == "Bug: checkout fails for empty carts"


@pytest.mark.parametrize("case", ["stale", "wrong_secret", "tampered"])
def test_linear_refusals(server: Server, cluster: Cluster, case: str) -> None:
    body = linear_body(fixture("linear_issue_create"), age_seconds=120 if case == "stale" else 0)
    headers = linear_headers(body, secret="nope" if case == "wrong_secret" else None)
    if case == "tampered":
        body = body.replace(b"ENG-123", b"ENG-124")
    before = rejections(cluster, "linear")
    assert server.post("linear", body, headers).status_code == 401
    assert count_events(cluster, "linear", headers["Linear-Delivery"]) == 0
    assert rejections(cluster, "linear") == before + 1


# -- Slack ----------------------------------------------------------------------------------------------------
def test_slack_url_verification_is_answered(server: Server, cluster: Cluster) -> None:
    payload = fixture("slack_url_verification")
    body = json.dumps(payload).encode()
    response = server.post("slack", body, slack_headers(body))
    assert response.status_code == 200 and response.json() == {"challenge": payload["challenge"]}


def test_slack_message_is_stored_once(server: Server, cluster: Cluster) -> None:
    event_id = "Ev" + uuid.uuid4().hex[:10].upper()
    body = json.dumps(dict(fixture("slack_message"), event_id=event_id)).encode()
    assert server.post("slack", body, slack_headers(body)).json()["status"] == "stored"
    # Slack retries carry a new timestamp and signature; the event id makes it a duplicate
    assert server.post("slack", body, slack_headers(body)).json()["status"] == "duplicate"
    event = _event(cluster, "slack", event_id)
    assert (event["event_type"], event["target_type"], event["target_name"]) == ("message", "channel", "C123ABC456")


@pytest.mark.parametrize("case", ["expired", "wrong_secret", "tampered"])
def test_slack_refusals(server: Server, cluster: Cluster, case: str) -> None:
    event_id = "Ev" + uuid.uuid4().hex[:10].upper()
    body = json.dumps(dict(fixture("slack_message"), event_id=event_id)).encode()
    headers = slack_headers(body, age_seconds=6 * 60 if case == "expired" else 0,
                            secret="nope" if case == "wrong_secret" else None)
    if case == "tampered":
        body = body.replace(b"prospect", b"prosper")
    assert server.post("slack", body, headers).status_code == 401
    assert count_events(cluster, "slack", event_id) == 0


# -- Notion ---------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def notion_token(server: Server, cluster: Cluster) -> str:
    """The verification handshake: Notion's first request carries the token, which becomes the signing secret."""
    token = "secret_" + uuid.uuid4().hex
    response = server.post("notion", json.dumps({"verification_token": token}).encode(),
                           {"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert token not in response.text
    return token


def test_notion_handshake_then_signed_events(server: Server, cluster: Cluster, notion_token: str) -> None:
    payload = dict(fixture("notion_page_created"), id=str(uuid.uuid4()))
    body = json.dumps(payload).encode()
    assert server.post("notion", body, notion_headers(body, notion_token)).json()["status"] == "stored"
    event = _event(cluster, "notion", payload["id"])
    assert (event["event_type"], event["action"], event["target_type"]) == ("page", "created", "page")
    assert event["event_source_id"] is not None
    forged = json.dumps(dict(payload, id=str(uuid.uuid4()))).encode()
    assert server.post("notion", forged, notion_headers(forged, "secret_guess")).status_code == 401
    # a second handshake must not replace the working token
    again = server.post("notion", json.dumps({"verification_token": "secret_attacker"}).encode(),
                        {"Content-Type": "application/json"})
    assert again.status_code == 409
    with cluster.connect("events_db") as conn:
        raw = conn.execute("SELECT secret_encrypted FROM event_sources WHERE provider = 'notion'").fetchone()[0]
    assert notion_token.encode() not in bytes(raw)


# -- limits, concurrency ----------------------------------------------------------------------------------------
def test_body_over_the_limit_is_413(server: Server, cluster: Cluster) -> None:
    big = json.dumps({"ref": "refs/heads/main", "blob": "x" * (MAX_BODY + 10)}).encode()
    headers = github_headers(big)
    assert server.post("github", big, headers).status_code == 413

    def chunks():  # no Content-Length: refused while streaming
        for k in range(0, len(big), 8192):
            yield big[k:k + 8192]

    response = httpx.post(f"{server.url}/webhooks/github", content=chunks(), headers=headers, timeout=30)
    assert response.status_code == 413
    assert count_events(cluster, "github", headers["X-GitHub-Delivery"]) == 0


def test_a_thousand_concurrent_deliveries_are_stored_exactly_once(server: Server, cluster: Cluster) -> None:
    base = fixture("github_push")
    requests = []
    for k in range(1000):
        body = json.dumps(dict(base, after=f"{k:040x}")).encode()
        requests.append((body, github_headers(body)))
    repeats = requests[:200]  # redeliveries racing their originals

    async def send_all() -> list[int]:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            responses = await asyncio.gather(*(client.post(f"{server.url}/webhooks/github", content=b, headers=h)
                                               for b, h in requests + repeats))
        return [r.status_code for r in responses]

    statuses = asyncio.run(send_all())
    assert statuses == [200] * 1200
    ids = [h["X-GitHub-Delivery"] for _, h in requests]
    with cluster.connect("events_db") as conn:
        events = conn.execute("SELECT count(*), count(DISTINCT delivery_id) FROM events WHERE source = 'github'"
                              " AND delivery_id = ANY(%s)", (ids,)).fetchone()
        ledger = conn.execute("SELECT count(*) FROM event_deliveries WHERE source = 'github' AND delivery_id = ANY(%s)",
                              (ids,)).fetchone()
    assert tuple(events) == (1000, 1000) and ledger[0] == 1000


def test_healthz(server: Server) -> None:
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
