"""`gsdb serve`: run the webhook app under uvicorn (uvloop and httptools when installed)."""

from __future__ import annotations

import logging
import socket

from graph_sitter.config import Settings
from graph_sitter.errors import GraphSitterError


class ServeError(GraphSitterError):
    """The service cannot start (the address is taken, for instance)."""


def _check_address(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ServeError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000, workers: int = 1,
          access_log: bool = False, log_level: str = "info") -> None:
    """Prepare the databases, then serve the webhook app until interrupted."""
    import uvicorn

    from graph_sitter.adapters.setup import ensure_ready
    from graph_sitter.service.app import create_app
    from graph_sitter.service.config import ServiceConfig

    ServiceConfig.from_settings(settings)  # a bad setting is one line now, not a traceback in each worker
    ensure_ready(settings)
    _check_address(host, port)
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.INFO),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = dict(host=host, port=port, access_log=access_log, log_level=log_level, loop="auto", http="auto",
                   server_header=False, timeout_graceful_shutdown=10)
    if workers > 1:
        # each worker imports the app itself; settings come from the same environment
        uvicorn.run("graph_sitter.service.app:app_from_environment", factory=True, workers=workers, **options)
    else:
        uvicorn.run(create_app(settings), **options)
