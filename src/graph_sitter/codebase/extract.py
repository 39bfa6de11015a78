"""One file to one FileResult: read, hash, parse with tree-sitter, run one query, extract.

Runs in worker processes. It never raises: a file it cannot read or analyse comes back with
``skipped_reason`` (and ``error`` for an unexpected exception). Syntax errors do not stop it:
tree-sitter recovers, the ERROR and MISSING nodes are counted in ``parse_error_count``, and the
definitions it still recognises are extracted.

Speed: the tree is visited once, by one tree-sitter query in C; Python sees only the captured nodes
(definitions, calls, imports, decision points, comments), never every node. Nothing is cached across
files except the grammar, parser and compiled query of each language.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any, Callable

from tree_sitter import QueryCursor

from graph_sitter.codebase import metrics
from graph_sitter.config import DEFAULT_MAX_FILE_SIZE
from graph_sitter.codebase.languages import (
    CompiledLanguage,
    DefinitionContext,
    LanguageSupport,
    compiled_language,
    language_for_path,
)
from graph_sitter.codebase.model import (
    FUNCTION_KINDS,
    SOURCE_KINDS,
    TYPE_KINDS,
    Element,
    FileResult,
    Reference,
)

BINARY_SNIFF_BYTES = 8192
_NO_END = 1 << 62
# Definitions that never enclose other definitions (several may share one range: `const A, B = 1, 2`).
_LEAF_KINDS = frozenset({"variable", "constant", "import"})
_SIMPLE_CALLEE = re.compile(rb"[A-Za-z_$][\w$]*(?:(?:\.|::)[A-Za-z_$][\w$]*)*")
# The same test on decoded ASCII text (re.ASCII: \w is [A-Za-z0-9_], as in the bytes pattern).
_SIMPLE_CALLEE_TEXT = re.compile(_SIMPLE_CALLEE.pattern.decode(), re.ASCII)
_FIRST = itemgetter(0)
_SECOND = itemgetter(1)
_BYTE_RANGE = attrgetter("byte_range")
_KIND_ID = attrgetter("kind_id")

Node = Any


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """Per-run settings the workers need."""

    max_file_size: int = DEFAULT_MAX_FILE_SIZE


def content_hash(data: bytes) -> str:
    """The content hash stored per file: blake2b with a 16-byte digest, hex."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def is_binary(head: bytes) -> bool:
    """True when the first bytes of a file contain a NUL byte (git's heuristic)."""
    return b"\0" in head[:BINARY_SNIFF_BYTES]


