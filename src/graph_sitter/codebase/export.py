"""`gsdb export`: a Codebase's graph as JSON node-link data, GraphML, GEXF or Graphviz DOT.

All four carry the same graph (`Codebase.graph`, see graph_sitter.codebase.codebase): nodes with kind, name,
qualified_name, language, file, start_line, end_line (and cyclomatic_complexity and nloc for functions and
methods, element_id when known, ecosystem for external packages); edges with kind, resolved, count and line.

* json: `networkx.node_link_data(graph, edges="edges")`, directed multigraph, edge key = kind. Values that do
  not apply are null (an external package has no file). Read it back with
  `networkx.node_link_graph(data, edges="edges")`.
* graphml / gexf: the networkx writers. Neither format has a null, so attributes that do not apply are left
  out of that node (GraphML and GEXF readers then report them missing). GEXF labels are the names.
* dot: written here (pydot is not a dependency): one line per node, then one line per edge, every id and
  string value double-quoted with backslash, quote and line breaks escaped, so any name is safe.
"""

from __future__ import annotations

import io
import json
import os
from typing import IO, Any, Literal, NamedTuple

from graph_sitter.codebase.codebase import Codebase
from graph_sitter.errors import GraphSitterError

__all__ = ["FORMATS", "ExportError", "ExportResult", "export_graph", "graph_to_json", "write_dot"]

Format = Literal["json", "graphml", "gexf", "dot"]
FORMATS: tuple[str, ...] = ("json", "graphml", "gexf", "dot")


class ExportError(GraphSitterError):
    """The export cannot be written (unknown format, unwritable file)."""


class ExportResult(NamedTuple):
    """What was written."""

    format: str
    nodes: int
    edges: int


def graph_to_json(graph: Any) -> dict[str, Any]:
    """Node-link data of a graph (nodes under "nodes", edges under "edges")."""
    import networkx as nx

    return nx.node_link_data(graph, edges="edges")


def _without_none(graph: Any, label: bool = False) -> Any:
    """A copy of the graph whose attribute dicts leave out None values (GraphML and GEXF have no null)."""
    import networkx as nx

    out = nx.MultiDiGraph(name=graph.graph.get("name", ""))
    for n, data in graph.nodes(data=True):
        attrs = {k: v for k, v in data.items() if v is not None}
        if label:
            attrs["label"] = data.get("name") or str(n)
        out.add_node(n, **attrs)
    out.add_edges_from((u, v, k, {a: b for a, b in d.items() if b is not None})
                       for u, v, k, d in graph.edges(keys=True, data=True))
    return out


def _dot_quote(value: Any) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "\\r").replace("\n", "\\n")
    return f'"{text}"'


def _dot_attrs(data: dict[str, Any]) -> str:
    parts = []
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            parts.append(f"{key}={'true' if value else 'false'}")
        elif isinstance(value, int):
            parts.append(f"{key}={value}")
        else:
            parts.append(f"{key}={_dot_quote(value)}")
    return ", ".join(parts)


def write_dot(graph: Any, out: IO[str]) -> None:
    """Write a directed graph as Graphviz DOT: a header, one line per node, one line per edge, a footer."""
    out.write(f"digraph {_dot_quote(graph.graph.get('name') or 'codebase')} {{\n")
    for n, data in graph.nodes(data=True):
        attrs = {"label": data.get("name") or str(n), **data}
        out.write(f"  {_dot_quote(n)} [{_dot_attrs(attrs)}];\n")
    for u, v, _key, data in graph.edges(keys=True, data=True):
        out.write(f"  {_dot_quote(u)} -> {_dot_quote(v)} [{_dot_attrs(data)}];\n")
    out.write("}\n")


def _render(graph: Any, fmt: str) -> bytes:
    import networkx as nx

    if fmt == "json":
        return json.dumps(graph_to_json(graph), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    if fmt == "graphml":
        buffer = io.BytesIO()
        nx.write_graphml(_without_none(graph), buffer, encoding="utf-8")
        return buffer.getvalue()
    if fmt == "gexf":
        buffer = io.BytesIO()
        nx.write_gexf(_without_none(graph, label=True), buffer, encoding="utf-8")
        return buffer.getvalue()
    text = io.StringIO()
    write_dot(graph, text)
    return text.getvalue().encode("utf-8")


def export_graph(codebase: Codebase, fmt: Format | str, out: str | os.PathLike[str] | IO[Any]) -> ExportResult:
    """Write `codebase.graph` in format json, graphml, gexf or dot to a path or an open (text or binary) file."""
    fmt = str(fmt).lower()
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    graph = codebase.graph
    data = _render(graph, fmt)
    if hasattr(out, "write"):
        if isinstance(out, io.TextIOBase) or "b" not in getattr(out, "mode", "b"):
            out.write(data.decode("utf-8"))  # type: ignore[union-attr]
        else:
            out.write(data)  # type: ignore[union-attr]
    else:
        try:
            with open(out, "wb") as handle:  # type: ignore[arg-type]
                handle.write(data)
        except OSError as exc:
            raise ExportError(f"cannot write {os.fspath(out)}: {exc.strerror or exc}") from exc  # type: ignore[arg-type]
    return ExportResult(fmt, graph.number_of_nodes(), graph.number_of_edges())
