"""JavaScript/JSX extraction on fixtures/javascript: hand-checked elements, references and metrics."""

from __future__ import annotations

from tests.codebase.fixture_outline import element, extract_fixture, imports, metrics, outline, references


def test_index_reexports() -> None:
    result = extract_fixture("javascript", "src/index.js")
    assert outline(result) == [("module", "src", 1, 3, None)]
    assert imports(result) == [
        ("src", "./cart.js", "Cart", None, 0, True, 1),
        ("src", "./util/index.js", "*", None, 0, True, 2),
        ("src", "./format.js", "default", "format", 0, True, 3),
    ]


def test_cart_elements() -> None:
    result = extract_fixture("javascript", "src/cart.js")
    module = "src.cart"
    assert outline(result) == [
        ("module", module, 1, 61, None),
        ("import", f"{module}.EventEmitter", 1, 1, module),
        ("import", f"{module}.clamp", 2, 2, module),
        ("import", f"{module}.total", 2, 2, module),
        ("import", f"{module}.fmt", 3, 3, module),
        ("constant", f"{module}.TAX", 6, 6, module),
        ("variable", f"{module}.counter", 7, 7, module),
        ("class", f"{module}.Cart", 12, 48, module),
        ("method", f"{module}.Cart.constructor", 15, 18, f"{module}.Cart"),
        ("method", f"{module}.Cart.add", 20, 27, f"{module}.Cart"),
        ("method", f"{module}.Cart.size", 29, 31, f"{module}.Cart"),
        ("method", f"{module}.Cart.total", 33, 36, f"{module}.Cart"),
        ("method", f"{module}.Cart.create", 38, 40, f"{module}.Cart"),
        ("method", f"{module}.Cart.#log", 42, 45, f"{module}.Cart"),
        ("method", f"{module}.Cart.render", 47, 47, f"{module}.Cart"),
        ("function", f"{module}.checkout", 50, 61, module),
    ]
    cart = element(result, f"{module}.Cart")
    assert cart.is_exported and cart.docstring == "A shopping cart."
    assert element(result, f"{module}.TAX").docstring == "Shared tax rate."
    assert not element(result, f"{module}.counter").is_exported
    assert element(result, f"{module}.Cart.create").is_static
    assert element(result, f"{module}.Cart.#log").visibility == "private"
    assert element(result, f"{module}.checkout").parameters == ("cart", "{ coupon = null }")


def test_cart_imports_and_references() -> None:
    result = extract_fixture("javascript", "src/cart.js")
    module = "src.cart"
    assert imports(result) == [
        (module, "events", "default", "EventEmitter", 0, False, 1),
        (module, "./util/index.js", "clamp", None, 0, False, 2),
        (module, "./util/index.js", "sum", "total", 0, False, 2),
        (module, "./format.js", "*", "fmt", 0, False, 3),
    ]
    assert references(result, "inherit") == [(f"{module}.Cart", "EventEmitter", 12)]
    assert references(result, "call") == [
        (f"{module}.Cart.constructor", "super", 16),
        (f"{module}.Cart.add", "Error", 22),
        (f"{module}.Cart.add", "this.#items.push", 24),
        (f"{module}.Cart.add", "this.emit", 25),
        (f"{module}.Cart.total", "this.#items.map", 34),
        (f"{module}.Cart.total", "clamp", 35),
        (f"{module}.Cart.total", "total", 35),
        (f"{module}.Cart.create", "Cart", 39),
        (f"{module}.Cart.#log", "console.log", 44),
        (f"{module}.Cart.#log", "fmt.default", 44),
        (f"{module}.checkout", "cart.total", 60),
        (f"{module}.checkout", "cart.total", 60),
    ]


def test_cart_metrics_follow_lizard() -> None:
    result = extract_fixture("javascript", "src/cart.js")
    module = "src.cart"
    assert metrics(result, f"{module}.Cart.constructor") == (2, 4, 1, 0)  # default parameter
    assert metrics(result, f"{module}.Cart.add") == (4, 8, 2, 1)  # default, if, ||
    # The arrow function passed to map is a function of its own: its `?` is not total's.
    assert metrics(result, f"{module}.Cart.total") == (1, 4, 0, 0)
    # two destructuring defaults, for, ??, case, case, ternary
    assert metrics(result, f"{module}.checkout") == (8, 12, 2, 2)


def test_util_functions_and_export_list() -> None:
    result = extract_fixture("javascript", "src/util/index.js")
    assert outline(result) == [
        ("module", "src.util", 1, 11, None),
        ("function", "src.util.clamp", 1, 3, "src.util"),
        ("function", "src.util.sum", 5, 5, "src.util"),
        ("function", "src.util.helper", 7, 9, "src.util"),
    ]
    helper = element(result, "src.util.helper")
    assert helper.is_exported and helper.visibility == "public"  # via `export { helper }`
    assert element(result, "src.util.sum").parameters == ("...values",)


def test_default_export_function() -> None:
    result = extract_fixture("javascript", "src/format.js")
    assert outline(result) == [("module", "src.format", 1, 3, None), ("function", "src.format.format", 1, 3, "src.format")]
    assert metrics(result, "src.format.format") == (3, 3, 1, 0)  # && and ?


def test_jsx_components() -> None:
    result = extract_fixture("javascript", "src/App.jsx")
    assert result.parse_error_count == 0
    assert outline(result) == [
        ("module", "src.App", 1, 15, None),
        ("import", "src.App.React", 1, 1, "src.App"),
        ("import", "src.App.Cart", 2, 2, "src.App"),
        ("function", "src.App.Button", 4, 4, "src.App"),
        ("function", "src.App.App", 6, 15, "src.App"),
    ]
    assert references(result, "call") == [
        ("src.App.App", "Cart.create", 7),
        ("src.App.App", "items.map", 10),
        ("src.App.App", "cart.add", 11),
    ]
    assert metrics(result, "src.App.App") == (1, 8, 1, 0)


def test_commonjs_require() -> None:
    result = extract_fixture("javascript", "lib/legacy.js")
    assert outline(result) == [
        ("module", "lib.legacy", 1, 8, None),
        ("import", "lib.legacy.path", 1, 1, "lib.legacy"),
        ("import", "lib.legacy.readFile", 2, 2, "lib.legacy"),
        ("import", "lib.legacy.write", 2, 2, "lib.legacy"),
        ("function", "lib.legacy.load", 4, 6, "lib.legacy"),
    ]
    assert imports(result) == [
        ("lib.legacy", "path", None, "path", 0, False, 1),
        ("lib.legacy", "fs", "readFile", None, 0, False, 2),
        ("lib.legacy", "fs", "writeFile", "write", 0, False, 2),
    ]
