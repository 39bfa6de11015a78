"""`gsdb report CODEBASE --html FILE`: one self-contained HTML page about one codebase — its metrics across runs,
complexity distribution, hotspots, import-cycle graph and languages — read from codebase_db as the read-only role.
"""

from __future__ import annotations

import html
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from graph_sitter.config import Settings
from graph_sitter.report.charts import Series, bar_chart, graph_chart, line_chart, share_chart
from graph_sitter.report.page import page

#: The metrics drawn across runs, with their titles.
TREND_METRICS = (
    ("mean_cyclomatic_complexity", "Mean cyclomatic complexity"),
    ("maintainability_index", "Maintainability index"),
    ("hotspot_count", "Complexity hotspots (cc ≥ 10)"),
    ("dead_code_count", "Dead-code candidates"),
    ("import_cycle_count", "Import cycles"),
    ("total_lines", "Lines"),
)


@dataclass
class ReportData:
    """Everything the report shows, read in one go."""

    codebase: dict[str, Any]
    runs: list[Any]
    hotspots: list[Any]
    cycles: list[list[str]]
    cycle_edges: list[tuple[str, str]]
    languages: list[Any]
    distribution: dict[str, int] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=datetime.now)


def load_report_data(settings: Settings, ref: str, max_runs: int = 200) -> ReportData:
    """Read the report's data about the codebase named (or analysed at) `ref`."""
    from graph_sitter.adapters.codebase_db_adapter import CodebaseStore
    from graph_sitter.adapters.codebase_db_queries import CodebaseQueries
    from graph_sitter.adapters.codebase_db_report import ReportQueries
    from graph_sitter.adapters.setup import ensure_ready

    with ensure_ready(settings).connect("codebase_db", "readonly") as conn:
        conn.read_only = True
        codebase = CodebaseStore(conn).get_codebase(ref)
        report = ReportQueries(conn, codebase.id)
        queries = CodebaseQueries(conn, codebase.id)
        runs = report.completed_runs(max_runs)
        latest = runs[-1].findings if runs else {}
        cycles = [list(c) for c in latest.get("import_cycles") or []]
        in_cycles = {m for c in cycles for m in c}
        edges = [(a, b) for a, b in queries.module_imports() if a in in_cycles and b in in_cycles] if cycles else []
        # components of the import graph: a drawn group holds every module of one strongly connected part
        groups = _components(cycles, edges)
        return ReportData(codebase=report.codebase_facts(), runs=runs, hotspots=queries.hotspots(limit=25),
                          cycles=groups, cycle_edges=edges, languages=report.languages(),
                          distribution=in_bucket_order(latest.get("complexity_distribution") or {}))


def in_bucket_order(buckets: dict[str, Any]) -> dict[str, int]:
    """Complexity buckets ("1", "2-5", …, ">50") by their lower bound (jsonb keeps keys in its own order)."""
    def lower(label: str) -> float:
        digits = label.lstrip(">").split("-")[0]
        return float(digits) + (0.5 if label.startswith(">") else 0) if digits.isdigit() else float("inf")
    return {k: int(v) for k, v in sorted(buckets.items(), key=lambda kv: lower(kv[0]))}


