"""Which directory a job analyses: the repository as it is, or a branch of it in a worktree of our own.

With no branch, or with the branch that is checked out at `path`, the directory itself is analysed (uncommitted
changes included, as `gsdb analyze` would). With another branch, the analysis reads a git worktree kept under
$GRAPH_SITTER_HOME/worktrees, one per (codebase, branch), and moved to the branch's commit before each run:
git rewrites only the files that differ, so unchanged files keep their mtimes and the run stays incremental.
The user's own checkout is never switched or touched, apart from the worktree's bookkeeping in its .git folder.
Nothing is fetched: the branch is resolved as the repository knows it (`origin/main` names the last fetch).
"""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from graph_sitter.config import Settings
from graph_sitter.errors import GraphSitterError
from graph_sitter.vcs import run_git

#: Seconds for quick git calls, and for creating or moving a worktree of a large repository.
GIT_TIMEOUT = 30
CHECKOUT_TIMEOUT = 600


class CheckoutError(GraphSitterError):
    """The repository or the branch to analyse is not there."""


@dataclass(frozen=True)
class Checkout:
    """The directory to analyse, and the branch and commit it holds when one was asked for."""

    root: Path
    branch: str | None = None
    commit: str | None = None
    worktree: bool = False


def _git(cwd: Path, *args: str, timeout: float = GIT_TIMEOUT) -> str:
    try:
        out = run_git(cwd, *args, timeout=timeout)
    except FileNotFoundError:
        raise CheckoutError("git is not installed; a branch can only be analysed with git") from None
    except subprocess.TimeoutExpired:
        raise CheckoutError(f"git {' '.join(args[:2])} in {cwd} took longer than {timeout:.0f}s") from None
    if out.returncode != 0:
        reason = (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1]
        raise CheckoutError(f"git {' '.join(args[:2])} in {cwd} failed: {reason}")
    return out.stdout.strip()


def worktree_dir(settings: Settings, codebase: str, top: Path, branch: str) -> Path:
    """Where the worktree of `branch` of the repository at `top` lives for this codebase."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", codebase).strip("-") or "codebase"
    digest = hashlib.sha1(f"{top}\0{branch}".encode()).hexdigest()[:10]
    return settings.home / "worktrees" / f"{slug}-{digest}"


def prepare_checkout(settings: Settings, codebase: str, path: Path, branch: str | None) -> Checkout:
    """The directory that holds `branch` of the repository at `path` (or `path` itself); see the module doc."""
    path = Path(path).expanduser()
    if not path.is_dir():
        raise CheckoutError(f"{path}: no such directory")
    if branch is None:
        return Checkout(path.resolve())
    try:
        top = Path(_git(path, "rev-parse", "--show-toplevel"))
    except CheckoutError:
        raise CheckoutError(f"{path}: branch {branch!r} asked for, but this is not a git repository") from None
    try:
        current = _git(path, "symbolic-ref", "--quiet", "--short", "HEAD")
    except CheckoutError:
        current = ""  # detached HEAD
    try:
        commit = _git(path, "rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}")
    except CheckoutError:
        raise CheckoutError(f"{path}: no branch {branch!r} in this repository") from None
    if current == branch:
        return Checkout(path.resolve(), branch, commit)
    inside = path.resolve().relative_to(top.resolve())
    tree = worktree_dir(settings, codebase, top.resolve(), branch)
    if (tree / ".git").exists():
        _git(tree, "checkout", "--quiet", "--detach", "--force", commit, timeout=CHECKOUT_TIMEOUT)
        _git(tree, "clean", "-q", "-ffdx", timeout=CHECKOUT_TIMEOUT)  # nothing of ours may linger in it
    else:
        tree.parent.mkdir(parents=True, exist_ok=True)
        _git(top, "worktree", "prune")  # a worktree folder deleted by hand leaves a stale registration
        _git(top, "worktree", "add", "--quiet", "--detach", "--force", str(tree), commit, timeout=CHECKOUT_TIMEOUT)
    return Checkout((tree / inside).resolve(), branch, commit, worktree=True)
