"""Hook specifications: what a graph_sitter plugin can implement. One line of doc each, as datasette does."""

from __future__ import annotations

from typing import Any

from pluggy import HookspecMarker

hookspec = HookspecMarker("graph_sitter")


@hookspec
def analysis_started(run: Any) -> None:
    """An analysis run has begun: `run` has id, codebase_id, codebase name, root path and started_at."""


@hookspec
def files_analyzed(run: Any, files: list[Any]) -> None:
    """A batch of files was parsed and extracted (a list of FileResult); called several times per run."""


@hookspec
def analysis_finished(run: Any, result: Any) -> None:
    """A run was stored: `result` is the AnalysisResult (summary, metrics, timings, the in-memory Codebase)."""


@hookspec
def analysis_failed(run: Any, error: BaseException) -> None:
    """A run failed; nothing of it was stored and the previous results stay visible."""


@hookspec
def extra_metrics(run: Any, codebase: Any) -> dict[str, float] | None:
    """Return extra named metrics to store with the run (name -> number)."""


@hookspec
def register_languages() -> list[Any] | None:
    """Return LanguageSupport objects for languages the plugin adds."""


@hookspec
def plugin_failed(run: Any, plugin: str, hook: str, error: BaseException) -> None:
    """Another plugin raised in `hook` during `run`; its failure is recorded, the run's data is safe."""


@hookspec
def event_received(event: Any) -> None:
    """A verified, newly stored event arrived (webhooks, imports, or graph_sitter's own events)."""
