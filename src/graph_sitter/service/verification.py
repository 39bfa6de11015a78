"""Signature checks, exactly as each provider documents them; every comparison is constant-time.

Each check gets the candidate secrets as (source id, secret) pairs, since several sources of one provider may be
configured, and returns the id of the source whose secret signed the request (None for the environment's secret).
A failed check raises Rejected with the reason counted in webhook_rejections.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import Mapping, Sequence

Secrets = Sequence[tuple[uuid.UUID | None, str]]

#: Linear: webhookTimestamp (ms) must be within a minute of now.
LINEAR_TOLERANCE_SECONDS = 60
#: Slack: X-Slack-Request-Timestamp must be within five minutes of now.
SLACK_TOLERANCE_SECONDS = 300


class Rejected(Exception):
    """The request is not from the provider: answered 401 and counted under `reason`."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _hex_hmac(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def _match(secrets: Secrets, message: bytes, given: str, prefix: str = "") -> uuid.UUID | None:
    if not secrets:
        raise Rejected("no_secret", "no signing secret is configured for this provider")
    found = False
    source_id: uuid.UUID | None = None
    for candidate_id, secret in secrets:
        # every candidate is compared, whichever matches, so the time taken does not tell which one did
        if hmac.compare_digest(prefix + _hex_hmac(secret, message), given) and not found:
            found, source_id = True, candidate_id
    if not found:
        raise Rejected("bad_signature", "signature does not match")
    return source_id


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise Rejected("missing_signature", f"missing {name} header")
    return value.strip()


def verify_github(headers: Mapping[str, str], body: bytes, secrets: Secrets) -> uuid.UUID | None:
    """X-Hub-Signature-256: `sha256=` + hex HMAC-SHA256 of the raw body."""
    return _match(secrets, body, _header(headers, "x-hub-signature-256"), "sha256=")


def verify_linear(headers: Mapping[str, str], body: bytes, secrets: Secrets) -> uuid.UUID | None:
    """Linear-Signature: hex HMAC-SHA256 of the raw body (check linear_timestamp_fresh on the parsed body next)."""
    return _match(secrets, body, _header(headers, "linear-signature").lower())


def check_linear_timestamp(webhook_timestamp: object, now: float | None = None) -> None:
    """The signed body's webhookTimestamp (ms) must be within 60 s of now: an older request is a replay."""
    try:
        sent = float(webhook_timestamp) / 1000  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise Rejected("stale_timestamp", "webhookTimestamp missing or not a number") from None
    if abs((time.time() if now is None else now) - sent) > LINEAR_TOLERANCE_SECONDS:
        raise Rejected("stale_timestamp", "webhookTimestamp is more than a minute away")


def verify_slack(headers: Mapping[str, str], body: bytes, secrets: Secrets, now: float | None = None) -> uuid.UUID | None:
    """X-Slack-Signature: `v0=` + hex HMAC-SHA256 of `v0:{X-Slack-Request-Timestamp}:{body}`, timestamp within 5 min."""
    signature = _header(headers, "x-slack-signature")
    stamp = _header(headers, "x-slack-request-timestamp")
    try:
        sent = int(stamp)
    except ValueError:
        raise Rejected("stale_timestamp", "X-Slack-Request-Timestamp is not a number") from None
    # checked first, as Slack advises: a replayed request is refused before any HMAC is computed
    if abs((time.time() if now is None else now) - sent) > SLACK_TOLERANCE_SECONDS:
        raise Rejected("stale_timestamp", "X-Slack-Request-Timestamp is more than five minutes away")
    return _match(secrets, b"v0:" + stamp.encode() + b":" + body, signature, "v0=")


def verify_notion(headers: Mapping[str, str], body: bytes, secrets: Secrets) -> uuid.UUID | None:
    """X-Notion-Signature: `sha256=` + hex HMAC-SHA256 of the raw body, keyed by the verification token."""
    return _match(secrets, body, _header(headers, "x-notion-signature"), "sha256=")


def sign(secret: str, body: bytes) -> str:
    """`sha256=` + hex HMAC-SHA256 of `body`: how GitHub and Notion sign, and how our callbacks are signed."""
    return "sha256=" + _hex_hmac(secret, body)
