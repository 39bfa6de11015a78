"""The ASGI app of `gsdb serve`: webhook endpoints, /healthz, and any extra routes (the dashboard mounts its own).

create_app(settings) builds it; the service's state (pool, batch writer, secrets) is `app.state.service`, opened
by the app's lifespan, so the app works under uvicorn, under any ASGI server and in Starlette's TestClient.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, AsyncIterator, Sequence

from psycopg_pool import AsyncConnectionPool
from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route

from graph_sitter.adapters.database import Cluster
from graph_sitter.adapters.event_sources import WEBHOOK_PROVIDERS, record_rejection_async
from graph_sitter.adapters.secret_box import SecretBox
from graph_sitter.adapters.setup import organization_id
from graph_sitter.config import Settings, load_settings
from graph_sitter.report.dashboard import dashboard_routes
from graph_sitter.service.batching import BatchWriter
from graph_sitter.service.config import ServiceConfig
from graph_sitter.service.delivery import delivery_loop
from graph_sitter.service.hooks import HookDispatcher, has_listeners
from graph_sitter.service.maintenance import maintenance_loop
from graph_sitter.service.secrets_cache import SecretCache
from graph_sitter.service.webhooks import endpoint, healthz

log = logging.getLogger("graph_sitter.service")


class WebhookService:
    """What the endpoints share: the events_db pool (as the database's owner role), the batch writer, secrets."""

    def __init__(self, settings: Settings, config: ServiceConfig, background: bool = True) -> None:
        self.settings = settings
        self.config = config
        self.background = background
        self.cluster = Cluster(settings)
        self.organization_id = organization_id(settings.organization)
        self.box = SecretBox.from_settings(settings)
        self.pool = AsyncConnectionPool(self.cluster.conninfo("events_db"), min_size=2,
                                        max_size=config.writers + 6, open=False, kwargs={"autocommit": True},
                                        name="events_db")
        self.secrets = SecretCache(self.pool, self.organization_id, self.box, config.env_secrets, config.secret_ttl)
        self.hooks: HookDispatcher | None = None
        self.writer = BatchWriter(self.pool, self.organization_id, max_batch=config.max_batch,
                                  writers=config.writers, on_stored=self._stored)
        self._tasks: list[asyncio.Task[None]] = []

    def _stored(self, events: Sequence[Any]) -> None:
        if self.hooks is not None:
            self.hooks.dispatch(events)

    async def start(self) -> None:
        """Open the pool, start the writers and the background loops."""
        await self.pool.open(wait=True, timeout=30)
        self.hooks = HookDispatcher() if has_listeners() else None
        self.writer.start()
        if self.background:
            self._tasks.append(asyncio.create_task(delivery_loop(self.pool, self.box, self.config.delivery_interval)))
            if self.config.spike_interval > 0:
                self._tasks.append(asyncio.create_task(maintenance_loop(self.cluster, self.config.spike_interval)))

    async def stop(self) -> None:
        """Store what is queued, stop the loops, close the pool."""
        await self.writer.stop()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.hooks is not None:
            await asyncio.to_thread(self.hooks.close)
        await self.pool.close()

    async def reject(self, provider: str, reason: str) -> None:
        """Count a refused request (nothing else of it is kept)."""
        try:
            async with self.pool.connection() as conn:
                await record_rejection_async(conn, provider, reason)
        except Exception as exc:  # counting must never turn a 401 into a 500
            log.error("could not count a rejected %s webhook: %s", provider, type(exc).__name__)


def create_app(settings: Settings, extra_routes: Sequence[BaseRoute] = (), config: ServiceConfig | None = None,
               background: bool = True) -> Starlette:
    """The webhook app: POST /webhooks/{github,linear,slack,notion}, GET /healthz, then `extra_routes`."""
    service = WebhookService(settings, config or ServiceConfig.from_settings(settings), background)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    routes: list[BaseRoute] = [Route(f"/webhooks/{p}", endpoint(p), methods=["POST"]) for p in WEBHOOK_PROVIDERS]
    routes.append(Route("/healthz", healthz, methods=["GET"]))
    routes.extend(dashboard_routes(settings))  # the read-only dashboard at /dashboard (graph_sitter.report)
    routes.extend(extra_routes)
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.service = service
    app.state.settings = settings
    return app


def app_from_environment() -> Starlette:
    """create_app for the settings in the environment: the factory uvicorn imports in each worker process."""
    return create_app(load_settings())
