"""`gsdb export`: a Codebase's graph as JSON node-link data, GraphML, GEXF or Graphviz DOT.

All four carry the same graph (`Codebase.graph`, see graph_sitter.codebase.codebase): nodes with kind, name,
qualified_name, language, file, start_line, end_line (and cyclomatic_complexity and nloc for functions and
methods, element_id when known, ecosystem for external packages); edges with kind, resolved, count and line.

* json: node-link data, exactly what `networkx.node_link_data(graph, edges="edges")` returns (directed
  multigraph, edge key = kind), written item by item instead of built in memory first. Values that do not
  apply are null (an external package has no file). Read it back with `networkx.node_link_graph(data,
  edges="edges")`.
* graphml / gexf: `networkx.write_graphml` / `networkx.write_gexf`. Neither format has a null, so attributes
  that do not apply are left out of that node. GEXF labels are the names. networkx builds the whole XML tree
  in memory (the standard library: ~25 s and ~2 GB); with lxml installed, write_graphml streams instead.
* dot: written here (pydot is not a dependency): one line per node, then one line per edge, every id and
  string value double-quoted with backslash, quote and line breaks escaped, so any name is safe.
"""

from __future__ import annotations

import io
import json
import os
from typing import IO, Any, Callable, Literal, NamedTuple

from graph_sitter.codebase.codebase import Codebase
from graph_sitter.errors import GraphSitterError

__all__ = ["FORMATS", "ExportError", "ExportResult", "export_graph", "write_dot", "write_node_link_json"]

Format = Literal["json", "graphml", "gexf", "dot"]
FORMATS: tuple[str, ...] = ("json", "graphml", "gexf", "dot")
Write = Callable[[str], Any]


class ExportError(GraphSitterError):
    """The export cannot be written (unknown format, unwritable file)."""


class ExportResult(NamedTuple):
    """What was written."""

    format: str
    nodes: int
    edges: int


def write_node_link_json(graph: Any, write: Write) -> None:
    """Write `networkx.node_link_data(graph, edges="edges")` as JSON, one node or edge at a time."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    write('{"directed":' + dumps(graph.is_directed()) + ',"multigraph":' + dumps(graph.is_multigraph())
          + ',"graph":' + dumps(dict(graph.graph)) + ',"nodes":[')
    first = True
    for n, data in graph.nodes(data=True):
        write(("" if first else ",") + dumps({**data, "id": n}))
        first = False
    write('],"edges":[')
    first = True
    if graph.is_multigraph():
        edges = ({**d, "source": u, "target": v, "key": k} for u, v, k, d in graph.edges(keys=True, data=True))
    else:
        edges = ({**d, "source": u, "target": v} for u, v, d in graph.edges(data=True))
    for edge in edges:
        write(("" if first else ",") + dumps(edge))
        first = False
    write("]}")


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


def write_dot(graph: Any, write: Write) -> None:
    """Write a directed graph as Graphviz DOT: a header, one line per node, one line per edge, a footer."""
    write(f"digraph {_dot_quote(graph.graph.get('name') or 'codebase')} {{\n")
    for n, data in graph.nodes(data=True):
        write(f"  {_dot_quote(n)} [{_dot_attrs({'label': data.get('name') or str(n), **data})}];\n")
    for u, v, data in graph.edges(data=True):
        write(f"  {_dot_quote(u)} -> {_dot_quote(v)} [{_dot_attrs(data)}];\n")
    write("}\n")


def _xml_graph(codebase: Codebase, fmt: str) -> Any:
    """A graph of the codebase without None values (GraphML and GEXF have no null); GEXF labels are names."""
    graph = codebase.to_graph(nulls=False)
    if fmt == "gexf":
        for node, attrs in graph.nodes(data=True):
            attrs["label"] = attrs.get("name") or str(node)
    return graph


class _Sink:
    """Text writes to a path or to an open text or binary file, buffered in large chunks."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.binary = not (isinstance(out, io.TextIOBase) or "b" not in getattr(out, "mode", "b"))
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= 1 << 20:
            self.flush()

    def flush(self) -> None:
        chunk = "".join(self.parts)
        self.out.write(chunk.encode("utf-8") if self.binary else chunk)
        self.parts.clear()
        self.size = 0

    def write_bytes(self, fill: Callable[[Any], None]) -> None:
        """Let a writer that produces bytes (networkx's XML writers) write here."""
        self.flush()
        if self.binary:
            fill(self.out)
            return
        raw = getattr(self.out, "buffer", None)
        if raw is not None:  # sys.stdout and files opened in text mode: write under the text layer
            self.out.flush()
            fill(raw)
            raw.flush()
            return
        buffer = io.BytesIO()
        fill(buffer)
        self.out.write(buffer.getvalue().decode("utf-8"))


def _write(codebase: Codebase, fmt: str, sink: _Sink) -> tuple[int, int]:
    import networkx as nx

    if fmt in ("json", "dot"):
        graph = codebase.graph
        (write_node_link_json if fmt == "json" else write_dot)(graph, sink.write)
        sink.flush()
    else:
        graph = _xml_graph(codebase, fmt)
        writer = nx.write_graphml if fmt == "graphml" else nx.write_gexf
        sink.write_bytes(lambda handle: writer(graph, handle, encoding="utf-8"))
    return graph.number_of_nodes(), graph.number_of_edges()


def export_graph(codebase: Codebase, fmt: Format | str, out: str | os.PathLike[str] | IO[Any]) -> ExportResult:
    """Write `codebase.graph` in format json, graphml, gexf or dot to a path or an open (text or binary) file."""
    fmt = str(fmt).lower()
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if hasattr(out, "write"):
        nodes, edges = _write(codebase, fmt, _Sink(out))
        return ExportResult(fmt, nodes, edges)
    path = os.fspath(out)  # type: ignore[arg-type]
    try:
        with open(path, "wb") as handle:
            nodes, edges = _write(codebase, fmt, _Sink(handle))
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror or exc}") from exc
    return ExportResult(fmt, nodes, edges)
