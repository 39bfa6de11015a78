"""The default plugins: each feeds one database from the analysis hooks."""
