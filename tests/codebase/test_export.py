"""`export_graph`: json node-link data, GraphML, GEXF and DOT, read back with networkx (and a DOT line parser)."""

from __future__ import annotations

import io
import json
import re
import shutil
import uuid
from pathlib import Path

import networkx as nx
import pytest

from graph_sitter.adapters.database import Cluster
from graph_sitter.codebase.codebase import Codebase
from graph_sitter.codebase.export import ExportError, ExportResult, export_graph
from graph_sitter.codebase.pipeline import AnalyzeOptions, analyze
from graph_sitter.config import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
NODE_KEYS = {"kind", "name", "qualified_name", "language", "file", "start_line", "end_line"}


@pytest.fixture(scope="module")
def shop() -> Codebase:
    """fixtures/python in memory."""
    return Codebase.from_path(FIXTURES / "python", jobs=1)


@pytest.fixture(scope="module")
def odd(tmp_path_factory: pytest.TempPathFactory) -> Codebase:
    """A repository whose paths and names need quoting: a double quote, a backslash, spaces, non-ASCII."""
    root = tmp_path_factory.mktemp("odd")
    (root / 'we"ird dir').mkdir()
    (root / 'we"ird dir' / "mod\\ule.py").write_text(
        "import numpy\n\n\ndef caf\u00e9(x):\n    return helper(x)\n\n\ndef helper(y):\n    return missing(y)\n",
        encoding="utf-8",
    )
    return Codebase.from_path(root, jobs=1)


def test_json_is_node_link_data_that_round_trips(shop: Codebase, tmp_path: Path) -> None:
    out = tmp_path / "graph.json"
    result = export_graph(shop, "json", out)
    assert result == ExportResult("json", shop.graph.number_of_nodes(), shop.graph.number_of_edges())
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data == nx.node_link_data(shop.graph, edges="edges")  # streamed, but the same document
    assert data["directed"] is True and data["multigraph"] is True and "edges" in data
    graph = nx.node_link_graph(data, edges="edges")
    assert isinstance(graph, nx.MultiDiGraph)
    assert graph.number_of_nodes() == shop.graph.number_of_nodes() == 65
    assert graph.number_of_edges() == shop.graph.number_of_edges() == 76
    for node, attrs in graph.nodes(data=True):
        assert NODE_KEYS <= attrs.keys(), node
        has_metrics = "cyclomatic_complexity" in attrs and "nloc" in attrs
        assert has_metrics == (attrs["kind"] in ("function", "method")), node
    total = graph.nodes["shop/models.py:method:shop.models.Order.total"]
    assert (total["cyclomatic_complexity"], total["nloc"], total["start_line"], total["end_line"]) == (6, 7, 42, 48)
    assert graph.nodes["external:stdlib:os"] == {
        "kind": "external", "name": "os", "qualified_name": "os", "language": None, "file": None,
        "start_line": None, "end_line": None, "ecosystem": "stdlib"}
    for _, _, key, attrs in graph.edges(keys=True, data=True):
        assert attrs["kind"] == key and isinstance(attrs["resolved"], bool)
    assert graph.get_edge_data("shop/models.py:method:shop.models.Order.total", "unresolved:sum")["calls"]["resolved"] is False
    assert nx.utils.graphs_equal(graph, shop.graph)


@pytest.mark.parametrize("fmt, reader", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_xml_formats_parse_back_without_nulls(shop: Codebase, tmp_path: Path, fmt: str, reader) -> None:
    out = tmp_path / f"graph.{fmt}"
    export_graph(shop, fmt, out)
    graph = reader(out)
    assert graph.is_directed() and graph.is_multigraph()
    assert graph.number_of_nodes() == 65 and graph.number_of_edges() == 76
    original = shop.graph
    for node, attrs in graph.nodes(data=True):
        expected = {k: v for k, v in original.nodes[node].items() if v is not None}
        got = {k: v for k, v in attrs.items() if k != "label"}
        assert got == expected, node
    assert graph.nodes["external:stdlib:os"].keys() >= {"kind", "name", "ecosystem"}
    assert "file" not in graph.nodes["external:stdlib:os"]
    assert sorted((u, v, d["kind"], d["resolved"], d["count"], d["line"]) for u, v, d in graph.edges(data=True)) == sorted(
        (u, v, d["kind"], d["resolved"], d["count"], d["line"]) for u, v, d in original.edges(data=True))
    if fmt == "gexf":
        assert graph.nodes["shop/models.py:class:shop.models.Order"]["label"] == "Order"


_DOT_STRING = r'"(?:[^"\\]|\\.)*"'
_DOT_VALUE = rf"(?:{_DOT_STRING}|-?\d+|true|false)"
_DOT_ATTRS = rf"\[(?:\w+={_DOT_VALUE}(?:, \w+={_DOT_VALUE})*)?\];"
_DOT_NODE = re.compile(rf"^  ({_DOT_STRING}) {_DOT_ATTRS}$")
_DOT_EDGE = re.compile(rf"^  ({_DOT_STRING}) -> ({_DOT_STRING}) {_DOT_ATTRS}$")


def _dot_unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "r": "\r"}.get(m.group(1), m.group(1)), text[1:-1])


