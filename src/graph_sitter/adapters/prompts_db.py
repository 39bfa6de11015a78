"""prompts_db: the typed API over prompt templates, immutable versions, labels, context sources, executions and
A/B experiments.

Versions never change once written (the database's trigger prompt_versions_guard refuses it); labels such as
`production` are pointers that move between versions, and `latest` moves to every new version by itself.
Adding content identical to the latest version (same text, variables and model config) is a no-op that
returns that version, so re-running a deploy does not bump the number; content equal to an older version
is a new version (a revert is part of the history, and `latest` follows it).

Every PromptStore method runs on an autocommit connection; methods that write more than one row do it in one
transaction. Database refusals (the immutability trigger, check and unique constraints) come back as
graph_sitter.prompts.errors.PromptError subclasses with one clear line.
"""

from __future__ import annotations

import contextlib
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Iterator, Mapping, Sequence

import psycopg
from psycopg import sql

from graph_sitter.prompts import experiments as ab
from graph_sitter.prompts.errors import (
    ContextSourceError,
    ExperimentError,
    PromptError,
    PromptNotFound,
    VersionImmutable,
)

LATEST = "latest"
#: Same rule as the check constraint prompt_labels_label_format, checked first for a friendlier message.
LABEL_FORMAT = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
PROMPT_TYPES = ("system", "user", "assistant", "function", "template", "conditional")
EXECUTION_STATUSES = ("pending", "running", "completed", "failed", "cancelled", "timeout")
EXPERIMENT_STATUSES = ("draft", "running", "paused", "completed", "cancelled")
#: Version columns an update may change; the others are the immutable content.
MUTABLE_VERSION_FIELDS = ("version_name", "description", "changes_summary", "metadata")
CONTENT_VERSION_FIELDS = {"content": "template_content", "variables": "variables", "model_config": "model_config",
                          "conditions": "conditions"}

#: What a check constraint means, for the one-line error.
_CHECK_MESSAGES = {
    "prompt_templates_name_not_empty": "a prompt name cannot be blank",
    "prompt_templates_prompt_type_valid": "prompt type must be one of " + ", ".join(PROMPT_TYPES),
    "prompt_versions_content_not_empty": "a prompt version cannot be blank",
    "prompt_labels_label_format": "a label is lowercase letters, digits, '.', '_' and '-', starting with a letter or digit",
    "executions_status_valid": "execution status must be one of " + ", ".join(EXECUTION_STATUSES),
    "executions_rating_valid": "a rating is between 1 and 5",
    "executions_latency_non_negative": "latency cannot be negative",
    "executions_tokens_non_negative": "token counts cannot be negative",
    "executions_cost_non_negative": "cost cannot be negative",
    "executions_quality_score_valid": "a quality score is between 0 and 100",
    "ab_experiments_name_not_empty": "an experiment name cannot be blank",
    "ab_experiments_confidence_valid": "the confidence level is a percentage strictly between 0 and 100",
    "ab_variants_name_not_empty": "a variant name cannot be blank",
    "ab_variants_weight_non_negative": "a variant weight cannot be negative",
    "ab_assignments_unit_not_empty": "a unit id cannot be blank",
    "ab_results_value_finite": "a result value must be a finite number",
    "context_sources_name_not_empty": "a context source name cannot be blank",
    "context_sources_context_type_valid": "unknown context type",
}


@contextlib.contextmanager
def _refusals(what: str) -> Iterator[None]:
    """Turn the database's refusals into one-line PromptErrors that say what was being done."""
    try:
        yield
    except psycopg.errors.RestrictViolation as exc:
        diag = exc.diag
        if diag.table_name == "prompt_versions":
            hint = f" ({diag.message_hint})" if diag.message_hint else ""
            raise VersionImmutable(f"{what}: {diag.message_primary}{hint}") from None
        raise PromptError(f"{what}: {diag.message_primary}") from None
    except psycopg.errors.CheckViolation as exc:
        name = exc.diag.constraint_name or ""
        raise PromptError(f"{what}: {_CHECK_MESSAGES.get(name, exc.diag.message_primary)}") from None
    except psycopg.errors.UniqueViolation as exc:
        raise PromptError(f"{what}: already exists ({exc.diag.constraint_name})") from None
    except psycopg.errors.ForeignKeyViolation as exc:
        raise PromptError(f"{what}: still referenced ({exc.diag.message_primary})") from None


# -- rows ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Template:
    """A row of prompt_templates."""

    id: uuid.UUID
    name: str
    description: str | None
    prompt_type: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class TemplateSummary:
    """A template with its version count and where its labels point."""

    name: str
    description: str | None
    prompt_type: str
    versions: int
    labels: dict[str, int]
    updated_at: datetime


