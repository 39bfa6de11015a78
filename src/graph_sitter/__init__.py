"""graph_sitter: tree-sitter code analysis stored in seven PostgreSQL databases."""

__version__ = "0.1.0"
