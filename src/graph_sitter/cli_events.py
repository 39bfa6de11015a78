"""`gsdb serve` and `gsdb events`: the webhook service, its sources and secrets, subscriptions, tail, import.

Each command parses its arguments, calls one library function and prints the result. A secret is never taken
from the command line (it would stay in the shell history and in `ps`): it is read from stdin, from a named
environment variable, or typed at a hidden prompt.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator

import click

from graph_sitter.adapters.event_sources import WEBHOOK_PROVIDERS
from graph_sitter.cli_output import json_option, print_json
from graph_sitter.config import Settings, load_settings
from graph_sitter.errors import GraphSitterError


class UsageError(GraphSitterError):
    """An option value the command cannot use."""

    exit_code = 2


@contextlib.contextmanager
def _events_db(settings: Settings) -> Iterator[Any]:
    from graph_sitter.adapters.setup import ensure_ready

    with ensure_ready(settings).connect("events_db", autocommit=True) as conn:
        yield conn


def _org(settings: Settings) -> Any:
    from graph_sitter.adapters.setup import organization_id

    return organization_id(settings.organization)


def _read_secret(from_stdin: bool, from_env: str | None, what: str, required: bool) -> str | None:
    if from_stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    elif from_env:
        secret = os.environ.get(from_env, "")
        if not secret:
            raise UsageError(f"environment variable {from_env} is not set or empty")
    elif sys.stdin.isatty():
        secret = click.prompt(f"{what} (not shown)", hide_input=True, confirmation_prompt=True,
                              default="" if not required else None, show_default=False)
    else:
        secret = ""
    if required and not secret:
        raise UsageError(f"{what} is empty: give it with --secret-stdin or --secret-env VAR")
    return secret or None


def _json_object(text: str | None, option: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{option} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{option} must be a JSON object, e.g. '{{\"ref\": \"refs/heads/main\"}}'")
    return value


# -- gsdb serve ------------------------------------------------------------------------------------------------
@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Server processes (each with its own connection pool).")
@click.option("--access-log", is_flag=True, help="Log every request (off by default: it costs throughput).")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]), default="info",
              show_default=True)
def serve(host: str, port: int, workers: int, access_log: bool, log_level: str) -> None:
    """Serve the webhook endpoints (/webhooks/github|linear|slack|notion, /healthz) and deliver subscriptions."""
    from graph_sitter.service.runner import serve as run

    run(load_settings(), host, port, workers, access_log, log_level)


# -- gsdb events ---------------------------------------------------------------------------------------------
@click.group()
def events() -> None:
    """Events: webhook sources and secrets, subscriptions, live tail, bulk import, counts and spikes (events_db)."""


@events.group()
def sources() -> None:
    """Webhook sources and their signing secrets (stored encrypted)."""


@sources.command("add")
@click.argument("name")
@click.option("--provider", type=click.Choice(WEBHOOK_PROVIDERS), required=True)
@click.option("--secret-stdin", is_flag=True, help="Read the signing secret from the first line of stdin.")
@click.option("--secret-env", metavar="VAR", help="Read the signing secret from environment variable VAR.")
@click.option("--description", help="What this source is.")
@click.option("--replace", is_flag=True, help="Update the source if it exists (a new secret replaces the old one).")
@json_option
def sources_add(name: str, provider: str, secret_stdin: bool, secret_env: str | None, description: str | None,
                replace: bool, as_json: bool) -> None:
    """Add a webhook source NAME of PROVIDER with its signing secret (Notion: leave it out, the handshake sets it)."""
    from graph_sitter.adapters.event_sources import EventSourceStore
    from graph_sitter.adapters.secret_box import SecretBox

    settings = load_settings()
    secret = _read_secret(secret_stdin, secret_env, f"signing secret of {name}", required=provider != "notion")
    with _events_db(settings) as conn:
        info = EventSourceStore(conn, _org(settings), SecretBox.from_settings(settings)).add(
            name, provider, secret, description, replace)
    if as_json:
        print_json(info)
        return
    click.echo(f"{info.name}\t{info.provider}\tsecret {'stored encrypted (key ' + str(info.secret_key_id) + ')' if info.has_secret else 'not set'}")


@sources.command("list")
@json_option
def sources_list(as_json: bool) -> None:
    """List the sources: provider, whether a secret is set (never the secret)."""
    from graph_sitter.adapters.event_sources import EventSourceStore
    from graph_sitter.adapters.secret_box import SecretBox

    settings = load_settings()
    with _events_db(settings) as conn:
        rows = EventSourceStore(conn, _org(settings), SecretBox.from_settings(settings)).list()
    if as_json:
        print_json(rows)
        return
    for s in rows:
        click.echo(f"{s.name}\t{s.provider}\t{'secret set' if s.has_secret else 'no secret'}\t"
                   f"{'active' if s.is_active else 'inactive'}")


@sources.command("remove")
@click.argument("name")
def sources_remove(name: str) -> None:
    """Remove source NAME and its secret (its events stay)."""
    from graph_sitter.adapters.event_sources import EventSourceStore
    from graph_sitter.adapters.secret_box import SecretBox

    settings = load_settings()
    with _events_db(settings) as conn:
        EventSourceStore(conn, _org(settings), SecretBox.from_settings(settings)).remove(name)
    click.echo(f"removed {name}")


@sources.command("reveal")
@click.argument("name")
def sources_reveal(name: str) -> None:
    """Print the secret of NAME: for Notion's verification token, which must be pasted back into Notion."""
    from graph_sitter.adapters.event_sources import EventSourceStore
    from graph_sitter.adapters.secret_box import SecretBox

    settings = load_settings()
    with _events_db(settings) as conn:
        click.echo(EventSourceStore(conn, _org(settings), SecretBox.from_settings(settings)).reveal(name))


