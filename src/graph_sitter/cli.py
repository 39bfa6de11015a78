"""The `gsdb` command: each subcommand parses its arguments, calls one library function and prints the result."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from graph_sitter.cli_output import library_option, print_json
from graph_sitter.config import (
    DATABASES,
    DEFAULT_MAX_FILE_SIZE,
    Settings,
    load_settings,
)
from graph_sitter.errors import GraphSitterError


def _fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"gsdb: error: {message}", err=True)
    sys.exit(code)


#: The domain command groups, each in its own module over its own library: imported only when invoked, so that
#: `gsdb analyze` does not pay for the web server's, the queue's and the crypto libraries' imports.
_LAZY_COMMANDS = {
    "events": "graph_sitter.cli_events:events",
    "serve": "graph_sitter.cli_events:serve",
    "tasks": "graph_sitter.cli_tasks:tasks",
    "projects": "graph_sitter.cli_projects:projects",
    "prompts": "graph_sitter.cli_prompts:prompts",
    "learning": "graph_sitter.cli_learning:learning",
    "nightly": "graph_sitter.cli_nightly:nightly",
    "enqueue": "graph_sitter.cli_queue:enqueue",
    "worker": "graph_sitter.cli_queue:worker",
    "maintain": "graph_sitter.cli_maintain:maintain",
    "report": "graph_sitter.cli_report:report",
}


class _Group(click.Group):
    """Turns every expected failure into one line on stderr and a non-zero exit code; loads domain groups lazily."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _LAZY_COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        import importlib

        module, attribute = target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        import psycopg

        try:
            return super().invoke(ctx)
        except GraphSitterError as exc:
            _fail(str(exc), exc.exit_code)
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            _fail(f"database error: {first}", 3)
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException, SystemExit):
            raise
        except Exception as exc:  # a bug: still one line, with the way to the traceback
            import os

            if os.environ.get("GRAPH_SITTER_DEBUG"):
                raise
            _fail(f"internal error: {type(exc).__name__}: {exc} (GRAPH_SITTER_DEBUG=1 shows the traceback)", 70)


def _settings() -> Settings:
    try:
        return load_settings()
    except GraphSitterError as exc:
        _fail(str(exc), exc.exit_code)




@click.group(cls=_Group)
@click.version_option(package_name="graph-sitter-db", prog_name="gsdb")
def main() -> None:
    """graph_sitter: analyse code with tree-sitter into seven PostgreSQL databases."""


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", help="Codebase name (default: the directory name).")
@click.option("--full", is_flag=True, help="Re-parse every file instead of only the changed ones.")
@click.option("--jobs", type=click.IntRange(1, 256), help="Worker processes for parsing (default: all cores).")
@click.option("--include", multiple=True, help="Only files matching this glob (repeatable).")
@click.option("--exclude", multiple=True, help="Leave out files or folders matching this glob (repeatable).")
@click.option("--max-file-size", type=click.IntRange(1), default=DEFAULT_MAX_FILE_SIZE, show_default=True,
              help="Skip (and record) files larger than this many bytes.")
