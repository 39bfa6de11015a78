"""The graph-sitter-style Python API: Codebase from a path, from results and from codebase_db, and the summaries.

Expected values are hand-counted from fixtures/python (the `shop` package, broken.py, latin1.py; blob.py is
binary and skipped; env1/ and node_modules/ are excluded by the walker). The database tests analyse copies of
the fixture repositories into this session's PostgreSQL and check that `Codebase.from_db` sees exactly what
`Codebase.from_path` sees.
"""

from __future__ import annotations

import shutil
import uuid
from collections import Counter
from pathlib import Path

import networkx as nx
import pytest

from graph_sitter.adapters.codebase_db_adapter import CodebaseNotFound
from graph_sitter.adapters.database import Cluster
from graph_sitter.codebase import codebase_analysis as ca
from graph_sitter.codebase.codebase import (
    AmbiguousSymbolError,
    Class,
    Codebase,
    ExternalModule,
    Function,
    GlobalVar,
    Import,
    Interface,
    Module,
    SymbolNotFoundError,
    TypeAlias,
)
from graph_sitter.codebase.pipeline import AnalysisError, AnalyzeOptions, analyze
from graph_sitter.config import Settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
LANGUAGES = ("python", "javascript", "typescript", "go", "java", "rust")


@pytest.fixture(scope="module")
def shop() -> Codebase:
    """fixtures/python, walked, extracted and resolved in memory."""
    return Codebase.from_path(FIXTURES / "python", jobs=2)


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
    return dst


def qns(symbols) -> list[str]:
    """Qualified names, in the order given."""
    return [s.qualified_name for s in symbols]


# --- files and collections ---------------------------------------------------------------------------------------
def test_files_and_skipped(shop: Codebase) -> None:
    assert [f.path for f in shop.files] == [
        "broken.py", "latin1.py", "shop/__init__.py", "shop/models.py", "shop/services/__init__.py",
        "shop/services/billing.py", "shop/services/tax.py",
    ]
    assert shop.skipped == [("blob.py", "binary")]
    tax = shop.get_file("shop/services/tax.py")
    assert (tax.name, tax.language, tax.lines) == ("tax", "python", 4)
    assert tax.metrics["total_lines"] == 4 and tax.metrics["parse_error_count"] == 0
    assert shop.get_file("broken.py").metrics["parse_error_count"] > 0
    assert shop.get_file(str(FIXTURES / "python" / "shop" / "models.py")) is shop.get_file("shop/models.py")
    assert shop.has_file("shop/models.py") and not shop.has_file("blob.py")
    with pytest.raises(SymbolNotFoundError, match="not analysed: binary"):
        shop.get_file("blob.py")
    assert shop.get_file("nope.py", optional=True) is None
    assert tax.source == (FIXTURES / "python" / "shop" / "services" / "tax.py").read_text()


def test_collections_count_every_definition(shop: Codebase) -> None:
    assert qns(shop.functions) == [
        "broken.fine", "broken.broken", "broken.AfterError.method", "latin1.greet", "shop.models.register",
        "shop.models.Base.total", "shop.models.Base.describe", "shop.models.Customer.total",
        "shop.models.Order.__init__", "shop.models.Order.total", "shop.models.Order.empty",
        "shop.models.Order._from_rows", "shop.models.Order._from_rows.parse",
        "shop.services.billing.Invoice.__init__", "shop.services.billing.Invoice.total",
        "shop.services.billing.Invoice.render", "shop.services.billing.Invoice.header",
        "shop.services.billing.charge", "shop.services.tax.rate",
    ]
    assert all(isinstance(f, Function) for f in shop.functions)
    assert sum(f.is_method for f in shop.functions) == 12
    assert qns(shop.classes) == [
        "broken.AfterError", "shop.models.Base", "shop.models.Customer", "shop.models.Order",
        "shop.services.billing.Invoice",
    ]
    assert qns(shop.symbols) == [
        "broken.fine", "broken.broken", "broken.AfterError", "latin1.GREETING", "latin1.greet", "shop.__all__",
        "shop.models.TAX_RATE", "shop.models._registry", "shop.models.register", "shop.models.Base",
        "shop.models.Customer", "shop.models.Order", "shop.services.billing.Invoice",
        "shop.services.billing.charge", "shop.services.tax.rate",
    ]
    assert qns(shop.global_vars) == ["latin1.GREETING", "shop.__all__", "shop.models.TAX_RATE", "shop.models._registry"]
    assert [i.name for i in shop.imports] == [
        "Client", "Order", "charge", "dataclass", "abc", "osp", "models", "O", "TAX_RATE", "tax",
    ]
    assert shop.interfaces == []
    assert [(m.ecosystem, m.name) for m in shop.external_modules] == [("stdlib", "abc"), ("stdlib", "dataclasses"), ("stdlib", "os")]
    models = shop.get_file("shop/models.py")
    assert [s.name for s in models.symbols] == ["TAX_RATE", "_registry", "register", "Base", "Customer", "Order"]
    assert len(models.functions) == 9 and len(models.classes) == 3 and len(models.imports) == 2
    assert isinstance(models.module, Module) and models.module.qualified_name == "shop.models"