@events.command("rejections")
@json_option
def rejections(as_json: bool) -> None:
    """Count of refused webhook requests per provider and reason."""
    from graph_sitter.adapters.event_sources import EventSourceStore
    from graph_sitter.adapters.secret_box import SecretBox

    settings = load_settings()
    with _events_db(settings) as conn:
        rows = EventSourceStore(conn, _org(settings), SecretBox.from_settings(settings)).rejections()
    if as_json:
        print_json([{"source": s, "reason": r, "count": n} for s, r, n in rows])
        return
    for s, r, n in rows:
        click.echo(f"{s}\t{r}\t{n}")


# -- subscriptions -------------------------------------------------------------------------------------------
@events.group()
def subscriptions() -> None:
    """Subscriptions: filters on source, type, action and a JSON predicate; HTTP callbacks with retries."""


@subscriptions.command("add")
@click.argument("name")
@click.option("--url", "callback_url", help="Callback URL the matching events are posted to (else: tail only).")
@click.option("--source", "sources_", multiple=True, type=click.Choice(WEBHOOK_PROVIDERS + ("graph_sitter",)),
              help="Only events of this source (repeatable).")
@click.option("--type", "types", multiple=True, help="Only events of this type, e.g. push (repeatable).")
@click.option("--action", "actions", multiple=True, help="Only events with this action, e.g. opened (repeatable).")
@click.option("--match", "predicate", help="JSON object the payload must contain, e.g. '{\"ref\": \"refs/heads/main\"}'.")
@click.option("--max-attempts", type=click.IntRange(1, 100), default=5, show_default=True)
@click.option("--backoff", type=click.FloatRange(0.01), help="Seconds before the first retry (doubling each time).")
@click.option("--secret-stdin", is_flag=True, help="Sign callbacks with the secret on the first line of stdin.")
@click.option("--secret-env", metavar="VAR", help="Sign callbacks with the secret in environment variable VAR.")
@json_option
def subscriptions_add(name: str, callback_url: str | None, sources_: tuple[str, ...], types: tuple[str, ...],
                      actions: tuple[str, ...], predicate: str | None, max_attempts: int, backoff: float | None,
                      secret_stdin: bool, secret_env: str | None, as_json: bool) -> None:
    """Create subscription NAME."""
    from graph_sitter.adapters.event_subscriptions import SubscriptionStore
    from graph_sitter.adapters.secret_box import SecretBox

    settings = load_settings()
    match = _json_object(predicate, "--match")
    secret = _read_secret(secret_stdin, secret_env, "callback secret", False) if (secret_stdin or secret_env) else None
    with _events_db(settings) as conn:
        sub = SubscriptionStore(conn, _org(settings)).add(
            name, callback_url=callback_url, sources=sources_, event_types=types, actions=actions, predicate=match,
            max_attempts=max_attempts, backoff_seconds=backoff, secret=secret, box=SecretBox.from_settings(settings))
    if as_json:
        print_json(sub)
        return
    click.echo(f"{sub.id}\t{sub.name}\t{sub.callback_url or '(tail only)'}")


