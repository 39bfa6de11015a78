"""End-to-end `gsdb analyze` of the running interpreter's standard library into PostgreSQL, against its floors.

One command: `python bench/analyze_stdlib.py` (uses a private GRAPH_SITTER_HOME and a copy of the stdlib).
`--copies N` analyses N copies side by side instead, to see time and memory grow with the repository (the
goals below are the analysis issue's for one copy, and are checked only then).

The floor and the full run are timed in `--rounds` interleaved rounds (default 3): each round parses every file
once on one core (bytes already in memory), then runs `gsdb analyze --full`. These machines drift by 10-30 %
within a minute, so both sides are taken the same way, best of the rounds, and the medians are printed beside.
Prints one table: the floor; one pass reading and parsing, as the acceptance check times it; lizard's time;
the full run, a re-run with no change and a one-file change, each with wall time, ratio to the floor, ratio to
the full run and peak RSS of the gsdb process tree. It exits 1 when a goal of the analysis issue is missed:
full <= 10 s and <= 2x the floor (best against best), peak RSS <= 600 MB, no-change <= 15 %, one-file <= 20 %
of full.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parse_floor import parse_floor  # noqa: E402

GSDB = str(Path(sys.executable).parent / "gsdb")


def _copy_stdlib(target: Path, copies: int = 1) -> list[str]:
    source = Path(sysconfig.get_paths()["stdlib"])
    paths = []
    for f in sorted(source.rglob("*.py")):
        rel = f.relative_to(source)
        if rel.parts[0] == "site-packages":
            continue
        for copy in range(1, copies + 1):
            placed = rel if copies == 1 else Path(f"copy{copy}") / rel
            dst = target / placed
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, dst)
            paths.append(placed.as_posix())
    return paths


def _read_and_parse(corpus: Path, paths: list[str]) -> float:
    """The floor as the acceptance check times it: one pass that reads and parses each file."""
    import tree_sitter
    import tree_sitter_python

    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))
    started = time.perf_counter()
    for p in paths:
        parser.parse((corpus / p).read_bytes())
    return time.perf_counter() - started


def _run(env: dict[str, str], *args: str) -> tuple[float, float, dict]:
    """Wall seconds, peak RSS in MB of the process tree, and the --json summary of one gsdb call."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run([GSDB, *args], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"gsdb {' '.join(args)} failed: {proc.stderr.strip()[-300:]}")
    peak = max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    return wall, peak, json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary home and corpus")
    parser.add_argument("--copies", type=int, default=1, help="analyse this many copies of the stdlib side by side")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of floor and full run (best taken)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gsdb-bench-"))
    corpus = work / "stdlib"
    paths = _copy_stdlib(corpus, args.copies)
    env = dict(os.environ, GRAPH_SITTER_HOME=str(work / "home"))
    env.pop("GRAPH_SITTER_DATABASE_URL", None)
    env.pop("POSTGRES_HOST", None)
    try:
        subprocess.run([GSDB, "setup"], env=env, check=True, capture_output=True)
        read_parse = _read_and_parse(corpus, paths)
        lizard_s = None
        try:
            import lizard

            started = time.perf_counter()
            for p in paths:
                lizard.analyze_file(str(corpus / p))
            lizard_s = time.perf_counter() - started
        except ImportError:
            pass
        floors: list[float] = []
        fulls: list[tuple[float, float, dict]] = []
        for _ in range(max(1, args.rounds)):
            floor = parse_floor(str(corpus), paths, repeat=1)
            floors.append(floor.seconds)
            fulls.append(_run(env, "analyze", str(corpus), "--full", "--json"))
        full, _, summary = min(fulls, key=lambda run: run[0])
        full_rss = max(run[1] for run in fulls)
        noop, noop_rss, _ = _run(env, "analyze", str(corpus), "--json")
        victim = corpus / "bench_touched.py"
        victim.write_text(f"def bench_changed_{int(time.time())}(x):\n    return x if x else -x\n")
        one, one_rss, _ = _run(env, "analyze", str(corpus), "--json")
        victim.unlink()
        _run(env, "analyze", str(corpus), "--json")
    finally:
        subprocess.run([GSDB, "server", "stop"], env=env, capture_output=True)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    best_floor = min(floors)
    rows = [
        ("raw tree-sitter parse (1 core)", best_floor, None, None),
        ("read + parse, one pass (1 core)", read_parse, None, None),
        ("lizard (1 core)", lizard_s, None, None),
        ("gsdb analyze --full", full, full / best_floor, full_rss),
        ("gsdb analyze, no change", noop, noop / best_floor, noop_rss),
        ("gsdb analyze, one file changed", one, one / best_floor, one_rss),
    ]
    print(f"stdlib: {floor.files} files, {floor.lines:,} lines, {floor.bytes / 1e6:.1f} MB; {os.cpu_count()} cores")
    print(f"{'':34}{'seconds':>9}{'x floor':>9}{'% full':>8}{'peak MB':>9}")
    for name, seconds, ratio, rss in rows:
        pct = f"{100 * seconds / full:7.0f}%" if seconds is not None and ratio is not None else f"{'':8}"
        print(f"{name:34}{seconds if seconds is not None else float('nan'):9.2f}"
              f"{ratio if ratio is not None else float('nan'):9.2f}{pct}{rss if rss is not None else float('nan'):9.0f}")
    phases = summary.get("seconds", {})
    print("full-run phases: " + ", ".join(f"{k} {v:.2f}s" for k, v in phases.items()))
    rounds = ", ".join(f"{f:.2f}/{r[0]:.2f}" for f, r in zip(floors, fulls))
    median_ratio = statistics.median(r[0] for r in fulls) / statistics.median(floors)
    print(f"rounds (floor/full): {rounds}; medians {median_ratio:.2f}x")
    print(f"full run = {full / best_floor:.2f}x the parse-only floor (best of {len(floors)} each),"
          f" {full / read_parse:.2f}x read + parse")
    if args.copies != 1:
        print(f"{args.copies} copies: {floor.files / full:,.0f} files/s, {floor.lines / full:,.0f} lines/s;"
              f" the goals are for one copy")
        return 0
    goals = {
        "full <= 10 s": full <= 10,
        f"full <= 2x floor (parse only, best of {len(floors)} each)": full <= 2 * best_floor,
        "peak RSS <= 600 MB": max(full_rss, noop_rss, one_rss) <= 600,
        "no-change <= 15% of full": noop <= 0.15 * full,
        "one-file <= 20% of full": one <= 0.20 * full,
    }
    for goal, ok in goals.items():
        print(f"{'met ' if ok else 'MISSED'}  {goal}")
    return 0 if all(goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