# --- lookups -----------------------------------------------------------------------------------------------------
def test_get_symbol_by_qualified_simple_and_tail_names(shop: Codebase) -> None:
    order = shop.get_symbol("shop.models.Order")
    assert isinstance(order, Class) and order.file.path == "shop/models.py" and order.start_line == 37
    assert shop.get_symbol("charge").qualified_name == "shop.services.billing.charge"
    assert shop.get_symbol("Invoice.render").qualified_name == "shop.services.billing.Invoice.render"
    assert shop.get_symbol("shop.models").kind == "module"
    assert shop.get_function("rate").qualified_name == "shop.services.tax.rate"
    assert shop.get_class("Invoice").qualified_name == "shop.services.billing.Invoice"
    # definitions before modules: the function `broken` wins over the module broken.py of the same name
    assert shop.get_symbol("broken").qualified_name == "broken.broken"
    assert shop.get_symbol("shop.services").kind == "module"
    assert isinstance(shop.get_symbol("TAX_RATE"), GlobalVar)


def test_get_symbol_errors_are_clear(shop: Codebase) -> None:
    with pytest.raises(AmbiguousSymbolError) as ambiguous:
        shop.get_symbol("total")
    message = str(ambiguous.value)
    assert "4 matches" in message and "shop.models.Order.total (shop/models.py:42)" in message
    assert isinstance(ambiguous.value, KeyError) and isinstance(ambiguous.value, ValueError)
    with pytest.raises(SymbolNotFoundError, match="'nothing_here' not found"):
        shop.get_symbol("nothing_here")
    with pytest.raises(KeyError):
        shop.get_class("charge")  # a function, not a class
    assert shop.get_symbol("nothing_here", optional=True) is None
    assert shop.has_symbol("total") and not shop.has_symbol("nothing_here")
    assert len(shop.get_symbols("total")) == 4


# --- edges -------------------------------------------------------------------------------------------------------
def test_callers_and_call_sites(shop: Codebase) -> None:
    init = shop.get_symbol("shop.models.Order.__init__")
    assert qns(init.callers) == ["shop.models.Order.empty", "shop.models.Order._from_rows"]
    assert [(s.file, s.line, s.name) for s in init.call_sites] == [("shop/models.py", 52, "Order"), ("shop/models.py", 60, "cls")]
    assert qns(shop.get_symbol("Invoice.header").callers) == ["shop.services.billing.Invoice.render"]
    assert qns(shop.get_symbol("shop.services.tax.rate").callers) == ["shop.services.billing.charge"]
    assert qns(shop.get_symbol("shop.models.Base.total").callers) == ["shop.models.Base.describe"]
    # calling a class resolves to its constructor; the class's callers are those that name it
    assert qns(shop.get_class("Invoice").callers) == ["shop.services.billing.charge"]
    assert qns(shop.get_class("Order").callers) == ["shop.models.Order.empty", "shop.models.Order._from_rows"]
    assert shop.get_symbol("charge").callers == []