@dataclass(frozen=True)
class PromptVersion:
    """One immutable version of a template, with the labels that currently point at it."""

    id: uuid.UUID
    template_id: uuid.UUID
    template_name: str
    version_number: int
    content: str
    variables: list[str]
    model_config: dict[str, Any]
    content_sha256: str
    description: str | None
    created_at: datetime
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class AddedVersion:
    """What add_version did: the version, and whether it is new (False: identical to the latest one)."""

    version: PromptVersion
    created: bool


@dataclass(frozen=True)
class ContextSource:
    """A row of context_sources."""

    id: uuid.UUID
    name: str
    context_type: str
    description: str | None
    source_config: dict[str, Any]
    last_accessed_at: datetime | None


@dataclass(frozen=True)
class ContextUse:
    """Which context source fed an execution, with what part of it (for execution_contexts)."""

    source: str
    portion: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionStats:
    """Executions of one version, summarized."""

    version_number: int
    version_id: uuid.UUID
    labels: tuple[str, ...]
    executions: int
    completed: int
    failed: int
    success_rate: float | None
    avg_latency_ms: float | None
    p50_latency_ms: float | None
    p95_latency_ms: float | None
    input_tokens: int
    output_tokens: int
    total_tokens: int
    cost_usd: Decimal
    avg_rating: float | None
    ratings: int


@dataclass(frozen=True)
class VariantSpec:
    """A variant to create: a name, the template's version number it serves, a traffic weight."""

    name: str
    version: int
    weight: float = 1.0
    control: bool = False


@dataclass(frozen=True)
class Variant:
    """A row of ab_variants, with its version number."""

    id: uuid.UUID
    name: str
    version_id: uuid.UUID
    version_number: int
    weight: float
    is_control: bool


@dataclass(frozen=True)
class Experiment:
    """An A/B experiment over versions of one template; `metrics` maps each metric to 'rate' or 'mean'."""

    id: uuid.UUID
    name: str
    template_name: str
    status: str
    primary_metric: str
    metrics: dict[str, ab.MetricKind]
    confidence_level: float
    variants: tuple[Variant, ...]

    def variant(self, name: str) -> Variant:
        """The variant called `name`."""
        for v in self.variants:
            if v.name == name:
                return v
        raise PromptNotFound(f"experiment {self.name!r} has no variant {name!r}")


@dataclass(frozen=True)
class Assignment:
    """The variant a unit is assigned to; `new` is True when this call made the assignment."""

    experiment: str
    unit_id: str
    variant: Variant
    assignment_id: uuid.UUID
    assigned_at: datetime
    new: bool


_VERSION_COLUMNS = (
    "v.id, v.template_id, t.name, v.version_number, v.template_content, v.variables, v.model_config,"
    " v.content_sha256, v.description, v.created_at,"
    " ARRAY(SELECT l.label FROM prompt_labels l WHERE l.version_id = v.id ORDER BY l.label)"
)


def _version(row: Sequence[Any]) -> PromptVersion:
    return PromptVersion(row[0], row[1], row[2], row[3], row[4], list(row[5]), dict(row[6]), row[7], row[8], row[9],
                         tuple(row[10]))


