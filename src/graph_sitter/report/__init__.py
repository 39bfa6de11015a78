"""The HTML report of one codebase (`gsdb report`) and the read-only dashboard over analytics_db."""
