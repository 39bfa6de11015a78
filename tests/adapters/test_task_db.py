"""task_db rules enforced by the database itself: hierarchy, self- and circular dependencies, updated_at."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest

from graph_sitter.adapters.database import Cluster


def _task(conn: psycopg.Connection, parent: uuid.UUID | None = None) -> uuid.UUID:
    row = conn.execute(
        "INSERT INTO tasks (name, parent_task_id) VALUES (%s, %s) RETURNING id", (f"t-{uuid.uuid4()}", parent)
    ).fetchone()
    assert row is not None
    return row[0]


def _depend(conn: psycopg.Connection, source: uuid.UUID, target: uuid.UUID) -> None:
    conn.execute("INSERT INTO dependencies (source_task_id, target_task_id) VALUES (%s, %s)", (source, target))


@pytest.fixture()
def conn(cluster: Cluster):
    with cluster.connect("task_db", "owner", autocommit=True) as c:
        yield c


def test_self_dependency_is_refused(conn: psycopg.Connection) -> None:
    a = _task(conn)
    with pytest.raises(psycopg.errors.CheckViolation):
        _depend(conn, a, a)


def test_direct_cycle_is_refused(conn: psycopg.Connection) -> None:
    a, b = _task(conn), _task(conn)
    _depend(conn, a, b)
    with pytest.raises(psycopg.Error, match="circular dependency"):
        _depend(conn, b, a)


def test_indirect_cycle_is_refused_and_chain_kept(conn: psycopg.Connection) -> None:
    a, b, c, d = (_task(conn) for _ in range(4))
    _depend(conn, a, b)
    _depend(conn, b, c)
    _depend(conn, c, d)
    with pytest.raises(psycopg.Error, match="circular dependency"):
        _depend(conn, d, a)
    _depend(conn, a, d)  # a shortcut is not a cycle
    count = conn.execute(
        "SELECT count(*) FROM dependencies WHERE source_task_id = ANY(%s)", ([a, b, c, d],)
    ).fetchone()
    assert count == (4,)


def test_concurrent_halves_of_a_cycle_cannot_both_commit(cluster: Cluster) -> None:
    with cluster.connect("task_db", "owner", autocommit=True) as setup_conn:
        a, b = _task(setup_conn), _task(setup_conn)
    outcomes: dict[str, str] = {}
    first_inserted = threading.Event()

    def first() -> None:
        with cluster.connect("task_db", "owner") as c:
            _depend(c, a, b)
            first_inserted.set()
            time.sleep(1.0)  # keep the transaction open while the other half arrives
            c.commit()
            outcomes["first"] = "ok"

    def second() -> None:
        first_inserted.wait(10)
        with cluster.connect("task_db", "owner") as c:
            try:
                _depend(c, b, a)
                c.commit()
                outcomes["second"] = "ok"
            except psycopg.Error as exc:
                outcomes["second"] = str(exc)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes["first"] == "ok"
    assert "circular dependency" in outcomes["second"]
    with cluster.connect("task_db", "owner") as c:
        rows = c.execute(
            "SELECT count(*) FROM dependencies WHERE source_task_id = ANY(%s) AND target_task_id = ANY(%s)", ([a, b], [a, b])
        ).fetchone()
    assert rows == (1,)


def test_hierarchy_root_and_level_follow_the_parent(conn: psycopg.Connection) -> None:
    root = _task(conn)
    child = _task(conn, root)
    grandchild = _task(conn, child)
    rows = {r[0]: r[1:] for r in conn.execute(
        "SELECT id, root_task_id, task_level FROM tasks WHERE id = ANY(%s)", ([root, child, grandchild],))}
    assert rows[root] == (root, 0)
    assert rows[child] == (root, 1)
    assert rows[grandchild] == (root, 2)
    new_root = _task(conn)
    conn.execute("UPDATE tasks SET parent_task_id = %s WHERE id = %s", (new_root, child))
    moved = conn.execute("SELECT root_task_id, task_level FROM tasks WHERE id = %s", (grandchild,)).fetchone()
    assert moved == (new_root, 2)


def test_a_task_cannot_become_its_own_ancestor(conn: psycopg.Connection) -> None:
    root = _task(conn)
    child = _task(conn, root)
    with pytest.raises(psycopg.Error):
        conn.execute("UPDATE tasks SET parent_task_id = %s WHERE id = %s", (child, root))


def test_updated_at_is_maintained_by_trigger(conn: psycopg.Connection) -> None:
    a = _task(conn)
    before = conn.execute("SELECT updated_at FROM tasks WHERE id = %s", (a,)).fetchone()
    time.sleep(0.01)
    conn.execute("UPDATE tasks SET description = 'changed' WHERE id = %s", (a,))
    after = conn.execute("SELECT updated_at FROM tasks WHERE id = %s", (a,)).fetchone()
    assert before is not None and after is not None and after[0] > before[0]
