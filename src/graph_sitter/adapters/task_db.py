"""task_db: the typed API over tasks (hierarchy, dependencies), workflows and their executions, resource usage,
and the analysis findings that become tasks.

The database enforces the rules (hierarchy and dependency cycles, execution state machines; see
database/migrations/README.md); this module turns their refusals into `TaskError`s with one clear line.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Iterator, Mapping, Sequence

import psycopg
from psycopg import sql

from graph_sitter.errors import GraphSitterError

TASK_STATUSES = ("draft", "pending", "assigned", "in_progress", "blocked", "review", "completed", "failed",
                 "cancelled", "archived")
#: Statuses of work that is over; every other status counts as open (as in analytics_db's cross_domain_summary).
CLOSED_STATUSES = ("completed", "failed", "cancelled", "archived")
PRIORITIES = ("low", "normal", "high", "urgent", "critical")
TASK_TYPES = ("code_analysis", "code_generation", "code_review", "testing", "deployment", "documentation",
              "research", "bug_fix", "feature_development", "optimization", "maintenance", "custom")
DEPENDENCY_TYPES = ("depends_on", "blocks", "triggers", "subtask_of", "related_to", "conflicts_with")
#: Dependency types that order two tasks; `depends_on` points from the waiting task to its prerequisite.
ORDERING_TYPES = ("depends_on", "blocks", "triggers", "subtask_of")


class TaskError(GraphSitterError):
    """A task operation was refused (bad value, cycle, invalid state change)."""


class TaskNotFound(TaskError):
    """No task, workflow or execution has that id or name."""


class DependencyCycle(TaskError):
    """The dependency or re-parenting would close a cycle."""


class InvalidTransition(TaskError):
    """A workflow execution or step cannot move to the requested state from its current one."""


@dataclass(frozen=True)
class Task:
    """A row of tasks."""

    id: uuid.UUID
    name: str
    status: str
    priority: str
    task_type: str
    description: str | None
    parent_task_id: uuid.UUID | None
    root_task_id: uuid.UUID | None
    task_level: int
    workflow_id: uuid.UUID | None
    created_at: datetime
    completed_at: datetime | None
    input_data: dict[str, Any] = field(default_factory=dict)
    output_data: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)


_TASK = ("t.id, t.name, t.status, t.priority, t.task_type, t.description, t.parent_task_id, t.root_task_id,"
         " t.task_level, t.workflow_id, t.created_at, t.completed_at, t.input_data, t.output_data, t.metadata")


@dataclass(frozen=True)
class Dependency:
    """A row of dependencies: for `depends_on`, source waits for target; for blocks/triggers/subtask_of, target
    waits for source."""

    id: uuid.UUID
    source_task_id: uuid.UUID
    target_task_id: uuid.UUID
    dependency_type: str
    description: str | None
    is_hard_dependency: bool


_DEPENDENCY = "d.id, d.source_task_id, d.target_task_id, d.dependency_type, d.description, d.is_hard_dependency"


@dataclass(frozen=True)
class WorkflowStep:
    """One step of a workflow: its name and the task that stands for it."""

    name: str
    task_id: uuid.UUID


@dataclass(frozen=True)
class Workflow:
    """A row of workflows, with its ordered steps (from execution_plan)."""

    id: uuid.UUID
    name: str
    description: str | None
    workflow_type: str
    status: str
    steps: list[WorkflowStep]
    created_at: datetime


@dataclass(frozen=True)
class StepState:
    """One step within one execution: `pending` until the execution reaches it."""

    name: str
    task_id: uuid.UUID
    status: str
    started_at: datetime | None = None
    completed_at: datetime | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class WorkflowExecution:
    """A row of workflow_executions, with the state of each step."""

    id: uuid.UUID
    workflow_id: uuid.UUID
    workflow_name: str
    status: str
    current_stage: str | None
    stages_completed: list[str]
    total_tasks: int
    completed_tasks: int
    failed_tasks: int
    error_message: str | None
    started_at: datetime | None
    completed_at: datetime | None
    steps: list[StepState] = field(default_factory=list)


@dataclass(frozen=True)
class TaskDetails:
    """A task with its place in the hierarchy and in the dependency graph."""

    task: Task
    ancestors: list[Task]
    children: list[Task]
    blocked_by: list[Task]
    blocking: list[Task]


@dataclass(frozen=True)
class Finding:
    """An actionable analysis finding: `key` names it stably across runs of one codebase."""

    key: str
    kind: str
    name: str
    description: str
    priority: str
    task_type: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class RunUsage:
    """What one analysis run cost: wall, CPU (this process and its finished workers), peak RSS, per-phase wall."""

    wall_seconds: float
    cpu_user_seconds: float
    cpu_system_seconds: float
    peak_rss_bytes: int
    cpu_usage_percent: float | None
    cpu_count: int | None
    hostname: str | None
    pid: int | None
    phases: Mapping[str, float] = field(default_factory=dict)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class FindingSync:
    """What `record_analysis` did to a codebase's finding tasks (task ids)."""

    created: list[uuid.UUID] = field(default_factory=list)
    updated: list[uuid.UUID] = field(default_factory=list)
    unchanged: list[uuid.UUID] = field(default_factory=list)
    closed: list[uuid.UUID] = field(default_factory=list)
    kept: list[uuid.UUID] = field(default_factory=list)  # absent from the findings, but not known to be fixed