def _components(cycles: list[list[str]], edges: list[tuple[str, str]]) -> list[list[str]]:
    if not cycles:
        return []
    import networkx as nx

    graph = nx.DiGraph(edges)
    graph.add_nodes_from(m for c in cycles for m in c)
    parts = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    return sorted(parts, key=lambda c: (-len(c), c))


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def render_report(data: ReportData) -> str:
    """The report as one HTML document (inline CSS and SVG; it loads nothing)."""
    facts = data.codebase
    runs = data.runs
    charts = []
    labels = [f"{r.started_at:%Y-%m-%d %H:%M} · {r.run_type}" for r in runs]
    span = (f"{runs[0].started_at:%Y-%m-%d}", f"{runs[-1].started_at:%Y-%m-%d}") if runs else ("", "")
    for metric, title in TREND_METRICS:
        points = [(float(i), float(r.metrics[metric])) for i, r in enumerate(runs)
                  if isinstance(r.metrics.get(metric), (int, float))]
        point_labels = [labels[i] for i, r in enumerate(runs) if isinstance(r.metrics.get(metric), (int, float))]
        charts.append(line_chart(f"trend-{metric}", title, [Series(title, points, point_labels)], span))
    body = [_facts(facts, runs)]
    body.append(f'<section class="wide"><h2>Metric trends across {len(runs)} run{"s" * (len(runs) != 1)}</h2>'
                f'<div class="grid-charts" style="display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));'
                f'gap:12px">{"".join(charts)}</div></section>')
    body.append(bar_chart("complexity-distribution", "Complexity distribution (functions and methods per cyclomatic"
                          " complexity)", [(k, float(v)) for k, v in data.distribution.items()]))
    body.append(share_chart("languages", "Languages (lines of code)",
                            [(lang.language, float(lang.code_lines)) for lang in data.languages], "lines"))
    body.append(_hotspots(data.hotspots))
    graph = graph_chart("import-cycles", f"Import cycles ({len(data.cycles)} group"
                        f"{'s' * (len(data.cycles) != 1)} of modules that import each other)", data.cycles,
                        data.cycle_edges)
    body.append(graph.replace('<figure class="chart"', '<figure class="chart wide"', 1))
    body.append(_runs_table(runs))
    subtitle = f"{facts.get('root_path') or ''} · report generated {data.generated_at:%Y-%m-%d %H:%M}"
    return page(f"{facts.get('name', 'codebase')}: code report", subtitle, "".join(body))


def _facts(facts: dict[str, Any], runs: list[Any]) -> str:
    latest = runs[-1].metrics if runs else {}
    rows = [("files", facts.get("total_files")), ("lines", facts.get("total_lines")),
            ("functions and methods", facts.get("total_functions")), ("classes", facts.get("total_classes")),
            ("mean complexity", latest.get("mean_cyclomatic_complexity")),
            ("maintainability", latest.get("maintainability_index")),
            ("branch", facts.get("branch")), ("commit", (facts.get("commit_hash") or "")[:12]),
            ("last analysed", f"{facts['last_analyzed_at']:%Y-%m-%d %H:%M}" if facts.get("last_analyzed_at") else "")]
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e('' if v is None else v)}</dd>" for k, v in rows)
    return f'<section><h2>Now</h2><dl class="facts">{items}</dl></section>'


def _hotspots(hotspots: list[Any]) -> str:
    if not hotspots:
        return '<section><h2>Hotspots</h2><p class="note">No function reaches cyclomatic complexity 10.</p></section>'
    rows = "".join(f"<tr><td><code>{_e(h.qualified_name)}</code></td><td>{_e(h.kind)}</td>"
                   f"<td><code>{_e(h.file_path)}:{_e(h.start_line)}</code></td>"
                   f'<td class="num">{_e(h.cyclomatic_complexity)}</td><td class="num">{_e(h.nloc)}</td></tr>'
                   for h in hotspots)
    return (f'<section class="wide" id="hotspots" data-count="{len(hotspots)}"><h2>Hotspots (the {len(hotspots)}'
            ' most complex functions)</h2><table><thead><tr><th>function</th><th>kind</th><th>where</th>'
            f'<th class="num">complexity</th><th class="num">NLOC</th></tr></thead><tbody>{rows}</tbody></table>'
            '</section>')


def _runs_table(runs: list[Any]) -> str:
    rows = "".join(f"<tr><td>{r.started_at:%Y-%m-%d %H:%M}</td><td>{_e(r.run_type)}</td>"
                   f'<td class="num">{_e(r.files_analyzed)}</td>'
                   f'<td class="num">{(r.duration_ms or 0) / 1000:.1f}</td><td><code>{_e((r.commit_hash or "")[:10])}'
                   f"</code></td></tr>" for r in reversed(runs[-30:]))
    return ('<section class="wide"><h2>Runs (latest first)</h2><table><thead><tr><th>started</th><th>kind</th>'
            f'<th class="num">files parsed</th><th class="num">seconds</th><th>commit</th></tr></thead><tbody>{rows}'
            "</tbody></table></section>")


def write_report(settings: Settings, ref: str, output: str | os.PathLike[str]) -> Path:
    """Write the report of codebase `ref` to `output` (atomically: a reader never sees half a file)."""
    target = Path(output).expanduser()
    if target.is_dir():
        raise IsADirectoryError(f"{target} is a directory; give a file name")
    document = render_report(load_report_data(settings, ref))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".report-", suffix=".html", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(document)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp's 0600 would hide the report from the people it is for
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