class PromptStore:
    """Reads and writes prompts_db over one autocommit connection, for one organization."""

    def __init__(self, conn: psycopg.Connection[Any], organization_id: uuid.UUID | None = None) -> None:
        if not conn.autocommit:
            # a read would leave a transaction open, and every later `with transaction()` would be a savepoint
            raise ValueError("PromptStore needs an autocommit connection")
        self.conn = conn
        self.organization_id = organization_id

    # -- templates --------------------------------------------------------------------------------------
    def create_template(self, name: str, description: str | None = None, prompt_type: str = "template",
                        category: str | None = None, tags: Sequence[str] = (), exist_ok: bool = False) -> Template:
        """Create a template (a name; its text lives in versions). With exist_ok, return the existing one."""
        if exist_ok:
            found = self._find_template(name)
            if found is not None:
                return found
        with _refusals(f"cannot create prompt {name!r}"):
            try:
                row = self.conn.execute(
                    "INSERT INTO prompt_templates (organization_id, name, description, prompt_type, category, tags)"
                    " VALUES (%s, %s, %s, %s, %s, %s)"
                    " RETURNING id, name, description, prompt_type, status, created_at",
                    (self.organization_id, name, description, prompt_type, category, list(tags)),
                ).fetchone()
            except psycopg.errors.UniqueViolation:
                if exist_ok:  # created concurrently
                    return self.get_template(name)
                raise PromptError(f"prompt {name!r} already exists") from None
        assert row is not None
        return Template(*row)

    def _find_template(self, name: str) -> Template | None:
        row = self.conn.execute(
            "SELECT id, name, description, prompt_type, status, created_at FROM prompt_templates"
            " WHERE organization_id IS NOT DISTINCT FROM %s AND name = %s AND deleted_at IS NULL",
            (self.organization_id, name),
        ).fetchone()
        return None if row is None else Template(*row)

    def get_template(self, name: str) -> Template:
        """The template called `name`."""
        found = self._find_template(name)
        if found is None:
            raise PromptNotFound(f"no prompt named {name!r} (create it with `gsdb prompts create {name}`)")
        return found

    def list_templates(self) -> list[TemplateSummary]:
        """Every template, with its number of versions and its labels."""
        rows = self.conn.execute(
            "SELECT t.name, t.description, t.prompt_type,"
            " (SELECT count(*) FROM prompt_versions v WHERE v.template_id = t.id),"
            " coalesce((SELECT jsonb_object_agg(l.label, v.version_number) FROM prompt_labels l"
            "           JOIN prompt_versions v ON v.id = l.version_id WHERE l.template_id = t.id), '{}'::jsonb),"
            " t.updated_at"
            " FROM prompt_templates t WHERE t.organization_id IS NOT DISTINCT FROM %s AND t.deleted_at IS NULL"
            " ORDER BY t.name",
            (self.organization_id,),
        ).fetchall()
        return [TemplateSummary(r[0], r[1], r[2], r[3], dict(sorted(r[4].items())), r[5]) for r in rows]

    def delete_template(self, name: str) -> None:
        """Delete a template with all its versions, labels and experiments (its executions keep their text)."""
        template = self.get_template(name)
        with _refusals(f"cannot delete prompt {name!r}"), self.conn.transaction():
            self.conn.execute("DELETE FROM prompt_templates WHERE id = %s", (template.id,))

    # -- versions ---------------------------------------------------------------------------------------
    def add_version(self, name: str, content: str, *, variables: Sequence[str] | None = None,
                    model_config: Mapping[str, Any] | None = None, description: str | None = None,
                    changes_summary: str | None = None, labels: Sequence[str] = ()) -> AddedVersion:
        """Add an immutable version (numbered by the database), move `latest` to it, and point `labels` at it.

        The template must parse; `variables` defaults to the names it reads. Content identical to the latest
        version's returns that version (created=False) and only moves the labels.
        """
        for label in labels:
            self._check_label(label)
        if variables is None:
            from graph_sitter.prompts.rendering import template_variables  # Jinja2: only when a template is stored

            variables = template_variables(content)
        variables = sorted(variables)
        config = dict(model_config or {})
        template = self.get_template(name)
        with _refusals(f"cannot add a version to prompt {name!r}"), self.conn.transaction():
            # the row lock serializes concurrent add_version calls, so two identical adds make one version
            self.conn.execute("SELECT 1 FROM prompt_templates WHERE id = %s FOR UPDATE", (template.id,))
            latest = self.conn.execute(
                "SELECT id, template_content, variables, model_config, conditions FROM prompt_versions"
                " WHERE template_id = %s ORDER BY version_number DESC LIMIT 1",
                (template.id,),
            ).fetchone()
            if latest is not None and (latest[1], list(latest[2]), dict(latest[3]), dict(latest[4])) \
                    == (content, variables, config, {}):
                version_id, created = latest[0], False
            else:
                row = self.conn.execute(
                    "INSERT INTO prompt_versions (template_id, template_content, variables, model_config, description,"
                    " changes_summary) VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
                    (template.id, content, json.dumps(variables), json.dumps(config), description, changes_summary),
                ).fetchone()
                assert row is not None
                version_id, created = row[0], True
                self._point(template.id, LATEST, version_id)
            for label in labels:
                self._point(template.id, label, version_id)
        return AddedVersion(self._version_by_id(version_id), created)

    def _version_by_id(self, version_id: uuid.UUID) -> PromptVersion:
        row = self.conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM prompt_versions v JOIN prompt_templates t ON t.id = v.template_id"
            " WHERE v.id = %s",
            (version_id,),
        ).fetchone()
        if row is None:
            raise PromptNotFound(f"no prompt version {version_id}")
        return _version(row)

    def get_version(self, name: str, label: str | None = None, version: int | None = None) -> PromptVersion:
        """A version by number, or the one a label points at (default: `latest`)."""
        if label is not None and version is not None:
            raise PromptError("give a label or a version number, not both")
        template = self.get_template(name)
        if version is not None:
            row = self.conn.execute(
                f"SELECT {_VERSION_COLUMNS} FROM prompt_versions v JOIN prompt_templates t ON t.id = v.template_id"
                " WHERE v.template_id = %s AND v.version_number = %s",
                (template.id, version),
            ).fetchone()
            if row is None:
                raise PromptNotFound(f"prompt {name!r} has no version {version}")
            return _version(row)
        label = label or LATEST
        row = self.conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM prompt_labels l JOIN prompt_versions v ON v.id = l.version_id"
            " JOIN prompt_templates t ON t.id = v.template_id WHERE l.template_id = %s AND l.label = %s",
            (template.id, label),
        ).fetchone()
        if row is None:
            if label == LATEST:
                raise PromptNotFound(f"prompt {name!r} has no version yet (add one with `gsdb prompts add-version`)")
            raise PromptNotFound(f"prompt {name!r} has no label {label!r}")
        return _version(row)

    def list_versions(self, name: str) -> list[PromptVersion]:
        """Every version of a template, oldest first."""
        template = self.get_template(name)
        rows = self.conn.execute(
            f"SELECT {_VERSION_COLUMNS} FROM prompt_versions v JOIN prompt_templates t ON t.id = v.template_id"
            " WHERE v.template_id = %s ORDER BY v.version_number",
            (template.id,),
        ).fetchall()
        return [_version(r) for r in rows]

    def update_version(self, name: str, version: int, **changes: Any) -> PromptVersion:
        """Change a version's annotations (version_name, description, changes_summary, metadata).

        Content fields (content, variables, model_config, conditions) are passed on to the database too, so
        that its immutability trigger is the one authority: it refuses them, raising VersionImmutable.
        """
        unknown = set(changes) - set(MUTABLE_VERSION_FIELDS) - set(CONTENT_VERSION_FIELDS)
        if unknown:
            raise PromptError(f"unknown version field(s): {', '.join(sorted(unknown))}")
        target = self.get_version(name, version=version)
        if not changes:
            return target
        assignments = []
        values: list[Any] = []
        for key, value in changes.items():
            column = CONTENT_VERSION_FIELDS.get(key, key)
            assignments.append(sql.SQL("{} = %s").format(sql.Identifier(column)))
            values.append(json.dumps(value) if column in ("variables", "model_config", "conditions", "metadata")
                          else value)
        with _refusals(f"cannot change version {version} of prompt {name!r}"):
            self.conn.execute(
                sql.SQL("UPDATE prompt_versions SET {} WHERE id = %s").format(sql.SQL(", ").join(assignments)),
                (*values, target.id),
            )
        return self._version_by_id(target.id)

    def delete_version(self, name: str, version: int) -> None:
        """Try to delete one version: the database refuses (VersionImmutable); delete the template instead."""
        target = self.get_version(name, version=version)
        with _refusals(f"cannot delete version {version} of prompt {name!r}"):
            self.conn.execute("DELETE FROM prompt_versions WHERE id = %s", (target.id,))

    # -- labels -----------------------------------------------------------------------------------------
    @staticmethod
    def _check_label(label: str) -> None:
        if not LABEL_FORMAT.match(label):
            raise PromptError(f"invalid label {label!r}: {_CHECK_MESSAGES['prompt_labels_label_format']}")

    def _point(self, template_id: uuid.UUID, label: str, version_id: uuid.UUID) -> None:
        self.conn.execute(
            "INSERT INTO prompt_labels (template_id, label, version_id) VALUES (%s, %s, %s)"
            " ON CONFLICT (template_id, label) DO UPDATE SET version_id = EXCLUDED.version_id"
            " WHERE prompt_labels.version_id IS DISTINCT FROM EXCLUDED.version_id",
            (template_id, label, version_id),
        )

    def set_label(self, name: str, label: str, version: int) -> PromptVersion:
        """Point `label` at a version of the template (creating or moving it). `latest` moves again on the next add."""
        self._check_label(label)
        target = self.get_version(name, version=version)
        with _refusals(f"cannot label version {version} of prompt {name!r}"):
            self._point(target.template_id, label, target.id)
        return self._version_by_id(target.id)

    def remove_label(self, name: str, label: str) -> None:
        """Remove a label (not `latest`, which always points at the newest version)."""
        if label == LATEST:
            raise PromptError("the `latest` label follows the newest version and cannot be removed")
        template = self.get_template(name)
        deleted = self.conn.execute(
            "DELETE FROM prompt_labels WHERE template_id = %s AND label = %s", (template.id, label)
        ).rowcount
        if not deleted:
            raise PromptNotFound(f"prompt {name!r} has no label {label!r}")

    # -- context sources --------------------------------------------------------------------------------
    def register_context_source(self, name: str, context_type: str, description: str | None = None,
                                source_config: Mapping[str, Any] | None = None) -> ContextSource:
        """Create or update a context source row (context_sources), keyed by name."""
        with _refusals(f"cannot register context source {name!r}"):
            row = self.conn.execute(
                "INSERT INTO context_sources (organization_id, name, context_type, description, source_config)"
                " VALUES (%s, %s, %s, %s, %s)"
                " ON CONFLICT ON CONSTRAINT context_sources_name_org_unique DO UPDATE SET"
                "   context_type = EXCLUDED.context_type, description = EXCLUDED.description,"
                "   source_config = EXCLUDED.source_config, is_active = true, deleted_at = NULL"
                " RETURNING id, name, context_type, description, source_config, last_accessed_at",
                (self.organization_id, name, context_type, description, json.dumps(dict(source_config or {}))),
            ).fetchone()
        assert row is not None
        return ContextSource(*row)

    def get_context_source(self, name: str) -> ContextSource:
        """An active context source by name."""
        row = self.conn.execute(
            "SELECT id, name, context_type, description, source_config, last_accessed_at FROM context_sources"
            " WHERE organization_id IS NOT DISTINCT FROM %s AND name = %s AND is_active AND deleted_at IS NULL",
            (self.organization_id, name),
        ).fetchone()
        if row is None:
            raise ContextSourceError(f"no context source named {name!r}")
        return ContextSource(*row)

    def list_context_sources(self) -> list[ContextSource]:
        """The active context sources."""
        rows = self.conn.execute(
            "SELECT id, name, context_type, description, source_config, last_accessed_at FROM context_sources"
            " WHERE organization_id IS NOT DISTINCT FROM %s AND is_active AND deleted_at IS NULL ORDER BY name",
            (self.organization_id,),
        ).fetchall()
        return [ContextSource(*r) for r in rows]

    def touch_context_source(self, name: str) -> None:
        """Record that a context source was just used."""
        self.conn.execute(
            "UPDATE context_sources SET last_accessed_at = now()"
            " WHERE organization_id IS NOT DISTINCT FROM %s AND name = %s",
            (self.organization_id, name),
        )

    # -- executions -------------------------------------------------------------------------------------
    def record_execution(
        self,
        version: PromptVersion,
        rendered_prompt: str,
        *,
        label: str | None = None,
        response: str | None = None,
        status: str = "completed",
        model: str | None = None,
        latency_ms: int | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cost_usd: float | Decimal | None = None,
        rating: int | None = None,
        variables: Mapping[str, Any] | None = None,
        context_data: Mapping[str, Any] | None = None,
        contexts: Sequence[ContextUse] = (),
        experiment_id: uuid.UUID | None = None,
        variant_id: uuid.UUID | None = None,
        error_message: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> uuid.UUID:
        """Record one execution of a version (what was sent, what came back, latency, tokens, cost, rating).

        The run is taken to end now and to have started `latency_ms` earlier; total_tokens is computed by the
        database. Context sources used are linked through execution_contexts.
        """
        finished = status in ("completed", "failed", "cancelled", "timeout")
        with _refusals(f"cannot record an execution of prompt {version.template_name!r}"), self.conn.transaction():
            row = self.conn.execute(
                "INSERT INTO executions (organization_id, template_id, version_id, label, experiment_id, variant_id,"
                " status, rendered_prompt, variables_used, context_data, model_used, model_config, started_at,"
                " completed_at, latency_ms, input_tokens, output_tokens, response_content, rating, error_message,"
                " cost_usd, metadata)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                "  now() - make_interval(secs => coalesce(%s, 0) / 1000.0), CASE WHEN %s THEN now() END,"
                "  %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (self.organization_id, version.template_id, version.id, label, experiment_id, variant_id, status,
                 rendered_prompt, json.dumps(dict(variables or {}), default=str),
                 json.dumps(dict(context_data or {}), default=str), model, json.dumps(version.model_config),
                 latency_ms, finished, latency_ms, input_tokens, output_tokens, response, rating, error_message,
                 cost_usd, json.dumps(dict(metadata or {}), default=str)),
            ).fetchone()
            assert row is not None
            execution_id: uuid.UUID = row[0]
            for use in contexts:
                source = self.get_context_source(use.source)
                self.conn.execute(
                    "INSERT INTO execution_contexts (execution_id, context_source_id, context_portion, usage_metadata)"
                    " VALUES (%s, %s, %s, %s) ON CONFLICT (execution_id, context_source_id) DO NOTHING",
                    (execution_id, source.id, use.portion, json.dumps(dict(use.metadata), default=str)),
                )
        return execution_id

    def rate_execution(self, execution_id: uuid.UUID, rating: int, feedback: str | None = None) -> None:
        """Give an execution its rating (1..5) after the fact, with optional feedback."""
        with _refusals(f"cannot rate execution {execution_id}"):
            updated = self.conn.execute(
                "UPDATE executions SET rating = %s, user_feedback = coalesce(%s, user_feedback) WHERE id = %s",
                (rating, feedback, execution_id),
            ).rowcount
        if not updated:
            raise PromptNotFound(f"no execution {execution_id}")

    def execution_contexts(self, execution_id: uuid.UUID) -> list[tuple[str, str | None, dict[str, Any]]]:
        """The context sources an execution used: (source name, portion, usage metadata)."""
        rows = self.conn.execute(
            "SELECT s.name, c.context_portion, c.usage_metadata FROM execution_contexts c"
            " JOIN context_sources s ON s.id = c.context_source_id WHERE c.execution_id = %s ORDER BY s.name",
            (execution_id,),
        ).fetchall()
        return [(r[0], r[1], dict(r[2])) for r in rows]

    def execution_stats(self, name: str) -> list[VersionStats]:
        """Executions summarized per version of a template (versions never run included, with zeros)."""
        template = self.get_template(name)
        rows = self.conn.execute(
            "SELECT v.version_number, v.id,"
            " ARRAY(SELECT l.label FROM prompt_labels l WHERE l.version_id = v.id ORDER BY l.label),"
            " count(e.id), count(e.id) FILTER (WHERE e.status = 'completed'),"
            " count(e.id) FILTER (WHERE e.status IN ('failed', 'timeout')),"
            " avg(e.latency_ms)::float8,"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY e.latency_ms),"
            " percentile_cont(0.95) WITHIN GROUP (ORDER BY e.latency_ms),"
            " coalesce(sum(e.input_tokens), 0), coalesce(sum(e.output_tokens), 0),"
            " coalesce(sum(e.total_tokens), 0), coalesce(sum(e.cost_usd), 0),"
            " avg(e.rating)::float8, count(e.rating)"
            " FROM prompt_versions v LEFT JOIN executions e ON e.version_id = v.id"
            " WHERE v.template_id = %s GROUP BY v.id ORDER BY v.version_number",
            (template.id,),
        ).fetchall()
        return [
            VersionStats(r[0], r[1], tuple(r[2]), r[3], r[4], r[5], (r[4] / r[3]) if r[3] else None, r[6], r[7], r[8],
                         int(r[9]), int(r[10]), int(r[11]), Decimal(r[12]), r[13], r[14])
            for r in rows
        ]

    # -- experiments ------------------------------------------------------------------------------------
    def create_experiment(self, name: str, template: str, variants: Sequence[VariantSpec], *,
                          metrics: Mapping[str, ab.MetricKind] | None = None, description: str | None = None,
                          hypothesis: str | None = None, confidence_level: float = 95.0) -> Experiment:
        """Create a running experiment over versions of `template`.

        `metrics` maps each metric to 'rate' (values 0/1 per unit) or 'mean' (any number); the first is the
        primary metric (default {'converted': 'rate'}). The control is the variant marked so, else the first.
        """
        metrics = dict(metrics or {"converted": "rate"})
        bad = {m: k for m, k in metrics.items() if k not in ab.METRIC_KINDS}
        if bad:
            raise ExperimentError(f"metric kinds are 'rate' or 'mean' (got {bad})")
        if len(variants) < 2:
            raise ExperimentError("an experiment needs at least two variants")
        if len({v.name for v in variants}) != len(variants):
            raise ExperimentError("variant names must be distinct")
        if any(v.weight < 0 for v in variants) or sum(v.weight for v in variants) <= 0:
            raise ExperimentError("variant weights must be non-negative with a positive sum")
        controls = [v for v in variants if v.control]
        if len(controls) > 1:
            raise ExperimentError("only one variant can be the control")
        control = controls[0].name if controls else variants[0].name
        tmpl = self.get_template(template)
        versions = {v.version: self.get_version(template, version=v.version) for v in variants}
        with _refusals(f"cannot create experiment {name!r}"), self.conn.transaction():
            try:
                row = self.conn.execute(
                    "INSERT INTO ab_experiments (organization_id, template_id, name, description, hypothesis,"
                    " primary_metric, success_metrics, status, start_date, confidence_level)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, 'running', now(), %s) RETURNING id",
                    (self.organization_id, tmpl.id, name, description, hypothesis, next(iter(metrics)),
                     json.dumps([{"name": m, "kind": k} for m, k in metrics.items()]), confidence_level),
                ).fetchone()
            except psycopg.errors.UniqueViolation:
                raise ExperimentError(f"experiment {name!r} already exists") from None
            assert row is not None
            for spec in variants:
                self.conn.execute(
                    "INSERT INTO ab_variants (experiment_id, variant_name, template_id, version_id, is_control,"
                    " traffic_weight) VALUES (%s, %s, %s, %s, %s, %s)",
                    (row[0], spec.name, tmpl.id, versions[spec.version].id, spec.name == control, spec.weight),
                )
        return self.get_experiment(name)

    def get_experiment(self, name: str) -> Experiment:
        """An experiment with its variants (ordered by name: the order assignment splits traffic in)."""
        row = self.conn.execute(
            "SELECT x.id, x.name, t.name, x.status, x.primary_metric, x.success_metrics, x.confidence_level"
            " FROM ab_experiments x JOIN prompt_templates t ON t.id = x.template_id"
            " WHERE x.organization_id IS NOT DISTINCT FROM %s AND x.name = %s",
            (self.organization_id, name),
        ).fetchone()
        if row is None:
            raise PromptNotFound(f"no experiment named {name!r}")
        variants = self.conn.execute(
            "SELECT va.id, va.variant_name, va.version_id, v.version_number, va.traffic_weight::float8, va.is_control"
            " FROM ab_variants va JOIN prompt_versions v ON v.id = va.version_id"
            " WHERE va.experiment_id = %s ORDER BY va.variant_name COLLATE \"C\"",
            (row[0],),
        ).fetchall()
        metrics = {m["name"]: m.get("kind", "mean") for m in row[5] if isinstance(m, dict) and "name" in m}
        return Experiment(row[0], row[1], row[2], row[3], row[4], metrics or {row[4]: "mean"}, float(row[6]),
                          tuple(Variant(*v) for v in variants))

    def set_experiment_status(self, name: str, status: str) -> Experiment:
        """Pause, resume, complete or cancel an experiment (only a running one takes new units)."""
        if status not in EXPERIMENT_STATUSES:
            raise ExperimentError(f"experiment status must be one of {', '.join(EXPERIMENT_STATUSES)}")
        experiment = self.get_experiment(name)
        self.conn.execute(
            "UPDATE ab_experiments SET status = %s,"
            " end_date = CASE WHEN %s IN ('completed', 'cancelled') THEN now() ELSE end_date END WHERE id = %s",
            (status, status, experiment.id),
        )
        return self.get_experiment(name)

    def assign(self, experiment: str | Experiment, unit_id: str) -> Assignment:
        """The unit's variant: the stored one if assigned before, else a deterministic weighted pick, stored."""
        exp = experiment if isinstance(experiment, Experiment) else self.get_experiment(experiment)
        if not unit_id.strip():
            raise ExperimentError("a unit id cannot be blank")
        found = self._assignment(exp, unit_id)
        if found is not None:
            return found
        if exp.status != "running":
            raise ExperimentError(f"experiment {exp.name!r} is {exp.status}: it takes no new units")
        chosen = ab.choose_variant(exp.id, unit_id, [(v.id, v.weight) for v in exp.variants])
        row = self.conn.execute(
            "INSERT INTO ab_assignments (experiment_id, variant_id, unit_id) VALUES (%s, %s, %s)"
            " ON CONFLICT (experiment_id, unit_id) DO NOTHING RETURNING id, assigned_at",
            (exp.id, chosen, unit_id),
        ).fetchone()
        if row is None:  # another process assigned it first: its row wins
            again = self._assignment(exp, unit_id)
            assert again is not None
            return again
        return Assignment(exp.name, unit_id, next(v for v in exp.variants if v.id == chosen), row[0], row[1], True)

    def _assignment(self, exp: Experiment, unit_id: str) -> Assignment | None:
        row = self.conn.execute(
            "SELECT id, variant_id, assigned_at FROM ab_assignments WHERE experiment_id = %s AND unit_id = %s",
            (exp.id, unit_id),
        ).fetchone()
        if row is None:
            return None
        return Assignment(exp.name, unit_id, next(v for v in exp.variants if v.id == row[1]), row[0], row[2], False)

    def record_result(self, experiment: str | Experiment, unit_id: str, metric: str, value: float | bool,
                      execution_id: uuid.UUID | None = None) -> uuid.UUID:
        """Record one observation of a metric for an assigned unit (a rate takes 0/1 or a boolean)."""
        exp = experiment if isinstance(experiment, Experiment) else self.get_experiment(experiment)
        kind = exp.metrics.get(metric)
        if kind is None:
            raise ExperimentError(f"experiment {exp.name!r} measures {', '.join(exp.metrics)}, not {metric!r}")
        number = float(value)
        if kind == "rate" and number not in (0.0, 1.0):
            raise ExperimentError(f"{metric!r} is a rate: record 1 (converted) or 0 (did not), not {value!r}")
        assignment = self._assignment(exp, unit_id)
        if assignment is None:
            raise ExperimentError(f"unit {unit_id!r} is not assigned in experiment {exp.name!r}; assign it first")
        with _refusals(f"cannot record {metric!r} for unit {unit_id!r}"):
            row = self.conn.execute(
                "INSERT INTO ab_results (experiment_id, variant_id, assignment_id, execution_id, unit_id, metric_name,"
                " value) VALUES (%s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (exp.id, assignment.variant.id, assignment.assignment_id, execution_id, unit_id, metric, number),
            ).fetchone()
        assert row is not None
        return row[0]

    def experiment_report(self, name: str) -> ab.ExperimentReport:
        """Each variant's numbers per metric and each variant tested against the control.

        A rate is the share of assigned units with a 1 (any of their observations); a mean averages each
        unit's observations first, so a unit counts once however often it was measured.
        """
        exp = self.get_experiment(name)
        assigned = dict(self.conn.execute(
            "SELECT variant_id, count(*) FROM ab_assignments WHERE experiment_id = %s GROUP BY variant_id",
            (exp.id,),
        ).fetchall())
        observed = {
            (r[0], r[1]): r[2:]
            for r in self.conn.execute(
                "WITH per_unit AS ("
                "  SELECT variant_id, metric_name, unit_id, avg(value) AS mean_value, max(value) AS max_value"
                "    FROM ab_results WHERE experiment_id = %s GROUP BY variant_id, metric_name, unit_id)"
                " SELECT variant_id, metric_name, count(*), avg(mean_value), var_samp(mean_value),"
                "        count(*) FILTER (WHERE max_value >= 1)"
                "   FROM per_unit GROUP BY variant_id, metric_name",
                (exp.id,),
            ).fetchall()
        }
        alpha = 1.0 - exp.confidence_level / 100.0
        report = ab.ExperimentReport(exp.name, exp.status, alpha, exp.primary_metric)
        for metric, kind in exp.metrics.items():
            groups = []
            for v in exp.variants:
                units = assigned.get(v.id, 0)
                n, mean, var, successes = observed.get((v.id, metric), (0, None, None, 0))
                if kind == "rate":
                    groups.append(ab.GroupStats(v.name, v.version_number, v.is_control, units, units, successes,
                                                successes / units if units else None, None))
                else:
                    groups.append(ab.GroupStats(v.name, v.version_number, v.is_control, units, n, None, mean, var))
            report.groups[metric] = groups
            control = next((g for g in groups if g.is_control), groups[0])
            report.comparisons += [ab.compare(metric, kind, g, control, alpha) for g in groups if g is not control]
        return report


