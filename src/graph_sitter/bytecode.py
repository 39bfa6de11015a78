"""Byte-compile the package once, so that each `gsdb` start loads bytecode instead of compiling its sources.

Python writes bytecode caches itself on first import, except when PYTHONDONTWRITEBYTECODE is set (as on many CI
and container images): then an editable install recompiles every module at every start, a tenth of a second or
more on each command. Reading existing caches is still allowed, so setup writes them.
"""

from __future__ import annotations

import compileall
from pathlib import Path


def compile_package() -> bool:
    """Write missing or stale bytecode caches of graph_sitter; False when its folder is not writable."""
    package = Path(__file__).resolve().parent
    try:
        return bool(compileall.compile_dir(str(package), quiet=2, workers=1))
    except OSError:
        return False
