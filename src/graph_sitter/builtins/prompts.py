"""Built-in plugin: each analysed codebase becomes a `code` context source in prompts_db, ready for prompts."""

from __future__ import annotations

from typing import Any

from graph_sitter.plugins import hookimpl


@hookimpl
def analysis_finished(run: Any, result: Any) -> None:
    """Register (or refresh) the codebase as the context source `codebase:<name>` with its latest run."""
    from graph_sitter.adapters.prompts_db import PromptStore
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.adapters.setup import organization_id
    from graph_sitter.config import load_settings

    settings = result.settings or load_settings()
    with Cluster(settings).connect("prompts_db", autocommit=True) as conn:
        PromptStore(conn, organization_id(settings.organization)).register_context_source(
            f"codebase:{run.codebase_name}", "code",
            description=f"symbols, callers, callees and metrics of {run.codebase_name} from codebase_db",
            source_config={"provider": "codebase", "codebase": run.codebase_name, "codebase_id": str(run.codebase_id),
                           "root_path": run.root_path, "last_run_id": str(run.id)},
        )
