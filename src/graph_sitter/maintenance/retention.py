"""How long each time-series table keeps its monthly partitions.

A table kept for N months keeps the current (UTC) month and the N months before it: a partition goes once its
upper bound is at or before the first day of the month N months ago. A table with no retention keeps everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping

from graph_sitter.config import DATABASES
from graph_sitter.errors import ConfigurationError

#: Months kept by default, per "database.table". Metrics and events feed trends and dashboards, so they stay
#: two years; raw performance samples and training metrics one year.
DEFAULT_RETENTION: dict[str, int | None] = {
    "analytics_db.metrics": 24,
    "analytics_db.performance_data": 12,
    "events_db.events": 24,
    "events_db.event_aggregations": 24,
    "learning_db.training_metrics": 12,
}


@dataclass(frozen=True)
class RetentionPolicy:
    """Months to keep per "database.table" (None: keep everything), and whether expired partitions are detached
    (kept as <partition>_detached tables) instead of dropped."""

    months: Mapping[str, int | None] = field(default_factory=lambda: dict(DEFAULT_RETENTION))
    detach: bool = False

    def months_for(self, database: str, table: str) -> int | None:
        """Months kept for one table, None for all of them."""
        return self.months.get(f"{database}.{table}")


def cutoff(months: int, now: datetime | None = None) -> datetime:
    """The first day (UTC) of the month `months` months before the current one."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    index = now.year * 12 + now.month - 1 - months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=timezone.utc)


def parse_retention(specs: list[str] | tuple[str, ...], base: Mapping[str, int | None] | None = None
                    ) -> dict[str, int | None]:
    """Apply `database.table=MONTHS` (or `=keep`) settings over the defaults; a bad one is a one-line error."""
    months = dict(DEFAULT_RETENTION if base is None else base)
    for spec in specs:
        target, sep, value = spec.partition("=")
        database, dot, table = target.strip().partition(".")
        if not sep or not dot or not table or database not in DATABASES:
            raise ConfigurationError(f"--retain {spec!r}: expected DATABASE.TABLE=MONTHS or DATABASE.TABLE=keep,"
                                     f" e.g. analytics_db.metrics=36")
        value = value.strip().lower()
        if value in ("keep", "forever", "none"):
            months[f"{database}.{table}"] = None
            continue
        if not value.isdigit() or int(value) < 1:
            raise ConfigurationError(f"--retain {spec!r}: months must be a whole number of at least 1, or keep")
        months[f"{database}.{table}"] = int(value)
    return months
