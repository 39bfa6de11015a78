"""Python extraction on fixtures/python: hand-checked elements, references and metrics."""

from __future__ import annotations

from tests.codebase.fixture_outline import element, extract_fixture, imports, metrics, outline, references


def test_package_init_reexports_with_all() -> None:
    result = extract_fixture("python", "shop/__init__.py")
    assert result.skipped_reason is None and result.error is None
    assert outline(result) == [
        ("module", "shop", 1, 6, None),
        ("import", "shop.Client", 3, 3, "shop"),
        ("import", "shop.Order", 3, 3, "shop"),
        ("import", "shop.charge", 4, 4, "shop"),
        ("variable", "shop.__all__", 6, 6, "shop"),
    ]
    assert imports(result) == [
        ("shop", "models", "Customer", "Client", 1, False, 3),
        ("shop", "models", "Order", None, 1, False, 3),
        ("shop", "services.billing", "charge", None, 1, False, 4),
    ]
    # __all__ decides what is exported, re-exported imports included.
    exported = {e.name for e in result.elements if e.is_exported}
    assert exported == {"Client", "Order", "charge"}
    assert result.elements[0].docstring == "A tiny shop: the package re-exports its main types."


def test_models_elements() -> None:
    result = extract_fixture("python", "shop/models.py")
    assert outline(result) == [
        ("module", "shop.models", 1, 60, None),
        ("import", "shop.models.dataclass", 3, 3, "shop.models"),
        ("import", "shop.models.abc", 4, 4, "shop.models"),
        ("constant", "shop.models.TAX_RATE", 6, 6, "shop.models"),
        ("variable", "shop.models._registry", 7, 7, "shop.models"),
        ("function", "shop.models.register", 10, 13, "shop.models"),
        ("class", "shop.models.Base", 16, 24, "shop.models"),
        ("method", "shop.models.Base.total", 20, 21, "shop.models.Base"),
        ("method", "shop.models.Base.describe", 23, 24, "shop.models.Base"),
        ("class", "shop.models.Customer", 29, 34, "shop.models"),
        ("method", "shop.models.Customer.total", 33, 34, "shop.models.Customer"),
        ("class", "shop.models.Order", 37, 60, "shop.models"),
        ("method", "shop.models.Order.__init__", 38, 40, "shop.models.Order"),
        ("method", "shop.models.Order.total", 42, 48, "shop.models.Order"),
        ("method", "shop.models.Order.empty", 51, 52, "shop.models.Order"),
        ("method", "shop.models.Order._from_rows", 55, 60, "shop.models.Order"),
        ("function", "shop.models.Order._from_rows.parse", 56, 58, "shop.models.Order._from_rows"),
    ]


def test_models_attributes() -> None:
    result = extract_fixture("python", "shop/models.py")
    register = element(result, "shop.models.register")
    assert register.docstring == "Remember a model class."
    assert register.parameters == ("cls",)
    assert register.signature == "def register(cls)"
    assert register.is_exported and register.visibility == "public"

    base = element(result, "shop.models.Base")
    assert base.is_abstract and base.docstring == "Common base."
    abstract_total = element(result, "shop.models.Base.total")
    assert abstract_total.is_abstract and abstract_total.decorators == ("abc.abstractmethod",)
    assert abstract_total.return_type == "float"

    customer = element(result, "shop.models.Customer")
    assert customer.decorators == ("register", "dataclass")

    empty = element(result, "shop.models.Order.empty")
    assert empty.is_static and empty.decorators == ("staticmethod",)
    from_rows = element(result, "shop.models.Order._from_rows")
    assert from_rows.is_static and from_rows.visibility == "private" and not from_rows.is_exported
    assert from_rows.parameters == ("cls", "customer", "rows")

    assert element(result, "shop.models._registry").visibility == "private"
    assert element(result, "shop.models.TAX_RATE").is_exported
    # Methods and nested functions are not module exports.
    assert not element(result, "shop.models.Order.total").is_exported
    assert not element(result, "shop.models.Order._from_rows.parse").is_exported


def test_models_metrics_follow_lizard() -> None:
    result = extract_fixture("python", "shop/models.py")
    # (CC, NLOC, parameters, max nesting): checked against lizard 1.24 by hand and by test_lizard_agreement.
    assert metrics(result, "shop.models.register") == (1, 3, 1, 0)
    assert metrics(result, "shop.models.Base.total") == (1, 2, 1, 0)
    assert metrics(result, "shop.models.Order.__init__") == (2, 3, 3, 0)  # `or`
    # comprehension for + if, if, and, elif
    assert metrics(result, "shop.models.Order.total") == (6, 7, 1, 1)
    # The nested def's decisions and lines are its own; its `def` line counts for both (lizard).
    assert metrics(result, "shop.models.Order._from_rows") == (2, 3, 3, 0)
    assert metrics(result, "shop.models.Order._from_rows.parse") == (1, 3, 1, 0)
    assert element(result, "shop.models.Order.total").token_count > 0


def test_models_references() -> None:
    result = extract_fixture("python", "shop/models.py")
    assert references(result, "inherit") == [
        ("shop.models.Base", "abc.ABC", 16),
        ("shop.models.Customer", "Base", 29),
        ("shop.models.Order", "Base", 37),
    ]
    assert references(result, "decorate") == [
        ("shop.models.Base.total", "abc.abstractmethod", 19),
        ("shop.models.Customer", "register", 27),
        ("shop.models.Customer", "dataclass", 28),
        ("shop.models.Order.empty", "staticmethod", 50),
        ("shop.models.Order._from_rows", "classmethod", 54),
    ]
    assert references(result, "call") == [
        ("shop.models.Base.describe", "type", 24),
        ("shop.models.Base.describe", "self.total", 24),
        ("shop.models.Order.total", "sum", 43),
        ("shop.models.Order.total", "ValueError", 47),
        ("shop.models.Order.empty", "Order", 52),
        ("shop.models.Order._from_rows.parse", "float", 58),
        ("shop.models.Order._from_rows", "cls", 60),
        ("shop.models.Order._from_rows", "parse", 60),
    ]


