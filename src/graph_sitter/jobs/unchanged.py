"""Whether a repository is exactly as its last completed run left it, so that a job can leave it alone.

Most repositories of a nightly list do not change every night. Re-running analyze() on one that did not
change records a run that says nothing new, and costs the plugins' writes to six databases. A repository is
unchanged when its newest run completed, with the same options and graph_sitter version, from the same root, and
walking it now finds the same files with the same sizes and mtimes (the test analyze() itself uses to decide
what to re-parse). Anything else — a new, changed, deleted or newly skipped file, other options, an upgrade, a
failed or interrupted last run, `full` — means the job analyses it.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from graph_sitter.config import Settings


def unchanged_run(settings: Settings, request: Any, root: Path) -> uuid.UUID | None:
    """The id of the codebase's last run when nothing it analysed has changed since; else None."""
    from graph_sitter import __version__
    from graph_sitter.adapters.codebase_db_adapter import CodebaseStore
    from graph_sitter.adapters.codebase_db_jobs import JobQueries
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.codebase.pipeline import _changed
    from graph_sitter.codebase.walker import WalkOptions, walk_repository

    if request.full:
        return None
    root = root.resolve()
    with Cluster(settings).connect("codebase_db", "readonly", application_name="gsdb-job") as conn:
        store = CodebaseStore(conn)
        codebase = store.find_codebase(request.name or str(root))
        if codebase is None or codebase.root_path != str(root):
            return None
        last = JobQueries(conn).last_run(codebase.id)
        if last is None or last.status != "completed" or last.tool_version != __version__:
            return None
        config = last.config
        if (list(config.get("include", [])) != list(request.include) or
                list(config.get("exclude", [])) != list(request.exclude) or
                config.get("max_file_size") != request.max_file_size or
                bool(config.get("library", False)) != request.library):
            return None
        previous = store.file_states(codebase.id)
    walked = walk_repository(str(root), WalkOptions(include=request.include, exclude=request.exclude,
                                                    max_file_size=request.max_file_size))
    # the pipeline's own test of "unchanged", so that both agree on what needs parsing
    todo, _ = _changed(walked, previous, full=False)
    skipped_now = {s.path: s.reason for s in walked.skipped}
    current = {f.path for f in walked.files} | set(skipped_now)
    if todo or set(previous) != current:
        return None
    if any(previous[path].skipped_reason != reason for path, reason in skipped_now.items()):
        return None
    return last.id
