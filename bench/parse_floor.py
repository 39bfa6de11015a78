"""The floor: raw single-core tree-sitter parse time of the source files of a tree.

Only ``Parser.parse`` is timed, on bytes read beforehand, with the parser the extractor uses (one
per grammar, reused): no file I/O, no query, no Python work per node. The end-to-end benchmark
compares its wall time with this number measured in the same run.

Reuse: ``from parse_floor import parse_floor`` (with ``bench/`` on ``sys.path``) returns a
``ParseFloor``; or run ``python bench/parse_floor.py [ROOT] [--language python] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import sysconfig
import time
from dataclasses import dataclass

from graph_sitter.codebase.languages import compiled_language, get_language
from graph_sitter.codebase.walker import WalkOptions, walk_repository


@dataclass(frozen=True, slots=True)
class ParseFloor:
    """Best-of-N parse time of a set of files, with their size."""

    files: int
    lines: int
    bytes: int
    seconds: float


def parse_floor(root: str, paths: list[str], repeat: int = 3) -> ParseFloor:
    """Parse every file once per round, single-threaded; return the fastest round."""
    sources = []
    for path in paths:
        with open(os.path.join(root, path), "rb") as handle:
            data = handle.read()
        sources.append((path, data))
    parsers = []
    for path, data in sources:
        support = _support_for(path)
        parsers.append(compiled_language(support, path).parser)
    best = float("inf")
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        for parser, (_, data) in zip(parsers, sources):
            parser.parse(data)
        best = min(best, time.perf_counter() - started)
    return ParseFloor(
        files=len(sources),
        lines=sum(data.count(b"\n") for _, data in sources),
        bytes=sum(len(data) for _, data in sources),
        seconds=best,
    )


def _support_for(path: str):
    from graph_sitter.codebase.languages import language_for_path

    support = language_for_path(path)
    if support is None:
        raise ValueError(f"no language for {path}")
    return support


def stdlib_python_files() -> tuple[str, list[str]]:
    """The running interpreter's standard library, site-packages excluded: (root, paths)."""
    root = sysconfig.get_paths()["stdlib"]
    walked = walk_repository(root, WalkOptions(include=("*.py",), exclude=("site-packages/",)))
    return root, [entry.path for entry in walked.files]


def main(argv: list[str]) -> int:
    """Print the floor for ROOT (default: the stdlib's Python files)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("root", nargs="?")
    parser.add_argument("--language", default="python", help="only files of this language (default python)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv[1:])
    if args.root is None:
        root, paths = stdlib_python_files()
    else:
        root = os.path.abspath(args.root)
        if get_language(args.language) is None:
            parser.error(f"unknown language {args.language}")
        paths = [e.path for e in walk_repository(root).files if e.language == args.language]
    floor = parse_floor(root, paths, args.repeat)
    print(f"raw tree-sitter parse floor  root={root}  language={args.language}  best of {args.repeat}")
    print(f"{'files':<14}{floor.files:>12}")
    print(f"{'lines':<14}{floor.lines:>12}")
    print(f"{'MB':<14}{floor.bytes / 1e6:>12.1f}")
    print(f"{'seconds':<14}{floor.seconds:>12.2f}")
    print(f"{'lines/s':<14}{floor.lines / floor.seconds:>12,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