def test_function_calls_and_dependencies(shop: Codebase) -> None:
    charge = shop.get_function("charge")
    assert [(c.name, c.line, c.resolved) for c in charge.function_calls] == [
        ("Invoice", 27, True), ("invoice.total", 28, False), ("tax.rate", 28, True), ("print", 34, False),
        ("log", 35, False),
    ]
    assert qns(charge.dependencies) == ["shop.services.billing.Invoice", "shop.services.tax.rate"]
    order = shop.get_class("Order")
    assert qns(order.dependencies) == ["shop.models.Base"]  # its own constructor and `parse` are inside it
    models = shop.get_file("shop/models.py").module
    assert models.dependencies == [ExternalModule(shop, "stdlib", "dataclasses"), ExternalModule(shop, "stdlib", "abc")]
    billing = shop.get_file("shop/services/billing.py")
    assert [getattr(d, "qualified_name", None) or d.name for d in billing.dependencies] == [
        "os", "shop.models", "shop.models.Order", "shop.models.TAX_RATE", "shop.services.tax", "shop.models.Base",
        "shop.services.tax.rate",
    ]  # the whole file's code: Invoice's base and charge's call too; Invoice() is inside the file


def test_class_hierarchy_members_and_parent(shop: Codebase) -> None:
    base = shop.get_class("Base")
    assert qns(base.subclasses) == ["shop.models.Customer", "shop.models.Order", "shop.services.billing.Invoice"]
    assert base.parent_class_names == ["abc.ABC"] and base.superclasses == []
    invoice = shop.get_class("Invoice")
    assert invoice.parent_class_names == ["models.Base"] and invoice.superclasses == [base]
    order = shop.get_class("Order")
    assert [m.name for m in order.methods] == ["__init__", "total", "empty", "_from_rows"]
    assert [c.name for c in order.constructors] == ["__init__"]
    assert order.attributes == [] and order.parent is None
    assert shop.get_class("Customer").decorators == ("register", "dataclass")
    parse = shop.get_function("parse")
    assert parse.parent == shop.get_function("_from_rows") and parse.parent.parent == order
    assert [c.name for c in order.children] == ["__init__", "total", "empty", "_from_rows"]
    assert len(order.descendants) == 5
    assert order.is_top_level and not parse.is_top_level


def test_usages_and_imports(shop: Codebase) -> None:
    customer = shop.get_class("Customer")
    assert [(u.kind, u.user.qualified_name, u.file, u.line) for u in customer.usages] == [
        ("imports", "shop.Client", "shop/__init__.py", 3),
    ]
    client = customer.usages[0].user
    assert isinstance(client, Import) and client.module == ".models" and client.imported_symbol == customer
    tax_rate = shop.get_symbol("shop.models.TAX_RATE")
    assert qns(tax_rate.symbol_usages) == ["shop.services.billing.TAX_RATE"]
    osp = shop.get_file("shop/services/billing.py").imports[0]
    assert osp.name == "osp" and osp.is_external and osp.imported_symbol == ExternalModule(shop, "stdlib", "os")
    assert [(u.user.name, u.line) for u in ExternalModule(shop, "stdlib", "os").usages] == [("osp", 1)]
    assert [f.path for f in shop.get_file("shop/models.py").importers] == ["shop/__init__.py", "shop/services/billing.py"]
    assert [f.path for f in shop.get_file("shop/services/tax.py").importers] == ["shop/services/billing.py"]


def test_symbol_text_and_metrics(shop: Codebase) -> None:
    rate = shop.get_function("rate")
    assert rate.source == (FIXTURES / "python/shop/services/tax.py").read_text().rstrip("\n")
    total = shop.get_function("shop.models.Order.total")
    assert total.metrics["cyclomatic_complexity"] == total.cyclomatic_complexity == 6
    assert total.return_statement_count == 1
    assert shop.get_function("charge").return_statement_count == 2  # the lambda's body is no return statement
    assert shop.get_symbol("TAX_RATE").metrics["cyclomatic_complexity"] is None
    assert shop.get_function("shop.models.Order.empty").decorators == ("staticmethod",)
    assert shop.get_function("_from_rows").parameters == ("cls", "customer", "rows")