def extract_file(root: str, rel_path: str, options: ExtractOptions | None = None) -> FileResult:
    """Analyse ``root/rel_path`` (``rel_path`` posix, relative to the analysis root); never raises."""
    options = options or ExtractOptions()
    try:
        support = language_for_path(rel_path)
        if support is None:
            return FileResult(path=rel_path, language=None, skipped_reason="unsupported language")
        try:
            with open(os.path.join(root, rel_path), "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size > options.max_file_size:
                    return FileResult(
                        path=rel_path, language=support.name, size_bytes=size,
                        skipped_reason=f"too large ({size} bytes > {options.max_file_size})",
                    )
                data = handle.read()
        except OSError as exc:
            return FileResult(
                path=rel_path, language=support.name,
                skipped_reason=f"unreadable: {exc.strerror or type(exc).__name__}",
            )
        return extract_source(support, rel_path, data, options)
    except Exception as exc:  # noqa: BLE001 - a worker must hand back a result, whatever happens
        return FileResult(
            path=rel_path, language=None, skipped_reason="extraction failed",
            error=f"{type(exc).__name__}: {exc}",
        )


def extract_source(
    support: LanguageSupport, rel_path: str, data: bytes, options: ExtractOptions | None = None
) -> FileResult:
    """Analyse ``data`` as the content of ``rel_path``; never raises."""
    options = options or ExtractOptions()
    result = FileResult(path=rel_path, language=support.name, content_hash=content_hash(data), size_bytes=len(data))
    if len(data) > options.max_file_size:
        result.skipped_reason = f"too large ({len(data)} bytes > {options.max_file_size})"
        return result
    if is_binary(data):
        result.skipped_reason = "binary"
        return result
    try:
        _analyse(support, rel_path, data, result)
    except Exception as exc:  # noqa: BLE001 - recorded on the result instead
        return FileResult(
            path=rel_path, language=support.name, content_hash=result.content_hash, size_bytes=len(data),
            skipped_reason="extraction failed", error=f"{type(exc).__name__}: {exc}",
        )
    return result


def _count_errors(root: Node) -> int:
    count = 0
    cursor = root.walk()
    while True:
        node = cursor.node
        if node.is_error or node.is_missing:
            count += 1
        # Only subtrees that contain an error are worth entering.
        if node.has_error and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return count


def _analyse(support: LanguageSupport, path: str, data: bytes, result: FileResult) -> None:
    compiled = compiled_language(support, path)
    tree = compiled.parser.parse(data)
    root = tree.root_node
    captures: dict[str, list[Node]] = QueryCursor(compiled.query).captures(root)
    if support.top_level is not None:
        for capture, node in support.top_level(root, data):
            captures.setdefault(capture, []).append(node)
    get = captures.get
    result.parse_error_count = _count_errors(root) if root.has_error else 0

    comments = get("comment", ())
    docstrings = get("docstring", ())
    # Points are tuples: start_point + end_point is the (start_row, start_col, end_row, end_col) span.
    lines = metrics.line_counts(
        data, [n.start_point + n.end_point for n in comments], [n.start_point + n.end_point for n in docstrings]
    )
    result.total_lines = lines.total
    result.code_lines = lines.code
    result.comment_lines = lines.comment
    result.blank_lines = lines.blank

    elements, references, function_nodes = _definitions(support, path, data, root, captures, lines.total)
    _calls(compiled, data, captures, elements, references)
    file_decisions = _function_metrics(
        support, path, data, captures, lines, elements, function_nodes, compiled.language.field_id_for_name("name")
    )

    if support.maintainability:
        doc_lines = sum(n.end_point[0] - n.start_point[0] + 1 for n in docstrings)
        comment_percent = (len(comments) + doc_lines) * 100.0 / lines.code if lines.code else 0.0
        result.maintainability_index = round(
            metrics.maintainability_index(_halstead(data, captures), 1 + file_decisions, lines.code, comment_percent),
            2,
        )
    result.elements = elements
    result.references = references


def _definitions(
    support: LanguageSupport, path: str, data: bytes, root: Node, captures: dict[str, list[Node]], total_lines: int
) -> tuple[list[Element], list[Reference], dict[int, Node | None]]:
    language = support.name
    separator = support.separator
    names = support.module_name(path, root, data)
    module_name, module_qn = names[0], names[1]
    # Java qualifies types by the package, not by the file the module element stands for.
    member_prefix = names[2] if len(names) > 2 else module_qn
    docstring_starts = sorted(node.start_byte for node in captures.get("docstring", ()))
    ctx = DefinitionContext(data, path, "module", module_name, docstring_starts)
    module_info = support.describe(root, "module", ctx)
    end = root.end_point
    module = Element(
        kind="module", name=module_name, qualified_name=module_qn, language=language, file_path=path,
        start_line=1, end_line=max(total_lines, 1), start_col=0, end_col=end[1], start_byte=0,
        end_byte=len(data), docstring=module_info.docstring if module_info else None,
    )
    elements: list[Element] = [module]
    references: list[Reference] = []
    function_nodes: dict[int, Node | None] = {}
    if module_info is not None:
        references.extend(Reference(kind, 0, name, line) for kind, name, line in module_info.references)

    items: list[tuple[int, int, int, str, Node]] = []
    sequence = 0
    for capture, nodes in captures.items():
        if capture.startswith("def.") or capture == "import":
            for node in nodes:
                items.append((node.start_byte, -node.end_byte, sequence, capture, node))
                sequence += 1
    items.sort()

    # A frame: (end_byte, parent element index, qualified name, kind, name, source index, scope name).
    stack: list[tuple[int, int, str, str, str, int, str | None]] = [
        (_NO_END, 0, member_prefix, "module", module_name, 0, None)
    ]
    deferred_parents: list[tuple[int, str]] = []
    deferred_sources: list[tuple[int, str]] = []
    describe = support.describe
    previous: tuple[int, int, str] | None = None
    for start, neg_end, _, capture, node in items:
        # Two patterns capturing one node under one name sort next to each other.
        key = (start, neg_end, capture)
        if key == previous:
            continue
        previous = key
        while stack[-1][0] <= start:
            stack.pop()
        frame = stack[-1]
        if capture == "import":
            _imports(support, data, node, frame, elements, references, deferred_parents)
            continue
        ctx.enclosing_kind = frame[3]
        ctx.enclosing_name = frame[4]
        try:
            found = describe(node, capture, ctx)
        except Exception:  # noqa: BLE001 - one odd node (error recovery) must not cost the file
            found = None
        if found is None:
            continue
        if found.scope_only:
            first_reference = len(references)
            references.extend(Reference(kind, frame[5], name, line) for kind, name, line in found.references)
            deferred_sources.extend((i, found.name) for i in range(first_reference, len(references)))
            stack.append((found.node.end_byte, frame[1], _join(frame[2], separator, found.name), "scope",
                          found.name, frame[5], found.name))
            continue
        index = len(elements)
        scope_name = found.scope or frame[6]
        if found.scope:
            qualified_name = _join(_join(frame[2], separator, found.scope), separator, found.name)
        else:
            qualified_name = _join(frame[2], separator, found.name)
        if scope_name:
            deferred_parents.append((index, scope_name))
        element_node = found.node
        start_point = element_node.start_point
        end_point = element_node.end_point
        element = Element(
            found.kind, found.name, qualified_name, language, path,
            start_point[0] + 1, end_point[0] + 1, start_point[1], end_point[1],
            element_node.start_byte, element_node.end_byte, frame[1], found.signature, found.docstring,
            found.visibility, found.is_async, found.is_static, found.is_abstract, found.is_exported,
            found.decorators, found.parameters, found.return_type,
        )
        elements.append(element)
        if found.kind in FUNCTION_KINDS:
            function_nodes[index] = found.function
        source = index if found.kind in SOURCE_KINDS else frame[5]
        if found.references:
            references.extend(Reference(kind, source, name, line) for kind, name, line in found.references)
        if found.kind not in _LEAF_KINDS:
            stack.append((element_node.end_byte, index, qualified_name, found.kind, found.name, source, None))

    if deferred_parents or deferred_sources:
        types: dict[str, int] = {}
        for index, element in enumerate(elements):
            if element.kind in TYPE_KINDS:
                types.setdefault(element.name, index)
        for index, scope_name in deferred_parents:
            target = types.get(scope_name)
            if target is not None and target != index:
                elements[index].parent = target
        for index, scope_name in deferred_sources:
            target = types.get(scope_name)
            if target is not None:
                references[index].source = target

    names = captures.get("export")
    if names and support.exported_names is not None:
        exported: set[str] = set()
        for node in names:
            exported.update(support.exported_names(node, data))
        overrides = support.export_list_overrides
        for element in elements:
            if element.parent == 0:
                if overrides:
                    element.is_exported = element.name in exported
                elif element.name in exported:
                    element.is_exported = True
                    if element.visibility == "private":
                        element.visibility = "public"
    return elements, references, function_nodes


def _join(prefix: str, separator: str, name: str) -> str:
    return f"{prefix}{separator}{name}" if prefix else name


def _imports(
    support: LanguageSupport,
    data: bytes,
    node: Node,
    frame: tuple[int, int, str, str, str, int, str | None],
    elements: list[Element],
    references: list[Reference],
    deferred_parents: list[tuple[int, str]],
) -> None:
    try:
        specs = support.imports(node, data)
    except Exception:  # noqa: BLE001 - one odd node (error recovery) must not cost the file
        return
    if not specs:
        return
    separator = support.separator
    for spec in specs:
        references.append(Reference(
            kind="import", source=frame[5], name=spec.alias or spec.imported_name or spec.module or "?",
            line=spec.line, module=spec.module, imported_name=spec.imported_name, alias=spec.alias,
            level=spec.level, reexport=spec.reexport,
        ))
        if not spec.local:
            continue
        statement = spec.node if spec.node is not None else node
        start_point = statement.start_point
        end_point = statement.end_point
        first_line = data[statement.start_byte:statement.end_byte].split(b"\n", 1)[0]
        if frame[6]:
            deferred_parents.append((len(elements), frame[6]))
        elements.append(Element(
            kind="import", name=spec.local,
            qualified_name=_join(elements[0].qualified_name if frame[1] == 0 else frame[2], separator, spec.local),
            language=support.name, file_path=elements[0].file_path, start_line=start_point[0] + 1,
            end_line=end_point[0] + 1, start_col=start_point[1], end_col=end_point[1],
            start_byte=statement.start_byte, end_byte=statement.end_byte, parent=frame[1],
            signature=" ".join(first_line.decode("utf-8", "replace").split())[:200],
        ))


def _calls(
    compiled: CompiledLanguage,
    data: bytes,
    captures: dict[str, list[Node]],
    elements: list[Element],
    references: list[Reference],
) -> None:
    nodes = captures.get("call")
    if not nodes:
        return
    sources = sorted(
        (element.start_byte, -element.end_byte, index)
        for index, element in enumerate(elements)
        if index and element.kind in SOURCE_KINDS
    )
    ranges = [(start, -neg_end) for start, neg_end, _ in sources]
    source_index = [index for _, _, index in sources]
    source_index.append(0)  # owner -1 (no enclosing definition) is the module
    call_name = compiled.support.call_name
    entries: list[tuple[int, str, int]] = []
    append = entries.append
    # Most callees are a name or a plain dotted path: their text is the name. Most files are ASCII: decoded
    # once, their names are slices of the text (the strings decoding each slice would give), a third cheaper.
    as_bytes = not data.isascii()
    text: Any = data if as_bytes else data.decode("ascii")
    simple = _SIMPLE_CALLEE.fullmatch if as_bytes else _SIMPLE_CALLEE_TEXT.fullmatch
    for node in nodes:
        start = node.start_byte
        end = node.end_byte
        if end - start <= 120 and simple(text, start, end):
            name = text[start:end]
            if as_bytes:
                name = name.decode("utf-8", "replace")
        else:
            name = _call_name(call_name, node, data)
            if name is None:
                continue
        append((start, name, node.start_point[0] + 1))
    # Captures arrive in match-completion order, not document order.
    entries.sort()
    owners = metrics.assign_points(ranges, [entry[0] for entry in entries])
    references.extend(
        [Reference("call", source_index[owner], name, line) for (_, name, line), owner in zip(entries, owners)]
    )


def _call_name(call_name: Callable[[Node, bytes], str | None], node: Node, data: bytes) -> str | None:
    try:
        return call_name(node, data)
    except Exception:  # noqa: BLE001 - one odd node (error recovery) must not cost the file
        return None


def _decision_points(support: LanguageSupport, path: str, data: bytes, captures: dict[str, list[Node]]) -> tuple[list[int], list[int]]:
    get = captures.get
    plus = [node.start_byte for node in get("decision", ())]
    checked = get("decision.check")
    if checked and support.check_decision is not None:
        check = support.check_decision
        plus.extend(node.start_byte for node in checked if check(node, data, path))
    plus.sort()
    minus = sorted(node.start_byte for node in get("decision.cancel", ()))
    excluded = [(node.start_byte, node.end_byte) for node in get("decision.exclude", ())]
    lost = get("decision.lost")
    if lost and support.lost_decisions is not None:
        lose = support.lost_decisions
        for node in lost:
            span = lose(node, data)
            if span is not None:
                excluded.append(span)
    if excluded:
        ranges = _disjoint(excluded)
        plus = [p for p, owner in zip(plus, metrics.assign_points(ranges, plus)) if owner < 0]
        minus = [p for p, owner in zip(minus, metrics.assign_points(ranges, minus)) if owner < 0]
    return plus, minus


def _disjoint(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted ranges with overlapping ones merged."""
    ranges.sort()
    merged = [ranges[0]]
    for start, end in ranges[1:]:
        last_start, last_end = merged[-1]
        if start < last_end:
            if end > last_end:
                merged[-1] = (last_start, end)
        else:
            merged.append((start, end))
    return merged


def _function_metrics(
    support: LanguageSupport,
    path: str,
    data: bytes,
    captures: dict[str, list[Node]],
    lines: metrics.LineCounts,
    elements: list[Element],
    function_nodes: dict[int, Node | None],
    name_field: int | None,
) -> int:
    """Set the metrics of every function element; return the file's decision count.

    ``name_field``: the grammar's id of the field ``name`` (None when it has none).
    """
    get = captures.get
    # (start, end, node, node's end): end is where the function ends for lizard (see function.trim).
    measured: list[tuple[int, int, Node, int]] = []
    for capture in ("function", *support.boundary_captures):
        for node in get(capture, ()):
            end = node.end_byte
            measured.append((node.start_byte, end, node, end))
    trimmed = get("function.trim")
    if trimmed:
        function_end = support.function_end
        for node in trimmed:
            end = function_end(node, data) if function_end is not None else None
            node_end = node.end_byte
            measured.append((node.start_byte, end if end is not None else node_end, node, node_end))
    merged = get("function.skip")
    if merged:
        skipped_starts = {node.start_byte for node in merged}
        measured = [item for item in measured if item[0] not in skipped_starts]
    # By start, the longer first, equal ranges in capture order: two stable sorts on C key functions.
    measured.sort(key=_SECOND, reverse=True)
    measured.sort(key=_FIRST)
    plus, minus = _decision_points(support, path, data, captures)
    total_decisions = len(plus) - len(minus)
    if not function_nodes:
        return total_decisions
    boundaries = [(start, end) for start, end, _, _ in measured]
    size = len(boundaries)
    gained, _ = metrics.count_owners(metrics.assign_points(boundaries, plus), size)
    lost, _ = metrics.count_owners(metrics.assign_points(boundaries, minus), size)
    parents = metrics.range_parents(boundaries)
    rows = []
    for start, end, node, node_end in measured:
        # Lizard starts a function at its name: annotations and decorators above it are not its lines.
        name = node.child_by_field_id(name_field) if name_field is not None else None
        first_row = name.start_point[0] if name is not None else node.start_point[0]
        if end == node_end:
            last_row = node.end_point[0]
        else:
            last_row = node.start_point[0] + data.count(b"\n", start, end - 1)
        rows.append((first_row, last_row))
    nloc = metrics.function_nloc(lines, rows, parents)
    tokens = metrics.exclusive_sizes([item[2].descendant_count for item in measured], parents)
    nest_nodes = get("nest", ())
    skipped = get("nest.skip")
    if skipped:
        skipped_starts = {node.start_byte for node in skipped}
        nest_nodes = [node for node in nest_nodes if node.start_byte not in skipped_starts]
    depth = metrics.max_nesting(boundaries, [(node.start_byte, node.end_byte) for node in nest_nodes])
    boundary_index = {(start, node_end): index for index, (start, _, _, node_end) in enumerate(measured)}

    for element_index, node in function_nodes.items():
        element = elements[element_index]
        element.parameter_count = len(element.parameters)
        index = boundary_index.get((node.start_byte, node.end_byte)) if node is not None else None
        if index is None:
            # A declaration without a body (abstract or interface method): nothing to measure.
            element.cyclomatic_complexity = 1
            element.nloc = lines.code_between(element.start_line - 1, element.end_line - 1) or 1
            element.token_count = node.descendant_count if node is not None else 1
            element.max_nesting_depth = 0
            continue
        element.cyclomatic_complexity = 1 + gained[index] - lost[index]
        element.nloc = nloc[index]
        element.token_count = tokens[index]
        element.max_nesting_depth = depth[index]
    return total_decisions


def _halstead(data: bytes, captures: dict[str, list[Node]]) -> float:
    operators = captures.get("hs.operator", ())
    operands = captures.get("hs.operand", ())
    # Operands are told apart by their text; radon tells names, attributes and constants apart by
    # value and every other expression by identity, so long texts are keyed by position instead.
    distinct_operands = {
        data[start:end] if end - start <= 64 else start for start, end in map(_BYTE_RANGE, operands)
    }
    distinct_operators = set(map(_KIND_ID, operators))
    return metrics.halstead_volume(len(operators), len(operands), len(distinct_operators), len(distinct_operands))
