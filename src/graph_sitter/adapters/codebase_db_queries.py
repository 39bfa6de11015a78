"""Read queries over codebase_db: callers, callees, transitive dependencies, hotspots, dead code, cycles, history."""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from typing import Any, Iterator, Literal

import psycopg

from graph_sitter.adapters.codebase_db_adapter import CodebaseNotFound, CodebaseStore

#: Edge kinds followed by deps/rdeps: what one element needs from another.
DEPENDENCY_KINDS = ("imports", "calls", "inherits", "implements", "decorates")
#: Decorators that do not register a function with a framework: a function carrying only these can still be dead.
PLAIN_DECORATORS = ("staticmethod", "classmethod", "abc.abstractmethod", "abstractmethod", "functools.wraps",
                    "wraps", "functools.cache", "functools.lru_cache", "lru_cache", "cache", "override",
                    "typing.override", "overload", "typing.overload")
#: Entry points never reported as dead.
ENTRY_POINT_NAMES = ("main", "__main__", "setup", "teardown", "init", "run", "cli")


@dataclass(frozen=True)
class ElementRef:
    """An element as queries return it."""

    id: uuid.UUID
    kind: str
    qualified_name: str
    file_path: str
    start_line: int | None
    cyclomatic_complexity: int | None = None
    nloc: int | None = None


@dataclass(frozen=True)
class EdgeRow:
    """One relationship between two elements, with its site."""

    kind: str
    source: str
    target: str
    file_path: str | None
    line: int | None
    resolved: bool
    depth: int = 1


_ELEMENT = "e.id, e.kind, e.qualified_name, e.file_path, e.start_line, e.cyclomatic_complexity, e.nloc"

#: Dead-code candidates. One pass over the functions, methods and classes (materialised: the parts below read it)
#: keeps the candidates by their own columns, then narrows them cheapest test first: their file (one pattern match
#: per file instead of per element); no incoming edge (a hashed anti-join); for a class, not instantiated (`Name()`
#: resolves to a constructor, the class's own or an inherited one, with the name as written); and, for a method,
#: a name no other method shares (the call may be dynamic dispatch).
_DEAD_CODE = """
    WITH definition AS MATERIALIZED (
        SELECT e.id, e.kind, e.qualified_name, e.file_path, e.start_line, e.cyclomatic_complexity, e.nloc, e.name,
               e.name NOT LIKE '\\_\\_%%\\_\\_' AND e.name <> ALL(%(entry)s)
               AND e.name NOT LIKE 'test%%' AND e.name NOT LIKE 'Test%%'
               AND (e.decorators IS NULL OR e.decorators <@ %(plain)s::text[])
               AND (%(public)s OR (NOT e.is_exported AND e.visibility <> 'public')) AS may_be_dead,
               e.kind = 'method' AND (e.name IN ('__init__', '__new__', 'constructor')
                   OR (e.language = 'java' AND EXISTS (  -- Java's constructors are named as their class
                       SELECT 1 FROM code_elements p WHERE p.codebase_id = %(c)s AND p.id = e.parent_id
                          AND p.name = e.name))) AS is_constructor
          FROM code_elements e
         WHERE e.codebase_id = %(c)s AND e.kind IN ('function', 'method', 'class')
    ), candidate AS MATERIALIZED (
        SELECT d.* FROM definition d
         WHERE d.may_be_dead AND d.file_path IN (
               SELECT file_path FROM file_analysis WHERE codebase_id = %(c)s
                  AND file_path !~ '(^|/)(tests?|testing|__tests__)/|(^|/)test_[^/]*$|_test\\.[a-z]+$|\\.(test|spec)\\.[jt]sx?$|__main__\\.py$|conftest\\.py$')
    ), unused AS MATERIALIZED (
        SELECT d.* FROM candidate d WHERE NOT EXISTS (
            SELECT 1 FROM relationships r WHERE r.codebase_id = %(c)s AND r.target_id = d.id AND r.kind <> 'contains')
    ), instantiated AS (
        SELECT DISTINCT regexp_replace(r.target_name, '^.*[.:]', '') AS name
          FROM definition k JOIN relationships r ON r.codebase_id = %(c)s AND r.target_id = k.id AND r.kind = 'calls'
         WHERE k.is_constructor
    ), shared_method_names AS (  -- over all methods: joined to the few unused ones, a misestimate nests loops
        SELECT name FROM definition WHERE kind = 'method' GROUP BY name HAVING count(*) > 1
    )
    SELECT {select} FROM unused e
     WHERE NOT (e.kind = 'method' AND e.name IN (SELECT name FROM shared_method_names))
       AND NOT (e.kind = 'class' AND e.name IN (SELECT name FROM instantiated))
     {tail}
"""


