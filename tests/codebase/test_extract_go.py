"""Go extraction on fixtures/go: hand-checked elements, references and metrics."""

from __future__ import annotations

from tests.codebase.fixture_outline import element, extract_fixture, imports, metrics, outline, references

PKG = "internal/store"


def test_store_elements() -> None:
    result = extract_fixture("go", "internal/store/store.go")
    assert outline(result) == [
        ("module", PKG, 1, 59, None),
        ("import", f"{PKG}.errors", 5, 5, PKG),
        ("import", f"{PKG}.sync", 6, 6, PKG),
        ("constant", f"{PKG}.MaxItems", 10, 10, PKG),
        ("variable", f"{PKG}.ErrFull", 13, 13, PKG),
        ("variable", f"{PKG}.lastError", 14, 14, PKG),
        ("interface", f"{PKG}.Repo", 18, 21, PKG),
        ("struct", f"{PKG}.Store", 24, 27, PKG),
        ("type_alias", f"{PKG}.Quantity", 30, 30, PKG),
        ("function", f"{PKG}.New", 33, 35, PKG),
        ("method", f"{PKG}.Store.Add", 38, 49, f"{PKG}.Store"),
        ("method", f"{PKG}.Store.Total", 51, 59, f"{PKG}.Store"),
    ]
    assert result.elements[0].name == "store"
    assert result.elements[0].docstring == "Package store keeps items in memory."
    add = element(result, f"{PKG}.Store.Add")
    assert add.docstring == "Add puts qty of name into the store."
    assert add.parameters == ("name", "qty") and add.return_type == "error"
    assert add.is_exported and add.visibility == "public"
    lowered = element(result, f"{PKG}.lastError")
    assert not lowered.is_exported and lowered.visibility == "internal"
    assert element(result, f"{PKG}.New").return_type == "*Store"


def test_store_references_and_metrics() -> None:
    result = extract_fixture("go", "internal/store/store.go")
    assert imports(result) == [
        (PKG, "errors", None, None, 0, False, 5),
        (PKG, "sync", None, None, 0, False, 6),
    ]
    assert references(result, "inherit") == [(f"{PKG}.Store", "sync.Mutex", 25)]
    assert references(result, "call") == [
        (PKG, "errors.New", 13),
        (f"{PKG}.Store.Add", "s.Lock", 39),
        (f"{PKG}.Store.Add", "s.Unlock", 40),
        (f"{PKG}.Store.Add", "len", 41),
        (f"{PKG}.Store.Total", "each", 53),
    ]
    assert metrics(result, f"{PKG}.Store.Add") == (4, 12, 2, 1)  # if, &&, for
    # The closure passed to each() is a function of its own for lizard: its `if` is not Total's.
    assert metrics(result, f"{PKG}.Store.Total") == (1, 5, 0, 0)


def test_method_declared_in_another_file_of_the_package() -> None:
    result = extract_fixture("go", "internal/store/helpers.go")
    assert outline(result) == [
        ("module", PKG, 1, 18, None),
        ("function", f"{PKG}.each", 3, 14, PKG),
        # The receiver type lives in store.go: qualified by it, parented by the module here.
        ("method", f"{PKG}.Store.reset", 16, 18, PKG),
    ]
    assert metrics(result, f"{PKG}.each") == (5, 12, 2, 2)  # for, case, case, ||
    assert references(result, "call") == [(f"{PKG}.each", "fn", 9), (f"{PKG}.each", "fn", 11)]


def test_main_package_imports() -> None:
    result = extract_fixture("go", "cmd/shop/main.go")
    assert outline(result) == [
        ("module", "cmd/shop", 1, 17, None),
        ("import", "cmd/shop.fmt", 4, 4, "cmd/shop"),
        ("import", "cmd/shop.os", 5, 5, "cmd/shop"),
        ("import", "cmd/shop.store", 7, 7, "cmd/shop"),
        ("function", "cmd/shop.main", 10, 17, "cmd/shop"),
    ]
    assert imports(result)[2] == ("cmd/shop", "example.com/shop/internal/store", None, None, 0, False, 7)
    assert references(result, "call")[:2] == [("cmd/shop.main", "store.New", 11), ("cmd/shop.main", "s.Add", 12)]
    assert metrics(result, "cmd/shop.main") == (2, 8, 0, 1)
