"""What `gsdb serve` reads from the environment on top of the install's Settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from graph_sitter.config import Settings
from graph_sitter.errors import ConfigurationError

#: Webhook bodies larger than this are refused with 413 (GitHub caps its payloads at 25 MB; most are a few KB).
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


def _number(settings: Settings, name: str, default: float, minimum: float) -> float:
    raw = settings.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name}={raw!r} is not a number") from None
    if value < minimum:
        raise ConfigurationError(f"{name}={raw!r} must be at least {minimum:g}")
    return value


@dataclass(frozen=True)
class ServiceConfig:
    """Limits and intervals of the webhook service, plus the signing secrets given in the environment."""

    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: deliveries stored per transaction at most; batches form by themselves while the previous one commits
    max_batch: int = 256
    #: transactions storing batches at once
    writers: int = 2
    #: seconds between two passes of the subscription callback worker
    delivery_interval: float = 1.0
    #: seconds between two spike detections (0: never)
    spike_interval: float = 60.0
    #: seconds a provider's secrets are cached (a source added with `gsdb events sources add` is seen after that)
    secret_ttl: float = 5.0
    env_secrets: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> "ServiceConfig":
        """GRAPH_SITTER_WEBHOOK_MAX_BODY_BYTES, GRAPH_SITTER_DELIVERY_INTERVAL, GRAPH_SITTER_SPIKE_INTERVAL,
        GRAPH_SITTER_SECRET_TTL and GRAPH_SITTER_<PROVIDER>_WEBHOOK_SECRET."""
        env = settings.environ
        secrets = {p: env[f"GRAPH_SITTER_{p.upper()}_WEBHOOK_SECRET"]
                   for p in ("github", "linear", "slack", "notion") if env.get(f"GRAPH_SITTER_{p.upper()}_WEBHOOK_SECRET")}
        return cls(
            max_body_bytes=int(_number(settings, "GRAPH_SITTER_WEBHOOK_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, 1)),
            delivery_interval=_number(settings, "GRAPH_SITTER_DELIVERY_INTERVAL", 1.0, 0.05),
            spike_interval=_number(settings, "GRAPH_SITTER_SPIKE_INTERVAL", 60.0, 0),
            secret_ttl=_number(settings, "GRAPH_SITTER_SECRET_TTL", 5.0, 0),
            env_secrets=secrets,
        )
