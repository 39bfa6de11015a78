"""The four webhook endpoints: read the body within the limit, verify, and hand the delivery to the batch writer.

Order of checks: size (413, before reading when Content-Length says so), signature (401, nothing stored, the
rejection counted), body (400), then storage (200, `stored` or `duplicate`). Responses never echo a secret or a
signature, and the log says only which provider was refused and why.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from graph_sitter.adapters.event_sources import record_rejection_async, store_verification_token_async
from graph_sitter.adapters.events_ingest import Delivery
from graph_sitter.service.verification import (
    Rejected,
    check_linear_timestamp,
    verify_github,
    verify_linear,
    verify_notion,
    verify_slack,
)

if TYPE_CHECKING:
    from graph_sitter.service.app import WebhookService

log = logging.getLogger("graph_sitter.service")
EVENT_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$")


class BadRequest(Exception):
    """The request is signed but unusable: answered 400."""


class TooLarge(Exception):
    """The body is over the limit: answered 413."""


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status, media_type="application/json")


async def read_body(request: Request, limit: int) -> bytes:
    """The raw body, refused as soon as it is known to exceed `limit` bytes (from Content-Length or while read)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            if int(declared) > limit:
                raise TooLarge()
        except ValueError:
            raise BadRequest("Content-Length is not a number") from None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def json_text(request: Request, body: bytes) -> str:
    """The JSON document of the request: the body, or its `payload` field when sent as a form (GitHub, Slack)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("body is not UTF-8") from None
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        fields = parse_qs(text)
        if "payload" not in fields:
            raise BadRequest("form body without a payload field")
        text = fields["payload"][0]
    if "\x00" in text:
        raise BadRequest("body contains a NUL character")
    return text


def json_object(text: str) -> dict[str, Any]:
    """`text` parsed; a JSON object or 400."""
    try:
        value = json.loads(text)
    except ValueError:
        raise BadRequest("body is not valid JSON") from None
    if not isinstance(value, dict):
        raise BadRequest("body is not a JSON object")
    return value


def _now() -> datetime:
    return datetime.now(timezone.utc)


async def github(service: "WebhookService", request: Request, body: bytes) -> Delivery | Response:
    """GitHub: X-Hub-Signature-256 over the body; X-GitHub-Event names the event, X-GitHub-Delivery is its id."""
    source_id = verify_github(request.headers, body, await service.secrets.get("github"))
    event = request.headers.get("x-github-event", "")
    delivery = request.headers.get("x-github-delivery", "")
    if not EVENT_NAME.match(event):
        raise BadRequest("missing or invalid X-GitHub-Event header")
    if not delivery or len(delivery) > 200:
        raise BadRequest("missing or invalid X-GitHub-Delivery header")
    # The body is not parsed here: PostgreSQL parses it anyway, and a signed body that is not JSON is answered
    # 400 when its batch is stored (ingest retries the batch one delivery at a time to find it).
    return Delivery("github", json_text(request, body), _now(), event, delivery, source_id)


async def linear(service: "WebhookService", request: Request, body: bytes) -> Delivery | Response:
    """Linear: Linear-Signature over the body, then the body's webhookTimestamp within a minute."""
    source_id = verify_linear(request.headers, body, await service.secrets.get("linear"))
    text = json_text(request, body)
    payload = json_object(text)
    check_linear_timestamp(payload.get("webhookTimestamp"))
    kind = request.headers.get("linear-event") or None
    if kind is not None and not EVENT_NAME.match(kind):
        raise BadRequest("invalid Linear-Event header")
    delivery = request.headers.get("linear-delivery") or None
    return Delivery("linear", text, _now(), kind, delivery, source_id)


