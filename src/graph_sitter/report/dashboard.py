"""The read-only dashboard: analytics_db's `dashboards` rows drawn as pages of charts and tables.

`dashboard_routes(settings)` gives the Starlette routes, mounted at /dashboard (`gsdb serve` adds them to its
app): /dashboard/ lists the dashboards, /dashboard/<id> draws one. Every request reads analytics_db as the
read-only role, in a read-only transaction; the pages are server-drawn SVG and load nothing else.
"""

from __future__ import annotations

import html
import uuid
from datetime import datetime
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Mount, Route

from graph_sitter.config import Settings
from graph_sitter.report.charts import Series, bar_chart, line_chart
from graph_sitter.report.page import page

MOUNT = "/dashboard"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
    return _e(value)


def _widget_metric_trend(q: Any, widget: dict[str, Any], index: int) -> str:
    metric = str(widget.get("metric", ""))
    series_by_codebase = q.metric_series(metric, int(widget.get("days", 365)))
    series = [Series(name, [(at.timestamp(), value) for at, value in points],
                     [f"{at:%Y-%m-%d %H:%M}" for at, _ in points]) for name, points in series_by_codebase.items()]
    stamps = [at for points in series_by_codebase.values() for at, _ in points]
    span = (f"{min(stamps):%Y-%m-%d}", f"{max(stamps):%Y-%m-%d}") if stamps else ("", "")
    return line_chart(f"w{index}-{metric}", str(widget.get("title") or metric), series, span)


def _widget_latest_metrics(q: Any, widget: dict[str, Any], index: int) -> str:
    metrics = [str(m) for m in widget.get("metrics", [])]
    table = q.latest_metrics(metrics)
    if not table:
        return _section(widget, '<p class="note">No codebase has been analysed yet.</p>', 0)
    head = "".join(f'<th class="num">{_e(m.replace("_", " "))}</th>' for m in metrics)
    rows = "".join(f"<tr><td>{_e(codebase)}</td>" + "".join(f'<td class="num">{_number(values.get(m, ""))}</td>'
                                                           for m in metrics) + "</tr>"
                   for codebase, values in sorted(table.items()))
    return _section(widget, f"<table><thead><tr><th>codebase</th>{head}</tr></thead><tbody>{rows}</tbody></table>",
                    len(table), wide=True)


def _widget_distribution(q: Any, widget: dict[str, Any], index: int) -> str:
    from graph_sitter.report.html import in_bucket_order

    charts = [bar_chart(f"w{index}-{k}", codebase, [(b, float(v)) for b, v in in_bucket_order(buckets).items()],
                        width=360, height=180)
              for k, (codebase, buckets) in enumerate(sorted(q.latest_distributions().items()))]
    if not charts:
        return _section(widget, '<p class="note">No codebase has been analysed yet.</p>', 0)
    return _section(widget, '<div style="display:grid;grid-template-columns:repeat(auto-fill,minmax(320px,1fr));'
                            f'gap:10px">{"".join(charts)}</div>', len(charts), wide=True)


def _widget_runs(q: Any, widget: dict[str, Any], index: int) -> str:
    runs = q.runs(widget.get("trigger_source"), int(widget.get("limit", 20)))
    if not runs:
        return _section(widget, '<p class="note">No runs yet.</p>', 0)
    rows = ""
    for r in runs:
        started = f"{r['started_at']:%Y-%m-%d %H:%M}" if isinstance(r["started_at"], datetime) else ""
        repos = (r.get("metadata") or {}).get("repositories") or {}
        detail = ", ".join(f"{name}: {status}" for name, status in sorted(repos.items()))
        rows += (f"<tr><td>{_e(r['name'])}</td><td class=\"status-{_e(r['status'])}\">{_e(r['status'])}</td>"
                 f"<td>{started}</td><td class=\"num\">{(r['duration_ms'] or 0) / 1000:.1f}</td>"
                 f"<td>{_e(detail)}</td></tr>")
    return _section(widget, "<table><thead><tr><th>run</th><th>status</th><th>started</th><th class=\"num\">"
                            f"seconds</th><th>repositories</th></tr></thead><tbody>{rows}</tbody></table>",
                    len(runs), wide=True)