# --- graph -------------------------------------------------------------------------------------------------------
def test_graph_nodes_and_edges(shop: Codebase) -> None:
    graph = shop.graph
    assert isinstance(graph, nx.MultiDiGraph) and shop.graph is graph
    elements = len(shop.elements)
    assert elements == 45
    unresolved = [n for n, d in graph.nodes(data=True) if d["kind"] == "unresolved"]
    external = sorted(n for n, d in graph.nodes(data=True) if d["kind"] == "external")
    assert external == ["external:stdlib:abc", "external:stdlib:dataclasses", "external:stdlib:os"]
    assert graph.number_of_nodes() == elements + len(external) + len(unresolved) == 65
    total = shop.get_function("shop.models.Order.total")
    node = graph.nodes[total.node_id]
    assert total.node_id == "shop/models.py:method:shop.models.Order.total"
    assert node == {"kind": "method", "name": "total", "qualified_name": "shop.models.Order.total",
                    "language": "python", "file": "shop/models.py", "start_line": 42, "end_line": 48,
                    "cyclomatic_complexity": 6, "nloc": 7}
    assert "cyclomatic_complexity" not in graph.nodes[shop.get_class("Order").node_id]
    empty = shop.get_function("Order.empty").node_id
    assert graph.get_edge_data(empty, shop.get_symbol("Order.__init__").node_id) == {
        "calls": {"kind": "calls", "resolved": True, "count": 1, "line": 52}}
    assert graph.get_edge_data(shop.get_class("Order").node_id, empty) == {
        "contains": {"kind": "contains", "resolved": True, "count": 1, "line": 51}}
    assert graph.get_edge_data(shop.get_function("Order.total").node_id, "unresolved:sum")["calls"]["resolved"] is False
    counts = Counter(k for _, _, k in graph.edges(keys=True))
    assert counts["contains"] == elements - 7  # every element but the seven modules has a parent
    assert sum(counts.values()) == graph.number_of_edges() == 76
    assert shop.symbol_for_node(total.node_id) == total
    assert shop.symbol_for_node("external:stdlib:os") == ExternalModule(shop, "stdlib", "os")
    resolved_only = shop.to_graph(unresolved=False)
    assert not any(d["kind"] == "unresolved" for _, d in resolved_only.nodes(data=True))
    assert resolved_only.number_of_nodes() == 65 - len(unresolved)


def test_graph_equals_one_built_with_the_public_networkx_api(shop: Codebase) -> None:
    graph = shop.graph
    slow = nx.MultiDiGraph(name=shop.name)
    slow.add_nodes_from(graph.nodes(data=True))
    slow.add_edges_from(graph.edges(keys=True, data=True))
    assert nx.utils.graphs_equal(graph, slow)
    assert sorted(graph.predecessors(shop.get_class("Base").node_id)) == sorted(slow.predecessors(shop.get_class("Base").node_id))
    graph_copy = graph.copy()
    graph_copy.remove_node(shop.get_class("Order").node_id)
    assert graph_copy.number_of_nodes() == graph.number_of_nodes() - 1


def test_relationship_counts_match_the_resolver(shop: Codebase) -> None:
    from graph_sitter.codebase.resolve import Resolver

    analysed = {f.path: f._r for f in shop.files}
    expected = Counter(e.kind for e in Resolver(analysed).resolve())
    assert shop.relationship_counts == dict(expected)
    assert sum(1 for _ in shop.edges(include_contains=True)) == sum(expected.values())


# --- summaries ---------------------------------------------------------------------------------------------------
def test_codebase_summary(shop: Codebase) -> None:
    # 45 elements + 3 external packages + 17 distinct unresolved names; 38 contains edges, 38 other sites
    # merged into 38 (source, target, kind) edges: 11 resolved calls/bases/decorators reach an element and
    # 7 imports reach a definition or module; 16 elements are exported.
    assert ca.get_codebase_summary(shop) == (
        "Contains 65 nodes\n- 7 files\n- 10 imports\n- 3 external_modules\n- 15 symbols\n\t- 5 classes\n"
        "\t- 6 functions\n\t- 4 global_vars\n\t- 0 interfaces\n\n"
        "Contains 76 edges\n- 11 symbol -> used symbol\n- 7 import -> used symbol\n- 16 export -> exported symbol\n"
    )


def test_file_summary(shop: Codebase) -> None:
    assert ca.get_file_summary(shop.get_file("shop/models.py")) == (
        "==== [ `models` (SourceFile) Dependency Summary ] ====\n- 2 imports\n- 6 symbol references\n"
        "\t- 3 classes\n\t- 1 functions\n\t- 2 global variables\n\t- 0 interfaces\n\n"
        "==== [ `models` Usage Summary ] ====\n- 2 importers\n"
    )


