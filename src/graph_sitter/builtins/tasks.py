"""Built-in plugin: actionable findings become deduplicated tasks in task_db."""
