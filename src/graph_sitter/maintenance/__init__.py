"""`gsdb maintain`: time partitions ahead, retention, aggregate refreshes, bloat and slow-query reports."""