def test_class_summary(shop: Codebase) -> None:
    assert ca.get_class_summary(shop.get_class("Order")) == (
        "==== [ `Order` (Class) Dependency Summary ] ====\n- parent classes: ['Base']\n- 4 methods\n"
        "- 0 attributes\n- 0 decorators\n- 1 dependencies\n\n"
        "==== [ `Order` (Class) Usage Summary ] ====\n- 4 usages\n\t- 2 functions\n\t- 0 classes\n"
        "\t- 0 global variables\n\t- 0 interfaces\n\t- 2 imports\n\t\t- 0 functions\n\t\t- 2 classes\n"
        "\t\t- 0 global variables\n\t\t- 0 interfaces\n\t\t- 0 external modules\n\t\t- 0 files\n"
    )


def test_function_summary(shop: Codebase) -> None:
    assert ca.get_function_summary(shop.get_function("charge")) == (
        "==== [ `charge` (Function) Dependency Summary ] ====\n- 2 return statements\n- 2 parameters\n"
        "- 5 function calls\n- 0 call sites\n- 0 decorators\n- 2 dependencies\n\n"
        "==== [ `charge` (Function) Usage Summary ] ====\n- 1 usages\n\t- 0 functions\n\t- 0 classes\n"
        "\t- 0 global variables\n\t- 0 interfaces\n\t- 1 imports\n\t\t- 1 functions\n\t\t- 0 classes\n"
        "\t\t- 0 global variables\n\t\t- 0 interfaces\n\t\t- 0 external modules\n\t\t- 0 files\n"
    )
    header = ca.get_function_summary(shop.get_function("Invoice.header"))
    assert "- 1 return statements\n- 1 parameters\n- 0 function calls\n- 1 call sites\n" in header
    assert "- 1 usages\n\t- 1 functions\n" in header


def test_symbol_summary_counts_imports_by_what_they_import(shop: Codebase) -> None:
    assert ca.get_symbol_summary(shop.get_symbol("shop.models.TAX_RATE")) == (
        "==== [ `TAX_RATE` (GlobalVar) Usage Summary ] ====\n- 1 usages\n\t- 0 functions\n\t- 0 classes\n"
        "\t- 0 global variables\n\t- 0 interfaces\n\t- 1 imports\n\t\t- 0 functions\n\t\t- 0 classes\n"
        "\t\t- 1 global variables\n\t\t- 0 interfaces\n\t\t- 0 external modules\n\t\t- 0 files\n"
    )
    base = ca.get_symbol_summary(shop.get_class("Base"))
    # Customer, Order and Invoice inherit from it; Base.describe is inside it and calls Base.total, not Base
    assert base.startswith("==== [ `Base` (Class) Usage Summary ] ====\n- 3 usages\n\t- 0 functions\n\t- 3 classes\n")
    module = ca.get_symbol_summary(shop.get_file("shop/services/tax.py").module)
    assert "- 1 usages\n" in module and "\t\t- 1 files\n" in module  # `from . import tax`


def test_other_languages_types_and_methods() -> None:
    go = Codebase.from_path(FIXTURES / "go", jobs=1)
    store = go.get_class("internal/store.Store")
    # Store.reset is declared in helpers.go, the type in store.go
    assert [(m.name, m.filepath) for m in store.methods] == [
        ("Add", "internal/store/store.go"), ("Total", "internal/store/store.go"), ("reset", "internal/store/helpers.go"),
    ]
    assert isinstance(go.get_symbol("Repo"), Interface) and isinstance(go.get_symbol("Quantity"), TypeAlias)
    assert qns(go.get_function("New").callers) == ["cmd/shop.main"]
    java = Codebase.from_path(FIXTURES / "java", jobs=1)
    service = java.get_class("com.acme.shop.OrderService")
    assert [a.name for a in service.attributes] == ["MAX_RETRIES", "customers", "placed", "failed"]
    assert [c.name for c in service.constructors] == ["OrderService"]
    assert qns(java.get_function("Repository.find").callers) == ["com.acme.shop.OrderService.place", "com.acme.shop.Repository.exists"]
    ts = Codebase.from_path(FIXTURES / "typescript", jobs=1)
    assert qns(ts.interfaces) == ["src.components.Widget.WidgetProps", "src.models.Entity", "src.repo.Query"]
    assert qns(ts.get_class("src.models.User").superclasses) == ["src.models.Model"]
    assert qns(ts.get_class("src.models.Entity").subclasses) == ["src.models.Model"]
    summary = ca.get_codebase_summary(ts)
    assert "- 12 symbols\n\t- 7 classes\n\t- 2 functions\n\t- 0 global_vars\n\t- 3 interfaces\n" in summary