@subscriptions.command("list")
@json_option
def subscriptions_list(as_json: bool) -> None:
    """List the subscriptions and their filters."""
    from graph_sitter.adapters.event_subscriptions import SubscriptionStore

    settings = load_settings()
    with _events_db(settings) as conn:
        rows = SubscriptionStore(conn, _org(settings)).list()
    if as_json:
        print_json(rows)
        return
    for s in rows:
        filters = " ".join(f"{k}={','.join(v)}" for k, v in (("source", s.sources), ("type", s.event_types),
                                                             ("action", s.actions)) if v)
        click.echo(f"{s.name}\t{s.status}\t{s.callback_url or '(tail only)'}\t{filters or 'all events'}"
                   + (f"\tmatch={json.dumps(s.predicate)}" if s.predicate else ""))


@subscriptions.command("remove")
@click.argument("name")
def subscriptions_remove(name: str) -> None:
    """Delete subscription NAME and its pending callbacks."""
    from graph_sitter.adapters.event_subscriptions import SubscriptionStore

    settings = load_settings()
    with _events_db(settings) as conn:
        SubscriptionStore(conn, _org(settings)).remove(name)
    click.echo(f"removed {name}")


@events.command("deliver")
@json_option
def deliver(as_json: bool) -> None:
    """Run one pass of the callback worker (`gsdb serve` runs it continuously)."""
    from graph_sitter.service.delivery import deliver_once

    report = deliver_once(load_settings())
    if as_json:
        print_json(report)
        return
    click.echo(f"attempted {report.attempted}, delivered {report.delivered}, failed {report.failed}")
    for error in report.errors:
        click.echo(f"  {error}", err=True)


# -- tail, import, export --------------------------------------------------------------------------------------
@events.command("tail")
@click.option("--source", "sources_", multiple=True, help="Only events of this source (repeatable).")
@click.option("--type", "types", multiple=True, help="Only events of this type (repeatable).")
@click.option("--action", "actions", multiple=True, help="Only events with this action (repeatable).")
@click.option("--match", "predicate", help="JSON object the payload must contain.")
@click.option("--subscription", help="Use the filters of this stored subscription.")
@click.option("--limit", type=click.IntRange(1), help="Stop after this many events.")
@click.option("--timeout", type=click.FloatRange(0.1), help="Stop after this many seconds without a matching event.")
@json_option
def tail(sources_: tuple[str, ...], types: tuple[str, ...], actions: tuple[str, ...], predicate: str | None,
         subscription: str | None, limit: int | None, timeout: float | None, as_json: bool) -> None:
    """Print events as they are stored (LISTEN/NOTIFY), until interrupted."""
    from graph_sitter.adapters.events_listen import EventFilter, filter_of_subscription, listen
    from graph_sitter.adapters.setup import ensure_ready

    settings = load_settings()
    cluster = ensure_ready(settings)
    if subscription:
        with cluster.connect("events_db", autocommit=True) as conn:
            wanted = filter_of_subscription(conn, _org(settings), subscription)
    else:
        wanted = EventFilter(sources_, types, actions, _json_object(predicate, "--match"))

    def ready() -> None:
        click.echo("listening for events (Ctrl-C to stop)", err=True)

    for note in listen(cluster.conninfo("events_db"), wanted, limit=limit, timeout=timeout, ready=ready):
        if as_json:
            click.echo(json.dumps(note, separators=(",", ":")))
        else:
            name = note["event_type"] + (f".{note['action']}" if note.get("action") else "")
            target = note.get("target_name") or note.get("repository") or ""
            click.echo(f"{note['occurred_at']}  {note['source']:<7} {name:<28} {target}  {note.get('title') or ''}")
        sys.stdout.flush()


@events.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", type=click.Choice(WEBHOOK_PROVIDERS), help="Provider of bare payload lines.")
@click.option("--event", help="Event name of bare GitHub payloads (X-GitHub-Event), e.g. push.")
@click.option("--jobs", type=click.IntRange(1, 16), default=min(2, os.cpu_count() or 1), show_default=True,
              help="Connections loading parts of the file side by side.")
