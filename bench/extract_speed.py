"""Single-process cost of extract_file against the raw parse floor, on the same files.

Each round times, file by file and interleaved so that load from other processes hits both alike,
``Parser.parse`` alone and ``extract_file`` (read, hash, parse, query, extraction, metrics). The
best round of each is reported, with the extraction's cost beyond parsing as a multiple of the
parse time (the goal: at most 1x, so that two workers stay within 2x the single-core floor).

Usage: python bench/extract_speed.py [ROOT] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time

from parse_floor import stdlib_python_files

from graph_sitter.codebase.extract import extract_file
from graph_sitter.codebase.languages import compiled_language, language_for_path
from graph_sitter.codebase.walker import walk_repository


def measure(root: str, paths: list[str], repeat: int) -> tuple[float, float, int, int]:
    """(best parse seconds, best extract seconds, elements, references)."""
    parsers = [compiled_language(language_for_path(path), path).parser for path in paths]
    best_parse = best_extract = float("inf")
    elements = references = 0
    for _ in range(max(1, repeat)):
        parse_total = extract_total = 0.0
        elements = references = 0
        for path, parser in zip(paths, parsers):
            with open(os.path.join(root, path), "rb") as handle:
                data = handle.read()
            started = time.perf_counter()
            parser.parse(data)
            middle = time.perf_counter()
            result = extract_file(root, path)
            ended = time.perf_counter()
            parse_total += middle - started
            extract_total += ended - middle
            elements += len(result.elements)
            references += len(result.references)
            del result
        best_parse = min(best_parse, parse_total)
        best_extract = min(best_extract, extract_total)
    return best_parse, best_extract, elements, references


def main(argv: list[str]) -> int:
    """Print the comparison table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("root", nargs="?")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of one round")
    args = parser.parse_args(argv[1:])
    if args.root is None:
        root, paths = stdlib_python_files()
    else:
        root = os.path.abspath(args.root)
        paths = [entry.path for entry in walk_repository(root).files]
    # As the pipeline's workers are meant to: the results are acyclic, the collector only costs time.
    gc.freeze()
    parse_seconds, extract_seconds, elements, references = measure(root, paths, args.repeat)
    extra = extract_seconds - parse_seconds
    print(f"extract_file vs raw parse, single process, best of {args.repeat}  root={root}")
    print(f"{'files':<28}{len(paths):>10}")
    print(f"{'elements / references':<28}{elements:>10} / {references}")
    print(f"{'raw parse (floor) s':<28}{parse_seconds:>10.2f}")
    print(f"{'extract_file s':<28}{extract_seconds:>10.2f}   = {extract_seconds / parse_seconds:.2f} x floor")
    print(f"{'beyond parsing s':<28}{extra:>10.2f}   = {extra / parse_seconds:.2f} x floor (goal <= 1.00)")
    print(f"{'2 workers, ideal s':<28}{extract_seconds / 2:>10.2f}   = {extract_seconds / 2 / parse_seconds:.2f} x floor")
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for path in paths:
            extract_file(root, path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
