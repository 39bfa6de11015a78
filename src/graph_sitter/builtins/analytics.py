"""Built-in plugin: every analysis run goes to analytics_db (run, phases, metric series, performance data)."""

from __future__ import annotations

import resource
from typing import Any

from graph_sitter.plugins import hookimpl


def _resources() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "cpu_seconds": own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime,
        "max_rss_bytes": max(own.ru_maxrss, workers.ru_maxrss) * 1024,  # Linux reports KiB
    }


@hookimpl
def analysis_finished(run: Any, result: Any) -> None:
    """Record the run, its phase timings and its metrics in analytics_db."""
    from graph_sitter.adapters.analytics_db import AnalyticsStore
    from graph_sitter.adapters.setup import organization_id
    from graph_sitter.config import load_settings
    from graph_sitter.adapters.database import Cluster

    settings = result.settings or load_settings()
    items = {"parse": result.files.get("analyzed", 0), "walk": result.files.get("discovered", 0),
             "store": sum(result.relationships.values()) + sum(result.elements.values())}
    with Cluster(settings).connect("analytics_db") as conn:
        AnalyticsStore(conn).record_analysis(
            organization_id=organization_id(settings.organization), codebase_id=run.codebase_id,
            codebase_name=run.codebase_name, codebase_run_id=run.id, run_type=run.run_type,
            started_at=run.started_at, seconds=result.seconds, items=items, metrics=result.metrics,
            distribution=result.findings.get("complexity_distribution", {}), resources=_resources(),
        )
