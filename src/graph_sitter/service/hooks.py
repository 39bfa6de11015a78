"""The `event_received` hook for events stored by the service, called on a thread of its own.

Plugins are synchronous code (they may write other databases); called on the event loop they would stall every
request. A request is answered once its event is stored; its listeners hear about it right after.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any, Sequence

from graph_sitter.plugins import call_safely, plugin_manager

log = logging.getLogger("graph_sitter.service")


def has_listeners() -> bool:
    """True when some plugin implements event_received (otherwise there is nothing to call)."""
    return bool(plugin_manager().hook.event_received.get_hookimpls())


class HookDispatcher:
    """Calls event_received for each stored event, in order, on one daemon thread."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="event-received-hook", daemon=True)
        self._thread.start()

    def dispatch(self, events: Sequence[Any]) -> None:
        """Queue `events` for their listeners (returns at once)."""
        for event in events:
            self._queue.put(event)

    def close(self, timeout: float = 10.0) -> None:
        """Call the listeners for what is queued, then stop."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            try:
                call_safely("event_received", event=event)
            except Exception as exc:  # call_safely logs plugin errors; this is a last resort
                log.error("event_received dispatch failed: %s", exc)
