"""Facts of a git work tree, read through the git command: output or nothing, never an exception."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path

#: Seconds allowed for one quick git call.
GIT_TIMEOUT = 10


def run_git(root: str | Path, *args: str, timeout: float = GIT_TIMEOUT) -> subprocess.CompletedProcess[str]:
    """`git -C root ARGS`, its output captured as text; raises OSError (no git) or subprocess.TimeoutExpired.

    Bytes that are not UTF-8 (an author name recorded in Latin-1 by an old tool) are replaced, not fatal.
    """
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, encoding="utf-8", errors="replace",
                          timeout=timeout, stdin=subprocess.DEVNULL)


def git(root: str | Path, *args: str, timeout: float = GIT_TIMEOUT) -> str | None:
    """Output of `git -C root ARGS` stripped, or None when git is missing, fails or times out."""
    try:
        out = run_git(root, *args, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (out.stdout.strip() or None) if out.returncode == 0 else None


def git_time(seconds: str | None) -> datetime | None:
    """A git date given as seconds since the epoch (%at, %ct), in UTC; None when there is none.

    The ISO forms (%aI) carry the committer's offset as recorded, which old tools wrote malformed (requests has a
    commit at +51800, printed "+518:00"): the epoch form is the same instant and always well-formed.
    """
    try:
        return datetime.fromtimestamp(int(seconds), timezone.utc) if seconds else None
    except (ValueError, OverflowError, OSError):
        return None
