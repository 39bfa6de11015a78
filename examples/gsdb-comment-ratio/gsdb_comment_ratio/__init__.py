"""A graph_sitter plugin in a dozen lines: one extra metric per run, and a line in a log when a run ends."""

import os

from graph_sitter.plugins import hookimpl


@hookimpl
def extra_metrics(run, codebase):
    """The share of comment lines: stored with the run like the built-in metrics."""
    m = codebase.metrics
    return {"comment_ratio": round(m["comment_lines"] / m["total_lines"], 4) if m.get("total_lines") else 0.0}


@hookimpl
def analysis_finished(run, result):
    """Append one line per finished run to $COMMENT_RATIO_LOG, when set."""
    if os.environ.get("COMMENT_RATIO_LOG"):
        with open(os.environ["COMMENT_RATIO_LOG"], "a") as log:
            log.write(f"{run.codebase_name} {run.id} {result.metrics['comment_ratio']}\n")
