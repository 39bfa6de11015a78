"""Pausing Python's cyclic garbage collector while a step builds many small acyclic objects."""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Build hundreds of thousands of small acyclic objects without the cyclic collector rescanning them all
    (and the whole codebase model with them) again and again; as it was afterwards."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
