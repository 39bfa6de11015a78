"""Rust extraction on fixtures/rust: hand-checked elements, references and metrics."""

from __future__ import annotations

from tests.codebase.fixture_outline import element, extract_fixture, imports, metrics, outline, references


def test_crate_root_modules_and_reexports() -> None:
    result = extract_fixture("rust", "src/lib.rs")
    assert outline(result) == [
        ("module", "crate", 1, 10, None),
        ("import", "crate::Item", 6, 6, "crate"),
        ("import", "crate::Kind", 6, 6, "crate"),
        ("import", "crate::pay", 7, 7, "crate"),
        ("constant", "crate::VERSION", 10, 10, "crate"),
    ]
    assert result.elements[0].docstring == "The shop crate."
    assert imports(result) == [
        ("crate", "model", None, None, 0, False, 3),
        ("crate", "service", None, None, 0, False, 4),
        ("crate", "model", "Item", None, 0, True, 6),
        ("crate", "model", "Kind", None, 0, True, 6),
        ("crate", "service", "checkout", "pay", 0, True, 7),
    ]
    assert element(result, "crate::VERSION").docstring == "Library version."


def test_model_types_traits_and_impls() -> None:
    result = extract_fixture("rust", "src/model.rs")
    m = "crate::model"
    assert outline(result) == [
        ("module", m, 1, 49, None),
        ("import", f"{m}::fmt", 1, 1, m),
        ("struct", f"{m}::Item", 5, 9, m),
        ("enum", f"{m}::Kind", 12, 15, m),
        ("trait", f"{m}::Priced", 17, 23, m),
        ("method", f"{m}::Priced::price", 18, 18, f"{m}::Priced"),
        ("method", f"{m}::Priced::discounted", 20, 22, f"{m}::Priced"),
        # Methods of `impl Item` and `impl Trait for Item` hang off the struct.
        ("method", f"{m}::Item::new", 26, 28, f"{m}::Item"),
        ("method", f"{m}::Item::is_food", 30, 32, f"{m}::Item"),
        ("method", f"{m}::Item::price", 36, 42, f"{m}::Item"),
        ("method", f"{m}::Item::fmt", 46, 48, f"{m}::Item"),
    ]
    item = element(result, f"{m}::Item")
    assert item.docstring == "Something to sell." and item.decorators == ("derive(Debug, Clone)",)
    assert item.is_exported and item.visibility == "public"
    assert element(result, f"{m}::Priced::price").is_abstract
    assert element(result, f"{m}::Item::new").is_static
    assert element(result, f"{m}::Item::is_food").visibility == "internal"
    assert references(result, "implement") == [(f"{m}::Item", "Priced", 35), (f"{m}::Item", "Display", 45)]
    assert references(result, "inherit") == [(f"{m}::Priced", "Debug", 17)]
    # match arms after the first (2) plus the guard's `if`
    assert metrics(result, f"{m}::Item::price") == (4, 7, 1, 1)


def test_service_metrics_and_calls() -> None:
    result = extract_fixture("rust", "src/service/mod.rs")
    m = "crate::service"
    assert outline(result) == [
        ("module", m, 1, 25, None),
        ("import", f"{m}::Item", 1, 1, m),
        ("import", f"{m}::Priced", 1, 1, m),
        ("import", f"{m}::HashMap", 2, 2, m),
        ("variable", f"{m}::CALLS", 4, 4, m),
        ("function", f"{m}::checkout", 6, 20, m),
        ("function", f"{m}::parse", 22, 25, m),
    ]
    # for, let-else, if, &&, and the closure's `if` (closures are no functions for lizard)
    assert metrics(result, f"{m}::checkout") == (6, 15, 2, 2)
    assert metrics(result, f"{m}::parse") == (2, 4, 1, 0)  # the ? operator
    assert references(result, "call")[:3] == [
        (f"{m}::checkout", "coupons.get", 9),
        (f"{m}::checkout", "item.price", 10),
        (f"{m}::checkout", "item.is_food", 13),
    ]
    assert (f"{m}::parse", "raw.trim().parse", 23) in references(result, "call")
