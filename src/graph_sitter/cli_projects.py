"""`gsdb projects`: projects_db from the command line; each command calls one library function and prints."""

from __future__ import annotations

from datetime import datetime

import click

from graph_sitter.adapters.projects_db import (
    MILESTONE_STATUSES,
    open_project_store,
    project_summaries,
)
from graph_sitter.cli_output import json_option, print_json
from graph_sitter.config import load_settings


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "never"


@click.group()
def projects() -> None:
    """Projects: their repositories, contributors, teams and milestones (projects_db)."""


@projects.command("list")
@json_option
def list_projects(as_json: bool) -> None:
    """List the projects."""
    with open_project_store(load_settings()) as store:
        rows = store.list_projects()
    if as_json:
        print_json(rows)
        return
    for p in rows:
        click.echo(f"{p.name}\t{p.status}\t{p.description or ''}")


@projects.command("add")
@click.argument("name")
@click.option("--description", help="What the project is about.")
def add(name: str, description: str | None) -> None:
    """Create a project."""
    settings = load_settings()
    with open_project_store(settings) as store:
        project = store.create_project(name, organization=settings.organization, description=description)
    click.echo(f"{project.id}  {project.name} ({project.slug})")


@projects.command("show")
@click.argument("name")
@json_option
def show(name: str, as_json: bool) -> None:
    """Show a project: repositories, contributors, teams and milestones."""
    with open_project_store(load_settings()) as store:
        d = store.project_details(name)
    if as_json:
        print_json(d)
        return
    click.echo(f"{d.project.name} ({d.project.slug})  {d.project.status}")
    if d.project.description:
        click.echo(d.project.description)
    click.echo("repositories:")
    for r in d.repositories:
        languages = ", ".join(f"{k} {v}" for k, v in list(r.languages.items())[:5])
        click.echo(f"  {r.name}  {r.clone_url or r.local_path}  {r.default_branch}@{(r.head_commit or '-')[:12]}"
                   f"  {r.size_kb} KiB  [{languages}]")
    if d.members:
        click.echo("people:")
        for m in d.members:
            click.echo(f"  {m.display_name or m.email}  <{m.email or '-'}>  {m.role}  {m.commits_count} commits")
    if d.teams:
        click.echo("teams: " + ", ".join(f"{t.name} ({t.members})" for t in d.teams))
    if d.milestones:
        click.echo("milestones:")
        for ms in d.milestones:
            click.echo(f"  {ms.name}  {ms.status}  due {ms.due_date or '-'}")


@projects.command("summary")
@json_option
def summary(as_json: bool) -> None:
    """One line per project: repositories, people, open milestones, open tasks, last analysis."""
    rows = project_summaries(load_settings())
    if as_json:
        print_json(rows)
        return
    click.echo("project\trepositories\tpeople\tmilestones open\ttasks open\tlast analysis\tlanguages")
    for s in rows:
        click.echo(f"{s.name}\t{s.repositories}\t{s.members}\t{s.open_milestones}/{s.milestones}\t{s.open_tasks}\t"
                   f"{_when(s.last_analysis_at)}\t{', '.join(s.languages)}")


@projects.group()
def milestone() -> None:
    """A project's milestones."""


@milestone.command("add")
@click.argument("project")
@click.argument("name")
@click.option("--due", type=click.DateTime(formats=["%Y-%m-%d"]), help="Due date, YYYY-MM-DD.")
@click.option("--description", help="What the milestone delivers.")
def milestone_add(project: str, name: str, due: datetime | None, description: str | None) -> None:
    """Add milestone NAME to PROJECT."""
    with open_project_store(load_settings()) as store:
        ms = store.add_milestone(project, name, due_date=due.date() if due else None, description=description)
    click.echo(f"{ms.id}  {ms.name}  {ms.status}  due {ms.due_date or '-'}")


@milestone.command("list")
@click.argument("project")
@json_option
def milestone_list(project: str, as_json: bool) -> None:
    """List PROJECT's milestones."""
    with open_project_store(load_settings()) as store:
        rows = store.milestones(project)
    if as_json:
        print_json(rows)
        return
    for ms in rows:
        click.echo(f"{ms.name}\t{ms.status}\t{ms.due_date or '-'}\t{ms.progress_percentage:g} %")


@milestone.command("set")
@click.argument("project")
@click.argument("name")
@click.argument("status", type=click.Choice(MILESTONE_STATUSES))
def milestone_set(project: str, name: str, status: str) -> None:
    """Move milestone NAME of PROJECT to STATUS."""
    with open_project_store(load_settings()) as store:
        ms = store.set_milestone_status(project, name, status)
    click.echo(f"{ms.name}  {ms.status}")