class CodebaseQueries:
    """Read-only questions about one analysed codebase."""

    def __init__(self, conn: psycopg.Connection[Any], codebase_id: uuid.UUID) -> None:
        self.conn = conn
        self.codebase_id = codebase_id

    def find_elements(self, symbol: str) -> list[ElementRef]:
        """Elements whose qualified name is `symbol`, else those whose qualified name ends with `.symbol`, else by name."""
        for condition, value in (
            ("e.qualified_name = %s", symbol),
            ("e.qualified_name LIKE %s", "%." + symbol.replace("%", r"\%").replace("_", r"\_")),
            ("e.name = %s", symbol),
        ):
            rows = self.conn.execute(
                f"SELECT {_ELEMENT} FROM code_elements e WHERE e.codebase_id = %s AND e.kind <> 'import' AND {condition}"
                " ORDER BY e.qualified_name, e.file_path, e.start_line",
                (self.codebase_id, value),
            ).fetchall()
            if rows:
                return [ElementRef(*r) for r in rows]
        return []

    def _direct(self, symbol: str, direction: Literal["in", "out"], kinds: tuple[str, ...]) -> list[EdgeRow]:
        ids = [e.id for e in self.find_elements(symbol)]
        if not ids:
            return []
        anchor = "target_id" if direction == "in" else "source_id"
        rows = self.conn.execute(
            f"SELECT r.kind, s.qualified_name, coalesce(t.qualified_name, r.target_name), r.file_path, r.line, r.resolved"
            f" FROM relationships r JOIN code_elements s ON s.id = r.source_id"
            f" LEFT JOIN code_elements t ON t.id = r.target_id"
            f" WHERE r.codebase_id = %s AND r.{anchor} = ANY(%s) AND r.kind = ANY(%s) AND r.kind <> 'contains'"
            f" ORDER BY r.file_path, r.line",
            (self.codebase_id, ids, list(kinds)),
        ).fetchall()
        return [EdgeRow(*r) for r in rows]

    def callers(self, symbol: str) -> list[EdgeRow]:
        """Who calls `symbol`."""
        return self._direct(symbol, "in", ("calls",))

    def callees(self, symbol: str) -> list[EdgeRow]:
        """What `symbol` calls, resolved or not."""
        return self._direct(symbol, "out", ("calls",))

    def _transitive(self, symbol: str, direction: Literal["in", "out"], max_depth: int) -> list[EdgeRow]:
        ids = [e.id for e in self.find_elements(symbol)]
        if not ids:
            return []
        # A module depends on what its functions and classes use: start from the element and everything it contains.
        near, far = ("target_id", "source_id") if direction == "in" else ("source_id", "target_id")
        rows = self.conn.execute(
            f"""
            WITH RECURSIVE scope AS (
                SELECT id FROM code_elements WHERE id = ANY(%(ids)s)
                UNION
                SELECT c.id FROM code_elements c JOIN scope s ON c.parent_id = s.id
            ), walk(node, depth) AS (
                SELECT r.{far}, 1 FROM relationships r
                 WHERE r.codebase_id = %(c)s AND r.{near} IN (SELECT id FROM scope)
                   AND r.kind = ANY(%(kinds)s) AND r.kind <> 'contains' AND r.{far} IS NOT NULL
                UNION
                SELECT r.{far}, w.depth + 1 FROM walk w JOIN relationships r
                    ON r.codebase_id = %(c)s AND r.{near} = w.node AND r.kind = ANY(%(kinds)s) AND r.kind <> 'contains'
                 WHERE r.{far} IS NOT NULL AND w.depth < %(max)s
            )
            SELECT 'depends', %(sym)s, e.qualified_name, e.file_path, e.start_line, true, min(w.depth)
              FROM walk w JOIN code_elements e ON e.id = w.node
             WHERE NOT (w.node = ANY(%(ids)s))
             GROUP BY e.id, e.qualified_name, e.file_path, e.start_line
             ORDER BY 7, 3
            """,
            {"ids": ids, "c": self.codebase_id, "kinds": list(DEPENDENCY_KINDS), "max": max_depth, "sym": symbol},
        ).fetchall()
        return [EdgeRow(*r) for r in rows]

    def dependencies(self, symbol: str, max_depth: int = 50) -> list[EdgeRow]:
        """Everything `symbol` uses, directly or transitively (cycle-safe), with the shortest depth."""
        return self._transitive(symbol, "out", max_depth)

    def dependents(self, symbol: str, max_depth: int = 50) -> list[EdgeRow]:
        """Everything that uses `symbol`, directly or transitively (cycle-safe), with the shortest depth."""
        return self._transitive(symbol, "in", max_depth)

    def hotspots(self, limit: int = 20, min_complexity: int = 10) -> list[ElementRef]:
        """The most complex functions and methods (cyclomatic complexity at least `min_complexity`)."""
        rows = self.conn.execute(
            f"SELECT {_ELEMENT} FROM code_elements e WHERE e.codebase_id = %s AND e.kind IN ('function', 'method')"
            " AND e.cyclomatic_complexity >= %s ORDER BY e.cyclomatic_complexity DESC, e.nloc DESC, e.qualified_name"
            " LIMIT %s",
            (self.codebase_id, min_complexity, limit),
        ).fetchall()
        return [ElementRef(*r) for r in rows]

    def is_library(self) -> bool:
        """Whether the codebase's last completed run treated it as a library (`AnalyzeOptions.library`)."""
        row = self.conn.execute(
            "SELECT coalesce((analysis_config ->> 'library')::boolean, false) FROM analysis_runs"
            " WHERE codebase_id = %s AND status = 'completed' ORDER BY started_at DESC LIMIT 1",
            (self.codebase_id,),
        ).fetchone()
        return bool(row and row[0])

    def dead_code(self, include_public_api: bool | None = None, limit: int | None = None) -> list[ElementRef]:
        """Functions, methods and classes nothing calls or references.

        Left out: entry points (main, __main__ modules), tests, dunder methods, decorated handlers (any decorator
        beyond staticmethod/classmethod/abstractmethod and the like), methods that override or are overridden
        (dispatch is dynamic), and with include_public_api=False every exported or public name. None: public
        names are left out when the codebase was last analysed as a library.
        """
        rows = self.conn.execute(
            _DEAD_CODE.format(select=_ELEMENT, tail="ORDER BY e.file_path, e.start_line" + (" LIMIT %(limit)s" if limit else "")),
            self._dead_code_parameters(include_public_api) | {"limit": limit},
        ).fetchall()
        return [ElementRef(*r) for r in rows]

    def dead_code_count(self, include_public_api: bool | None = None) -> int:
        """How many dead-code candidates there are (see dead_code)."""
        row = self.conn.execute(
            _DEAD_CODE.format(select="count(*)", tail=""), self._dead_code_parameters(include_public_api)
        ).fetchone()
        assert row is not None
        return int(row[0])

    def _dead_code_parameters(self, include_public_api: bool | None) -> dict[str, Any]:
        if include_public_api is None:
            include_public_api = not self.is_library()
        return {"c": self.codebase_id, "entry": list(ENTRY_POINT_NAMES), "plain": list(PLAIN_DECORATORS),
                "public": include_public_api}

    def complexity_stats(self, buckets: tuple[int, ...], hotspot_threshold: int) -> dict[str, Any]:
        """Mean, max, p90 and a bucketed distribution of function complexity, and how many reach the threshold."""
        # One pass over the functions: they are materialised once, then aggregated and bucketed.
        row = self.conn.execute(
            "WITH f AS MATERIALIZED (SELECT cyclomatic_complexity AS cc, nloc FROM code_elements"
            "  WHERE codebase_id = %s AND kind IN ('function', 'method'))"
            " SELECT round(avg(cc)::numeric, 3), max(cc), percentile_disc(0.9) WITHIN GROUP (ORDER BY cc),"
            " round(avg(nloc)::numeric, 2), count(*) FILTER (WHERE cc >= %s),"
            " (SELECT coalesce(jsonb_object_agg(b, n), '{}') FROM (SELECT width_bucket(cc, %s::int[]) AS b, count(*) AS n"
            "   FROM f WHERE cc IS NOT NULL GROUP BY 1) AS buckets)"
            " FROM f",
            (self.codebase_id, hotspot_threshold, [b + 1 for b in buckets]),
        ).fetchone()
        assert row is not None
        labels = [f"{lo + 1}-{hi}" if lo + 1 < hi else str(hi) for lo, hi in zip((0,) + buckets, buckets)] + [f">{buckets[-1]}"]
        counts = {int(bucket): n for bucket, n in row[5].items()}
        return {
            "mean": None if row[0] is None else float(row[0]), "max": row[1], "p90": row[2],
            "mean_nloc": None if row[3] is None else float(row[3]), "hotspots": row[4],
            "distribution": {label: counts.get(i, 0) for i, label in enumerate(labels)},
        }

    def module_imports(self) -> list[tuple[str, str]]:
        """Internal import edges between modules (by qualified name), for cycle detection."""
        modules = dict(self.conn.execute(
            "SELECT file_path, qualified_name FROM code_elements WHERE codebase_id = %s AND kind = 'module'"
            " AND parent_id IS NULL",
            (self.codebase_id,),
        ).fetchall())
        pairs = self.conn.execute(
            "SELECT DISTINCT r.file_path, t.file_path FROM relationships r JOIN code_elements t ON t.id = r.target_id"
            " WHERE r.codebase_id = %s AND r.kind = 'imports' AND r.file_path <> t.file_path",
            (self.codebase_id,),
        ).fetchall()
        return [(modules[a], modules[b]) for a, b in pairs if a in modules and b in modules]

    def import_cycles(self, limit: int = 100) -> list[list[str]]:
        """Module import cycles: one representative cycle per strongly connected group, largest first."""
        import networkx as nx

        graph = nx.DiGraph(self.module_imports())
        cycles = []
        for component in sorted(nx.strongly_connected_components(graph), key=len, reverse=True):
            if len(component) < 2:
                continue
            cycle = nx.find_cycle(graph.subgraph(component))
            cycles.append([edge[0] for edge in cycle])
            if len(cycles) >= limit:
                break
        return cycles

    def metric_history(self, symbol: str) -> list[tuple[Any, ...]]:
        """A symbol's metrics run by run: (recorded_at, run_id, qualified_name, cc, nloc, tokens, params, depth).

        History rows are the values a run replaced; the current values come from code_elements. Consecutive
        runs with equal values are shown once.
        """
        rows = self.conn.execute(
            "SELECT recorded_at, run_id, qualified_name, cyclomatic_complexity, nloc, token_count, parameter_count,"
            " max_nesting_depth FROM ("
            "  SELECT h.recorded_at, h.run_id, h.qualified_name, h.cyclomatic_complexity, h.nloc, h.token_count,"
            "         h.parameter_count, h.max_nesting_depth FROM element_metrics_history h"
            "   WHERE h.codebase_id = %(c)s AND (h.qualified_name = %(s)s OR h.qualified_name LIKE %(like)s)"
            "  UNION ALL"
            "  SELECT coalesce(r.started_at, e.created_at), e.run_id, e.qualified_name, e.cyclomatic_complexity, e.nloc,"
            "         e.token_count, e.parameter_count, e.max_nesting_depth FROM code_elements e"
            "    LEFT JOIN analysis_runs r ON r.id = e.run_id"
            "   WHERE e.codebase_id = %(c)s AND e.kind IN ('function', 'method')"
            "     AND (e.qualified_name = %(s)s OR e.qualified_name LIKE %(like)s)"
            " ) t ORDER BY qualified_name, recorded_at",
            {"c": self.codebase_id, "s": symbol, "like": "%." + symbol},
        ).fetchall()
        history: list[tuple[Any, ...]] = []
        for row in rows:
            if history and history[-1][2] == row[2] and history[-1][3:] == row[3:]:
                continue
            history.append(tuple(row))
        return history


@contextlib.contextmanager
def open_queries(settings: Any, ref: str | None = None) -> Iterator[CodebaseQueries]:
    """Queries over one analysed codebase: `ref` is its name or analysed path; by default the codebase analysed
    at the current directory, else the only one there is."""
    import os

    from graph_sitter.adapters.setup import ensure_ready

    conn = ensure_ready(settings).connect("codebase_db", autocommit=True)
    try:
        store = CodebaseStore(conn)
        if ref is not None:
            codebase = store.get_codebase(ref)
        else:
            codebase = store.find_codebase(os.getcwd())
            if codebase is None:
                names = [r[0] for r in conn.execute("SELECT name FROM codebases WHERE deleted_at IS NULL ORDER BY name")]
                if len(names) != 1:
                    raise CodebaseNotFound(
                        "name the codebase with --codebase (analysed: " + (", ".join(names) or "none") + ")")
                codebase = store.get_codebase(names[0])
        yield CodebaseQueries(conn, codebase.id)
    finally:
        conn.close()