def test_from_path_on_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(AnalysisError, match="no such directory"):
        Codebase.from_path(tmp_path / "missing")


# --- from_db -----------------------------------------------------------------------------------------------------
def _element_set(cb: Codebase) -> Counter:
    return Counter((s.kind, s.qualified_name, s.filepath, s.start_line, s.end_line, s.element.parent is None,
                    s.element.cyclomatic_complexity, s.element.nloc) for s in cb.elements)


def _edge_set(cb: Codebase) -> Counter:
    return Counter(
        (r.kind, r.source.node_id, r.target.node_id if r.target is not None else None, r.target_name, r.line, r.resolved)
        for r in cb.edges(include_contains=True)
    )


def _graph_view(graph: nx.MultiDiGraph) -> tuple[dict, dict]:
    nodes = {n: {k: v for k, v in d.items() if k != "element_id"} for n, d in graph.nodes(data=True)}
    return nodes, {(u, v, k): d for u, v, k, d in graph.edges(keys=True, data=True)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_from_db_equals_from_path(language: str, settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    repo = _copy(FIXTURES / language, tmp_path / f"{language}_repo")
    result = analyze(repo, AnalyzeOptions(name=f"api-{language}-{uuid.uuid4().hex[:6]}"), settings)
    stored = Codebase.from_db(result.codebase, settings)
    fresh = Codebase.from_path(repo, jobs=1)
    assert stored.origin == "db" and fresh.origin == "results"
    assert [f.path for f in stored.files] == [f.path for f in fresh.files]
    assert stored.skipped == fresh.skipped
    assert _element_set(stored) == _element_set(fresh)
    assert _edge_set(stored) == _edge_set(fresh)
    assert stored.relationship_counts == fresh.relationship_counts == result.relationships
    assert _graph_view(stored.graph) == _graph_view(fresh.graph)
    assert [s.node_id for s in stored.elements] == [s.node_id for s in fresh.elements]  # extraction order kept
    for a, b in zip(stored.imports, fresh.imports):
        assert (a.module, getattr(a.imported_symbol, "node_id", None)) == (b.module, getattr(b.imported_symbol, "node_id", None))
    assert ca.get_codebase_summary(stored) == ca.get_codebase_summary(fresh)
    for a, b in zip(stored.files, fresh.files):
        assert ca.get_file_summary(a) == ca.get_file_summary(b)
        assert a.metrics["total_lines"] == b.metrics["total_lines"]
    for a, b in zip(stored.classes, fresh.classes):
        assert ca.get_class_summary(a) == ca.get_class_summary(b)
    for a, b in zip(stored.functions, fresh.functions):
        assert ca.get_function_summary(a) == ca.get_function_summary(b)
        assert a.source == b.source is not None
        assert a.docstring == b.docstring and a.signature == b.signature and a.parameters == b.parameters


def test_from_db_element_ids_and_lookups(settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    repo = _copy(FIXTURES / "python", tmp_path / "shop_repo")
    name = f"api-ids-{uuid.uuid4().hex[:6]}"
    result = analyze(repo, AnalyzeOptions(name=name), settings)
    by_name = Codebase.from_db(name, settings)
    by_path = Codebase.from_db(repo, settings)
    by_id = Codebase.from_db(result.codebase_id, settings)
    assert by_name.codebase_id == by_path.codebase_id == by_id.codebase_id == result.codebase_id
    assert by_name.name == name and by_name.root == repo.resolve()
    with cluster.connect("codebase_db") as conn:
        ids = {(r[0], r[1], r[2]): str(r[3]) for r in conn.execute(
            "SELECT kind, qualified_name, file_path, id FROM code_elements WHERE codebase_id = %s",
            (result.codebase_id,))}
    assert {(s.kind, s.qualified_name, s.filepath): s.element_id for s in by_name.elements} == ids
    assert by_name.graph.nodes[by_name.get_symbol("charge").node_id]["element_id"] == ids[
        ("function", "shop.services.billing.charge", "shop/services/billing.py")]
    # from_results with the codebase id numbers elements as codebase_db does
    fresh = Codebase.from_path(repo, jobs=1)
    again = Codebase.from_results(repo, fresh._results, _resolver_edges(fresh), codebase_id=result.codebase_id)
    assert {s.node_id: s.element_id for s in again.elements} == {s.node_id: s.element_id for s in by_name.elements}
    assert qns(by_name.get_symbol("Order.__init__").callers) == ["shop.models.Order.empty", "shop.models.Order._from_rows"]
    with pytest.raises(CodebaseNotFound, match="gsdb analyze"):
        Codebase.from_db("no-such-codebase", settings)


def _resolver_edges(cb: Codebase) -> list:
    from graph_sitter.codebase.resolve import Resolver

    return Resolver({f.path: f._r for f in cb.files}).resolve()


def test_from_db_source_is_none_once_the_file_changed(settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    repo = _copy(FIXTURES / "python", tmp_path / "shop_repo")
    name = f"api-stale-{uuid.uuid4().hex[:6]}"
    analyze(repo, AnalyzeOptions(name=name), settings)
    stored = Codebase.from_db(name, settings)
    tax = repo / "shop" / "services" / "tax.py"
    tax.write_text("# moved\n" + tax.read_text())
    assert stored.get_function("rate").source is None  # the stored offsets no longer point at it
    assert stored.get_function("charge").source is not None
    assert stored.get_function("rate").start_line == 1  # the stored view is unchanged


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


_REDEFINED = {
    "pkg/__init__.py": "",
    "pkg/a.py": "def one():\n    return 1\n\n\ndef two():\n    return 2\n",
    "pkg/b.py": (
        "import sys\n"
        "from typing import overload\n"
        "from pkg.a import two as y, one as x\n\n"
        "if sys.version_info > (3,):\n"
        "    def f():\n        return x()\n"
        "else:\n"
        "    def f():\n        return y()\n\n\n"
        "@overload\ndef g(a: int) -> int: ...\n"
        "@overload\ndef g(a: str) -> str: ...\n"
        "def g(a):\n    return f()\n"
    ),
}


def test_repeated_definitions_get_numbered_node_ids(tmp_path: Path) -> None:
    cb = Codebase.from_path(_write(tmp_path / "repo", _REDEFINED), jobs=1)
    assert [s.node_id for s in cb.functions if s.filepath == "pkg/b.py"] == [
        "pkg/b.py:function:pkg.b.f", "pkg/b.py:function:pkg.b.f#1",
        "pkg/b.py:function:pkg.b.g", "pkg/b.py:function:pkg.b.g#1", "pkg/b.py:function:pkg.b.g#2",
    ]
    with pytest.raises(AmbiguousSymbolError, match="2 matches"):
        cb.get_symbol("pkg.b.f")
    assert [s.start_line for s in cb.get_symbols("f")] == [6, 9]
    y, x = cb.get_file("pkg/b.py").imports[2:]  # in the order written
    assert (y.name, y.imported_symbol.qualified_name) == ("y", "pkg.a.two")
    assert (x.name, x.imported_symbol.qualified_name) == ("x", "pkg.a.one")
    assert qns(cb.get_function("one").callers) == ["pkg.b.f"]  # the first f calls x()
    assert [c.caller.node_id for c in cb.get_function("two").call_sites] == ["pkg/b.py:function:pkg.b.f#1"]


def test_from_db_keeps_repeats_and_import_order(settings: Settings, cluster: Cluster, tmp_path: Path) -> None:
    repo = _write(tmp_path / "repo", _REDEFINED)
    name = f"api-repeats-{uuid.uuid4().hex[:6]}"
    analyze(repo, AnalyzeOptions(name=name), settings)
    stored, fresh = Codebase.from_db(name, settings), Codebase.from_path(repo, jobs=1)
    assert [s.node_id for s in stored.elements] == [s.node_id for s in fresh.elements]
    assert _edge_set(stored) == _edge_set(fresh)
    # `two as y, one as x` share one range; their order (and so which import is which) survives the database
    assert [(i.name, getattr(i.imported_symbol, "qualified_name", None)) for i in stored.imports] == \
        [(i.name, getattr(i.imported_symbol, "qualified_name", None)) for i in fresh.imports]