def _widget_alerts(q: Any, widget: dict[str, Any], index: int) -> str:
    alerts = q.open_alerts(int(widget.get("limit", 20)))
    if not alerts:
        return _section(widget, '<p class="note">No open alerts.</p>', 0)
    rows = "".join(f"<tr><td>{_e(a['rule'])}</td><td>{_e(a['severity'])}</td><td>{_e(a['codebase'])}</td>"
                   f'<td class="num">{_number(a["value"])}</td><td class="num">{_number(a["baseline"])}</td>'
                   f"<td>{a['triggered_at']:%Y-%m-%d %H:%M}</td></tr>" for a in alerts)
    return _section(widget, "<table><thead><tr><th>rule</th><th>severity</th><th>codebase</th><th class=\"num\">"
                            "value</th><th class=\"num\">baseline</th><th>fired</th></tr></thead>"
                            f"<tbody>{rows}</tbody></table>", len(alerts), wide=True)


WIDGETS: dict[str, Callable[[Any, dict[str, Any], int], str]] = {
    "metric_trend": _widget_metric_trend,
    "latest_metrics": _widget_latest_metrics,
    "distribution": _widget_distribution,
    "runs": _widget_runs,
    "alerts": _widget_alerts,
}


def _section(widget: dict[str, Any], inner: str, count: int, wide: bool = False) -> str:
    kind = _e(widget.get("type", ""))
    return (f'<section class="widget{" wide" * wide}" data-widget="{kind}" data-count="{count}">'
            f"<h2>{_e(widget.get('title') or kind)}</h2>{inner}</section>")


def render_dashboard(queries: Any, dashboard: Any) -> str:
    """One dashboard as an HTML page."""
    parts = []
    for index, widget in enumerate(dashboard.widgets):
        draw = WIDGETS.get(str(widget.get("type")))
        if draw is None:
            parts.append(_section(widget, f'<p class="note">Unknown widget type {_e(widget.get("type"))}.</p>', 0))
            continue
        parts.append(draw(queries, widget, index))
    return page(dashboard.name, dashboard.description or "", "".join(parts), dashboard.auto_refresh_seconds or None)


def dashboard_routes(settings: Settings) -> list[BaseRoute]:
    """The dashboard's routes, under a Mount at /dashboard."""
    from graph_sitter.adapters.analytics_db_dashboards import DashboardQueries
    from graph_sitter.adapters.database import Cluster

    def read(work: Callable[[DashboardQueries], HTMLResponse]) -> HTMLResponse:
        try:
            conn = Cluster(settings).connect("analytics_db", "readonly", application_name="gsdb-dashboard")
        except Exception as exc:
            return _error(503, f"analytics_db is not available: {str(exc).splitlines()[0]}")
        with conn:
            conn.read_only = True
            return work(DashboardQueries(conn))

    def index(request: Request) -> HTMLResponse:
        def work(q: DashboardQueries) -> HTMLResponse:
            boards = q.dashboards()
            items = "".join(f'<li><a href="{_e(request.url_for("dashboard", dashboard_id=b.id).path)}">{_e(b.name)}'
                            f"</a> — {_e(b.description or '')}</li>" for b in boards)
            body = (f'<section class="wide" data-count="{len(boards)}"><h2>Dashboards</h2>'
                    + (f"<ul>{items}</ul>" if boards else '<p class="note">No dashboards yet.</p>') + "</section>")
            return HTMLResponse(page("graph_sitter dashboards", "read-only views of analytics_db", body))
        return read(work)

    def show(request: Request) -> HTMLResponse:
        dashboard_id: uuid.UUID = request.path_params["dashboard_id"]

        def work(q: DashboardQueries) -> HTMLResponse:
            board = q.dashboard(dashboard_id)
            if board is None:
                return _error(404, f"no dashboard {dashboard_id}")
            return HTMLResponse(render_dashboard(q, board))
        return read(work)

    return [Mount(MOUNT, routes=[Route("/", index, name="dashboards"),
                                 Route("/{dashboard_id:uuid}", show, name="dashboard")])]


def _error(status: int, message: str) -> HTMLResponse:
    return HTMLResponse(page("graph_sitter dashboard", message, f'<section class="wide"><p>{_e(message)}</p></section>'),
                        status_code=status)