@json_option
def import_(file: Path, source: str | None, event: str | None, jobs: int, as_json: bool) -> None:
    """Bulk-load exported payloads (JSON lines) with COPY; deliveries stored before are skipped."""
    from graph_sitter.adapters.events_import import import_jsonl
    from graph_sitter.adapters.setup import ensure_ready
    from graph_sitter.service.hooks import has_listeners

    settings = load_settings()
    cluster = ensure_ready(settings)
    on_stored = None
    if has_listeners():
        from graph_sitter.plugins import call_safely

        def on_stored(stored: Any) -> None:
            for e in stored:
                call_safely("event_received", event=e)

    report = import_jsonl(cluster.conninfo("events_db"), _org(settings), file, source=source, event=event,
                          jobs=jobs, on_stored=on_stored)
    if as_json:
        print_json(report.__dict__ | {"duplicates": report.duplicates, "rows_per_second": round(report.rows_per_second)})
        return
    click.echo(f"{report.lines} lines: {report.stored} stored, {report.duplicates} already there, in "
               f"{report.seconds:.1f}s ({report.rows_per_second:,.0f} lines/s)")


@events.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", type=click.Choice(WEBHOOK_PROVIDERS), help="Only this provider's events.")
@click.option("--limit", type=click.IntRange(1))
def export(file: Path, source: str | None, limit: int | None) -> None:
    """Write stored webhook events as JSON lines that `gsdb events import` reads back (- for stdout)."""
    from graph_sitter.adapters.events_import import export_jsonl

    settings = load_settings()
    with _events_db(settings) as conn:
        if str(file) == "-":
            count = export_jsonl(conn, sys.stdout, source=source, limit=limit)
        else:
            with open(file, "w", encoding="utf-8") as out:
                count = export_jsonl(conn, out, source=source, limit=limit)
    click.echo(f"exported {count} events", err=True)


# -- counts and spikes ---------------------------------------------------------------------------------------
@events.command("stats")
@click.option("--bucket", type=click.Choice(["hour", "day"]), default="hour", show_default=True)
@click.option("--source", help="Only this source.")
@click.option("--type", "event_type", help="Only this event type.")
@click.option("--totals", is_flag=True, help="All sources together instead of per source and type.")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@json_option
def stats(bucket: str, source: str | None, event_type: str | None, totals: bool, limit: int, as_json: bool) -> None:
    """Event counts per source, type and hour or day, newest first."""
    from graph_sitter.adapters.event_stats import counts

    settings = load_settings()
    with _events_db(settings) as conn:
        rows = counts(conn, bucket=bucket, source=source, event_type=event_type, totals=totals, limit=limit)
    if as_json:
        print_json(rows)
        return
    for r in rows:
        click.echo(f"{r.period_start:%Y-%m-%d %H:%M}\t{r.source or 'all'}\t{r.event_type or 'all'}\t{r.event_count}")


@events.command("anomalies")
@click.option("--detect", is_flag=True, help="Run spike detection for the current hour first.")
@click.option("--hours", type=click.IntRange(1, 24 * 60), default=24, show_default=True, help="Baseline hours.")
@click.option("--k", type=click.FloatRange(0), default=3.0, show_default=True, help="Standard deviations.")
@click.option("--min-count", type=click.IntRange(1), default=10, show_default=True)
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True)
@json_option
def anomalies(detect: bool, hours: int, k: float, min_count: int, limit: int, as_json: bool) -> None:
    """Spikes: hours whose count exceeds mean + k·stddev of the previous hours (event_anomalies)."""
    from datetime import datetime, timezone

    from graph_sitter.adapters.event_stats import anomalies as list_anomalies
    from graph_sitter.adapters.event_stats import detect_spikes

    settings = load_settings()
    with _events_db(settings) as conn:
        if detect:
            detect_spikes(conn, datetime.now(timezone.utc), hours=hours, k=k, min_count=min_count)
        rows = list_anomalies(conn, limit=limit)
    if as_json:
        print_json(rows)
        return
    for a in rows:
        click.echo(f"{a.detected_at:%Y-%m-%d %H:%M}\t{a.severity}\t{a.description}")
