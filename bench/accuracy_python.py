"""Python definition counts against ``ast`` on the running interpreter's standard library.

For every ``.py`` file under ``sysconfig.get_paths()['stdlib']`` (site-packages excluded) that
``ast`` parses, compare per file:
  * functions + methods: ``ast.FunctionDef`` + ``ast.AsyncFunctionDef`` over ``ast.walk``
    against our elements of kind function/method;
  * classes: ``ast.ClassDef`` against our elements of kind class.
Goal: at least 99.9 % of the files equal. Each differing file is listed with the likely cause.

Usage: python bench/accuracy_python.py [ROOT]
"""

from __future__ import annotations

import ast
import os
import sys
import sysconfig
import time
import warnings

from graph_sitter.codebase.extract import extract_file
from graph_sitter.codebase.languages import compiled_language, get_language
from graph_sitter.codebase.walker import WalkOptions, walk_repository


def first_error(source: bytes) -> str:
    """Where tree-sitter's first small error node begins (recovery may wrap a whole file in one)."""
    tree = compiled_language(get_language("python"), "x.py").parser.parse(source)
    errors = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            errors.append(node)
        stack.extend(child for child in node.children if child.has_error or child.is_missing)
    small = [n for n in errors if n.end_point[0] - n.start_point[0] < 50] or errors
    if not small:
        return "no error node"
    row = min(n.start_point[0] for n in small)
    line = source.split(b"\n")[row].decode("utf-8", "replace").strip()
    return f"line {row + 1} {line[:60]!r}"


def ast_counts(source: bytes) -> tuple[int, int] | None:
    """(functions + methods, classes) per ``ast``, or None when ``ast`` cannot parse the file."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return None
    functions = classes = 0
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            functions += 1
        elif isinstance(node, ast.ClassDef):
            classes += 1
    return functions, classes


def main(argv: list[str]) -> int:
    """Print the agreement table and the differing files."""
    root = argv[1] if len(argv) > 1 else sysconfig.get_paths()["stdlib"]
    walked = walk_repository(root, WalkOptions(include=("*.py",), exclude=("site-packages/",),
                                               use_gitignore=False, use_default_excludes=False,
                                               max_file_size=1 << 40))
    started = time.perf_counter()
    parsed = equal = 0
    not_parsed = []
    differing = []
    for entry in walked.files:
        with open(os.path.join(root, entry.path), "rb") as handle:
            source = handle.read()
        expected = ast_counts(source)
        if expected is None:
            not_parsed.append(entry.path)
            continue
        parsed += 1
        result = extract_file(root, entry.path)
        functions = sum(1 for e in result.elements if e.kind in ("function", "method"))
        classes = sum(1 for e in result.elements if e.kind == "class")
        if (functions, classes) == expected:
            equal += 1
        else:
            differing.append((entry.path, expected, (functions, classes), result))
    elapsed = time.perf_counter() - started
    share = 100.0 * equal / parsed if parsed else 0.0
    print(f"Python definitions vs ast  root={root}")
    print(f"{'files walked':<28}{len(walked.files):>10}")
    print(f"{'files ast cannot parse':<28}{len(not_parsed):>10}   (excluded)")
    print(f"{'files compared':<28}{parsed:>10}")
    print(f"{'files equal':<28}{equal:>10}   {share:.3f} %  (goal >= 99.9 %)")
    print(f"{'files differing':<28}{len(differing):>10}")
    print(f"{'seconds':<28}{elapsed:>10.1f}")
    if differing:
        print("\nDiffering files: path  ast(functions, classes)  ours(functions, classes)  cause")
        for path, expected, ours, result in differing:
            if result.skipped_reason:
                cause = f"skipped: {result.skipped_reason} {result.error or ''}".strip()
            elif result.parse_error_count:
                with open(os.path.join(root, path), "rb") as handle:
                    where = first_error(handle.read())
                cause = (f"tree-sitter reports {result.parse_error_count} syntax error node(s), first at {where}: "
                         "a construct the grammar cannot parse")
            else:
                cause = "no parse error: extraction rule gap"
            print(f"  {path}  ast={expected}  ours={ours}  {cause}")
    print("\nPASS" if share >= 99.9 else "\nFAIL")
    return 0 if share >= 99.9 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