# A sortable text key: creation time in microseconds (zero-padded), then the id to break ties.
_SIBLING_ORDER = "lpad((extract(epoch FROM {t}.created_at) * 1000000)::bigint::text, 20, '0') || {t}.id::text"
_UUID_PREFIX = re.compile(r"^[0-9a-fA-F-]{4,36}$")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _check(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise TaskError(f"invalid {what} {value!r} (one of: {', '.join(allowed)})")
    return value


class TaskStore:
    """Reads and writes task_db over one connection (autocommit; multi-statement changes use a transaction)."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    # -- tasks -----------------------------------------------------------------------------------------------
    def resolve_task_id(self, ref: str | uuid.UUID) -> uuid.UUID:
        """The id of the task `ref` names: a full id, or an unambiguous prefix of at least 4 characters."""
        return self._resolve("tasks", "task", ref)

    def _resolve(self, table: str, what: str, ref: str | uuid.UUID) -> uuid.UUID:
        if isinstance(ref, uuid.UUID):
            return ref
        ref = ref.strip().lower()
        with contextlib.suppress(ValueError):
            return uuid.UUID(ref)
        if not _UUID_PREFIX.match(ref):
            raise TaskNotFound(f"no {what} {ref!r}: give its id or the first characters of it")
        query = sql.SQL("SELECT id FROM {} WHERE id::text LIKE %s LIMIT 2").format(sql.Identifier(table))
        rows = self.conn.execute(query, (ref + "%",)).fetchall()
        if not rows:
            raise TaskNotFound(f"no {what} with id {ref}")
        if len(rows) > 1:
            raise TaskNotFound(f"{what} id prefix {ref} is ambiguous; give more characters")
        return rows[0][0]

    def resolve_execution_id(self, ref: str | uuid.UUID) -> uuid.UUID:
        """The id of the workflow execution `ref` names: a full id or an unambiguous prefix."""
        return self._resolve("workflow_executions", "workflow execution", ref)

    def get_task(self, ref: str | uuid.UUID) -> Task:
        """The task with this id (or unambiguous id prefix)."""
        task_id = self.resolve_task_id(ref)
        row = self.conn.execute(f"SELECT {_TASK} FROM tasks t WHERE t.id = %s AND t.deleted_at IS NULL",
                                (task_id,)).fetchone()
        if row is None:
            raise TaskNotFound(f"no task with id {task_id}")
        return Task(*row)

    def task_details(self, ref: str | uuid.UUID) -> TaskDetails:
        """A task with its ancestors, children, prerequisites (blocked by) and dependents (blocking)."""
        task = self.get_task(ref)
        return TaskDetails(task, self.ancestors(task.id), self.children(task.id), self.blocked_by(task.id),
                           self.blocking(task.id))

    def create_task(self, name: str, *, description: str | None = None, parent: str | uuid.UUID | None = None,
                    priority: str = "normal", task_type: str = "custom", status: str = "pending",
                    workflow_id: uuid.UUID | None = None, organization_id: uuid.UUID | None = None,
                    input_data: Mapping[str, Any] | None = None, metadata: Mapping[str, Any] | None = None,
                    tags: Sequence[str] = ()) -> Task:
        """Create a task, as a subtask of `parent` when given (its root and level are derived by the database)."""
        if not name.strip():
            raise TaskError("a task needs a name")
        _check(priority, PRIORITIES, "priority")
        _check(task_type, TASK_TYPES, "task type")
        _check(status, TASK_STATUSES, "status")
        parent_id = None if parent is None else self.get_task(parent).id
        row = self.conn.execute(
            "INSERT INTO tasks (name, description, parent_task_id, priority, task_type, status, workflow_id,"
            " organization_id, input_data, metadata, tags) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
            " RETURNING id",
            (name, description, parent_id, priority, task_type, status, workflow_id, organization_id,
             json.dumps(dict(input_data or {})), json.dumps(dict(metadata or {})), list(tags)),
        ).fetchone()
        assert row is not None
        return self.get_task(row[0])

    def list_tasks(self, *, statuses: Sequence[str] | None = None, codebase: str | None = None,
                   parent: str | uuid.UUID | None = None, limit: int = 200) -> list[Task]:
        """Tasks, most urgent first: by default the open ones; `codebase` is a codebase name or id (finding tasks)."""
        for status in statuses or ():
            _check(status, TASK_STATUSES, "status")
        wanted = list(statuses) if statuses else [s for s in TASK_STATUSES if s not in CLOSED_STATUSES]
        conditions = ["t.deleted_at IS NULL", "t.status = ANY(%(statuses)s)"]
        params: dict[str, Any] = {"statuses": wanted, "limit": limit}
        if codebase:
            conditions.append("(t.metadata ->> 'codebase_id' = %(codebase)s OR t.metadata ->> 'codebase' = %(codebase)s)")
            params["codebase"] = codebase
        if parent is not None:
            conditions.append("t.parent_task_id = %(parent)s")
            params["parent"] = self.get_task(parent).id
        rows = self.conn.execute(
            f"SELECT {_TASK} FROM tasks t WHERE {' AND '.join(conditions)}"
            " ORDER BY array_position(%(priorities)s::text[], t.priority) DESC, t.created_at, t.id LIMIT %(limit)s",
            params | {"priorities": list(PRIORITIES)},
        ).fetchall()
        return [Task(*r) for r in rows]

    def children(self, ref: str | uuid.UUID) -> list[Task]:
        """The direct subtasks of a task."""
        task_id = self.get_task(ref).id
        rows = self.conn.execute(
            f"SELECT {_TASK} FROM tasks t WHERE t.parent_task_id = %s AND t.deleted_at IS NULL ORDER BY t.created_at, t.id",
            (task_id,),
        ).fetchall()
        return [Task(*r) for r in rows]

    def ancestors(self, ref: str | uuid.UUID) -> list[Task]:
        """The parent, its parent, ... up to the root task (nearest first)."""
        task_id = self.get_task(ref).id
        rows = self.conn.execute(
            "WITH RECURSIVE up (id, parent_task_id, depth) AS ("
            "  SELECT id, parent_task_id, 0 FROM tasks WHERE id = %s"
            "  UNION ALL"
            "  SELECT t.id, t.parent_task_id, up.depth + 1 FROM tasks t JOIN up ON t.id = up.parent_task_id"
            f") SELECT {_TASK} FROM up JOIN tasks t ON t.id = up.id WHERE up.depth > 0 ORDER BY up.depth",
            (task_id,),
        ).fetchall()
        return [Task(*r) for r in rows]

    def subtree(self, ref: str | uuid.UUID) -> list[Task]:
        """The task and all its descendants, depth first (each child after its parent, siblings by creation)."""
        task_id = self.get_task(ref).id
        rows = self.conn.execute(
            "WITH RECURSIVE down (id, path) AS ("
            f"  SELECT id, ARRAY[{_SIBLING_ORDER.format(t='tasks')}] FROM tasks WHERE id = %s"
            "  UNION ALL"
            f"  SELECT t.id, down.path || {_SIBLING_ORDER.format(t='t')}"
            "    FROM tasks t JOIN down ON t.parent_task_id = down.id WHERE t.deleted_at IS NULL"
            f") SELECT {_TASK} FROM down JOIN tasks t ON t.id = down.id ORDER BY down.path",
            (task_id,),
        ).fetchall()
        return [Task(*r) for r in rows]

    def move_task(self, ref: str | uuid.UUID, parent: str | uuid.UUID | None) -> Task:
        """Make the task a subtask of `parent` (None: a root task); its subtree moves along."""
        task_id = self.get_task(ref).id
        parent_id = None if parent is None else self.get_task(parent).id
        try:
            with self.conn.transaction():
                self.conn.execute("UPDATE tasks SET parent_task_id = %s WHERE id = %s", (parent_id, task_id))
        except psycopg.errors.CheckViolation as exc:
            raise DependencyCycle(_first_line(exc)) from None
        return self.get_task(task_id)

    def set_status(self, ref: str | uuid.UUID, status: str, note: str | None = None) -> Task:
        """Change a task's status; `completed` stamps completed_at and 100 % progress, a note goes to output_data."""
        _check(status, TASK_STATUSES, "status")
        task_id = self.get_task(ref).id
        patch = json.dumps({"note": note} if note else {})
        self.conn.execute(
            "UPDATE tasks SET status = %(status)s, output_data = output_data || %(patch)s::jsonb,"
            " started_at = CASE WHEN %(status)s = 'in_progress' THEN coalesce(started_at, now()) ELSE started_at END,"
            " completed_at = CASE WHEN %(status)s = 'completed' THEN coalesce(completed_at, now())"
            "                     WHEN %(status)s = ANY(%(closed)s) THEN completed_at ELSE NULL END,"
            " progress_percentage = CASE WHEN %(status)s = 'completed' THEN 100 ELSE progress_percentage END"
            " WHERE id = %(id)s",
            {"status": status, "patch": patch, "id": task_id, "closed": list(CLOSED_STATUSES)},
        )
        return self.get_task(task_id)

    def complete_task(self, ref: str | uuid.UUID, note: str | None = None) -> Task:
        """Mark a task completed, with an optional note."""
        return self.set_status(ref, "completed", note)

    # -- dependencies ----------------------------------------------------------------------------------------
    def add_dependency(self, source: str | uuid.UUID, target: str | uuid.UUID, dependency_type: str = "depends_on",
                       description: str | None = None, hard: bool = True) -> Dependency:
        """Record that `source` depends on `target` (or blocks/triggers/... it); a cycle is refused."""
        _check(dependency_type, DEPENDENCY_TYPES, "dependency type")
        source_id, target_id = self.get_task(source).id, self.get_task(target).id
        if source_id == target_id:
            raise DependencyCycle(f"task {source_id} cannot depend on itself")
        try:
            with self.conn.transaction():
                self.conn.execute(
                    "INSERT INTO dependencies (source_task_id, target_task_id, dependency_type, description,"
                    " is_hard_dependency) VALUES (%s, %s, %s, %s, %s)"
                    " ON CONFLICT (source_task_id, target_task_id, dependency_type) DO NOTHING",
                    (source_id, target_id, dependency_type, description, hard),
                )
        except psycopg.errors.CheckViolation as exc:
            raise DependencyCycle(_first_line(exc)) from None
        row = self.conn.execute(
            f"SELECT {_DEPENDENCY} FROM dependencies d WHERE d.source_task_id = %s AND d.target_task_id = %s"
            " AND d.dependency_type = %s",
            (source_id, target_id, dependency_type),
        ).fetchone()
        assert row is not None
        return Dependency(*row)

    def remove_dependency(self, source: str | uuid.UUID, target: str | uuid.UUID,
                          dependency_type: str = "depends_on") -> bool:
        """Remove one dependency; False when there was none."""
        cur = self.conn.execute(
            "DELETE FROM dependencies WHERE source_task_id = %s AND target_task_id = %s AND dependency_type = %s",
            (self.get_task(source).id, self.get_task(target).id, dependency_type),
        )
        return cur.rowcount > 0

    def dependencies(self, ref: str | uuid.UUID) -> list[Dependency]:
        """Every dependency row that names the task, on either side."""
        task_id = self.get_task(ref).id
        rows = self.conn.execute(
            f"SELECT {_DEPENDENCY} FROM dependencies d WHERE d.source_task_id = %s OR d.target_task_id = %s"
            " ORDER BY d.created_at, d.id",
            (task_id, task_id),
        ).fetchall()
        return [Dependency(*r) for r in rows]

    def blocked_by(self, ref: str | uuid.UUID, unfinished_only: bool = False) -> list[Task]:
        """The tasks this one waits for (its prerequisites); with `unfinished_only`, those not completed yet."""
        task_id = self.get_task(ref).id
        rows = self.conn.execute(
            f"SELECT DISTINCT {_TASK} FROM dependencies d JOIN tasks t ON t.id = CASE WHEN d.dependency_type ="
            " 'depends_on' THEN d.target_task_id ELSE d.source_task_id END"
            " WHERE ((d.dependency_type = 'depends_on' AND d.source_task_id = %(id)s)"
            "     OR (d.dependency_type IN ('blocks', 'triggers', 'subtask_of') AND d.target_task_id = %(id)s))"
            " AND t.deleted_at IS NULL AND (NOT %(unfinished)s OR t.status <> 'completed') ORDER BY t.created_at, t.id",
            {"id": task_id, "unfinished": unfinished_only},
        ).fetchall()
        return [Task(*r) for r in rows]

    def blocking(self, ref: str | uuid.UUID) -> list[Task]:
        """The tasks that wait for this one."""
        task_id = self.get_task(ref).id
        rows = self.conn.execute(
            f"SELECT DISTINCT {_TASK} FROM dependencies d JOIN tasks t ON t.id = CASE WHEN d.dependency_type ="
            " 'depends_on' THEN d.source_task_id ELSE d.target_task_id END"
            " WHERE ((d.dependency_type = 'depends_on' AND d.target_task_id = %(id)s)"
            "     OR (d.dependency_type IN ('blocks', 'triggers', 'subtask_of') AND d.source_task_id = %(id)s))"
            " AND t.deleted_at IS NULL ORDER BY t.created_at, t.id",
            {"id": task_id},
        ).fetchall()
        return [Task(*r) for r in rows]

    # -- workflows -------------------------------------------------------------------------------------------
    def create_workflow(self, name: str, steps: Sequence[str], *, description: str | None = None,
                        organization_id: uuid.UUID | None = None) -> Workflow:
        """A sequential workflow: one task per step, each step depending on the one before it."""
        if not name.strip():
            raise TaskError("a workflow needs a name")
        names = [s.strip() for s in steps]
        if not names or any(not s for s in names):
            raise TaskError("a workflow needs at least one step, and every step a name")
        if len(set(names)) != len(names):
            raise TaskError("step names of a workflow must differ")
        try:
            with self.conn.transaction():
                row = self.conn.execute(
                    "INSERT INTO workflows (name, description, workflow_type, organization_id)"
                    " VALUES (%s, %s, 'sequential', %s) RETURNING id",
                    (name, description, organization_id),
                ).fetchone()
                assert row is not None
                workflow_id = row[0]
                plan = []
                previous: uuid.UUID | None = None
                for order, step in enumerate(names):
                    task = self.create_task(step, workflow_id=workflow_id, organization_id=organization_id,
                                            description=f"step {order + 1} of workflow {name}",
                                            metadata={"workflow": name, "workflow_step": order})
                    if previous is not None:
                        self.add_dependency(task.id, previous, "depends_on")
                    plan.append({"name": step, "task_id": str(task.id)})
                    previous = task.id
                self.conn.execute("UPDATE workflows SET execution_plan = %s WHERE id = %s",
                                  (json.dumps({"steps": plan}), workflow_id))
        except psycopg.errors.UniqueViolation:
            raise TaskError(f"a workflow named {name!r} exists already") from None
        return self.get_workflow(workflow_id)

    def get_workflow(self, ref: str | uuid.UUID) -> Workflow:
        """The workflow with this id or name."""
        if isinstance(ref, str):
            with contextlib.suppress(ValueError):
                ref = uuid.UUID(ref)
        column = "id" if isinstance(ref, uuid.UUID) else "name"
        row = self.conn.execute(
            f"SELECT id, name, description, workflow_type, status, execution_plan, created_at FROM workflows"
            f" WHERE {column} = %s AND deleted_at IS NULL ORDER BY created_at LIMIT 1",
            (ref,),
        ).fetchone()
        if row is None:
            raise TaskNotFound(f"no workflow {ref}")
        return _workflow(row)

    def list_workflows(self) -> list[Workflow]:
        """Every workflow that is not deleted, by name."""
        rows = self.conn.execute(
            "SELECT id, name, description, workflow_type, status, execution_plan, created_at FROM workflows"
            " WHERE deleted_at IS NULL ORDER BY name"
        ).fetchall()
        return [_workflow(r) for r in rows]

    def start_workflow(self, ref: str | uuid.UUID, input_data: Mapping[str, Any] | None = None,
                       trigger_source: str = "api") -> WorkflowExecution:
        """Start an execution (one at a time per workflow): the first step runs, the others wait."""
        workflow = self.get_workflow(ref)
        with self.conn.transaction():
            # the row lock serializes two starts of the same workflow
            self.conn.execute("SELECT 1 FROM workflows WHERE id = %s FOR UPDATE", (workflow.id,))
            if workflow.status != "active":
                raise InvalidTransition(f"workflow {workflow.name} is {workflow.status}; only an active one starts")
            active = self.conn.execute(
                "SELECT id FROM workflow_executions WHERE workflow_id = %s AND status IN ('pending', 'running', 'paused')",
                (workflow.id,),
            ).fetchone()
            if active is not None:
                raise InvalidTransition(f"workflow {workflow.name} already has an active execution {active[0]}")
            first = workflow.steps[0]
            row = self.conn.execute(
                "INSERT INTO workflow_executions (workflow_id, organization_id, status, current_stage,"
                " current_stage_started_at, total_tasks, input_data, trigger_source)"
                " SELECT id, organization_id, 'running', %s, now(), %s, %s, %s FROM workflows WHERE id = %s RETURNING id",
                (first.name, len(workflow.steps), json.dumps(dict(input_data or {})), trigger_source, workflow.id),
            ).fetchone()
            assert row is not None
            execution_id = row[0]
            self.conn.execute(
                "UPDATE tasks SET status = 'pending', completed_at = NULL, started_at = NULL, progress_percentage = 0"
                " WHERE id = ANY(%s)", ([s.task_id for s in workflow.steps],))
            self._start_step(execution_id, first.task_id)
        return self.get_execution(execution_id)

    def _start_step(self, execution_id: uuid.UUID, task_id: uuid.UUID) -> None:
        self.conn.execute(
            "INSERT INTO task_executions (task_id, workflow_execution_id, attempt_number, status)"
            " SELECT %s, %s, coalesce(max(attempt_number), 0) + 1, 'running' FROM task_executions WHERE task_id = %s",
            (task_id, execution_id, task_id),
        )
        self.conn.execute("UPDATE tasks SET status = 'in_progress', started_at = now() WHERE id = %s", (task_id,))

    def _locked_execution(self, ref: str | uuid.UUID) -> tuple[uuid.UUID, Workflow, str, str | None]:
        execution_id = self.resolve_execution_id(ref)
        row = self.conn.execute(
            "SELECT workflow_id, status, current_stage FROM workflow_executions WHERE id = %s FOR UPDATE",
            (execution_id,),
        ).fetchone()
        if row is None:
            raise TaskNotFound(f"no workflow execution {execution_id}")
        return execution_id, self.get_workflow(row[0]), row[1], row[2]

    def _finish_current_step(self, execution_id: uuid.UUID, status: str, error: str | None,
                             output: Mapping[str, Any] | None) -> uuid.UUID | None:
        row = self.conn.execute(
            "UPDATE task_executions SET status = %s, error_message = %s, output_data = %s,"
            " duration_ms = greatest(0, (extract(epoch FROM now() - started_at) * 1000)::bigint)"
            " WHERE workflow_execution_id = %s AND status = 'running' RETURNING task_id",
            (status, error, json.dumps(dict(output or {})), execution_id),
        ).fetchone()
        if row is None:
            return None
        self.set_status(row[0], "failed" if status == "timeout" else status)
        return row[0]

    def complete_step(self, ref: str | uuid.UUID, output: Mapping[str, Any] | None = None) -> WorkflowExecution:
        """The running step succeeded: the next one starts, or the execution completes after the last."""
        with self.conn.transaction():
            execution_id, workflow, status, current = self._locked_execution(ref)
            if status != "running":
                raise InvalidTransition(f"execution {execution_id} is {status}; only a running execution advances")
            self._finish_current_step(execution_id, "completed", None, output)
            names = [s.name for s in workflow.steps]
            position = names.index(current) if current in names else len(names) - 1
            if position + 1 < len(names):
                following = workflow.steps[position + 1]
                self.conn.execute(
                    "UPDATE workflow_executions SET completed_tasks = completed_tasks + 1,"
                    " stages_completed = stages_completed || %s::text, current_stage = %s,"
                    " current_stage_started_at = now() WHERE id = %s",
                    (current, following.name, execution_id),
                )
                self._start_step(execution_id, following.task_id)
            else:
                self.conn.execute(
                    "UPDATE workflow_executions SET completed_tasks = completed_tasks + 1,"
                    " stages_completed = stages_completed || %s::text, current_stage = NULL,"
                    " status = 'completed', workflow_results = workflow_results || %s::jsonb WHERE id = %s",
                    (current, json.dumps(dict(output or {})), execution_id),
                )
        return self.get_execution(execution_id)

    def fail_step(self, ref: str | uuid.UUID, error: str) -> WorkflowExecution:
        """The running step failed: so does the execution (a retry is a new execution)."""
        with self.conn.transaction():
            execution_id, _, status, current = self._locked_execution(ref)
            if status != "running":
                raise InvalidTransition(f"execution {execution_id} is {status}; only a running step can fail")
            self._finish_current_step(execution_id, "failed", error, None)
            self.conn.execute(
                "UPDATE workflow_executions SET failed_tasks = failed_tasks + 1, status = 'failed',"
                " error_message = %s, last_error_stage = %s WHERE id = %s",
                (error, current, execution_id),
            )
        return self.get_execution(execution_id)

    def set_execution_status(self, ref: str | uuid.UUID, status: str) -> WorkflowExecution:
        """Pause, resume (`running`), cancel or time out an execution; the database refuses other moves."""
        _check(status, ("running", "paused", "cancelled", "timeout"), "execution status")
        try:
            with self.conn.transaction():
                execution_id, _, current, _ = self._locked_execution(ref)
                if status in ("cancelled", "timeout") and current in ("running", "paused"):
                    self._finish_current_step(execution_id, status, f"execution {status}", None)
                self.conn.execute("UPDATE workflow_executions SET status = %s WHERE id = %s", (status, execution_id))
        except psycopg.errors.CheckViolation as exc:
            raise InvalidTransition(_first_line(exc)) from None
        return self.get_execution(execution_id)

    def get_execution(self, ref: str | uuid.UUID) -> WorkflowExecution:
        """An execution with the state of each of its workflow's steps."""
        execution_id = self.resolve_execution_id(ref)
        row = self.conn.execute(
            "SELECT e.id, e.workflow_id, w.name, e.status, e.current_stage, e.stages_completed, e.total_tasks,"
            " e.completed_tasks, e.failed_tasks, e.error_message, e.started_at, e.completed_at"
            " FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id WHERE e.id = %s",
            (execution_id,),
        ).fetchone()
        if row is None:
            raise TaskNotFound(f"no workflow execution {execution_id}")
        attempts = {r[0]: r[1:] for r in self.conn.execute(
            "SELECT task_id, status, started_at, completed_at, error_message FROM task_executions"
            " WHERE workflow_execution_id = %s",
            (execution_id,),
        )}
        workflow = self.get_workflow(row[1])
        steps = [StepState(s.name, s.task_id, *attempts.get(s.task_id, ("pending", None, None, None)))
                 for s in workflow.steps]
        return WorkflowExecution(*row, steps=steps)

    def executions(self, ref: str | uuid.UUID) -> list[WorkflowExecution]:
        """A workflow's executions, newest first."""
        workflow = self.get_workflow(ref)
        ids = [r[0] for r in self.conn.execute(
            "SELECT id FROM workflow_executions WHERE workflow_id = %s ORDER BY created_at DESC, id", (workflow.id,))]
        return [self.get_execution(i) for i in ids]

    # -- analysis runs ---------------------------------------------------------------------------------------
    def record_analysis(self, *, organization: str, codebase_id: uuid.UUID, codebase_name: str,
                        run_id: uuid.UUID, started_at: datetime, findings: Sequence[Finding],
                        is_gone: Callable[[str, Mapping[str, Any]], bool], usage: RunUsage) -> FindingSync:
        """Bring the codebase's finding tasks in line with one run and record the run's resource usage.

        A finding with a live task (not completed) updates it, a new one creates a task, and the open task of a
        finding that is absent is completed when `is_gone(key, task input_data)` confirms it. Cancelled, failed
        or archived tasks are left as the user left them. One transaction; idempotent per run.
        """
        from graph_sitter.adapters.setup import organization_id as organization_uuid

        organization_id = organization_uuid(organization)
        sync = FindingSync()
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"task_db:findings:{codebase_id}",))
            # setup creates the organization; a slug configured since then must not break the foreign key
            self.conn.execute("INSERT INTO organizations (id, name, slug) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                              (organization_id, organization, organization))
            live = {r[0]: r[1:] for r in self.conn.execute(
                "SELECT metadata ->> 'finding_key', id, status, input_data FROM tasks"
                " WHERE metadata ->> 'codebase_id' = %s AND metadata ? 'finding_key'"
                " AND status <> 'completed' AND deleted_at IS NULL",
                (str(codebase_id),),
            )}
            current: dict[str, Finding] = {}
            for finding in findings:
                current.setdefault(finding.key, finding)
            for key, finding in current.items():
                if key in live:
                    self._refresh_finding_task(live[key][0], live[key][1], finding, sync)
                else:
                    sync.created.append(self._create_finding_task(organization_id, codebase_id, codebase_name,
                                                                  run_id, finding))
            for key, (task_id, status, data) in live.items():
                if key in current or status in CLOSED_STATUSES:
                    continue
                if is_gone(key, data):
                    self.conn.execute(
                        "UPDATE tasks SET status = 'completed', completed_at = now(), progress_percentage = 100,"
                        " output_data = output_data || %s::jsonb WHERE id = %s",
                        (json.dumps({"note": f"resolved: no longer found by analysis run {run_id}",
                                     "resolved_by_run_id": str(run_id)}), task_id),
                    )
                    sync.closed.append(task_id)
                else:
                    sync.kept.append(task_id)
            self._record_usage(organization_id, codebase_id, codebase_name, run_id, started_at, usage)
        return sync

    def _create_finding_task(self, organization_id: uuid.UUID, codebase_id: uuid.UUID, codebase_name: str,
                             run_id: uuid.UUID, finding: Finding) -> uuid.UUID:
        metadata = {"source": "graph_sitter", "codebase_id": str(codebase_id), "codebase": codebase_name,
                    "finding_key": finding.key, "finding_type": finding.kind, "first_seen_run_id": str(run_id)}
        row = self.conn.execute(
            "INSERT INTO tasks (organization_id, name, description, task_type, status, priority, execution_mode,"
            " input_data, metadata, tags) VALUES (%s, %s, %s, %s, 'pending', %s, 'manual', %s, %s, %s) RETURNING id",
            (organization_id, finding.name, finding.description, finding.task_type, finding.priority,
             json.dumps(dict(finding.data), default=str), json.dumps(metadata), ["graph_sitter", finding.kind]),
        ).fetchone()
        assert row is not None
        return row[0]

    def _refresh_finding_task(self, task_id: uuid.UUID, status: str, finding: Finding, sync: FindingSync) -> None:
        if status in CLOSED_STATUSES:  # cancelled or archived by a person: not ours to change
            sync.unchanged.append(task_id)
            return
        cur = self.conn.execute(
            "UPDATE tasks SET name = %(name)s, description = %(description)s, priority = %(priority)s,"
            " input_data = %(data)s::jsonb WHERE id = %(id)s AND (name, description, priority, input_data)"
            " IS DISTINCT FROM (%(name)s, %(description)s, %(priority)s, %(data)s::jsonb)",
            {"name": finding.name, "description": finding.description, "priority": finding.priority,
             "data": json.dumps(dict(finding.data), default=str), "id": task_id},
        )
        (sync.updated if cur.rowcount else sync.unchanged).append(task_id)

    def _record_usage(self, organization_id: uuid.UUID, codebase_id: uuid.UUID, codebase_name: str,
                      run_id: uuid.UUID, started_at: datetime, usage: RunUsage) -> None:
        metadata = json.dumps({"codebase_id": str(codebase_id), "codebase": codebase_name, **usage.metadata})
        whole = (None, started_at, started_at + timedelta(seconds=usage.wall_seconds), usage.wall_seconds,
                 round(usage.cpu_user_seconds * 1000), round(usage.cpu_system_seconds * 1000),
                 usage.cpu_usage_percent, usage.cpu_count,
                 usage.peak_rss_bytes)
        # phases have a wall time only: CPU and memory are not sampled per phase
        phases = [(name, None, None, seconds, None, None, None, None, None) for name, seconds in usage.phases.items()]
        for phase, start, end, seconds, user_ms, system_ms, percent, cpus, peak in [whole, *phases]:
            self.conn.execute(
                "INSERT INTO resource_usage (organization_id, subject_type, subject_id, phase, hostname, pid,"
                " started_at, ended_at, wall_time_ms, cpu_user_ms, cpu_system_ms, cpu_usage_percent, cpu_count,"
                " memory_peak_rss_bytes, metadata)"
                " VALUES (%s, 'analysis_run', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT (subject_id, (coalesce(phase, ''))) WHERE subject_type = 'analysis_run' DO NOTHING",
                (organization_id, run_id, phase, usage.hostname, usage.pid, start, end, round(seconds * 1000),
                 user_ms, system_ms, percent, cpus, peak, metadata),
            )

    def run_usage(self, run_id: uuid.UUID) -> dict[str | None, dict[str, Any]]:
        """The resource samples of one analysis run, by phase (None: the whole run)."""
        rows = self.conn.execute(
            "SELECT phase, wall_time_ms, cpu_user_ms, cpu_system_ms, cpu_usage_percent, memory_peak_rss_bytes"
            " FROM resource_usage WHERE subject_type = 'analysis_run' AND subject_id = %s",
            (run_id,),
        ).fetchall()
        keys = ("wall_time_ms", "cpu_user_ms", "cpu_system_ms", "cpu_usage_percent", "memory_peak_rss_bytes")
        return {r[0]: dict(zip(keys, r[1:])) for r in rows}

    def open_task_counts(self, codebase_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Open (not completed, failed, cancelled or archived) tasks per codebase, for the given codebases."""
        rows = self.conn.execute(
            "SELECT metadata ->> 'codebase_id', count(*) FROM tasks WHERE metadata ->> 'codebase_id' = ANY(%s)"
            " AND status <> ALL(%s) AND deleted_at IS NULL GROUP BY 1",
            ([str(c) for c in codebase_ids], list(CLOSED_STATUSES)),
        ).fetchall()
        counts = {uuid.UUID(r[0]): r[1] for r in rows}
        return {c: counts.get(c, 0) for c in codebase_ids}


def _workflow(row: tuple[Any, ...]) -> Workflow:
    steps = [WorkflowStep(s["name"], uuid.UUID(s["task_id"])) for s in (row[5] or {}).get("steps", [])]
    return Workflow(id=row[0], name=row[1], description=row[2], workflow_type=row[3], status=row[4], steps=steps,
                    created_at=row[6])


@contextlib.contextmanager
def open_task_store(settings: Any) -> Iterator[TaskStore]:
    """A TaskStore on an autocommit connection to task_db (the server is started and set up if needed)."""
    from graph_sitter.adapters.setup import ensure_ready

    conn = ensure_ready(settings).connect("task_db", autocommit=True)
    try:
        yield TaskStore(conn)
    finally:
        conn.close()
