"""`gsdb tasks`: task_db from the command line; each command calls one TaskStore method and prints the result."""

from __future__ import annotations

from typing import Any

import click

from graph_sitter.adapters.task_db import (
    DEPENDENCY_TYPES,
    PRIORITIES,
    TASK_STATUSES,
    TASK_TYPES,
    open_task_store,
)
from graph_sitter.cli_output import json_option, print_json
from graph_sitter.config import load_settings


def _line(task: Any, indent: int = 0) -> str:
    return f"{str(task.id)[:8]}  {task.priority:<8} {task.status:<11} {'  ' * indent}{task.name}"


@click.group()
def tasks() -> None:
    """Tasks: findings to fix, your own work, their hierarchy, dependencies and workflows (task_db)."""


@tasks.command("list")
@click.option("--status", "statuses", multiple=True, type=click.Choice(TASK_STATUSES),
              help="Only tasks with this status (repeatable; default: the open ones).")
@click.option("--all", "show_all", is_flag=True, help="Tasks of every status.")
@click.option("--codebase", "-c", help="Only the tasks about this codebase (name or id).")
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True)
@json_option
def list_tasks(statuses: tuple[str, ...], show_all: bool, codebase: str | None, limit: int, as_json: bool) -> None:
    """List tasks, most urgent first."""
    wanted = TASK_STATUSES if show_all else statuses or None
    with open_task_store(load_settings()) as store:
        rows = store.list_tasks(statuses=wanted, codebase=codebase, limit=limit)
    if as_json:
        print_json(rows)
        return
    for task in rows:
        click.echo(_line(task))


@tasks.command("show")
@click.argument("task_id", metavar="ID")
@json_option
def show(task_id: str, as_json: bool) -> None:
    """Show a task: details, hierarchy, what it waits for and what waits for it."""
    with open_task_store(load_settings()) as store:
        details = store.task_details(task_id)
    if as_json:
        print_json(details)
        return
    t = details.task
    click.echo(f"id:        {t.id}\nname:      {t.name}\nstatus:    {t.status}\npriority:  {t.priority}\n"
               f"type:      {t.task_type}\ncreated:   {t.created_at:%Y-%m-%d %H:%M}")
    if t.completed_at:
        click.echo(f"completed: {t.completed_at:%Y-%m-%d %H:%M}")
    if t.description:
        click.echo(f"\n{t.description}\n")
    if t.output_data.get("note"):
        click.echo(f"note:      {t.output_data['note']}")
    for title, rows in (("parents", details.ancestors), ("subtasks", details.children),
                        ("blocked by", details.blocked_by), ("blocking", details.blocking)):
        if rows:
            click.echo(f"{title}:")
            for row in rows:
                click.echo("  " + _line(row))


@tasks.command("tree")
@click.argument("task_id", metavar="ID")
def tree(task_id: str) -> None:
    """Show a task and all its subtasks."""
    with open_task_store(load_settings()) as store:
        rows = store.subtree(task_id)
    base = rows[0].task_level if rows else 0
    for task in rows:
        click.echo(_line(task, task.task_level - base))


@tasks.command("add")
@click.argument("name")
@click.option("--parent", help="Make it a subtask of this task (id or id prefix).")
@click.option("--priority", type=click.Choice(PRIORITIES), default="normal", show_default=True)
@click.option("--type", "task_type", type=click.Choice(TASK_TYPES), default="custom", show_default=True)
@click.option("--description", help="What is to be done.")
@json_option
def add(name: str, parent: str | None, priority: str, task_type: str, description: str | None, as_json: bool) -> None:
    """Create a task."""
    with open_task_store(load_settings()) as store:
        task = store.create_task(name, parent=parent, priority=priority, task_type=task_type, description=description)
    if as_json:
        print_json(task)
        return
    click.echo(task.id)


@tasks.command("move")
@click.argument("task_id", metavar="ID")
@click.option("--parent", help="The new parent task; leave out to make it a root task.")
def move(task_id: str, parent: str | None) -> None:
    """Move a task (and its subtasks) under another task; a task cannot go under its own subtree."""
    with open_task_store(load_settings()) as store:
        task = store.move_task(task_id, parent)
    click.echo(f"{task.id}  level {task.task_level}")


