"""Codebase-level metrics and findings of a run: totals, complexity distribution, hotspots, cycles, dead code.

Computed from codebase_db inside the run's own transaction, so an incremental run measures the whole codebase
as it will be once committed, not only the files it re-parsed.
"""

from __future__ import annotations

from typing import Any, Mapping

#: McCabe's threshold: above it a function is hard to test and a hotspot candidate.
HOTSPOT_COMPLEXITY = 10
#: Upper bounds of the complexity distribution's buckets (the last bucket is open).
COMPLEXITY_BUCKETS = (1, 5, 10, 20, 50)


def codebase_metrics(queries: Any, totals: Mapping[str, Any], hotspot_limit: int = 20,
                     known_cycles: list[list[str]] | None = None, library: bool = False) -> dict[str, Any]:
    """Numeric metrics plus the findings (hotspots, import cycles) later runs are compared with.

    `known_cycles`, when given, are the previous run's cycles, still valid because no import between
    modules that could lie on a cycle changed. `library`: public names are used from outside, not dead code.
    """
    stats = queries.complexity_stats(COMPLEXITY_BUCKETS, HOTSPOT_COMPLEXITY)
    hotspots = queries.hotspots(limit=hotspot_limit, min_complexity=HOTSPOT_COMPLEXITY)
    cycles = known_cycles if known_cycles is not None else queries.import_cycles()
    dead = queries.dead_code_count(include_public_api=not library)
    elements = totals["elements"]
    calls = totals["calls"]
    call_total = calls["resolved"] + calls["unresolved"]
    metrics = {
        "files": totals["files"],
        "skipped_files": totals["skipped_files"],
        "total_lines": totals["total_lines"],
        "code_lines": totals["code_lines"],
        "comment_lines": totals["comment_lines"],
        "blank_lines": totals["blank_lines"],
        "parse_errors": totals["parse_errors"],
        "functions": elements.get("function", 0),
        "methods": elements.get("method", 0),
        "classes": sum(elements.get(k, 0) for k in ("class", "interface", "struct", "enum", "trait")),
        "elements": sum(elements.values()),
        "relationships": sum(totals["relationships"].values()),
        "resolved_call_ratio": round(calls["resolved"] / call_total, 4) if call_total else None,
        "maintainability_index": totals["maintainability_index"],
        "mean_cyclomatic_complexity": stats["mean"],
        "max_cyclomatic_complexity": stats["max"],
        "p90_cyclomatic_complexity": stats["p90"],
        "mean_nloc": stats["mean_nloc"],
        "hotspot_count": stats["hotspots"],
        "import_cycle_count": len(cycles),
        "dead_code_count": dead,
    }
    return {
        "metrics": metrics,
        "complexity_distribution": stats["distribution"],
        "hotspots": [{"qualified_name": h.qualified_name, "file": h.file_path, "line": h.start_line,
                      "cyclomatic_complexity": h.cyclomatic_complexity, "nloc": h.nloc} for h in hotspots],
        "import_cycles": cycles,
        "library": library,
    }
