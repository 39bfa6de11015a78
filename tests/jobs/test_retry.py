"""Transient database errors are retried with exponential backoff; the others are not. The errors are real ones,
raised by the session's PostgreSQL."""

from __future__ import annotations

import threading

import psycopg
import pytest
from psycopg import errors

from graph_sitter.adapters.database import Cluster
from graph_sitter.errors import DatabaseUnavailable
from graph_sitter.jobs.retry import RetryPolicy, is_transient, retry_transient


def _killed_connection_error(cluster: Cluster) -> psycopg.Error:
    """What a backend terminated under us raises."""
    with cluster.connect("task_db", autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as caught:
            conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return caught.value


def _serialization_failure(cluster: Cluster) -> psycopg.Error:
    """Two REPEATABLE READ transactions updating one row: the second fails with 40001."""
    with cluster.connect("task_db") as a, cluster.connect("task_db") as b:
        for conn in (a, b):
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            conn.execute("SELECT version FROM task_graph_versions WHERE graph = 'hierarchy'").fetchone()
        a.execute("UPDATE task_graph_versions SET changed_at = now() WHERE graph = 'hierarchy'")
        done = threading.Event()

        def commit_later() -> None:
            done.wait(0.2)
            a.commit()

        thread = threading.Thread(target=commit_later)
        thread.start()
        with pytest.raises(psycopg.Error) as caught:
            b.execute("UPDATE task_graph_versions SET changed_at = now() WHERE graph = 'hierarchy'")
        thread.join()
        b.rollback()
        return caught.value


def test_real_transient_errors_are_recognised(cluster: Cluster) -> None:
    killed = _killed_connection_error(cluster)
    serialization = _serialization_failure(cluster)
    assert isinstance(serialization, errors.SerializationFailure)
    assert is_transient(killed) and is_transient(serialization)
    assert is_transient(DatabaseUnavailable("cannot connect to task_db at 127.0.0.1:1: Connection refused"))


def test_real_permanent_errors_are_not_retried(cluster: Cluster) -> None:
    with cluster.connect("task_db", autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as syntax:
            conn.execute("SELEC 1")
        with pytest.raises(psycopg.Error) as check:
            conn.execute("INSERT INTO tasks (name) VALUES ('')")
    assert not is_transient(syntax.value) and not is_transient(check.value)
    assert not is_transient(DatabaseUnavailable("cannot connect: password authentication failed for user x"))
    assert not is_transient(ValueError("not a database error"))
    calls = []

    def work() -> None:
        calls.append(1)
        raise check.value

    with pytest.raises(errors.CheckViolation):
        retry_transient(work, RetryPolicy(attempts=5, base_delay=0), sleep=lambda s: None)
    assert len(calls) == 1


def test_a_dropped_connection_is_retried_with_growing_delays(cluster: Cluster) -> None:
    attempts: list[int] = []
    delays: list[float] = []
    retried: list[int] = []

    def work() -> int:
        attempts.append(1)
        with cluster.connect("task_db", autocommit=True) as conn:
            if len(attempts) < 3:  # the server drops us twice
                conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
            return conn.execute("SELECT 42").fetchone()[0]

    policy = RetryPolicy(attempts=4, base_delay=0.5, jitter=0.0)
    value = retry_transient(work, policy, on_retry=lambda n, exc, delay: retried.append(n), sleep=delays.append)
    assert value == 42 and len(attempts) == 3
    assert retried == [1, 2] and delays == [0.5, 1.0]


def test_the_last_error_is_raised_when_every_attempt_fails(cluster: Cluster) -> None:
    def work() -> None:
        with cluster.connect("task_db", autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")

    delays: list[float] = []
    with pytest.raises(psycopg.OperationalError):
        retry_transient(work, RetryPolicy(attempts=3, base_delay=1, max_delay=1.5, jitter=0), sleep=delays.append)
    assert delays == [1, 1.5]