def _parse_dot(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    lines = text.splitlines()
    assert re.match(rf"^digraph {_DOT_STRING} {{$", lines[0]) and lines[-1] == "}"
    nodes, edges = [], []
    for line in lines[1:-1]:
        edge = _DOT_EDGE.match(line)
        if edge:
            edges.append((_dot_unquote(edge.group(1)), _dot_unquote(edge.group(2))))
            continue
        node = _DOT_NODE.match(line)
        assert node, line
        nodes.append(_dot_unquote(node.group(1)))
    return nodes, edges


def test_dot_has_one_line_per_node_and_edge(shop: Codebase) -> None:
    out = io.StringIO()
    export_graph(shop, "dot", out)
    nodes, edges = _parse_dot(out.getvalue())
    graph = shop.graph
    assert sorted(nodes) == sorted(graph.nodes) and len(nodes) == 65
    assert sorted(edges) == sorted((u, v) for u, v in graph.edges()) and len(edges) == 76
    line = next(x for x in out.getvalue().splitlines() if x.startswith('  "shop/models.py:method:shop.models.Order.total" ['))
    assert 'label="total", kind="method"' in line and "cyclomatic_complexity=6, nloc=7" in line
    assert '-> "unresolved:sum" [kind="calls", resolved=false, count=1, line=43];' in out.getvalue()


def test_dot_quotes_odd_ids_and_labels(odd: Codebase) -> None:
    cafe = odd.get_function("café")
    assert cafe.filepath == 'we"ird dir/mod\\ule.py'
    out = io.BytesIO()
    export_graph(odd, "dot", out)
    text = out.getvalue().decode("utf-8")
    nodes, edges = _parse_dot(text)
    assert sorted(nodes) == sorted(odd.graph.nodes)
    assert (cafe.node_id, odd.get_function("helper").node_id) in edges
    assert '"we\\"ird dir/mod\\\\ule.py:function:' in text
    for fmt, reader in (("graphml", nx.read_graphml), ("gexf", nx.read_gexf)):
        buffer = io.BytesIO()
        export_graph(odd, fmt, buffer)
        buffer.seek(0)
        assert sorted(reader(buffer).nodes) == sorted(odd.graph.nodes)
    data = io.StringIO()
    export_graph(odd, "json", data)
    assert cafe.node_id in {n["id"] for n in json.loads(data.getvalue())["nodes"]}


def test_unknown_format_and_unwritable_path(shop: Codebase, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="unknown export format 'svg'"):
        export_graph(shop, "svg", tmp_path / "x.svg")
    with pytest.raises(ExportError, match="cannot write"):
        export_graph(shop, "json", tmp_path / "missing" / "x.json")


def test_export_of_an_analysed_codebase(settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    """What `gsdb export CODEBASE` does: Codebase.from_db(ref), then export_graph."""
    repo = shutil.copytree(FIXTURES / "typescript", tmp_path / "ts_repo")
    name = f"export-{uuid.uuid4().hex[:6]}"
    analyze(repo, AnalyzeOptions(name=name), settings)
    stored = Codebase.from_db(str(repo), settings)
    out = tmp_path / "ts.json"
    result = export_graph(stored, "json", out)
    graph = nx.node_link_graph(json.loads(out.read_text()), edges="edges")
    assert result.nodes == graph.number_of_nodes() == Codebase.from_path(repo, jobs=1).graph.number_of_nodes()
    ids = {d["element_id"] for _, d in graph.nodes(data=True) if d["kind"] not in ("external", "unresolved")}
    with cluster.connect("codebase_db") as conn:
        stored_ids = {str(r[0]) for r in conn.execute(
            "SELECT id FROM code_elements WHERE codebase_id = %s", (stored.codebase_id,))}
    assert ids == stored_ids
    for fmt in ("graphml", "gexf", "dot"):
        export_graph(stored, fmt, tmp_path / f"ts.{fmt}")
    assert len(nx.read_graphml(tmp_path / "ts.graphml")) == result.nodes
    assert len(nx.read_gexf(tmp_path / "ts.gexf")) == result.nodes
    assert sum(" -> " in line for line in (tmp_path / "ts.dot").read_text().splitlines()) == result.edges


def test_gsdb_export_to_stdout_and_file(settings: Settings, cluster: Cluster, gsdb_env: dict[str, str],
                                        tmp_path: Path) -> None:
    from tests.conftest import run_gsdb

    repo = shutil.copytree(FIXTURES / "python", tmp_path / "py_repo")
    name = f"export-cli-{uuid.uuid4().hex[:6]}"
    analyze(repo, AnalyzeOptions(name=name), settings)
    expected = Codebase.from_path(repo, jobs=1).graph
    out = run_gsdb(gsdb_env, "export", name, "--format", "json")
    assert out.returncode == 0, out.stderr
    graph = nx.node_link_graph(json.loads(out.stdout), edges="edges")
    assert sorted(graph.nodes) == sorted(expected.nodes) and graph.number_of_edges() == expected.number_of_edges()
    out = run_gsdb(gsdb_env, "export", str(repo), "--format", "graphml")
    assert out.returncode == 0, out.stderr
    assert nx.read_graphml(io.BytesIO(out.stdout.encode("utf-8"))).number_of_nodes() == expected.number_of_nodes()
    out = run_gsdb(gsdb_env, "export", name, "--format", "dot", "-o", str(tmp_path / "g.dot"))
    assert out.returncode == 0 and out.stdout == "", out.stderr
    assert sum(" -> " in line for line in (tmp_path / "g.dot").read_text().splitlines()) == expected.number_of_edges()
    missing = run_gsdb(gsdb_env, "export", "no-such-codebase")
    assert missing.returncode != 0 and "no analysed codebase named or at 'no-such-codebase'" in missing.stderr
    assert "Traceback" not in missing.stderr
