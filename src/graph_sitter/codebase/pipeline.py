"""`gsdb analyze PATH` as one straight line: walk, diff, extract, resolve, store, measure, tell the plugins.

Incremental by default: files whose size and mtime (or, failing that, content hash) match the last run are not
re-parsed; their stored summaries stand in for them during resolution, and only the edges of changed files and
of the files that depend on them are rewritten. `full=True` re-parses everything. The result equals a full run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from graph_sitter.adapters.codebase_db_adapter import (
    EdgeText,
    call_references,
    element_id_strings,
    new_id_prefix,
    prepare_file,
    relationship_row_lines,
)
from graph_sitter.codebase.collector import collector_paused
from graph_sitter.codebase.extract import DEFAULT_MAX_FILE_SIZE, ExtractOptions, extract_file
from graph_sitter.codebase.model import FileResult
from graph_sitter.codebase.walker import WalkOptions, WalkResult, walk_repository
from graph_sitter.config import Settings, load_settings
from graph_sitter.errors import GraphSitterError
from graph_sitter.vcs import git

Progress = Callable[[int, int], None]


class AnalysisError(GraphSitterError):
    """The analysis could not run (missing path, lock not available, ...)."""


@dataclass(frozen=True)
class AnalyzeOptions:
    """How to analyse: naming, incremental or full, parallelism, which files."""

    name: str | None = None
    full: bool = False
    jobs: int | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    # A library: its public API is used from outside, so public names are never dead-code candidates.
    library: bool = False
    wait_for_lock: bool = True
    progress: Progress | None = field(default=None, compare=False)


@dataclass
class AnalysisResult:
    """What a run did and what the codebase looks like after it; `as_json()` is the `--json` summary."""

    run_id: Any
    codebase_id: Any
    codebase: str
    root: str
    run_type: str
    files: dict[str, int] = field(default_factory=dict)
    elements: dict[str, int] = field(default_factory=dict)
    relationships: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    skipped: list[dict[str, str]] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    findings: dict[str, Any] = field(default_factory=dict, repr=False)
    previous_findings: dict[str, Any] = field(default_factory=dict, repr=False)
    plugin_failures: list[dict[str, str]] = field(default_factory=list)
    results: dict[str, FileResult] = field(default_factory=dict, repr=False)
    settings: Settings | None = field(default=None, repr=False)
    # Bytes of source per language and the file count, when the run walked with the default options.
    source_bytes: tuple[dict[str, int], int] | None = field(default=None, repr=False)

    def as_json(self) -> dict[str, Any]:
        """The one JSON object `gsdb analyze --json` prints."""
        return {
            "run_id": str(self.run_id), "codebase_id": str(self.codebase_id), "codebase": self.codebase,
            "root": self.root, "run_type": self.run_type, "files": self.files, "elements": self.elements,
            "relationships": self.relationships, "calls": self.calls, "skipped": self.skipped,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()}, "metrics": self.metrics,
            "plugin_failures": self.plugin_failures,
        }


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._start = time.perf_counter()
        self._last = self._start

    def lap(self, phase: str) -> None:
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._last
        self._last = now

    def total(self) -> None:
        self.seconds["total"] = time.perf_counter() - self._start


def _extract_one(task: tuple[str, str, ExtractOptions]) -> FileResult:
    return extract_file(*task)


def _extract_and_prepare(task: tuple[str, str, ExtractOptions, str, str | None]) -> tuple[FileResult, Any]:
    root, path, options, codebase_id, run_id = task
    return prepare_file(codebase_id, run_id, extract_file(root, path, options))


def _uses_workers(jobs: int, tasks: int) -> bool:
    """Whether _in_workers hands `tasks` tasks to worker processes (else it runs them in this process)."""
    return jobs > 1 and tasks >= 8


def _in_workers(function: Callable[[Any], Any], tasks: list[Any], jobs: int,
                progress: Progress | None) -> Iterator[Any]:
    if not _uses_workers(jobs, len(tasks)):
        for i, task in enumerate(tasks, 1):
            yield function(task)
            if progress:
                progress(i, len(tasks))
        return
    # fork: workers inherit the loaded grammars (and plugin languages) and start in milliseconds; they touch
    # no connection of the parent.
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    chunk = max(1, min(32, len(tasks) // (jobs * 8)))
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        for i, result in enumerate(pool.map(function, tasks, chunksize=chunk), 1):
            yield result
            if progress:
                progress(i, len(tasks))


def extract_files(root: Path, paths: list[str], options: ExtractOptions, jobs: int,
                  progress: Progress | None = None) -> Iterator[FileResult]:
    """Extract files on `jobs` worker processes (in this process when jobs == 1), yielding as they finish."""
    yield from _in_workers(_extract_one, [(str(root), p, options) for p in paths], jobs, progress)


def _extract_files_for_store(root: Path, paths: list[str], options: ExtractOptions, jobs: int, codebase_id: str,
                             run_id: str | None, progress: Progress | None) -> Iterator[tuple[FileResult, Any]]:
    """Like extract_files, but the workers also make the store's rows: COPY lines (for staging tables when
    `run_id` is None), file values, summaries."""
    tasks = [(str(root), p, options, codebase_id, run_id) for p in paths]
    yield from _in_workers(_extract_and_prepare, tasks, jobs, progress)


def _listening(hook: str) -> bool:
    """Whether any plugin implements `hook`."""
    from graph_sitter.plugins import plugin_manager

    return bool(getattr(plugin_manager().hook, hook).get_hookimpls())


def _take(r: FileResult, rows: Any, prepared: dict[str, Any], previous: dict[str, Any], forced: set[str], full: bool,
          touched: dict[str, int], fresh: dict[str, FileResult], mtimes: dict[str, int], batch: list[FileResult],
          run: Any, call_safely: Any, listened: bool) -> None:
    """Sort one extracted file into fresh (to store) or touched (same bytes, new mtime), and batch the hook."""
    prepared[r.path] = rows
    state = previous.get(r.path)
    if not full and r.path not in forced and state is not None and r.content_hash is not None \
            and state.content_hash == r.content_hash and state.skipped_reason is None and r.skipped_reason is None:
        touched[r.path] = mtimes[r.path]  # same bytes, new mtime: nothing to rewrite
    else:
        fresh[r.path] = r
    if listened and rows.calls:  # only when a plugin listens: the calls cost the main process
        r = dataclasses.replace(r, references=r.references + call_references(rows.calls))
    batch.append(r)
    if len(batch) >= 256:
        call_safely("files_analyzed", run=run, files=list(batch))
        batch.clear()


def _changed(walked: WalkResult, previous: dict[str, Any], full: bool) -> tuple[list[str], dict[str, int]]:
    """Files to re-extract, and files whose content is known unchanged (path -> mtime_ns)."""
    todo: list[str] = []
    unchanged: dict[str, int] = {}
    for entry in walked.files:
        state = previous.get(entry.path)
        if (not full and state is not None and state.skipped_reason is None
                and (state.size_bytes or 0) == entry.size_bytes and state.mtime_ns == entry.mtime_ns):
            unchanged[entry.path] = entry.mtime_ns
        else:
            todo.append(entry.path)
    return todo, unchanged


MANIFESTS = ("go.mod", "Cargo.toml")


def _manifests(root: Path, walked: WalkResult) -> dict[str, str]:
    """go.mod and Cargo.toml files beside the sources (module paths and crate names the resolver needs)."""
    folders = {""}
    for entry in walked.files:
        parts = entry.path.split("/")[:-1]
        for depth in range(len(parts) + 1):
            folders.add("/".join(parts[:depth]))
    found: dict[str, str] = {}
    for folder in folders:
        for name in MANIFESTS:
            rel = f"{folder}/{name}" if folder else name
            try:
                found[rel] = (root / rel).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
    return found


#: What forked resolver workers share with the parent: the resolver, the files, the codebase and run ids, the
#: element ids known, the calls kept apart and the prefix of the run's relationship ids.
_RESOLVING: tuple[Any, ...] | None = None


def _resolve_batch(batch: tuple[int, list[str]]) -> EdgeText:
    """In a forked worker: resolve the edges of the files of a numbered batch and format them as COPY lines."""
    assert _RESOLVING is not None
    resolver, files, codebase_id, run_id, cache, calls, id_prefix = _RESOLVING
    number, paths = batch
    for path in paths:  # this worker's own copy of the files: give the sites their calls back
        if path in calls:
            files[path].references = files[path].references + call_references(calls[path])

    def ids_of(path: str) -> list[str]:
        ids = cache.get(path)
        if ids is None:
            ids = cache[path] = element_id_strings(codebase_id, files[path])
        return ids

    # The edges stay rows (no Edge objects) from the resolver to the COPY text. They are acyclic and gone
    # when the text is made: with the cyclic collector off until then, it never scans them (else its next
    # pass, at the formatting's first allocation, would walk every row of the batch).
    with collector_paused():
        return relationship_row_lines(codebase_id, run_id, resolver.resolve_rows(paths), ids_of, (id_prefix, number))


class _EdgeChunks:
    """The relationship COPY text of some sites, made by forked workers that start at once.

    The workers resolve while the main process and the database do the rest of the store (file rows, the
    elements' indexes); the chunks come back in order. `close()` ends the workers, used or not.
    """

    def __init__(self, batches: list[tuple[int, list[str]]], jobs: int) -> None:
        self._pool: ProcessPoolExecutor | None = None
        if jobs <= 1 or len(batches) < 4 or "fork" not in multiprocessing.get_all_start_methods():
            self._results: Iterator[EdgeText] = map(_resolve_batch, batches)
            return
        self._pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))
        self._results = self._pool.map(_resolve_batch, batches)  # forks and submits everything now

    def __iter__(self) -> Iterator[EdgeText]:
        try:
            yield from self._results
        finally:
            self.close()

    def close(self) -> None:
        global _RESOLVING
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        _RESOLVING = None


def _resolve_in_workers(resolver: Any, files: dict[str, FileResult], sites: list[str], codebase_id: Any,
                        run_id: str | None, jobs: int, calls: dict[str, bytes], known_ids: dict[str, list[str]],
                        batch: int = 96) -> _EdgeChunks:
    """Resolve and format the edges of `sites` on forked workers that share the resolver (as lines for a
    staging table when `run_id` is None).

    Resolution is pure Python over in-memory indexes, so it parallelises like parsing; the database loads one
    chunk while the workers make the next.
    """
    global _RESOLVING
    _RESOLVING = (resolver, files, codebase_id, run_id, dict(known_ids), calls, new_id_prefix())
    return _EdgeChunks(list(enumerate(sites[i:i + batch] for i in range(0, len(sites), batch))), jobs)


def _register_plugin_languages() -> None:
    """Languages that plugins add, registered before the workers fork so that they inherit them."""
    from graph_sitter.codebase.languages import get_language, register_language
    from graph_sitter.plugins import call_safely

    supports, _ = call_safely("register_languages")
    for batch in supports:
        for support in batch or ():
            if get_language(support.name) is None:
                register_language(support)


def _import_rows(result: FileResult | None) -> set[tuple[Any, ...]]:
    if result is None:
        return set()
    return {(r.module, r.imported_name, r.level) for r in result.references if r.kind == "import"}


def _imports_may_close_cycles(resolver: Any, changed: list[str], deleted: list[str],
                              old: dict[str, FileResult], fresh: dict[str, FileResult]) -> bool:
    """Whether this change can add or remove an import cycle.

    A cycle through a file needs an import into it and one out of it; a file whose imports did not change,
    or that nothing imports, keeps every cycle as it was.
    """
    moved = [p for p in changed if _import_rows(old.get(p)) != _import_rows(fresh.get(p))] + deleted
    return any(resolver.dependents([p]) - {p} for p in moved) or bool(deleted)


def analyze(path: str | os.PathLike[str], options: AnalyzeOptions | None = None,
            settings: Settings | None = None) -> AnalysisResult:
    """Analyse the repository at `path` into codebase_db (and, through the plugins, the other databases)."""
    from graph_sitter.adapters.codebase_db_adapter import CodebaseStore
    from graph_sitter.adapters.setup import ensure_ready, organization_id
    from graph_sitter.plugins import call_safely

    options = options or AnalyzeOptions()
    root = Path(path).expanduser()
    if not root.exists():
        raise AnalysisError(f"{path}: no such file or directory")
    if not root.is_dir():
        raise AnalysisError(f"{path}: not a directory")
    root = root.resolve()
    settings = settings or load_settings()
    timer = _Timer()
    jobs = options.jobs or os.cpu_count() or 1

    cluster = ensure_ready(settings)
    org = organization_id(settings.organization)
    conn = cluster.connect("codebase_db")
    try:
        store = CodebaseStore(conn)
        codebase = store.ensure_codebase(root, options.name, org)
        if not store.lock(codebase.id, wait=options.wait_for_lock):
            raise AnalysisError(f"another analysis of {codebase.name} is running; skipped")
        try:
            store.fail_interrupted_runs(codebase.id)
            previous = store.file_states(codebase.id)
            run_type = "full" if options.full or not previous else "incremental"
            config = {"include": list(options.include), "exclude": list(options.exclude),
                      "max_file_size": options.max_file_size, "jobs": jobs, "library": options.library}
            run = store.start_run(codebase, run_type, config, org)
            call_safely("analysis_started", run=run)
            timer.lap("setup")
            # Hundreds of thousands of small acyclic objects arrive from the workers (and the forked workers
            # inherit the paused collector).
            with collector_paused():
                try:
                    result = _run(store, run, root, options, previous, jobs, timer, settings)
                except BaseException as exc:
                    store.fail_run(run, f"{type(exc).__name__}: {exc}")
                    call_safely("analysis_failed", run=run, error=exc)
                    raise
        finally:
            store.unlock(codebase.id)
    finally:
        conn.close()
    return result


def _run(store: Any, run: Any, root: Path, options: AnalyzeOptions, previous: dict[str, Any], jobs: int,
         timer: _Timer, settings: Settings) -> AnalysisResult:
    """Walk and diff, then parse, resolve and store in the run's transaction; the plugins hear of it after."""
    _register_plugin_languages()
    walked = walk_repository(str(root), WalkOptions(include=options.include, exclude=options.exclude,
                                                    max_file_size=options.max_file_size))
    timer.lap("walk")
    full = run.run_type == "full"
    todo, unchanged = _changed(walked, previous, full)
    current = {f.path for f in walked.files}
    skipped_now = {s.path: s for s in walked.skipped}
    deleted = sorted(p for p in previous if p not in current and p not in skipped_now)
    summaries: dict[str, FileResult] = {}
    forced: set[str] = set()
    if not full and (todo or deleted):
        # Unchanged files stand in for themselves through their stored summaries; one that cannot be read
        # (damaged, or written by another version) is simply parsed again.
        summaries = store.load_summaries(run.codebase_id, [p for p in current if p in previous])
        forced = {p for p in unchanged if p not in summaries}
        todo += sorted(forced)
        unchanged = {p: m for p, m in unchanged.items() if p in summaries}
    timer.lap("diff")
    # One transaction from here to the completed run: on a full run the elements stream into their staging table
    # while the workers parse, and nothing becomes visible before the commit.
    with store.transaction():
        result, raised = _parse_resolve_store(store, run, root, options, previous, jobs, timer, settings, walked,
                                              full, todo, unchanged, current, skipped_now, deleted, summaries, forced)
    _tell_plugins(run, result, raised, timer)
    return result


def _parse_resolve_store(store: Any, run: Any, root: Path, options: AnalyzeOptions, previous: dict[str, Any],
                         jobs: int, timer: _Timer, settings: Settings, walked: WalkResult, full: bool,
                         todo: list[str], unchanged: dict[str, int], current: set[str],
                         skipped_now: dict[str, Any], deleted: list[str], summaries: dict[str, FileResult],
                         forced: set[str]) -> tuple[AnalysisResult, list[tuple[str, str, BaseException]]]:
    from graph_sitter.adapters.codebase_db_adapter import StorePlan
    from graph_sitter.adapters.codebase_db_queries import CodebaseQueries
    from graph_sitter.codebase.insights import codebase_metrics
    from graph_sitter.codebase.resolve import Resolver, interface_key
    from graph_sitter.plugins import call_safely

    staging = store.create_staging(run.codebase_id, run.id) if full else None
    fresh: dict[str, FileResult] = {}
    touched: dict[str, int] = {}
    mtimes = {f.path: f.mtime_ns for f in walked.files}
    batch: list[FileResult] = []
    prepared: dict[str, Any] = {}
    # networkx (for the cycles at the end) takes a quarter of a second to import: a thread does it while the
    # workers parse. It starts once they are forked and is joined before the next fork: no lock crosses a fork.
    # Without workers this process is busy parsing: the import waits until cycles are actually needed.
    warm = threading.Thread(target=importlib.import_module, args=("networkx",), daemon=True)
    warming = _uses_workers(jobs, len(todo))
    listened = _listening("files_analyzed")
    with store.element_sink(staging["code_elements"]) if staging else contextlib.nullcontext() as sink:
        for r, rows in _extract_files_for_store(root, todo, ExtractOptions(max_file_size=options.max_file_size),
                                                jobs, str(run.codebase_id), None if full else str(run.id),
                                                options.progress):
            if warming and warm.ident is None:
                warm.start()
            if sink is not None:
                sink(rows.element_lines)
                rows = dataclasses.replace(rows, element_lines="")
            _take(r, rows, prepared, previous, forced, full, touched, fresh, mtimes, batch, run, call_safely, listened)
    if batch:
        call_safely("files_analyzed", run=run, files=batch)
    skipped_results = [FileResult(path=s.path, language=s.language, skipped_reason=s.reason) for s in walked.skipped]
    for s in skipped_results:
        old = previous.get(s.path)
        if full or old is None or old.skipped_reason != s.skipped_reason:
            fresh[s.path] = s
    timer.lap("parse")

    if warm.ident is not None:
        warm.join()
    # Parsed files arrived without their calls (see prepare_file); the resolver workers put them back.
    calls_apart = {p: rows.calls for p, rows in prepared.items() if p in fresh and rows.calls}
    known_ids = {p: rows.element_ids for p, rows in prepared.items() if p in fresh and rows.element_ids}
    changed = [p for p, r in fresh.items() if r.skipped_reason is None]
    analysed_paths = [p for p in current if p in fresh or p in touched or p in unchanged]
    plan = StorePlan(analysed=list(fresh.values()), deleted=deleted, touched=touched, mtimes=mtimes, files=dict(fresh),
                     replace_all=full, prepared={p: prepared[p] for p in fresh if p in prepared}, staging=staging)
    cycles_may_change = True
    manifests = _manifests(root, walked) if (changed or deleted) else {}
    if full:
        files = {p: r for p, r in plan.files.items() if r.skipped_reason is None}
        plan.edge_chunks = _resolve_in_workers(Resolver(files, manifests), files, sorted(files), run.codebase_id,
                                               None, jobs, calls_apart, known_ids)  # None: lines for staging
        plan.edge_sites = set(files)
    elif changed or deleted:
        files = {p: summaries[p] for p in analysed_paths if p not in fresh and p in summaries}
        files.update({p: fresh[p] for p in changed})
        resolver = Resolver(files, manifests)
        old = {p: summaries[p] for p in changed if p in summaries}
        # A changed file whose interface is unchanged cannot change other files' edges.
        spread = [p for p in changed if p not in old or interface_key(old[p]) != interface_key(fresh[p])] + deleted
        sites = (resolver.dependents(spread) | set(changed)) & set(files)
        # Unchanged sites need their calls back, which the interface summaries left out.
        with_calls = store.load_summaries(run.codebase_id, sorted(sites - set(changed)), with_calls=True)
        if len(with_calls) < len(sites - set(changed)):
            raise AnalysisError("stored summaries are incomplete; run `gsdb analyze --full`")
        if with_calls:
            files.update(with_calls)
            resolver = Resolver(files, manifests)
        plan.edge_chunks = _resolve_in_workers(resolver, files, sorted(sites), run.codebase_id, str(run.id), jobs,
                                               calls_apart, known_ids)
        plan.edge_sites = sites
        plan.files = files
        cycles_may_change = _imports_may_close_cycles(resolver, changed, deleted, old, fresh)
    else:
        files = {}
    timer.lap("resolve")

    summary = {
        "files_discovered": len(walked.files) + len(walked.skipped),
        "files_analyzed": len(changed),
        "commit": git(root, "rev-parse", "HEAD"),
        "branch": git(root, "rev-parse", "--abbrev-ref", "HEAD"),
        "seconds": timer.seconds,
        "changes": {"changed": len(changed), "deleted": len(deleted), "touched": len(touched)},
    }
    # (still inside the run's transaction)
    try:
        change = store.write_changes(run, plan)
    finally:
        if isinstance(plan.edge_chunks, _EdgeChunks):
            plan.edge_chunks.close()
    timer.lap("store")
    previous_findings = store.previous_findings(run.codebase_id, run.id)
    nothing_changed = not plan.analysed and not plan.deleted and previous_findings is not None
    # The codebase counts as the last completed run left it (every earlier write that did not complete was
    # rolled back with its run), plus what this run changed.
    base = (previous_findings or {}).get("totals")
    totals = base if nothing_changed and base is not None else store.codebase_totals(run.codebase_id, base, change)
    if not nothing_changed or "metrics" not in previous_findings \
            or previous_findings.get("library", False) != options.library:
        known = None if cycles_may_change or previous_findings is None else previous_findings.get("import_cycles")
        findings = codebase_metrics(CodebaseQueries(store.conn, run.codebase_id), totals, known_cycles=known,
                                    library=options.library)
    else:  # nothing changed: the codebase measures as it did
        findings = {k: v for k, v in previous_findings.items() if k not in ("changes", "totals")}
    timer.lap("measure")
    result = AnalysisResult(
        run_id=run.id, codebase_id=run.codebase_id, codebase=run.codebase_name, root=str(root),
        run_type=run.run_type,
        files={"discovered": summary["files_discovered"], "analyzed": len(changed),
               "unchanged": len(unchanged) + len(touched), "deleted": len(deleted),
               "skipped": len(walked.skipped), "total": totals["files"]},
        elements=totals["elements"], relationships=totals["relationships"], calls=totals["calls"],
        skipped=[{"path": s.path, "reason": s.reason} for s in walked.skipped]
        + [{"path": r.path, "reason": r.skipped_reason} for r in fresh.values()
           if r.skipped_reason and r.path not in skipped_now],
        metrics=dict(findings["metrics"]), findings=findings, results=files, settings=settings,
        previous_findings=previous_findings or {},
        source_bytes=(walked.bytes_by_language(), len(walked.files))
        if (options.include, options.exclude, options.max_file_size) == ((), (), DEFAULT_MAX_FILE_SIZE) else None,
    )
    # Plugins' extra metrics are stored with the run, so they are asked before it is completed.
    extra, failures = call_safely("extra_metrics", run=run, codebase=result)
    for named in extra:
        if isinstance(named, dict):
            result.metrics.update({str(k): v for k, v in named.items()})
    findings = dict(findings, metrics=dict(result.metrics))
    result.findings = findings
    summary["seconds"] = timer.seconds
    store.complete_run(run, summary, totals, findings)
    return result, [("extra_metrics", name, exc) for name, exc in failures]


def _tell_plugins(run: Any, result: AnalysisResult, raised: list[tuple[str, str, BaseException]],
                  timer: _Timer) -> None:
    """After the commit: analysis_finished, then plugin_failed for every plugin that raised."""
    from graph_sitter.plugins import call_safely

    timer.lap("store")
    timer.total()
    result.seconds = dict(timer.seconds)
    _, finished_failures = call_safely("analysis_finished", run=run, result=result)
    raised = raised + [("analysis_finished", name, exc) for name, exc in finished_failures]
    for hook, name, exc in raised:
        call_safely("plugin_failed", run=run, plugin=name, hook=hook, error=exc)
    result.plugin_failures = [{"plugin": name, "hook": hook, "error": f"{type(exc).__name__}: {exc}"}
                              for hook, name, exc in raised]
    timer.lap("plugins")
    result.seconds["plugins"] = timer.seconds["plugins"]