async def slack(service: "WebhookService", request: Request, body: bytes) -> Delivery | Response:
    """Slack: v0 signature over `v0:{timestamp}:{body}`, timestamp within 5 minutes; challenges answered."""
    source_id = verify_slack(request.headers, body, await service.secrets.get("slack"))
    text = json_text(request, body)
    payload = json_object(text)
    if payload.get("type") == "url_verification":
        challenge = payload.get("challenge")
        if not isinstance(challenge, str):
            raise BadRequest("url_verification without a challenge")
        return _json(200, {"challenge": challenge})
    return Delivery("slack", text, _now(), None, None, source_id)


async def notion(service: "WebhookService", request: Request, body: bytes) -> Delivery | Response:
    """Notion: the one-time verification_token handshake, then X-Notion-Signature over the body."""
    text = json_text(request, body)
    if "x-notion-signature" not in request.headers:
        payload = json_object(text)
        if set(payload) == {"verification_token"} and isinstance(payload["verification_token"], str):
            return await _notion_handshake(service, payload["verification_token"])
    source_id = verify_notion(request.headers, body, await service.secrets.get("notion"))
    json_object(text)
    return Delivery("notion", text, _now(), None, None, source_id)


async def _notion_handshake(service: "WebhookService", token: str) -> Response:
    # Only the first token is kept: once Notion signs with a token, a stranger must not be able to replace it.
    stored = False
    if token.strip() and "notion" not in service.config.env_secrets:
        async with service.pool.connection() as conn:
            stored = await store_verification_token_async(conn, service.organization_id, "notion", token,
                                                          service.box)
    if not stored:
        await service.reject("notion", "handshake_refused")
        return _json(409, {"error": "a Notion verification token is already configured; remove the notion source "
                                    "(gsdb events sources remove notion) to accept a new one"})
    service.secrets.forget("notion")
    log.warning("Notion verification token received and stored encrypted in event source 'notion': show it with "
                "`gsdb events sources reveal notion` and paste it into Notion to verify the subscription")
    return _json(200, {"status": "verification token stored"})


HANDLERS = {"github": github, "linear": linear, "slack": slack, "notion": notion}


async def handle(service: "WebhookService", provider: str, request: Request) -> Response:
    """One webhook request from `provider`, start to finish."""
    try:
        body = await read_body(request, service.config.max_body_bytes)
        result = await HANDLERS[provider](service, request, body)
        if isinstance(result, Response):
            return result
        outcome = await service.writer.submit(result)
    except TooLarge:
        return _json(413, {"error": f"body larger than {service.config.max_body_bytes} bytes"})
    except Rejected as exc:
        log.info("rejected %s webhook: %s", provider, exc.reason)
        await service.reject(provider, exc.reason)
        return _json(401, {"error": str(exc)})
    except BadRequest as exc:
        return _json(400, {"error": str(exc)})
    except Exception as exc:  # the database is unreachable: the provider will redeliver
        log.error("%s webhook not stored: %s: %s", provider, type(exc).__name__, str(exc).splitlines()[0] if str(exc)
                  else "")
        return _json(503, {"error": "event store unavailable, retry later"})
    if outcome.status == "malformed":
        return _json(400, {"error": f"payload refused: {outcome.error}"})
    if outcome.status == "duplicate":
        return _json(200, {"status": "duplicate"})
    assert outcome.event is not None
    return _json(200, {"status": "stored", "event_id": str(outcome.event.id)})


def endpoint(provider: str) -> Any:
    """The Starlette endpoint of `provider`."""

    async def receive(request: Request) -> Response:
        return await handle(request.app.state.service, provider, request)

    receive.__name__ = f"webhook_{provider}"
    return receive


async def healthz(request: Request) -> Response:
    """200 when events_db answers, 503 otherwise."""
    service: "WebhookService" = request.app.state.service
    try:
        async with service.pool.connection(timeout=2) as conn:
            await conn.execute("SELECT 1")
    except Exception:
        return JSONResponse({"status": "unavailable"}, 503)
    return JSONResponse({"status": "ok", "queued": service.writer.queued})