def test_billing_relative_imports_aliases_and_calls() -> None:
    result = extract_fixture("python", "shop/services/billing.py")
    assert outline(result) == [
        ("module", "shop.services.billing", 1, 35, None),
        ("import", "shop.services.billing.osp", 1, 1, "shop.services.billing"),
        ("import", "shop.services.billing.models", 2, 2, "shop.services.billing"),
        ("import", "shop.services.billing.O", 3, 3, "shop.services.billing"),
        ("import", "shop.services.billing.TAX_RATE", 3, 3, "shop.services.billing"),
        ("import", "shop.services.billing.tax", 4, 4, "shop.services.billing"),
        ("class", "shop.services.billing.Invoice", 7, 23, "shop.services.billing"),
        ("method", "shop.services.billing.Invoice.__init__", 8, 10, "shop.services.billing.Invoice"),
        ("method", "shop.services.billing.Invoice.total", 12, 13, "shop.services.billing.Invoice"),
        ("method", "shop.services.billing.Invoice.render", 15, 20, "shop.services.billing.Invoice"),
        ("method", "shop.services.billing.Invoice.header", 22, 23, "shop.services.billing.Invoice"),
        ("function", "shop.services.billing.charge", 26, 35, "shop.services.billing"),
    ]
    module = "shop.services.billing"
    assert imports(result) == [
        (module, "os.path", None, "osp", 0, False, 1),
        (module, None, "models", None, 2, False, 2),
        (module, "models", "Order", "O", 2, False, 3),
        (module, "models", "TAX_RATE", None, 2, False, 3),
        (module, None, "tax", None, 1, False, 4),
    ]
    assert references(result, "inherit") == [(f"{module}.Invoice", "models.Base", 7)]
    assert references(result, "call") == [
        (f"{module}.Invoice.__init__", "super", 9),
        (f"{module}.Invoice.__init__", "super().__init__", 9),
        (f"{module}.Invoice.total", "self.order.total", 13),
        (f"{module}.Invoice.render", "self.header", 16),
        (f"{module}.Invoice.render", "lines.append", 18),
        (f"{module}.Invoice.render", "osp.join", 19),
        (f"{module}.charge", "Invoice", 27),
        (f"{module}.charge", "invoice.total", 28),
        (f"{module}.charge", "tax.rate", 28),
        # A lambda is no element: the calls in it belong to the enclosing function.
        (f"{module}.charge", "print", 34),
        (f"{module}.charge", "log", 35),
    ]
    # for + `or`; conditional-expression `if`, `except`, `finally` (lizard counts finally).
    assert metrics(result, f"{module}.Invoice.render") == (3, 6, 2, 1)
    assert metrics(result, f"{module}.charge") == (4, 10, 2, 1)
    init = element(result, f"{module}.Invoice.__init__")
    assert init.parameters == ("self", "order") and init.signature == "def __init__(self, order: O)"


def test_line_counts_and_maintainability() -> None:
    result = extract_fixture("python", "shop/models.py")
    assert result.total_lines == 60
    # Docstrings count as comment lines: 3 docstrings; no `#` comments.
    assert (result.code_lines, result.comment_lines, result.blank_lines) == (40, 3, 17)
    assert result.code_lines + result.comment_lines + result.blank_lines == result.total_lines
    assert 0 < result.maintainability_index < 100
    init = extract_fixture("python", "shop/__init__.py")
    assert init.maintainability_index == 100.0  # no operators: radon's MI is 100 when V is 0
    assert len(result.content_hash) == 32 and result.size_bytes > 0


def test_empty_package_init() -> None:
    result = extract_fixture("python", "shop/services/__init__.py")
    assert outline(result) == [("module", "shop.services", 1, 1, None)]
    assert result.total_lines == 0 and result.skipped_reason is None


def test_syntax_error_is_parsed_anyway() -> None:
    result = extract_fixture("python", "broken.py")
    assert result.skipped_reason is None and result.error is None
    assert result.parse_error_count == 1
    assert outline(result) == [
        ("module", "broken", 1, 11, None),
        ("function", "broken.fine", 1, 2, "broken"),
        ("function", "broken.broken", 5, 6, "broken"),
        ("class", "broken.AfterError", 9, 11, "broken"),
        ("method", "broken.AfterError.method", 10, 11, "broken.AfterError"),
    ]


def test_non_utf8_file_is_analysed() -> None:
    result = extract_fixture("python", "latin1.py")
    assert result.skipped_reason is None and result.parse_error_count == 0
    assert outline(result) == [
        ("module", "latin1", 1, 6, None),
        ("constant", "latin1.GREETING", 2, 2, "latin1"),
        ("function", "latin1.greet", 5, 6, "latin1"),
    ]
    assert "\ufffd" in element(result, "latin1.GREETING").signature  # undecodable byte replaced


def test_binary_file_is_skipped() -> None:
    result = extract_fixture("python", "blob.py")
    assert result.skipped_reason == "binary"
    assert result.elements == [] and result.content_hash is not None
