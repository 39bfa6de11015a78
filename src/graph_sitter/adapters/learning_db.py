"""learning_db: the typed API over the model registry, training sessions and metrics, adaptations, recurring
patterns and evolution sessions."""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterator, Mapping, Sequence

import psycopg

from graph_sitter.errors import GraphSitterError


class LearningError(GraphSitterError):
    """A learning_db request that cannot be done (unknown model, duplicate version, bad status)."""


@dataclass(frozen=True)
class Model:
    """A row of learning_models: one version of a named model."""

    id: uuid.UUID
    name: str
    version: str
    model_type: str
    algorithm: str
    status: str
    is_active: bool
    is_production: bool
    description: str | None
    parameters: dict[str, Any]
    hyperparameters: dict[str, Any]
    training_data_size: int | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class TrainingSession:
    """A row of training_sessions, with its model's name."""

    id: uuid.UUID
    learning_model_id: uuid.UUID
    model_name: str
    session_name: str
    status: str
    started_at: datetime | None
    completed_at: datetime | None
    duration_minutes: float | None
    training_config: dict[str, Any]
    data_config: dict[str, Any]
    training_summary: dict[str, Any]
    metadata: dict[str, Any]


@dataclass(frozen=True)
class MetricPoint:
    """A training_metrics row to write: one metric of one session."""

    metric_name: str
    value: float
    metric_type: str | None = None
    step: int | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class TrainingMetric:
    """A row of training_metrics."""

    metric_name: str
    metric_type: str | None
    value: float
    step: int | None
    dataset_type: str
    recorded_at: datetime
    metadata: dict[str, Any]


@dataclass(frozen=True)
class Adaptation:
    """A row of adaptations: what changed, before and after, and how much better (> 0) or worse (< 0) it is."""

    id: uuid.UUID
    learning_model_id: uuid.UUID | None
    adaptation_name: str
    adaptation_type: str
    target_type: str | None
    target_id: uuid.UUID | None
    trigger_reason: str | None
    changes_made: dict[str, Any]
    performance_before: dict[str, Any]
    performance_after: dict[str, Any]
    improvement_score: float | None
    is_successful: bool | None
    status: str
    generation_number: int | None
    applied_at: datetime | None
    metadata: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class Pattern:
    """A row of pattern_recognition: a finding seen again and again."""

    id: uuid.UUID
    pattern_key: str
    pattern_name: str
    pattern_type: str | None
    description: str | None
    pattern_data: dict[str, Any]
    occurrences_count: int
    first_seen_at: datetime
    last_seen_at: datetime
    context_data: dict[str, Any]
    metadata: dict[str, Any]


@dataclass(frozen=True)
class EvolutionSession:
    """A row of evolution_sessions."""

    id: uuid.UUID
    session_name: str
    learning_model_id: uuid.UUID | None
    status: str
    current_stage: str
    current_generation: int
    max_generations: int
    population_size: int
    best_fitness: float | None
    average_fitness: float | None
    diversity_score: float | None
    total_evaluations: int
    started_at: datetime
    completed_at: datetime | None
    evolution_config: dict[str, Any]
    metadata: dict[str, Any]


_MODEL = ("m.id, m.name, m.version, m.model_type, m.algorithm, m.status, m.is_active, m.is_production, m.description,"
          " m.parameters, m.hyperparameters, m.training_data_size, m.metadata, m.created_at, m.updated_at")
_SESSION = ("s.id, s.learning_model_id, m.name, s.session_name, s.status, s.started_at, s.completed_at,"
            " s.duration_minutes::float8, s.training_config, s.data_config, s.training_summary, s.metadata")
_ADAPTATION = ("id, learning_model_id, adaptation_name, adaptation_type, target_type, target_id, trigger_reason,"
               " changes_made, performance_before, performance_after, improvement_score::float8, is_successful, status,"
               " generation_number, applied_at, metadata, created_at")
_PATTERN = ("id, pattern_key, pattern_name, pattern_type, description, pattern_data, occurrences_count, first_seen_at,"
            " last_seen_at, context_data, metadata")
_EVOLUTION = ("id, session_name, learning_model_id, status, current_stage, current_generation, max_generations,"
              " population_size, best_fitness, average_fitness, diversity_score::float8, total_evaluations, started_at,"
              " completed_at, evolution_config, metadata")