@library_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the run's summary.")
def analyze(path: Path, name: str | None, full: bool, jobs: int | None, include: tuple[str, ...],
            exclude: tuple[str, ...], max_file_size: int, library: bool, as_json: bool) -> None:
    """Analyse the repository at PATH into codebase_db (incrementally unless --full)."""
    from graph_sitter.codebase.pipeline import AnalyzeOptions
    from graph_sitter.codebase.pipeline import analyze as run_analysis

    options = AnalyzeOptions(name=name, full=full, jobs=jobs, include=include, exclude=exclude,
                             max_file_size=max_file_size, library=library)
    if sys.stderr.isatty() and not as_json:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("parsing", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            result = run_analysis(path, AnalyzeOptions(**{**options.__dict__, "progress": progress}), _settings())
    else:
        result = run_analysis(path, options, _settings())
    if as_json:
        print_json(result.as_json())
        _exit_now()
    m = result.metrics
    click.echo(f"{result.codebase}: {result.run_type} run {result.run_id} in {result.seconds.get('total', 0):.1f}s")
    click.echo(f"  files: {result.files['total']} ({result.files['analyzed']} parsed, {result.files['unchanged']} unchanged,"
               f" {result.files['deleted']} deleted, {result.files['skipped']} skipped)")
    click.echo("  elements: " + ", ".join(f"{k} {v}" for k, v in sorted(result.elements.items())))
    click.echo("  relationships: " + ", ".join(f"{k} {v}" for k, v in sorted(result.relationships.items()))
               + f" (calls resolved {result.calls.get('resolved', 0)}, unresolved {result.calls.get('unresolved', 0)})")
    click.echo(f"  complexity: mean {m.get('mean_cyclomatic_complexity')}, max {m.get('max_cyclomatic_complexity')},"
               f" hotspots {m.get('hotspot_count')}; import cycles {m.get('import_cycle_count')};"
               f" dead-code candidates {m.get('dead_code_count')}")
    for failure in result.plugin_failures:
        click.echo(f"  plugin {failure['plugin']} failed: {failure['error']}", err=True)
    _exit_now()


def _exit_now() -> NoReturn:
    """Leave without tearing down the analysis' large heap object by object (close to half a second on a big
    repository); everything was stored, closed and printed already."""
    import os

    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


QUERIES = ("callers", "callees", "deps", "rdeps", "hotspots", "dead-code", "cycles", "history")


@main.command()
@click.argument("question", type=click.Choice(QUERIES))
@click.argument("symbol", required=False)
@click.option("--codebase", "-c", "ref", help="Codebase name or analysed path (default: the one analysed here).")
@click.option("--limit", type=int, default=50, show_default=True, help="Rows for hotspots and dead-code.")
@click.option("--depth", type=int, default=50, show_default=True, help="Maximum depth for deps and rdeps.")
@click.option("--library/--application", default=None,
              help="dead-code: leave out public names (a library's API) or not; by default as the codebase was "
                   "last analysed (`gsdb analyze --library`).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON rows.")
def query(question: str, symbol: str | None, ref: str | None, limit: int, depth: int, library: bool | None,
          as_json: bool) -> None:
    """Ask codebase_db: callers/callees/deps/rdeps/history SYMBOL, hotspots, dead-code, cycles."""
    import dataclasses

    from graph_sitter.adapters.codebase_db_queries import open_queries

    if question in ("callers", "callees", "deps", "rdeps", "history") and not symbol:
        _fail(f"`gsdb query {question}` needs a SYMBOL (a qualified name, or a name)", 2)
    with open_queries(_settings(), ref) as q:
        rows: list[Any] = {
            "callers": lambda: q.callers(symbol or ""),
            "callees": lambda: q.callees(symbol or ""),
            "deps": lambda: q.dependencies(symbol or "", depth),
            "rdeps": lambda: q.dependents(symbol or "", depth),
            "hotspots": lambda: q.hotspots(limit=limit, min_complexity=1),
            "dead-code": lambda: q.dead_code(None if library is None else not library, limit=limit),
            "cycles": lambda: q.import_cycles(),
            "history": lambda: q.metric_history(symbol or ""),
        }[question]()
        if symbol and question != "history" and not q.find_elements(symbol):
            _fail(f"no symbol {symbol!r} in this codebase", 1)
    if as_json:
        print_json([dataclasses.asdict(r) if dataclasses.is_dataclass(r) else r for r in rows])
        return
    for r in rows:
        if question == "cycles":
            click.echo(" -> ".join(r + r[:1]))
        elif question in ("hotspots", "dead-code"):
            click.echo(f"{r.file_path}:{r.start_line}\t{r.kind}\t{r.qualified_name}\tcc={r.cyclomatic_complexity}\tnloc={r.nloc}")
        elif question == "history":
            click.echo("\t".join(str(v) for v in r))
        elif question in ("deps", "rdeps"):
            click.echo(f"{r.depth}\t{r.target}\t{r.file_path}:{r.line}")
        else:
            click.echo(f"{r.file_path}:{r.line}\t{r.source} -> {r.target}" + ("" if r.resolved else "\t(unresolved)"))


@main.command()
@click.argument("ref", metavar="CODEBASE")
@click.option("--format", "fmt", type=click.Choice(["json", "graphml", "gexf", "dot"]), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
def export(ref: str, fmt: str, output: Path | None) -> None:
    """Export an analysed CODEBASE (name or path) as a graph: node-link JSON, GraphML, GEXF or DOT."""
    from graph_sitter.codebase.codebase import Codebase
    from graph_sitter.codebase.export import export_graph

    codebase = Codebase.from_db(ref, _settings())
    if output is None:
        export_graph(codebase, fmt, sys.stdout)  # type: ignore[arg-type]
    else:
        export_graph(codebase, fmt, output)  # type: ignore[arg-type]


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins(as_json: bool) -> None:
    """List the plugins (built-in and installed) and the hooks each implements."""
    from graph_sitter.plugins import describe_plugins

    described = describe_plugins()
    if as_json:
        print_json(described)
        return
    for p in described:
        origin = "built-in" if p["builtin"] else (p["distribution"] or "registered")
        click.echo(f"{p['name']}\t{origin}\t{', '.join(p['hooks']) or '-'}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def setup(as_json: bool) -> None:
    """Create roles, databases, extensions and run migrations (idempotent)."""
    from graph_sitter.adapters.setup import run_setup

    report = run_setup(_settings())
    if as_json:
        print_json(report.__dict__ | {"changed": report.changed})
        return
    applied = sum(len(v) for v in report.applied_migrations.values())
    click.echo(f"PostgreSQL {report.version} at {report.server}: setup done in {report.seconds:.1f}s")
    click.echo(f"  roles created: {len(report.created_roles)}, updated: {len(report.updated_roles)}")
    click.echo(f"  databases created: {len(report.created_databases)}, migrations applied: {applied}")
    if report.missing_extensions:
        click.echo(f"  optional extensions not available: {', '.join(report.missing_extensions)}")
    if not report.changed:
        click.echo("  nothing to change")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(as_json: bool) -> None:
    """Show the server, its version, and each database's size, migrations and connections."""
    from graph_sitter.adapters.status import cluster_status

    st = cluster_status(_settings())
    if as_json:
        print_json(st.as_dict())
    else:
        from rich.console import Console
        from rich.table import Table

        console = Console()
        state = "running" if st.running else "not running"
        console.print(f"[bold]{st.mode}[/] PostgreSQL {st.version} at {st.endpoint}: {state}")
        if st.data_dir:
            console.print(f"data dir: {st.data_dir}")
        if st.error:
            console.print(f"[red]{st.error}[/]")
        if st.databases:
            table = Table("database", "size", "connections", "migrations", "pending", "changed")
            for d in st.databases:
                if not d.exists:
                    table.add_row(d.name, "missing", "", "", "", "")
                    continue
                table.add_row(d.name, f"{d.size_bytes / 1048576:.1f} MB", str(d.connections),
                              str(d.migrations_applied), str(d.migrations_pending), ", ".join(d.migrations_changed))
            console.print(table)
    if not st.healthy:
        sys.exit(1)


@main.command()
@click.argument("db", type=click.Choice(DATABASES))
@click.option("--role", type=click.Choice(["owner", "readonly", "admin"]), default="owner", show_default=True,
              help="owner writes its database; readonly reads all seven; admin administers.")
def dsn(db: str, role: str) -> None:
    """Print a connection URI for DB, usable by psql and scripts (it contains the role's password)."""
    from graph_sitter.adapters.setup import ensure_ready

    click.echo(ensure_ready(_settings()).uri(db, role))  # type: ignore[arg-type]


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def credentials(as_json: bool) -> None:
    """Show the stored role passwords (kept in a 0600 file in the data dir)."""
    from graph_sitter.adapters.database import Cluster

    cluster = Cluster(_settings())
    stored = cluster.credentials.all(cluster.server_key)
    if as_json:
        print_json({"server": cluster.server_key, "file": str(cluster.credentials.path), "roles": stored})
        return
    click.echo(f"# {cluster.credentials.path} ({cluster.server_key})")
    for role, password in sorted(stored.items()):
        click.echo(f"{role}\t{password}")


@main.command()
@click.option("--status", "show_status", is_flag=True, help="List applied and pending migrations; apply nothing.")
def migrate(show_status: bool) -> None:
    """Apply pending migrations (setup does this too), or list their state."""
    from graph_sitter.adapters import migrations
    from graph_sitter.adapters.database import Cluster
    from graph_sitter.adapters.setup import ensure_server, run_setup

    settings = _settings()
    if not show_status:
        report = run_setup(settings)
        for db, versions in report.applied_migrations.items():
            for version in versions:
                click.echo(f"{db}\tapplied\t{version}")
        return
    cluster = Cluster(settings)
    ensure_server(cluster)
    pending = False
    for db in DATABASES:
        try:
            conn = cluster.admin_connect(settings.database_name(db), autocommit=True)
        except GraphSitterError:
            states = [migrations.MigrationState(m.version, "pending") for m in migrations.discover(db)]
        else:
            with conn:
                states = migrations.status(conn, db)
        for s in states:
            pending |= s.state != "applied"
            click.echo(f"{db}\t{s.state}\t{s.version}\t{s.applied_at or ''}")
    if pending:
        sys.exit(1)


@main.group()
def server() -> None:
    """Control the embedded PostgreSQL server."""


def _embedded():  # type: ignore[no-untyped-def]
    from graph_sitter.adapters.database import Cluster

    cluster = Cluster(_settings())
    if cluster.embedded is None:
        _fail("an external server is configured (GRAPH_SITTER_DATABASE_URL or POSTGRES_HOST); nothing to control", 2)
    return cluster


@server.command("start")
def server_start() -> None:
    """Start the embedded server (initialising it on first use)."""
    from graph_sitter.adapters.setup import ensure_server

    cluster = _embedded()
    ensure_server(cluster)
    click.echo(f"embedded PostgreSQL running on 127.0.0.1:{cluster.embedded.port}")


@server.command("stop")
def server_stop() -> None:
    """Stop the embedded server."""
    cluster = _embedded()
    click.echo("stopped" if cluster.embedded.stop() else "not running")


@server.command("status")
def server_status() -> None:
    """Say whether the embedded server runs, and where."""
    st = _embedded().embedded.status()
    if st.running:
        click.echo(f"running: PostgreSQL {st.version}, pid {st.pid}, 127.0.0.1:{st.port}, data {st.data_dir}")
    else:
        click.echo(f"stopped: PostgreSQL {st.version}, data {st.data_dir}" + ("" if st.initialized else " (not initialised)"))
        sys.exit(3)


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def backup(directory: Path) -> None:
    """Dump the seven databases (pg_dump -Fc) and the roles into DIRECTORY."""
    from graph_sitter.adapters.backup import backup as run_backup

    report = run_backup(_settings(), directory)
    total = sum(report.databases.values())
    click.echo(f"backed up {len(report.databases)} databases ({total / 1048576:.1f} MB) to {directory} "
               f"in {report.seconds:.1f}s")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def restore(directory: Path) -> None:
    """Replace the seven databases with a backup made by `gsdb backup`."""
    from graph_sitter.adapters.backup import restore as run_restore

    if not directory.is_dir():
        _fail(f"{directory}: no such backup directory", 2)
    report = run_restore(_settings(), directory)
    click.echo(f"restored {len(report.databases)} databases from {directory} in {report.seconds:.1f}s")


if __name__ == "__main__":
    main()
