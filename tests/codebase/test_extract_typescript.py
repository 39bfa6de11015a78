"""TypeScript/TSX extraction on fixtures/typescript: hand-checked elements, references and metrics."""

from __future__ import annotations

from tests.codebase.fixture_outline import element, extract_fixture, imports, metrics, outline, references


def test_index_reexports() -> None:
    result = extract_fixture("typescript", "src/index.ts")
    assert outline(result) == [("module", "src", 1, 2, None)]
    assert imports(result) == [
        ("src", "./models", "*", None, 0, True, 1),
        ("src", "./repo", "Repository", "Repo", 0, True, 2),
        ("src", "./repo", "Query", None, 0, True, 2),
    ]


def test_models_interfaces_enums_abstract_classes() -> None:
    result = extract_fixture("typescript", "src/models/index.ts")
    m = "src.models"
    assert outline(result) == [
        ("module", m, 1, 34, None),
        ("interface", f"{m}.Entity", 2, 4, m),
        ("type_alias", f"{m}.Id", 6, 6, m),
        ("enum", f"{m}.Status", 8, 11, m),
        ("class", f"{m}.Model", 13, 21, m),
        ("method", f"{m}.Model.constructor", 14, 14, f"{m}.Model"),
        ("method", f"{m}.Model.validate", 16, 16, f"{m}.Model"),
        ("method", f"{m}.Model.isActive", 18, 20, f"{m}.Model"),
        ("class", f"{m}.User", 23, 34, m),
        ("method", f"{m}.User.constructor", 26, 29, f"{m}.User"),
        ("method", f"{m}.User.validate", 31, 33, f"{m}.User"),
    ]
    assert element(result, f"{m}.Entity").docstring == "Anything with an id."
    model = element(result, f"{m}.Model")
    assert model.is_abstract and model.is_exported
    validate = element(result, f"{m}.Model.validate")
    assert validate.is_abstract and validate.return_type == "boolean" and validate.cyclomatic_complexity == 1
    assert element(result, f"{m}.User.constructor").parameters == ("id", "email")
    assert references(result, "implement") == [(f"{m}.Model", "Entity", 13)]
    assert references(result, "inherit") == [(f"{m}.User", "Model", 23)]
    assert metrics(result, f"{m}.Model.constructor") == (2, 1, 2, 0)  # typed parameter default
    assert metrics(result, f"{m}.User.validate") == (3, 3, 0, 0)  # && and ||


def test_repository_generics_decorators_namespaces() -> None:
    result = extract_fixture("typescript", "src/repo.ts")
    m = "src.repo"
    assert outline(result) == [
        ("module", m, 1, 40, None),
        ("import", f"{m}.Entity", 1, 1, m),
        ("import", f"{m}.Status", 1, 1, m),
        ("import", f"{m}.User", 1, 1, m),
        ("import", f"{m}.Id", 2, 2, m),
        ("interface", f"{m}.Query", 4, 7, m),
        ("function", f"{m}.injectable", 9, 11, m),
        ("class", f"{m}.Repository", 14, 30, m),
        ("method", f"{m}.Repository.find", 17, 20, f"{m}.Repository"),
        ("method", f"{m}.Repository.save", 22, 27, f"{m}.Repository"),
        ("method", f"{m}.Repository.query", 29, 29, f"{m}.Repository"),
        ("module", f"{m}.Repos", 32, 38, m),
        ("function", f"{m}.Repos.active", 35, 37, f"{m}.Repos"),
        ("type_alias", f"{m}.Unwrap", 40, 40, m),
    ]
    repository = element(result, f"{m}.Repository")
    assert repository.decorators == ("injectable()",) and repository.is_exported
    assert references(result, "decorate") == [(f"{m}.Repository", "injectable", 13)]
    find = element(result, f"{m}.Repository.find")
    assert find.is_async and find.return_type == "Promise<T | undefined>"
    assert not element(result, f"{m}.injectable").is_exported
    # `fallback?` is an optional parameter, not a decision (lizard reads `fallback?` as one token).
    assert metrics(result, f"{m}.Repository.find") == (2, 4, 2, 0)
    assert metrics(result, f"{m}.Repository.save") == (3, 6, 1, 1)
    assert metrics(result, f"{m}.Repository.query") == (3, 1, 1, 0)  # default and ??
    assert references(result, "call") == [
        (f"{m}", "injectable", 13),
        (f"{m}.Repository", "Map", 15),
        (f"{m}.Repository.find", "this.items.get", 18),
        (f"{m}.Repository.find", "String", 18),
        (f"{m}.Repository.save", "item.validate", 23),
        (f"{m}.Repository.save", "Error", 24),
        (f"{m}.Repository.save", "this.items.set", 26),
        (f"{m}.Repository.query", "?.slice", 29),
        (f"{m}.Repository.query", "this.items.values", 29),
        (f"{m}.Repos", "Repository", 33),
    ]


def test_tsx_component() -> None:
    result = extract_fixture("typescript", "src/components/Widget.tsx")
    m = "src.components.Widget"
    assert result.parse_error_count == 0
    assert outline(result) == [
        ("module", m, 1, 22, None),
        ("import", f"{m}.React", 1, 1, m),
        ("import", f"{m}.useState", 1, 1, m),
        ("interface", f"{m}.WidgetProps", 3, 6, m),
        ("function", f"{m}.Widget", 8, 16, m),
        ("class", f"{m}.Panel", 18, 22, m),
        ("method", f"{m}.Panel.render", 19, 21, f"{m}.Panel"),
    ]
    # destructuring default, &&, ternary; the onClick and map arrows are functions of their own
    assert metrics(result, f"{m}.Widget") == (4, 9, 1, 0)
    assert references(result, "inherit") == [(f"{m}.Panel", "React.Component", 18)]
    assert imports(result) == [
        (m, "react", "default", "React", 0, False, 1),
        (m, "react", "useState", None, 0, False, 1),
    ]