# The run a session trained on, ordered by when that run started (not by when the session ran).
_RUN_AT = "(s.metadata ->> 'run_started_at')::timestamptz"


def _json(value: Mapping[str, Any] | Sequence[Any] | None) -> str:
    return json.dumps(value if value is not None else {}, default=str)


class LearningStore:
    """Writes and reads learning_db over one connection."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    @contextmanager
    def locked(self, key: str) -> Iterator[None]:
        """One transaction holding an advisory lock on `key`, so concurrent deliveries of one run take turns."""
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"learning:{key}",))
            yield

    # -- model registry -----------------------------------------------------------------------------------------
    def register_model(self, name: str, *, organization_id: uuid.UUID | None = None, version: str = "1.0.0",
                       model_type: str = "custom", algorithm: str = "custom", description: str | None = None,
                       parameters: Mapping[str, Any] | None = None, hyperparameters: Mapping[str, Any] | None = None,
                       status: str = "pending", parent_model_id: uuid.UUID | None = None,
                       tags: Sequence[str] = (), metadata: Mapping[str, Any] | None = None) -> Model:
        """Register a new version of a model; a (name, version) that exists is refused."""
        try:
            with self.conn.transaction():
                row = self.conn.execute(
                    "INSERT INTO learning_models (organization_id, name, version, model_type, algorithm, description,"
                    " parameters, hyperparameters, status, parent_model_id, tags, metadata)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    (organization_id, name, version, model_type, algorithm, description, _json(parameters),
                     _json(hyperparameters), status, parent_model_id, list(tags), _json(metadata)),
                ).fetchone()
        except psycopg.errors.UniqueViolation:
            raise LearningError(f"model {name} version {version} already exists") from None
        assert row is not None
        return self.get_model(row[0])

    def ensure_model(self, name: str, *, organization_id: uuid.UUID | None = None, version: str = "1.0.0",
                     model_type: str = "custom", algorithm: str = "custom", description: str | None = None,
                     hyperparameters: Mapping[str, Any] | None = None,
                     metadata: Mapping[str, Any] | None = None) -> Model:
        """The model (name, version), registered on first use."""
        self.conn.execute(
            "INSERT INTO learning_models (organization_id, name, version, model_type, algorithm, description,"
            " hyperparameters, metadata) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT ON CONSTRAINT learning_models_name_version_unique DO NOTHING",
            (organization_id, name, version, model_type, algorithm, description, _json(hyperparameters),
             _json(metadata)),
        )
        model = self.model(name, version, organization_id=organization_id)
        assert model is not None
        return model

    def get_model(self, model_id: uuid.UUID) -> Model:
        """The model version with this id."""
        row = self.conn.execute(f"SELECT {_MODEL} FROM learning_models m WHERE m.id = %s", (model_id,)).fetchone()
        if row is None:
            raise LearningError(f"no model with id {model_id}")
        return Model(*row)

    def model(self, name: str, version: str | None = None, *,
              organization_id: uuid.UUID | None = None) -> Model | None:
        """A model version by name: the given version, or the newest one."""
        query = f"SELECT {_MODEL} FROM learning_models m WHERE m.name = %s AND m.deleted_at IS NULL"
        params: list[Any] = [name]
        if organization_id is not None:
            query += " AND m.organization_id = %s"
            params.append(organization_id)
        if version is not None:
            query += " AND m.version = %s"
            params.append(version)
        row = self.conn.execute(query + " ORDER BY m.created_at DESC, m.version DESC LIMIT 1", params).fetchone()
        return None if row is None else Model(*row)

    def models(self, *, name: str | None = None, model_type: str | None = None,
               status: str | None = None) -> list[Model]:
        """Every model version not deleted, by name then newest version first."""
        clauses, params = ["m.deleted_at IS NULL"], []
        for column, value in (("m.name", name), ("m.model_type", model_type), ("m.status", status)):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        rows = self.conn.execute(
            f"SELECT {_MODEL} FROM learning_models m WHERE {' AND '.join(clauses)} ORDER BY m.name, m.created_at DESC",
            params,
        ).fetchall()
        return [Model(*r) for r in rows]

    def set_model_status(self, model_id: uuid.UUID, status: str, *, active: bool | None = None,
                         production: bool | None = None) -> Model:
        """Move a model version to `status`; production=True makes it the one production version of its name."""
        with self.conn.transaction():
            model = self.get_model(model_id)
            if production:
                if status != "deployed":
                    raise LearningError("only a deployed model can be the production version")
                self.conn.execute(
                    "UPDATE learning_models SET is_production = false WHERE name = %s AND organization_id"
                    " IS NOT DISTINCT FROM (SELECT organization_id FROM learning_models WHERE id = %s) AND id <> %s",
                    (model.name, model_id, model_id),
                )
            self.conn.execute(
                "UPDATE learning_models SET status = %s, is_active = coalesce(%s, is_active),"
                " is_production = CASE WHEN %s = 'deployed' THEN coalesce(%s, is_production) ELSE false END,"
                " deployed_at = CASE WHEN %s = 'deployed' THEN coalesce(deployed_at, now()) ELSE deployed_at END"
                " WHERE id = %s",
                (status, active, status, production, status, model_id),
            )
        return self.get_model(model_id)

    def update_fit(self, model_id: uuid.UUID, parameters: Mapping[str, Any], training_data_size: int) -> None:
        """Store a refitted model's parameters and mark it completed and active."""
        self.conn.execute(
            "UPDATE learning_models SET parameters = %s, training_data_size = %s, is_active = true,"
            " status = CASE WHEN status IN ('deployed', 'retired') THEN status ELSE 'completed' END WHERE id = %s",
            (_json(parameters), training_data_size, model_id),
        )

    # -- training sessions and metrics ----------------------------------------------------------------------------
    def ensure_partition(self, recorded_at: datetime) -> None:
        """Create training_metrics' month partition for `recorded_at` if missing, in its own short transaction."""
        # It may lock the default partition until commit, so it must not share a transaction with the inserts.
        with self.conn.transaction():
            self.conn.execute("SELECT gs_ensure_time_partition('training_metrics'::regclass, %s)", (recorded_at,))

    def record_training_session(self, model_id: uuid.UUID, *, organization_id: uuid.UUID | None,
                                session_name: str, started_at: datetime, completed_at: datetime,
                                recorded_at: datetime, metrics: Sequence[MetricPoint], status: str = "completed",
                                training_config: Mapping[str, Any] | None = None,
                                data_config: Mapping[str, Any] | None = None,
                                training_summary: Mapping[str, Any] | None = None,
                                trigger_source: str | None = None,
                                metadata: Mapping[str, Any] | None = None) -> uuid.UUID:
        """Store a finished training session and its metrics (recorded at `recorded_at`)."""
        minutes = round((completed_at - started_at).total_seconds() / 60, 2)
        row = self.conn.execute(
            "INSERT INTO training_sessions (organization_id, learning_model_id, session_name, training_config,"
            " data_config, status, progress_percentage, started_at, completed_at, duration_minutes,"
            " training_summary, trigger_source, metadata)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (organization_id, model_id, session_name, _json(training_config), _json(data_config), status,
             100 if status == "completed" else 0, started_at, completed_at, minutes, _json(training_summary),
             trigger_source, _json(metadata)),
        ).fetchone()
        assert row is not None
        with self.conn.cursor().copy(
            "COPY training_metrics (training_session_id, metric_name, metric_type, value, step, recorded_at, metadata)"
            " FROM STDIN"
        ) as copy:
            for m in metrics:
                copy.write_row((row[0], m.metric_name, m.metric_type, m.value, m.step, recorded_at,
                                _json(m.metadata)))
        return row[0]

    def session_for_run(self, model_id: uuid.UUID, codebase_run_id: uuid.UUID) -> TrainingSession | None:
        """The session that trained `model_id` on the analysis run `codebase_run_id`, if any."""
        row = self.conn.execute(
            f"SELECT {_SESSION} FROM training_sessions s JOIN learning_models m ON m.id = s.learning_model_id"
            " WHERE s.learning_model_id = %s AND s.metadata ->> 'codebase_run_id' = %s LIMIT 1",
            (model_id, str(codebase_run_id)),
        ).fetchone()
        return None if row is None else TrainingSession(*row)

    def last_session(self, model_id: uuid.UUID, before: datetime | None = None) -> TrainingSession | None:
        """The session on the newest run (started before `before`, when given)."""
        query = (f"SELECT {_SESSION} FROM training_sessions s JOIN learning_models m ON m.id = s.learning_model_id"
                 f" WHERE s.learning_model_id = %s AND s.status = 'completed'")
        params: list[Any] = [model_id]
        if before is not None:
            query += f" AND {_RUN_AT} < %s"
            params.append(before)
        row = self.conn.execute(query + f" ORDER BY {_RUN_AT} DESC NULLS LAST LIMIT 1", params).fetchone()
        return None if row is None else TrainingSession(*row)

    def count_sessions(self, model_id: uuid.UUID, before: datetime) -> int:
        """How many completed sessions trained the model on runs started before `before`."""
        row = self.conn.execute(
            f"SELECT count(*) FROM training_sessions s WHERE s.learning_model_id = %s AND s.status = 'completed'"
            f" AND {_RUN_AT} < %s", (model_id, before),
        ).fetchone()
        return 0 if row is None else int(row[0])

    def observations(self, model_id: uuid.UUID, before: datetime, window: int,
                     metric_type: str = "observation") -> dict[str, list[float]]:
        """Per metric, the values of the last `window` runs before `before`, oldest first."""
        rows = self.conn.execute(
            "SELECT metric_name, value FROM ("
            "  SELECT t.metric_name, t.value, t.recorded_at,"
            "         row_number() OVER (PARTITION BY t.metric_name ORDER BY t.recorded_at DESC) AS n"
            "    FROM training_metrics t JOIN training_sessions s ON s.id = t.training_session_id"
            "   WHERE s.learning_model_id = %s AND s.status = 'completed' AND t.metric_type = %s"
            "     AND t.recorded_at < %s) recent"
            " WHERE n <= %s ORDER BY metric_name, recorded_at",
            (model_id, metric_type, before, window),
        ).fetchall()
        series: dict[str, list[float]] = {}
        for name, value in rows:
            series.setdefault(name, []).append(value)
        return series

    def training_sessions(self, *, model_id: uuid.UUID | None = None, model_name: str | None = None,
                          limit: int = 50) -> list[TrainingSession]:
        """Training sessions, newest first."""
        clauses, params = [], []
        for column, value in (("s.learning_model_id", model_id), ("m.name", model_name)):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self.conn.execute(
            f"SELECT {_SESSION} FROM training_sessions s JOIN learning_models m ON m.id = s.learning_model_id{where}"
            " ORDER BY s.created_at DESC, s.started_at DESC LIMIT %s", (*params, limit),
        ).fetchall()
        return [TrainingSession(*r) for r in rows]

    def training_session(self, session_id: uuid.UUID) -> TrainingSession | None:
        """One training session."""
        row = self.conn.execute(
            f"SELECT {_SESSION} FROM training_sessions s JOIN learning_models m ON m.id = s.learning_model_id"
            " WHERE s.id = %s", (session_id,),
        ).fetchone()
        return None if row is None else TrainingSession(*row)

    def training_metrics(self, session_id: uuid.UUID) -> list[TrainingMetric]:
        """The metrics of one training session, by name."""
        rows = self.conn.execute(
            "SELECT metric_name, metric_type, value, step, dataset_type, recorded_at, metadata FROM training_metrics"
            " WHERE training_session_id = %s ORDER BY metric_name, recorded_at", (session_id,),
        ).fetchall()
        return [TrainingMetric(*r) for r in rows]

    # -- adaptations ---------------------------------------------------------------------------------------------
    def record_adaptation(self, *, organization_id: uuid.UUID | None, adaptation_name: str, adaptation_type: str,
                          learning_model_id: uuid.UUID | None = None, evolution_session_id: uuid.UUID | None = None,
                          target_type: str | None = None, target_id: uuid.UUID | None = None,
                          description: str | None = None, trigger_reason: str | None = None,
                          trigger_data: Mapping[str, Any] | None = None,
                          changes_made: Mapping[str, Any] | None = None,
                          parameters_before: Mapping[str, Any] | None = None,
                          parameters_after: Mapping[str, Any] | None = None,
                          performance_before: Mapping[str, Any] | None = None,
                          performance_after: Mapping[str, Any] | None = None,
                          improvement_score: float | None = None, status: str = "applied",
                          generation_number: int | None = None,
                          metadata: Mapping[str, Any] | None = None) -> uuid.UUID:
        """Store one adaptation (applied now unless its status is pending or rejected)."""
        row = self.conn.execute(
            "INSERT INTO adaptations (organization_id, learning_model_id, evolution_session_id, target_type, target_id,"
            " adaptation_name, adaptation_type, description, trigger_reason, trigger_data, changes_made,"
            " parameters_before, parameters_after, performance_before, performance_after, improvement_score,"
            " is_successful, status, applied_at, generation_number, metadata)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " CASE WHEN %s IN ('pending', 'rejected') THEN NULL ELSE now() END, %s, %s) RETURNING id",
            (organization_id, learning_model_id, evolution_session_id, target_type, target_id, adaptation_name,
             adaptation_type, description, trigger_reason, _json(trigger_data), _json(changes_made),
             _json(parameters_before), _json(parameters_after), _json(performance_before), _json(performance_after),
             improvement_score, None if not improvement_score else improvement_score > 0, status, status,
             generation_number, _json(metadata)),
        ).fetchone()
        assert row is not None
        return row[0]

    def adaptations(self, *, learning_model_id: uuid.UUID | None = None, target_id: uuid.UUID | None = None,
                    evolution_session_id: uuid.UUID | None = None, limit: int = 100) -> list[Adaptation]:
        """Adaptations, oldest first."""
        clauses, params = [], []
        for column, value in (("learning_model_id", learning_model_id), ("target_id", target_id),
                              ("evolution_session_id", evolution_session_id)):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self.conn.execute(
            f"SELECT {_ADAPTATION} FROM adaptations{where} ORDER BY created_at, generation_number LIMIT %s",
            (*params, limit),
        ).fetchall()
        return [Adaptation(*r) for r in rows]

    # -- recurring patterns --------------------------------------------------------------------------------------
    def record_recurrence(self, *, organization_id: uuid.UUID | None, pattern_key: str, pattern_name: str,
                          pattern_type: str, seen_at: datetime, first_seen_at: datetime, run_id: uuid.UUID,
                          previous_run_id: uuid.UUID | None, learning_model_id: uuid.UUID | None = None,
                          description: str | None = None, pattern_data: Mapping[str, Any] | None = None,
                          context_data: Mapping[str, Any] | None = None) -> Pattern | None:
        """Count a finding present in run `run_id` and in the run before it; None when this run was counted already.

        A new pattern starts at 2 occurrences (this run and the previous one). A known one gains 1 when it was also
        counted for the previous run, or 2 when it comes back after an absence (the previous run had not been counted).
        """
        row = self.conn.execute(
            "INSERT INTO pattern_recognition AS p (organization_id, learning_model_id, pattern_key, pattern_name,"
            " pattern_type, description, pattern_data, occurrences_count, first_seen_at, last_seen_at,"
            " context_type, context_data, discovery_method, metadata)"
            " VALUES (%(org)s, %(model)s, %(key)s, %(name)s, %(type)s, %(description)s, %(data)s, 2, %(first)s,"
            " greatest(%(first)s, %(seen)s), 'codebase', %(context)s, 'consecutive_runs',"
            " jsonb_build_object('last_run_id', %(run)s::text, 'streak', 2))"
            " ON CONFLICT ON CONSTRAINT pattern_recognition_key_unique DO UPDATE SET"
            "  occurrences_count = p.occurrences_count"
            "    + CASE WHEN p.metadata ->> 'last_run_id' = %(previous)s::text THEN 1 ELSE 2 END,"
            "  last_seen_at = greatest(p.last_seen_at, excluded.last_seen_at),"
            "  pattern_data = excluded.pattern_data, description = excluded.description,"
            "  metadata = p.metadata || jsonb_build_object('last_run_id', %(run)s::text, 'streak',"
            "    CASE WHEN p.metadata ->> 'last_run_id' = %(previous)s::text"
            "         THEN coalesce((p.metadata ->> 'streak')::int, 1) + 1 ELSE 2 END)"
            " WHERE p.metadata ->> 'last_run_id' IS DISTINCT FROM %(run)s::text"
            f" RETURNING {_PATTERN}",
            {"org": organization_id, "model": learning_model_id, "key": pattern_key, "name": pattern_name,
             "type": pattern_type, "description": description, "data": _json(pattern_data), "first": first_seen_at,
             "seen": seen_at, "context": _json(context_data), "run": str(run_id),
             "previous": None if previous_run_id is None else str(previous_run_id)},
        ).fetchone()
        return None if row is None else Pattern(*row)

    def patterns(self, *, learning_model_id: uuid.UUID | None = None, codebase_id: uuid.UUID | None = None,
                 pattern_type: str | None = None, min_occurrences: int = 1, limit: int = 100) -> list[Pattern]:
        """Recognised patterns, most frequent first."""
        clauses, params = ["occurrences_count >= %s"], [min_occurrences]
        for column, value in (("learning_model_id", learning_model_id), ("pattern_type", pattern_type),
                              ("context_data ->> 'codebase_id'", None if codebase_id is None else str(codebase_id))):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        rows = self.conn.execute(
            f"SELECT {_PATTERN} FROM pattern_recognition WHERE {' AND '.join(clauses)}"
            " ORDER BY occurrences_count DESC, last_seen_at DESC, pattern_key LIMIT %s", (*params, limit),
        ).fetchall()
        return [Pattern(*r) for r in rows]

    # -- evolution sessions --------------------------------------------------------------------------------------
    def create_evolution_session(self, session_name: str, *, organization_id: uuid.UUID | None = None,
                                 learning_model_id: uuid.UUID | None = None, population_size: int = 10,
                                 max_generations: int = 100, config: Mapping[str, Any] | None = None,
                                 description: str | None = None,
                                 metadata: Mapping[str, Any] | None = None) -> EvolutionSession:
        """Start an evolution session (status running, generation 0)."""
        with self.conn.transaction():
            row = self.conn.execute(
                "INSERT INTO evolution_sessions (organization_id, learning_model_id, session_name, description,"
                " evolution_config, population_size, max_generations, metadata)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                (organization_id, learning_model_id, session_name, description, _json(config), population_size,
                 max_generations, _json(metadata)),
            ).fetchone()
        assert row is not None
        return self._evolution(row[0])

    def record_generation(self, session_id: uuid.UUID, generation: int, *, best_fitness: float | None = None,
                          average_fitness: float | None = None, diversity_score: float | None = None,
                          evaluations: int = 0, stage: str | None = None) -> EvolutionSession:
        """Record a finished generation: fitness (higher is better; the best so far is kept), diversity, evaluations."""
        with self.conn.transaction():
            updated = self.conn.execute(
                "UPDATE evolution_sessions SET current_generation = greatest(current_generation, %s),"
                " best_fitness = CASE WHEN best_fitness IS NULL OR %s > best_fitness THEN coalesce(%s, best_fitness)"
                "                     ELSE best_fitness END,"
                " average_fitness = coalesce(%s, average_fitness), diversity_score = coalesce(%s, diversity_score),"
                " total_evaluations = total_evaluations + %s, current_stage = coalesce(%s, current_stage)"
                " WHERE id = %s AND status IN ('running', 'paused')",
                (generation, best_fitness, best_fitness, average_fitness, diversity_score, evaluations, stage,
                 session_id),
            ).rowcount
        if not updated:
            raise LearningError(f"no running evolution session {session_id}")
        return self._evolution(session_id)

    def finish_evolution_session(self, session_id: uuid.UUID, status: str = "completed",
                                 convergence_generation: int | None = None) -> EvolutionSession:
        """Move a session to completed, failed, cancelled or paused (the database refuses other transitions)."""
        with self.conn.transaction():
            self.conn.execute(
                "UPDATE evolution_sessions SET status = %s,"
                " convergence_generation = coalesce(%s, convergence_generation) WHERE id = %s",
                (status, convergence_generation, session_id),
            )
        return self._evolution(session_id)

    def evolution_sessions(self, *, learning_model_id: uuid.UUID | None = None, status: str | None = None,
                           limit: int = 50) -> list[EvolutionSession]:
        """Evolution sessions, newest first."""
        clauses, params = [], []
        for column, value in (("learning_model_id", learning_model_id), ("status", status)):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        rows = self.conn.execute(
            f"SELECT {_EVOLUTION} FROM evolution_sessions{where} ORDER BY started_at DESC LIMIT %s", (*params, limit),
        ).fetchall()
        return [EvolutionSession(*r) for r in rows]

    def _evolution(self, session_id: uuid.UUID) -> EvolutionSession:
        row = self.conn.execute(f"SELECT {_EVOLUTION} FROM evolution_sessions WHERE id = %s", (session_id,)).fetchone()
        if row is None:
            raise LearningError(f"no evolution session {session_id}")
        return EvolutionSession(*row)
