"""Nightly analysis runs, the analysis job queue and its workers."""