# -- codebase_db reads for the `codebase` context source ------------------------------------------------------
# CodebaseQueries.find_elements gives no end line, bytes, signature or docstring; this one query adds them. It
# runs on a codebase_db connection and would sit well in CodebaseQueries (as element_details) one day.
@dataclass(frozen=True)
class SymbolDetails:
    """What the codebase context needs about one element beyond CodebaseQueries.find_elements."""

    id: uuid.UUID
    kind: str
    name: str
    qualified_name: str
    file_path: str
    start_line: int | None
    end_line: int | None
    start_byte: int | None
    end_byte: int | None
    signature: str | None
    docstring: str | None
    language: str | None
    metrics: dict[str, int | None]
    file_content_hash: str | None


def symbol_details(codebase_conn: psycopg.Connection[Any], codebase_id: uuid.UUID, element_id: uuid.UUID) -> SymbolDetails:
    """Position, signature, docstring and metrics of one code element, read from codebase_db."""
    row = codebase_conn.execute(
        "SELECT e.id, e.kind, e.name, e.qualified_name, e.file_path, e.start_line, e.end_line, e.start_byte,"
        " e.end_byte, e.signature, e.docstring, e.language, e.cyclomatic_complexity, e.nloc, e.token_count,"
        " e.parameter_count, e.max_nesting_depth, f.content_hash"
        " FROM code_elements e LEFT JOIN file_analysis f ON f.codebase_id = e.codebase_id AND f.file_path = e.file_path"
        " WHERE e.codebase_id = %s AND e.id = %s",
        (codebase_id, element_id),
    ).fetchone()
    if row is None:
        raise ContextSourceError(f"code element {element_id} is gone from codebase_db (re-run `gsdb analyze`)")
    metrics = dict(zip(("cyclomatic_complexity", "nloc", "token_count", "parameter_count", "max_nesting_depth"),
                       row[12:17]))
    return SymbolDetails(*row[:12], metrics=metrics, file_content_hash=row[17])


@contextlib.contextmanager
def open_prompt_store(settings: Any) -> Iterator[PromptStore]:
    """A PromptStore for the configured organization, on its own autocommit connection to prompts_db."""
    from graph_sitter.adapters.setup import ensure_ready, organization_id

    conn = ensure_ready(settings).connect("prompts_db", autocommit=True)
    try:
        yield PromptStore(conn, organization_id(settings.organization))
    finally:
        conn.close()
