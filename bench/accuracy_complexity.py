"""Cyclomatic complexity against lizard, function by function, on real code.

For each corpus (default: the running interpreter's standard library, site-packages excluded),
every file our walker selects is analysed by ``extract_file`` and by ``lizard.analyze_file``.
A lizard function is matched to our function or method element of the same file starting on the
same line (our element's first line, or the line of its name when annotations or decorators come
first; several on one line are told apart by name). Functions lizard reports that are not elements
(anonymous callbacks, closures) are not matched; bodiless declarations (abstract and interface
methods) are not compared because lizard attributes the next body to them.
Goal: complexity equal for at least 97 % of the matched functions of each corpus. "same span"
counts the matched functions where lizard also ends the function on our last line, and the last
column the agreement among those: most differences come from lizard ending a function elsewhere.

Usage: python bench/accuracy_complexity.py [CORPUS_DIR ...] [--jobs N] [--top N]
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import os
import sys
import sysconfig
import time

import lizard

from graph_sitter.codebase.extract import extract_file
from graph_sitter.codebase.walker import WalkOptions, walk_repository

GOAL = 97.0


def _name_line(lines: list[str], start_line: int, name: str) -> int:
    for offset in range(0, 12):
        index = start_line - 1 + offset
        if index >= len(lines):
            break
        if name in lines[index]:
            return index + 1
    return start_line


def compare_file(task: tuple[str, str]) -> tuple[str, str, int, list[tuple]]:
    """(path, language, lizard functions, [(line, name, lizard_cc, our_cc or None)]) for one file."""
    root, path = task
    result = extract_file(root, path)
    try:
        with open(os.path.join(root, path), encoding="utf-8", errors="replace") as handle:
            lines = handle.read().split("\n")
    except OSError:
        lines = []
    by_line: dict[int, list] = collections.defaultdict(list)
    for element in result.elements:
        if element.cyclomatic_complexity is None or element.is_abstract:
            continue
        by_line[element.start_line].append(element)
        name_line = _name_line(lines, element.start_line, element.name.lstrip("#"))
        if name_line != element.start_line:
            by_line[name_line].append(element)
    rows = []
    try:
        functions = lizard.analyze_file(os.path.join(root, path)).function_list
    except Exception:  # noqa: BLE001 - lizard gives up on some files (deep recursion): nothing to compare
        functions = []
    per_line = collections.Counter(function.start_line for function in functions)
    for function in functions:
        candidates = by_line.get(function.start_line, [])
        short = function.name.replace("::", ".").split(".")[-1].split(" ")[-1]
        named = [e for e in candidates if e.name == short]
        if len(named) == 1:
            chosen = named[0]
        elif len(candidates) == 1 and per_line[function.start_line] == 1:
            chosen = candidates[0]
        else:
            chosen = None  # nothing, or several functions on one line (minified code): ambiguous
        rows.append((function.start_line, function.name, function.cyclomatic_complexity,
                     chosen.cyclomatic_complexity if chosen is not None else None,
                     chosen is not None and chosen.end_line == function.end_line))
    return path, result.language or "?", len(functions), rows


def analyse_corpus(root: str, jobs: int, exclude: tuple[str, ...]) -> dict:
    """Compare every file of one corpus; returns the totals and the differences."""
    walked = walk_repository(root, WalkOptions(exclude=exclude))
    tasks = [(root, entry.path) for entry in walked.files]
    started = time.perf_counter()
    with multiprocessing.Pool(jobs) as pool:
        results = pool.map(compare_file, tasks, chunksize=4)
    per_language: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0, 0, 0, 0])
    differences = []
    for path, language, reported, rows in results:
        totals = per_language[language]
        totals[0] += 1
        totals[1] += reported
        for line, name, theirs, ours, same_span in rows:
            if ours is None:
                continue
            totals[2] += 1
            if same_span:
                totals[4] += 1
                totals[5] += ours == theirs
            if ours == theirs:
                totals[3] += 1
            else:
                differences.append((abs(ours - theirs), path, line, name, theirs, ours))
    differences.sort(key=lambda row: (-row[0], row[1], row[2]))
    return {"root": root, "languages": per_language, "differences": differences,
            "seconds": time.perf_counter() - started}


def main(argv: list[str]) -> int:
    """Print per-corpus agreement and the largest differences."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("corpora", nargs="*", help="directories to analyse (default: the stdlib)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--top", type=int, default=15, help="differences listed per corpus")
    args = parser.parse_args(argv[1:])
    corpora = args.corpora or [sysconfig.get_paths()["stdlib"]]
    ok = True
    summary = []
    for root in corpora:
        exclude = ("site-packages/",) if not args.corpora else ()
        report = analyse_corpus(os.path.abspath(root), args.jobs, exclude)
        print(f"\n== {report['root']}  ({report['seconds']:.1f} s)")
        print(f"{'language':<12}{'files':>7}{'lizard fns':>12}{'matched':>9}{'equal':>8}{'agree %':>9}"
              f"{'same span':>11}{'agree % there':>15}")
        matched = equal = 0
        for language, (files, reported, compared, same, spans, same_in_span) in sorted(report["languages"].items()):
            share = 100.0 * same / compared if compared else 0.0
            span_share = 100.0 * same_in_span / spans if spans else 0.0
            print(f"{language:<12}{files:>7}{reported:>12}{compared:>9}{same:>8}{share:>9.2f}{spans:>11}{span_share:>15.2f}")
            matched += compared
            equal += same
        share = 100.0 * equal / matched if matched else 0.0
        print(f"{'all':<12}{'':>7}{'':>12}{matched:>9}{equal:>8}{share:>9.2f}   goal >= {GOAL} %")
        summary.append((report["root"], matched, share))
        ok = ok and share >= GOAL
        if report["differences"]:
            print(f"largest differences (of {len(report['differences'])}): file:line function lizard ours")
            for _, path, line, name, theirs, ours in report["differences"][: args.top]:
                print(f"  {path}:{line} {name} lizard={theirs} ours={ours}")
    print("\nSummary")
    for root, matched, share in summary:
        print(f"  {share:7.2f} %  of {matched:6d} matched functions  {root}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
