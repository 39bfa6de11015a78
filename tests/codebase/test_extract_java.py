"""Java extraction on fixtures/java: hand-checked elements, references and metrics."""

from __future__ import annotations

from tests.codebase.fixture_outline import element, extract_fixture, imports, metrics, outline, references

BASE = "src/main/java/com/acme/shop/"
PKG = "com.acme.shop"


def test_order_service_elements() -> None:
    result = extract_fixture("java", BASE + "OrderService.java")
    cls = f"{PKG}.OrderService"
    assert outline(result) == [
        ("module", cls, 1, 74, None),
        ("import", f"{cls}.Function", 4, 4, cls),
        ("import", f"{cls}.requireNonNull", 5, 5, cls),
        ("class", cls, 10, 74, cls),
        ("constant", f"{cls}.MAX_RETRIES", 11, 11, cls),
        ("variable", f"{cls}.customers", 12, 12, cls),
        ("variable", f"{cls}.placed", 13, 13, cls),
        ("variable", f"{cls}.failed", 13, 13, cls),
        ("method", f"{cls}.OrderService", 19, 22, cls),
        ("method", f"{cls}.run", 24, 34, cls),
        ("method", f"{cls}.place", 36, 41, cls),
        ("method", f"{cls}.close", 43, 54, cls),
        ("enum", f"{cls}.Channel", 56, 67, cls),
        ("method", f"{cls}.Channel.online", 59, 66, f"{cls}.Channel"),
        ("class", f"{cls}.Stats", 69, 73, cls),
        ("method", f"{cls}.Stats.total", 70, 72, f"{cls}.Stats"),
    ]
    service = element(result, cls, "class")
    assert service.docstring == "Places orders." and service.is_exported
    run = element(result, f"{cls}.run")
    assert run.decorators == ("Override",) and run.return_type == "void"
    assert element(result, f"{cls}.MAX_RETRIES").visibility == "private"
    assert element(result, f"{cls}.placed").visibility == "protected"
    assert element(result, f"{cls}.Stats").is_static
    assert element(result, f"{cls}.Channel.online").visibility == "internal"


def test_order_service_references_and_metrics() -> None:
    result = extract_fixture("java", BASE + "OrderService.java")
    cls = f"{PKG}.OrderService"
    assert imports(result) == [
        (cls, "java.util", "*", None, 0, False, 3),
        (cls, "java.util.function", "Function", None, 0, False, 4),
        (cls, "java.util.Objects", "requireNonNull", None, 0, False, 5),
    ]
    assert references(result, "inherit") == [(cls, "BaseService", 10)]
    assert references(result, "implement") == [(cls, "Runnable", 10), (cls, "AutoCloseable", 10)]
    assert references(result, "decorate") == [(f"{cls}.run", "Override", 24), (f"{cls}.close", "Override", 43)]
    calls = references(result, "call")
    assert (cls, "System.setProperty", 16) in calls  # static initializer: the class
    assert (f"{cls}.OrderService", "super", 20) in calls
    assert (f"{cls}.place", "customers.find().orElseThrow", 37) in calls
    assert (f"{cls}.close", "Runnable", 45) in calls  # anonymous class instantiation
    assert (f"{cls}.close", "System.out.println", 49) in calls  # inside the anonymous class
    # The lambda's ternary counts for place (lizard has no lambda functions), so do the others.
    assert metrics(result, f"{cls}.place") == (3, 6, 1, 0)
    # NLOC starts at the method name, as in lizard: the @Override line is not counted.
    assert metrics(result, f"{cls}.run") == (3, 10, 0, 2)
    # The anonymous class's run() is a function of its own: its `if` is not close()'s.
    assert metrics(result, f"{cls}.close") == (1, 7, 0, 0)
    assert metrics(result, f"{cls}.Channel.online") == (2, 8, 0, 1)


def test_interface_and_record() -> None:
    repository = extract_fixture("java", BASE + "Repository.java")
    iface = f"{PKG}.Repository"
    assert outline(repository) == [
        ("module", iface, 1, 17, None),
        ("import", f"{iface}.List", 3, 3, iface),
        ("import", f"{iface}.Optional", 4, 4, iface),
        ("interface", iface, 7, 17, iface),
        ("constant", f"{iface}.LIMIT", 8, 8, iface),
        ("method", f"{iface}.find", 10, 10, iface),
        ("method", f"{iface}.all", 12, 12, iface),
        ("method", f"{iface}.exists", 14, 16, iface),
    ]
    assert element(repository, f"{iface}.find").is_abstract
    assert not element(repository, f"{iface}.exists").is_abstract
    assert element(repository, iface, "interface").docstring == "Stores entities."

    customer = extract_fixture("java", BASE + "Customer.java")
    rec = f"{PKG}.Customer"
    assert outline(customer) == [
        ("module", rec, 1, 13, None),
        ("class", rec, 3, 13, rec),
        ("method", f"{rec}.Customer", 4, 8, rec),
        ("method", f"{rec}.isCorporate", 10, 12, rec),
    ]
    assert metrics(customer, f"{rec}.isCorporate") == (2, 3, 0, 0)
