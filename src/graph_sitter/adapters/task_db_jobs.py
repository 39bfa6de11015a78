"""task_db: analysis jobs as workflows — a nightly configuration is a workflow, each nightly run an execution,
each repository a step whose attempts are task_executions.

These workflows are `parallel`: their steps are independent, so a failing repository fails its step and the
others still run, and two runs of the same configuration may be active at once (the codebase locks keep them
apart). TaskStore.get_execution and `gsdb tasks workflow show` read them like any other workflow.
"""

from __future__ import annotations

import json
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Sequence

import psycopg

#: Terminal outcomes of a step, as stored in workflow_results.steps.<name>.status.
STEP_OUTCOMES = ("completed", "failed", "skipped")


@dataclass(frozen=True)
class JobWorkflow:
    """A jobs workflow and the task that stands for each of its steps, by step name."""

    id: uuid.UUID
    name: str
    steps: dict[str, uuid.UUID]


@dataclass(frozen=True)
class ExecutionState:
    """Where an execution stands after a step reported."""

    id: uuid.UUID
    workflow_name: str
    status: str
    total: int
    outcomes: dict[str, dict[str, Any]]
    started_at: datetime | None
    completed_at: datetime | None
    organization_id: uuid.UUID | None

    @property
    def finished(self) -> bool:
        """True when every step has an outcome."""
        return len(self.outcomes) >= self.total


