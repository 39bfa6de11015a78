"""Errors that reach users as one clear line instead of a traceback."""


class GraphSitterError(Exception):
    """Base class: the CLI prints str(error) on one line and exits non-zero."""

    exit_code = 1


class ConfigurationError(GraphSitterError):
    """Settings in the environment are missing or contradictory."""

    exit_code = 2


class DatabaseUnavailable(GraphSitterError):
    """The PostgreSQL server cannot be reached, refuses the login, or lacks a database."""

    exit_code = 3


class MigrationError(GraphSitterError):
    """A migration failed or an applied migration file was changed afterwards."""

    exit_code = 4


class ServerError(GraphSitterError):
    """The embedded PostgreSQL server could not be initialised, started or stopped."""

    exit_code = 5
