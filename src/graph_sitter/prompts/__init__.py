"""Prompts: versioned templates rendered in a sandbox, context from codebase_db, executions and A/B experiments.

The storage is graph_sitter.adapters.prompts_db (PromptStore); this package holds what needs no SQL:
rendering.py (sandboxed Jinja2), context.py (context sources), experiments.py (assignment and statistics)
and api.py (rendering a stored version with its context).
"""