class JobStore:
    """Jobs workflows in task_db over one autocommit connection; every change is one transaction."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def ensure_workflow(self, name: str, steps: Sequence[str], *, description: str,
                        organization: str, metadata: Mapping[str, Any]) -> JobWorkflow:
        """The workflow `name` with one task per step; created, or brought in line with `steps`."""
        from graph_sitter.adapters.setup import organization_id as organization_uuid

        organization_id = organization_uuid(organization)
        with self.conn.transaction():
            # one writer per workflow name: two first runs of a configuration must not both create it
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"task_db:workflow:{name}",))
            # setup creates the organization; a slug configured since then must not break the foreign key
            self.conn.execute("INSERT INTO organizations (id, name, slug) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                              (organization_id, organization, organization))
            row = self.conn.execute(
                "SELECT id, execution_plan FROM workflows WHERE name = %s AND organization_id IS NOT DISTINCT FROM %s"
                " AND deleted_at IS NULL", (name, organization_id),
            ).fetchone()
            if row is None:
                row = self.conn.execute(
                    "INSERT INTO workflows (organization_id, name, description, workflow_type, trigger_config, metadata)"
                    " VALUES (%s, %s, %s, 'parallel', %s, %s) RETURNING id, execution_plan",
                    (organization_id, name, description, json.dumps({"source": "gsdb"}), json.dumps(dict(metadata))),
                ).fetchone()
                assert row is not None
            workflow_id = row[0]
            known = {s["name"]: uuid.UUID(s["task_id"]) for s in (row[1] or {}).get("steps", [])}
            plan = []
            for step in steps:
                task_id = known.get(step)
                if task_id is None:
                    created = self.conn.execute(
                        "INSERT INTO tasks (organization_id, workflow_id, name, description, task_type, status,"
                        " execution_mode, metadata, tags) VALUES (%s, %s, %s, %s, 'code_analysis', 'pending',"
                        " 'scheduled', %s, %s) RETURNING id",
                        (organization_id, workflow_id, f"analyse {step}", f"step {step} of workflow {name}",
                         json.dumps({"workflow": name, "workflow_step": step}), ["graph_sitter", "analysis"]),
                    ).fetchone()
                    assert created is not None
                    task_id = created[0]
                plan.append({"name": step, "task_id": str(task_id)})
            self.conn.execute("UPDATE workflows SET execution_plan = %s, metadata = metadata || %s WHERE id = %s"
                              " AND execution_plan IS DISTINCT FROM %s",
                              (json.dumps({"steps": plan}), json.dumps(dict(metadata)), workflow_id,
                               json.dumps({"steps": plan})))
        return JobWorkflow(workflow_id, name, {s["name"]: uuid.UUID(s["task_id"]) for s in plan})

    def start_execution(self, workflow: JobWorkflow, *, trigger_source: str,
                        input_data: Mapping[str, Any]) -> uuid.UUID:
        """A new running execution of the workflow; its steps report as they finish."""
        row = self.conn.execute(
            "INSERT INTO workflow_executions (workflow_id, organization_id, status, total_tasks, input_data,"
            " trigger_source, workflow_results) SELECT id, organization_id, 'running', %s, %s, %s,"
            " '{\"steps\": {}}'::jsonb FROM workflows WHERE id = %s RETURNING id",
            (len(workflow.steps), json.dumps(dict(input_data), default=str), trigger_source, workflow.id),
        ).fetchone()
        assert row is not None
        return row[0]

    def queue_step(self, execution_id: uuid.UUID, task_id: uuid.UUID, job_id: int) -> None:
        """Record that the step was handed to the job queue (an attempt `pending` until a worker takes it)."""
        with self.conn.transaction():
            self.conn.execute("SELECT 1 FROM tasks WHERE id = %s FOR UPDATE", (task_id,))
            self.conn.execute(
                "INSERT INTO task_executions (task_id, workflow_execution_id, attempt_number, status, execution_mode,"
                " executor, input_data) SELECT %s, %s, coalesce(max(attempt_number), 0) + 1, 'pending', 'automatic',"
                " 'queue', %s FROM task_executions WHERE task_id = %s",
                (task_id, execution_id, json.dumps({"job_id": job_id}), task_id),
            )

    def start_step(self, execution_id: uuid.UUID, task_id: uuid.UUID, *, executor: str | None = None,
                   input_data: Mapping[str, Any] | None = None) -> uuid.UUID:
        """A running attempt of the step; an attempt left running by a killed process is closed as failed first."""
        executor = executor or socket.gethostname()
        with self.conn.transaction():
            # the task row serializes attempt numbers between concurrent executions of the workflow
            self.conn.execute("SELECT 1 FROM tasks WHERE id = %s FOR UPDATE", (task_id,))
            self.conn.execute(
                "UPDATE task_executions SET status = 'failed', error_message = 'interrupted: the process running it"
                " stopped' WHERE workflow_execution_id = %s AND task_id = %s AND status = 'running'",
                (execution_id, task_id),
            )
            row = self.conn.execute(
                "UPDATE task_executions SET status = 'running', executor = %s, input_data = input_data || %s"
                " WHERE id = (SELECT id FROM task_executions WHERE workflow_execution_id = %s AND task_id = %s"
                " AND status = 'pending' ORDER BY attempt_number LIMIT 1) RETURNING id",
                (executor, json.dumps(dict(input_data or {}), default=str), execution_id, task_id),
            ).fetchone()
            if row is None:
                row = self.conn.execute(
                    "INSERT INTO task_executions (task_id, workflow_execution_id, attempt_number, status,"
                    " execution_mode, executor, input_data) SELECT %s, %s, coalesce(max(attempt_number), 0) + 1,"
                    " 'running', 'automatic', %s, %s FROM task_executions WHERE task_id = %s RETURNING id",
                    (task_id, execution_id, executor, json.dumps(dict(input_data or {}), default=str), task_id),
                ).fetchone()
            self.conn.execute("UPDATE tasks SET status = 'in_progress', started_at = now(), completed_at = NULL,"
                              " error_message = NULL WHERE id = %s", (task_id,))
        assert row is not None
        return row[0]

    def finish_step(self, execution_id: uuid.UUID, step: str, task_id: uuid.UUID, outcome: str,
                    output: Mapping[str, Any], error: str | None = None) -> ExecutionState:
        """Record a step's outcome (completed, failed or skipped); the execution ends with its last step.

        Idempotent: a step that already has an outcome in this execution keeps the first one.
        """
        if outcome not in STEP_OUTCOMES:
            raise ValueError(f"unknown step outcome {outcome!r}")
        attempt_status = {"completed": "completed", "failed": "failed", "skipped": "cancelled"}[outcome]
        with self.conn.transaction():
            row = self.conn.execute(
                "SELECT workflow_results -> 'steps' ? %s FROM workflow_executions WHERE id = %s FOR UPDATE",
                (step, execution_id),
            ).fetchone()
            if row is None:
                raise LookupError(f"no workflow execution {execution_id}")
            if not row[0]:
                self.conn.execute(
                    "UPDATE task_executions SET status = %s, output_data = %s, error_message = %s,"
                    " duration_ms = greatest(0, (extract(epoch FROM now() - started_at) * 1000)::bigint)"
                    " WHERE workflow_execution_id = %s AND task_id = %s AND status IN ('running', 'pending')",
                    (attempt_status, json.dumps(dict(output), default=str), error, execution_id, task_id),
                )
                self.conn.execute(
                    "UPDATE tasks SET status = %s, completed_at = CASE WHEN %s = 'completed' THEN now() END,"
                    " error_message = %s, output_data = %s WHERE id = %s",
                    ({"completed": "completed", "failed": "failed", "skipped": "pending"}[outcome], outcome, error,
                     json.dumps(dict(output), default=str), task_id),
                )
                self.conn.execute(
                    "UPDATE workflow_executions SET"
                    " completed_tasks = completed_tasks + (%s = 'completed')::int,"
                    " failed_tasks = failed_tasks + (%s = 'failed')::int,"
                    " stages_completed = stages_completed || %s::text,"
                    " workflow_results = jsonb_set(workflow_results, ARRAY['steps', %s], %s::jsonb)"
                    " WHERE id = %s",
                    (outcome, outcome, step, step,
                     json.dumps({"status": outcome, "error": error, **dict(output)}, default=str), execution_id),
                )
            state = self._state(execution_id)
            if state.finished and state.status == "running":
                failed = sorted(n for n, o in state.outcomes.items() if o.get("status") == "failed")
                self.conn.execute(
                    "UPDATE workflow_executions SET status = %s, error_message = %s, last_error_stage = %s"
                    " WHERE id = %s",
                    ("failed" if failed else "completed",
                     f"{len(failed)} of {state.total} failed: {', '.join(failed)}" if failed else None,
                     failed[-1] if failed else None, execution_id),
                )
                state = self._state(execution_id)
        return state

    def _state(self, execution_id: uuid.UUID) -> ExecutionState:
        row = self.conn.execute(
            "SELECT e.id, w.name, e.status, e.total_tasks, e.workflow_results -> 'steps', e.started_at,"
            " e.completed_at, e.organization_id FROM workflow_executions e JOIN workflows w ON w.id = e.workflow_id"
            " WHERE e.id = %s", (execution_id,),
        ).fetchone()
        if row is None:
            raise LookupError(f"no workflow execution {execution_id}")
        return ExecutionState(row[0], row[1], row[2], row[3], dict(row[4] or {}), row[5], row[6], row[7])

    def execution_state(self, execution_id: uuid.UUID) -> ExecutionState:
        """Where the execution stands now."""
        return self._state(execution_id)