@tasks.command("depend")
@click.argument("source", metavar="SRC")
@click.argument("target", metavar="TGT")
@click.option("--type", "dependency_type", type=click.Choice(DEPENDENCY_TYPES), default="depends_on",
              show_default=True, help="depends_on: SRC waits for TGT; blocks/triggers: TGT waits for SRC.")
def depend(source: str, target: str, dependency_type: str) -> None:
    """Record a dependency between two tasks; one that would close a cycle is refused."""
    with open_task_store(load_settings()) as store:
        dep = store.add_dependency(source, target, dependency_type)
    click.echo(f"{str(dep.source_task_id)[:8]} {dep.dependency_type} {str(dep.target_task_id)[:8]}")


@tasks.command("done")
@click.argument("task_id", metavar="ID")
@click.option("--note", help="How it was done.")
def done(task_id: str, note: str | None) -> None:
    """Mark a task completed."""
    with open_task_store(load_settings()) as store:
        task = store.complete_task(task_id, note)
    click.echo(f"{task.id}  {task.status}")


# -- workflows ----------------------------------------------------------------------------------------------
def _print_execution(execution: Any, as_json: bool) -> None:
    if as_json:
        print_json(execution)
        return
    click.echo(f"execution {execution.id}  {execution.workflow_name}  {execution.status}"
               f"  ({execution.completed_tasks}/{execution.total_tasks} steps done)")
    if execution.error_message:
        click.echo(f"error: {execution.error_message}")
    for n, step in enumerate(execution.steps, 1):
        click.echo(f"  {n}. {step.status:<10} {step.name}")


@tasks.group()
def workflow() -> None:
    """Workflows: ordered steps, executions that run them one after another."""


@workflow.command("create")
@click.argument("name")
@click.argument("steps", nargs=-1, required=True)
@click.option("--description", help="What the workflow is for.")
def workflow_create(name: str, steps: tuple[str, ...], description: str | None) -> None:
    """Create a sequential workflow NAME with STEPS (one task each, in order)."""
    with open_task_store(load_settings()) as store:
        wf = store.create_workflow(name, steps, description=description)
    click.echo(f"{wf.id}  {wf.name}: {' -> '.join(s.name for s in wf.steps)}")


@workflow.command("list")
@json_option
def workflow_list(as_json: bool) -> None:
    """List the workflows and their steps."""
    with open_task_store(load_settings()) as store:
        rows = store.list_workflows()
    if as_json:
        print_json(rows)
        return
    for wf in rows:
        click.echo(f"{wf.name}\t{wf.status}\t{' -> '.join(s.name for s in wf.steps)}")


@workflow.command("start")
@click.argument("name")
@json_option
def workflow_start(name: str, as_json: bool) -> None:
    """Start an execution of workflow NAME: its first step runs."""
    with open_task_store(load_settings()) as store:
        execution = store.start_workflow(name, trigger_source="gsdb")
    _print_execution(execution, as_json)


@workflow.command("status")
@click.argument("execution_id", metavar="EXECUTION")
@json_option
def workflow_status(execution_id: str, as_json: bool) -> None:
    """Show an execution and the state of each step."""
    with open_task_store(load_settings()) as store:
        execution = store.get_execution(execution_id)
    _print_execution(execution, as_json)


@workflow.command("next")
@click.argument("execution_id", metavar="EXECUTION")
@json_option
def workflow_next(execution_id: str, as_json: bool) -> None:
    """Complete the running step: the next one starts, or the execution completes."""
    with open_task_store(load_settings()) as store:
        execution = store.complete_step(execution_id)
    _print_execution(execution, as_json)


@workflow.command("fail")
@click.argument("execution_id", metavar="EXECUTION")
@click.argument("message")
@json_option
def workflow_fail(execution_id: str, message: str, as_json: bool) -> None:
    """Fail the running step, and with it the execution."""
    with open_task_store(load_settings()) as store:
        execution = store.fail_step(execution_id, message)
    _print_execution(execution, as_json)


@workflow.command("set")
@click.argument("execution_id", metavar="EXECUTION")
@click.argument("state", type=click.Choice(["paused", "running", "cancelled"]))
@json_option
def workflow_set(execution_id: str, state: str, as_json: bool) -> None:
    """Pause, resume (running) or cancel an execution."""
    with open_task_store(load_settings()) as store:
        execution = store.set_execution_status(execution_id, state)
    _print_execution(execution, as_json)
