"""Built-in plugin: actionable findings become deduplicated tasks in task_db, with the run's resource usage.

Findings that become tasks (task_type `maintenance`, status `pending`, tags `graph_sitter` and the finding type):

- a complexity hotspot (a function or method with cyclomatic complexity >= 10, from `findings["hotspots"]`):
  "Reduce complexity of <qualified name>", priority by complexity: >= 50 `critical`, 30-49 `high`, 20-29
  `normal`, 10-19 `low` (`urgent` is left to people: it says when, not how bad);
- an import cycle between modules (`findings["import_cycles"]`): "Break import cycle a -> b -> a", priority
  `high` when four or more modules take part, else `normal`.

Each task carries `metadata.codebase_id` and a stable `metadata.finding_key` (`hotspot:<qualified name>`, or
`import_cycle:<sorted modules>` so that another rotation of the same cycle is the same finding). A finding with a
live task updates that task instead of adding one; a finding that disappeared completes its task with a note. The
pipeline keeps only the top hotspots, so a hotspot missing from a full list is fixed, while one missing from a
truncated list is checked against codebase_db before its task is closed.

Resource usage of the run goes to resource_usage (subject `analysis_run`): wall time, CPU user and system time of
this process and its finished worker processes since `analysis_started` (and the CPU percentage over that
interval), peak RSS (ru_maxrss: the largest of the process and of its workers, over their lifetime), and the wall
time of each phase. All in one transaction.
"""

from __future__ import annotations

import os
import resource
import socket
import time
from typing import TYPE_CHECKING, Any, Callable, Mapping

from graph_sitter.plugins import hookimpl

if TYPE_CHECKING:
    from graph_sitter.adapters.task_db import Finding, RunUsage
    from graph_sitter.config import Settings

#: Hotspot complexity thresholds, highest first, and the task priority each one earns.
PRIORITY_BY_COMPLEXITY = ((50, "critical"), (30, "high"), (20, "normal"), (10, "low"))
#: Modules on an import cycle from which breaking it is `high` priority.
LARGE_CYCLE = 4
#: The pipeline reports at most this many import cycles (CodebaseQueries.import_cycles' default limit).
CYCLE_REPORT_LIMIT = 100

# CPU counters at analysis_started, per run id: the process may run several analyses (tests, a server).
_started: dict[Any, tuple[float, float, float]] = {}


def _cpu_times() -> tuple[float, float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + workers.ru_utime, own.ru_stime + workers.ru_stime, time.monotonic()


def hotspot_priority(complexity: int) -> str:
    """The task priority of a hotspot with this cyclomatic complexity."""
    for threshold, priority in PRIORITY_BY_COMPLEXITY:
        if complexity >= threshold:
            return priority
    return "low"


def findings_of(findings: Mapping[str, Any]) -> list[Finding]:
    """The actionable findings of one run's `findings` dict, as task_db Findings."""
    from graph_sitter.adapters.task_db import Finding

    out = []
    for h in findings.get("hotspots", []):
        cc = int(h.get("cyclomatic_complexity") or 0)
        name = h["qualified_name"]
        out.append(Finding(
            key=f"hotspot:{name}", kind="hotspot", name=f"Reduce complexity of {name}",
            description=(f"{name} ({h.get('file')}:{h.get('line')}) has cyclomatic complexity {cc}"
                         f" (threshold 10) over {h.get('nloc')} lines of code; split it or simplify its branching."),
            priority=hotspot_priority(cc), task_type="maintenance",
            data={"qualified_name": name, "file": h.get("file"), "line": h.get("line"),
                  "cyclomatic_complexity": cc, "nloc": h.get("nloc")},
        ))
    for cycle in findings.get("import_cycles", []):
        modules = [str(m) for m in cycle]
        if len(modules) < 2:
            continue
        path = " -> ".join(modules + modules[:1])
        out.append(Finding(
            key="import_cycle:" + ",".join(sorted(set(modules))), kind="import_cycle",
            name=f"Break import cycle {path}",
            description=f"{len(modules)} modules import each other in a cycle: {path}.",
            priority="high" if len(modules) >= LARGE_CYCLE else "normal", task_type="maintenance",
            data={"modules": modules},
        ))
    return out


def _gone_check(result: Any, settings: Settings) -> Callable[[str, Mapping[str, Any]], bool]:
    """A function telling whether an absent finding is really fixed (rather than cut off a truncated list)."""
    findings = result.findings
    hotspots = findings.get("hotspots", [])
    complete_hotspots = len(hotspots) >= int(findings.get("metrics", {}).get("hotspot_count") or 0)
    complete_cycles = len(findings.get("import_cycles", [])) < CYCLE_REPORT_LIMIT

    def is_gone(key: str, data: Mapping[str, Any]) -> bool:
        if key.startswith("import_cycle:"):
            return complete_cycles
        if not key.startswith("hotspot:") or complete_hotspots:
            return True
        return not _still_complex(settings, result.codebase_id,
                                  str(data.get("qualified_name") or key.removeprefix("hotspot:")))

    return is_gone


def _still_complex(settings: Settings, codebase_id: Any, qualified_name: str) -> bool:
    from graph_sitter.adapters.codebase_db_queries import CodebaseQueries
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.codebase.insights import HOTSPOT_COMPLEXITY

    with Cluster(settings).connect("codebase_db", "readonly") as conn:
        elements = CodebaseQueries(conn, codebase_id).find_elements(qualified_name)
    return any(e.qualified_name == qualified_name and e.kind in ("function", "method")
               and (e.cyclomatic_complexity or 0) >= HOTSPOT_COMPLEXITY for e in elements)


def run_usage(run: Any, result: Any) -> RunUsage:
    """The run's resource usage (CPU since analysis_started, or since the process began if that hook was missed)."""
    from graph_sitter.adapters.task_db import RunUsage

    user, system, now = _cpu_times()
    user0, system0, since = _started.pop(run.id, (0.0, 0.0, None))
    cpu = max(0.0, user - user0) + max(0.0, system - system0)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    seconds = dict(result.seconds)
    return RunUsage(
        wall_seconds=float(seconds.pop("total", sum(seconds.values()))),
        cpu_user_seconds=max(0.0, user - user0), cpu_system_seconds=max(0.0, system - system0),
        peak_rss_bytes=max(own, workers) * 1024,  # Linux reports KiB
        # over the interval the CPU was measured on; may pass 100 with several worker processes
        cpu_usage_percent=round(100 * cpu / (now - since), 2) if since is not None and now > since else None,
        cpu_count=os.cpu_count(), hostname=socket.gethostname(), pid=os.getpid(), phases=seconds,
        metadata={"run_type": run.run_type, "files_analyzed": result.files.get("analyzed", 0)},
    )


@hookimpl
def analysis_started(run: Any) -> None:
    """Remember the CPU counters at the start of the run."""
    _started[run.id] = _cpu_times()


@hookimpl
def analysis_finished(run: Any, result: Any) -> None:
    """Turn the run's findings into tasks, close the fixed ones, and record the run's resource usage."""
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.adapters.task_db import TaskStore
    from graph_sitter.config import load_settings

    settings = result.settings or load_settings()
    usage = run_usage(run, result)
    with Cluster(settings).connect("task_db") as conn:
        TaskStore(conn).record_analysis(
            organization=settings.organization, codebase_id=run.codebase_id, codebase_name=run.codebase_name,
            run_id=run.id, started_at=run.started_at, findings=findings_of(result.findings),
            is_gone=_gone_check(result, settings), usage=usage,
        )
