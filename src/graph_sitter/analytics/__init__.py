"""Analytics logic over analytics_db's metric series (alert rules), free of SQL."""
