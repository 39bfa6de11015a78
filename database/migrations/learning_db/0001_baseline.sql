-- =============================================================================
-- learning_db/0001_baseline.sql — model registry, training sessions and their
-- metrics (time series), adaptations, evolution sessions, user feedback,
-- recognised patterns.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- learning_models: registry
-- -----------------------------------------------------------------------------
CREATE TABLE learning_models (
    id                        uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id           uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    name                      text         NOT NULL,
    version                   text         NOT NULL DEFAULT '1.0.0',
    description               text,
    model_type                text         NOT NULL DEFAULT 'custom',
    algorithm                 text         NOT NULL DEFAULT 'custom',
    parameters                jsonb        NOT NULL DEFAULT '{}'::jsonb,  -- learned parameters / weights summary
    hyperparameters           jsonb        NOT NULL DEFAULT '{}'::jsonb,
    architecture_config       jsonb        NOT NULL DEFAULT '{}'::jsonb,
    feature_config            jsonb        NOT NULL DEFAULT '{}'::jsonb,
    status                    text         NOT NULL DEFAULT 'pending',
    is_active                 boolean      NOT NULL DEFAULT false,
    is_production             boolean      NOT NULL DEFAULT false,
    accuracy                  numeric(6,5),
    precision_score           numeric(6,5),
    recall_score              numeric(6,5),
    f1_score                  numeric(6,5),
    training_data_size        integer,
    validation_data_size      integer,
    test_data_size            integer,
    model_path                text,
    model_size_mb             numeric(12,2),
    model_checksum            text,
    training_duration_minutes integer,
    training_epochs           integer,
    training_cost_usd         numeric(12,4),
    deployed_at               timestamptz,
    deployment_config         jsonb        NOT NULL DEFAULT '{}'::jsonb,
    parent_model_id           uuid         REFERENCES learning_models (id) ON DELETE SET NULL,
    evolution_generation      integer      NOT NULL DEFAULT 1,
    evolution_score           numeric(10,6),
    external_model_id         text,
    created_by                uuid         REFERENCES users (id) ON DELETE SET NULL,
    tags                      text[]       NOT NULL DEFAULT '{}',
    metadata                  jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at                timestamptz  NOT NULL DEFAULT now(),
    updated_at                timestamptz  NOT NULL DEFAULT now(),
    deleted_at                timestamptz,
    CONSTRAINT learning_models_name_version_unique UNIQUE NULLS NOT DISTINCT (organization_id, name, version),
    CONSTRAINT learning_models_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT learning_models_model_type_valid CHECK (model_type IN (
        'code_quality_predictor', 'task_duration_estimator', 'bug_probability_classifier',
        'performance_optimizer', 'pattern_recognizer', 'workflow_optimizer', 'resource_predictor',
        'quality_scorer', 'complexity_analyzer', 'dependency_analyzer', 'evolution_optimizer',
        'prompt_optimizer', 'custom')),
    CONSTRAINT learning_models_algorithm_valid CHECK (algorithm IN (
        'neural_network', 'random_forest', 'gradient_boosting', 'linear_regression',
        'logistic_regression', 'svm', 'clustering', 'reinforcement_learning',
        'genetic_algorithm', 'ensemble', 'transformer', 'lstm', 'heuristic', 'custom')),
    CONSTRAINT learning_models_status_valid CHECK (status IN (
        'pending', 'preparing_data', 'training', 'validating', 'completed', 'failed',
        'cancelled', 'deployed', 'retired')),
    CONSTRAINT learning_models_production_deployed CHECK (NOT is_production OR status = 'deployed'),
    CONSTRAINT learning_models_scores_valid CHECK (
        coalesce(accuracy, 0) BETWEEN 0 AND 1 AND coalesce(precision_score, 0) BETWEEN 0 AND 1
        AND coalesce(recall_score, 0) BETWEEN 0 AND 1 AND coalesce(f1_score, 0) BETWEEN 0 AND 1),
    CONSTRAINT learning_models_sizes_non_negative CHECK (
        coalesce(training_data_size, 0) >= 0 AND coalesce(validation_data_size, 0) >= 0
        AND coalesce(test_data_size, 0) >= 0 AND coalesce(model_size_mb, 0) >= 0
        AND coalesce(training_duration_minutes, 0) >= 0 AND coalesce(training_epochs, 0) >= 0
        AND coalesce(training_cost_usd, 0) >= 0),
    CONSTRAINT learning_models_generation_positive CHECK (evolution_generation > 0),
    CONSTRAINT learning_models_not_own_parent CHECK (parent_model_id <> id)
);

-- one production version per model name
CREATE UNIQUE INDEX learning_models_one_production ON learning_models (organization_id, name)
    NULLS NOT DISTINCT WHERE is_production;
CREATE INDEX learning_models_type_status_idx ON learning_models (model_type, status) WHERE deleted_at IS NULL;
CREATE INDEX learning_models_parent_model_id_idx ON learning_models (parent_model_id) WHERE parent_model_id IS NOT NULL;
CREATE INDEX learning_models_created_by_idx ON learning_models (created_by);

-- -----------------------------------------------------------------------------
-- training_sessions
-- -----------------------------------------------------------------------------
CREATE TABLE training_sessions (
    id                    uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id       uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    -- a model's training history belongs to it
    learning_model_id     uuid         NOT NULL REFERENCES learning_models (id) ON DELETE CASCADE,
    session_name          text         NOT NULL,
    description           text,
    training_config       jsonb        NOT NULL DEFAULT '{}'::jsonb,
    data_config           jsonb        NOT NULL DEFAULT '{}'::jsonb,
    status                text         NOT NULL DEFAULT 'pending',
    progress_percentage   numeric(5,2) NOT NULL DEFAULT 0,
    started_at            timestamptz,
    completed_at          timestamptz,
    duration_minutes      numeric(12,2),
    training_dataset_id   uuid,
    validation_dataset_id uuid,
    test_dataset_id       uuid,
    current_epoch         integer      NOT NULL DEFAULT 0,
    total_epochs          integer,
    current_loss          double precision,
    best_loss             double precision,
    -- final summaries; the per-step series is in training_metrics
    training_summary      jsonb        NOT NULL DEFAULT '{}'::jsonb,
    validation_summary    jsonb        NOT NULL DEFAULT '{}'::jsonb,
    cpu_hours             numeric(10,2),
    gpu_hours             numeric(10,2),
    memory_peak_gb        numeric(10,2),
    training_cost_usd     numeric(12,4),
    error_message         text,
    warnings              jsonb        NOT NULL DEFAULT '[]'::jsonb,
    triggered_by          uuid         REFERENCES users (id) ON DELETE SET NULL,
    trigger_source        text,
    metadata              jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz  NOT NULL DEFAULT now(),
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT training_sessions_name_not_empty CHECK (btrim(session_name) <> ''),
    CONSTRAINT training_sessions_status_valid CHECK (status IN (
        'pending', 'preparing_data', 'training', 'validating', 'completed', 'failed', 'cancelled')),
    CONSTRAINT training_sessions_progress_valid CHECK (progress_percentage BETWEEN 0 AND 100),
    CONSTRAINT training_sessions_epochs_valid CHECK (
        current_epoch >= 0 AND (total_epochs IS NULL OR (total_epochs > 0 AND current_epoch <= total_epochs))),
    CONSTRAINT training_sessions_completed_after_started CHECK (
        completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at),
    CONSTRAINT training_sessions_resources_non_negative CHECK (
        coalesce(duration_minutes, 0) >= 0 AND coalesce(cpu_hours, 0) >= 0 AND coalesce(gpu_hours, 0) >= 0
        AND coalesce(memory_peak_gb, 0) >= 0 AND coalesce(training_cost_usd, 0) >= 0)
);
-- (the seed's jsonb column training_metrics shared its name with the
-- training_metrics table: renamed training_summary)

CREATE INDEX training_sessions_model_idx ON training_sessions (learning_model_id, created_at DESC);
CREATE INDEX training_sessions_organization_id_idx ON training_sessions (organization_id);
CREATE INDEX training_sessions_active_idx ON training_sessions (status)
    WHERE status IN ('pending', 'preparing_data', 'training', 'validating');
CREATE INDEX training_sessions_triggered_by_idx ON training_sessions (triggered_by);

-- -----------------------------------------------------------------------------
-- training_metrics (TIME SERIES by recorded_at)
-- -----------------------------------------------------------------------------
SELECT gs_create_time_series_table('training_metrics', 'recorded_at', $ddl$
CREATE TABLE training_metrics (
    id                  uuid        NOT NULL DEFAULT gen_random_uuid(),
    training_session_id uuid        NOT NULL REFERENCES training_sessions (id) ON DELETE CASCADE,
    metric_name         text        NOT NULL,
    metric_type         text,       -- loss, accuracy, precision, recall, learning_rate, ...
    value               double precision NOT NULL,
    epoch               integer,
    batch               integer,
    step                bigint,
    dataset_type        text        NOT NULL DEFAULT 'training',
    recorded_at         timestamptz NOT NULL DEFAULT now(),
    metadata            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT training_metrics_pkey PRIMARY KEY (id, recorded_at),
    CONSTRAINT training_metrics_name_not_empty CHECK (btrim(metric_name) <> ''),
    CONSTRAINT training_metrics_dataset_type_valid CHECK (dataset_type IN ('training', 'validation', 'test')),
    CONSTRAINT training_metrics_position_non_negative CHECK (
        coalesce(epoch, 0) >= 0 AND coalesce(batch, 0) >= 0 AND coalesce(step, 0) >= 0)
)
$ddl$);

COMMENT ON TABLE training_metrics IS
    'Time series, RANGE partitioned by recorded_at into training_metrics_pYYYYMM + training_metrics_default (or a TimescaleDB hypertable).';

CREATE INDEX training_metrics_session_idx ON training_metrics (training_session_id, metric_name, recorded_at);
CREATE INDEX training_metrics_name_idx ON training_metrics (metric_name, recorded_at DESC);

-- -----------------------------------------------------------------------------
-- evolution_sessions (OpenEvolve integration)
-- -----------------------------------------------------------------------------
CREATE TABLE evolution_sessions (
    id                     uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id        uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    learning_model_id      uuid         REFERENCES learning_models (id) ON DELETE SET NULL,
    session_name           text         NOT NULL,
    description            text,
    evolution_config       jsonb        NOT NULL DEFAULT '{}'::jsonb,
    population_size        integer      NOT NULL DEFAULT 10,
    max_generations        integer      NOT NULL DEFAULT 100,
    status                 text         NOT NULL DEFAULT 'running',
    current_stage          text         NOT NULL DEFAULT 'initialization',
    current_generation     integer      NOT NULL DEFAULT 0,
    best_fitness           double precision,
    average_fitness        double precision,
    diversity_score        numeric(6,5),
    started_at             timestamptz  NOT NULL DEFAULT now(),
    completed_at           timestamptz,
    best_individual_id     uuid,
    convergence_generation integer,
    total_evaluations      bigint       NOT NULL DEFAULT 0,
    computational_cost     numeric(12,4),
    metadata               jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at             timestamptz  NOT NULL DEFAULT now(),
    updated_at             timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT evolution_sessions_name_not_empty CHECK (btrim(session_name) <> ''),
    CONSTRAINT evolution_sessions_status_valid CHECK (status IN ('running', 'paused', 'completed', 'failed', 'cancelled')),
    CONSTRAINT evolution_sessions_stage_valid CHECK (current_stage IN (
        'initialization', 'exploration', 'exploitation', 'adaptation', 'convergence', 'stagnation', 'reset')),
    CONSTRAINT evolution_sessions_finished_consistent CHECK (
        (status IN ('completed', 'failed', 'cancelled')) = (completed_at IS NOT NULL)),
    CONSTRAINT evolution_sessions_completed_after_started CHECK (completed_at IS NULL OR completed_at >= started_at),
    CONSTRAINT evolution_sessions_population_positive CHECK (population_size > 0),
    CONSTRAINT evolution_sessions_generations_valid CHECK (
        max_generations > 0 AND current_generation >= 0 AND current_generation <= max_generations
        AND (convergence_generation IS NULL OR convergence_generation BETWEEN 0 AND max_generations)),
    CONSTRAINT evolution_sessions_diversity_valid CHECK (diversity_score BETWEEN 0 AND 1),
    CONSTRAINT evolution_sessions_evaluations_non_negative CHECK (
        total_evaluations >= 0 AND coalesce(computational_cost, 0) >= 0)
);

CREATE INDEX evolution_sessions_organization_id_idx ON evolution_sessions (organization_id, started_at DESC);
CREATE INDEX evolution_sessions_model_idx ON evolution_sessions (learning_model_id) WHERE learning_model_id IS NOT NULL;
CREATE INDEX evolution_sessions_running_idx ON evolution_sessions (status) WHERE status IN ('running', 'paused');

CREATE TRIGGER evolution_sessions_status_transition
    BEFORE INSERT OR UPDATE OF status ON evolution_sessions
    FOR EACH ROW EXECUTE FUNCTION gs_enforce_status_transition(
        '{"running": ["paused", "completed", "failed", "cancelled"],
          "paused":  ["running", "failed", "cancelled"],
          "completed": [], "failed": [], "cancelled": []}',
        'started_at', 'completed_at', 'running');

-- -----------------------------------------------------------------------------
-- adaptations: one change made to improve something, with its measured effect
-- -----------------------------------------------------------------------------
CREATE TABLE adaptations (
    id                   uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id      uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    -- the model adapted, if it was a model; target_* name anything else
    -- (a prompt template, a workflow, an analysis setting) in other databases
    learning_model_id    uuid         REFERENCES learning_models (id) ON DELETE CASCADE,
    evolution_session_id uuid         REFERENCES evolution_sessions (id) ON DELETE SET NULL,
    target_type          text,
    target_id            uuid,
    adaptation_name      text         NOT NULL,
    adaptation_type      text         NOT NULL,
    description          text,
    trigger_reason       text,
    trigger_data         jsonb        NOT NULL DEFAULT '{}'::jsonb,
    changes_made         jsonb        NOT NULL DEFAULT '{}'::jsonb,
    parameters_before    jsonb        NOT NULL DEFAULT '{}'::jsonb,
    parameters_after     jsonb        NOT NULL DEFAULT '{}'::jsonb,
    performance_before   jsonb        NOT NULL DEFAULT '{}'::jsonb,
    performance_after    jsonb        NOT NULL DEFAULT '{}'::jsonb,
    -- relative improvement in [-1, 1]: (after - before) / max(|before|, |after|)
    improvement_score    numeric(6,5),
    status               text         NOT NULL DEFAULT 'pending',
    applied_at           timestamptz,
    tested_at            timestamptz,
    reverted_at          timestamptz,
    validation_results   jsonb        NOT NULL DEFAULT '{}'::jsonb,
    is_successful        boolean,
    generation_number    integer,
    metadata             jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at           timestamptz  NOT NULL DEFAULT now(),
    updated_at           timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT adaptations_name_not_empty CHECK (btrim(adaptation_name) <> ''),
    CONSTRAINT adaptations_type_valid CHECK (adaptation_type IN (
        'parameter_tuning', 'feature_engineering', 'model_architecture', 'training_data',
        'preprocessing', 'postprocessing', 'ensemble_weights', 'hyperparameters',
        'prompt_revision', 'workflow_change', 'configuration')),
    CONSTRAINT adaptations_status_valid CHECK (status IN ('pending', 'applied', 'tested', 'reverted', 'rejected')),
    CONSTRAINT adaptations_improvement_score_valid CHECK (improvement_score BETWEEN -1 AND 1),
    CONSTRAINT adaptations_has_target CHECK (learning_model_id IS NOT NULL OR target_type IS NOT NULL),
    CONSTRAINT adaptations_applied_when_applied CHECK (status IN ('pending', 'rejected') OR applied_at IS NOT NULL),
    CONSTRAINT adaptations_reverted_consistent CHECK ((status = 'reverted') = (reverted_at IS NOT NULL)),
    CONSTRAINT adaptations_generation_non_negative CHECK (generation_number >= 0)
);
-- (the seed defaulted applied_at to now() even for pending adaptations)

CREATE INDEX adaptations_model_idx ON adaptations (learning_model_id, created_at DESC) WHERE learning_model_id IS NOT NULL;
CREATE INDEX adaptations_evolution_session_idx ON adaptations (evolution_session_id) WHERE evolution_session_id IS NOT NULL;
CREATE INDEX adaptations_target_idx ON adaptations (target_type, target_id);
CREATE INDEX adaptations_organization_id_idx ON adaptations (organization_id);

-- -----------------------------------------------------------------------------
-- user_feedback
-- -----------------------------------------------------------------------------
CREATE TABLE user_feedback (
    id                uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id   uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    learning_model_id uuid         REFERENCES learning_models (id) ON DELETE SET NULL,
    feedback_type     text         NOT NULL,
    feedback_text     text,
    rating            smallint,
    context_type      text,
    context_data      jsonb        NOT NULL DEFAULT '{}'::jsonb,
    predicted_value   jsonb,
    actual_value      jsonb,
    confidence_score  numeric(6,5),
    is_processed      boolean      NOT NULL DEFAULT false,
    processed_at      timestamptz,
    processing_notes  text,
    provided_by       uuid         REFERENCES users (id) ON DELETE SET NULL,
    user_session_id   uuid,
    metadata          jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at        timestamptz  NOT NULL DEFAULT now(),
    updated_at        timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT user_feedback_type_valid CHECK (feedback_type IN (
        'positive', 'negative', 'neutral', 'correction', 'enhancement', 'bug_report')),
    CONSTRAINT user_feedback_rating_valid CHECK (rating BETWEEN 1 AND 5),
    CONSTRAINT user_feedback_confidence_valid CHECK (confidence_score BETWEEN 0 AND 1),
    CONSTRAINT user_feedback_processed_consistent CHECK (is_processed = (processed_at IS NOT NULL))
);

CREATE INDEX user_feedback_model_idx ON user_feedback (learning_model_id) WHERE learning_model_id IS NOT NULL;
CREATE INDEX user_feedback_unprocessed_idx ON user_feedback (created_at) WHERE NOT is_processed;
CREATE INDEX user_feedback_provided_by_idx ON user_feedback (provided_by);

-- -----------------------------------------------------------------------------
-- pattern_recognition: recurring patterns, upserted by key
-- -----------------------------------------------------------------------------
-- INSERT ... ON CONFLICT (organization_id, pattern_key) DO UPDATE
--    SET occurrences_count = pattern_recognition.occurrences_count + 1,
--        last_seen_at = excluded.last_seen_at
CREATE TABLE pattern_recognition (
    id                 uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id    uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    learning_model_id  uuid         REFERENCES learning_models (id) ON DELETE SET NULL,
    pattern_key        text         NOT NULL,   -- stable identity, e.g. a signature hash or "kind:detail"
    pattern_name       text         NOT NULL,
    pattern_type       text,
    description        text,
    pattern_data       jsonb        NOT NULL DEFAULT '{}'::jsonb,
    occurrences_count  integer      NOT NULL DEFAULT 1,
    first_seen_at      timestamptz  NOT NULL DEFAULT now(),
    last_seen_at       timestamptz  NOT NULL DEFAULT now(),
    confidence_score   numeric(6,5),
    significance_score numeric(6,5),
    context_type       text,
    context_data       jsonb        NOT NULL DEFAULT '{}'::jsonb,
    discovery_method   text,
    is_validated       boolean      NOT NULL DEFAULT false,
    validation_score   numeric(6,5),
    related_patterns   jsonb        NOT NULL DEFAULT '[]'::jsonb,
    metadata           jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pattern_recognition_key_unique UNIQUE NULLS NOT DISTINCT (organization_id, pattern_key),
    CONSTRAINT pattern_recognition_key_not_empty CHECK (btrim(pattern_key) <> ''),
    CONSTRAINT pattern_recognition_name_not_empty CHECK (btrim(pattern_name) <> ''),
    CONSTRAINT pattern_recognition_occurrences_positive CHECK (occurrences_count > 0),
    CONSTRAINT pattern_recognition_seen_order CHECK (last_seen_at >= first_seen_at),
    CONSTRAINT pattern_recognition_scores_valid CHECK (
        coalesce(confidence_score, 0) BETWEEN 0 AND 1 AND coalesce(significance_score, 0) BETWEEN 0 AND 1
        AND coalesce(validation_score, 0) BETWEEN 0 AND 1)
);

CREATE INDEX pattern_recognition_type_idx ON pattern_recognition (pattern_type, last_seen_at DESC);
CREATE INDEX pattern_recognition_model_idx ON pattern_recognition (learning_model_id) WHERE learning_model_id IS NOT NULL;
CREATE INDEX pattern_recognition_data_gin ON pattern_recognition USING gin (pattern_data jsonb_path_ops);

-- -----------------------------------------------------------------------------
-- Views (the seed's model_performance_overview joined sessions x adaptations
-- x feedback in one GROUP BY, multiplying every count; independent aggregates here)
-- -----------------------------------------------------------------------------
CREATE VIEW model_performance_overview AS
SELECT lm.id, lm.organization_id, lm.name, lm.version, lm.model_type, lm.algorithm, lm.status,
       lm.is_production, lm.accuracy, lm.f1_score, lm.evolution_generation,
       o.name         AS organization_name,
       u.display_name AS created_by_name,
       (SELECT count(*) FROM training_sessions ts WHERE ts.learning_model_id = lm.id) AS training_sessions_count,
       (SELECT count(*) FROM adaptations a WHERE a.learning_model_id = lm.id)         AS adaptations_count,
       (SELECT avg(a.improvement_score) FROM adaptations a
         WHERE a.learning_model_id = lm.id AND a.status IN ('applied', 'tested'))::numeric(6,5) AS avg_improvement_score,
       (SELECT avg(uf.rating) FROM user_feedback uf WHERE uf.learning_model_id = lm.id)::numeric(4,2) AS average_user_rating,
       (SELECT count(*) FROM user_feedback uf WHERE uf.learning_model_id = lm.id)     AS feedback_count
  FROM learning_models lm
  LEFT JOIN organizations o ON o.id = lm.organization_id
  LEFT JOIN users u         ON u.id = lm.created_by
 WHERE lm.deleted_at IS NULL;

CREATE VIEW active_training_sessions AS
SELECT ts.id, ts.organization_id, ts.learning_model_id, ts.session_name, ts.status,
       ts.progress_percentage, ts.current_epoch, ts.total_epochs, ts.current_loss, ts.best_loss,
       ts.started_at,
       lm.name AS model_name, lm.version AS model_version, lm.model_type,
       u.display_name AS triggered_by_name
  FROM training_sessions ts
  JOIN learning_models lm ON lm.id = ts.learning_model_id
  LEFT JOIN users u       ON u.id = ts.triggered_by
 WHERE ts.status IN ('pending', 'preparing_data', 'training', 'validating');

CREATE VIEW evolution_progress AS
SELECT es.id, es.organization_id, es.session_name, es.status, es.current_stage,
       es.current_generation, es.max_generations, es.best_fitness, es.average_fitness,
       es.started_at, es.completed_at,
       count(a.id)                              AS adaptations_count,
       avg(a.improvement_score)::numeric(6,5)   AS avg_improvement_score,
       max(a.applied_at)                        AS last_adaptation_at
  FROM evolution_sessions es
  LEFT JOIN adaptations a ON a.evolution_session_id = es.id
 GROUP BY es.id;

SELECT gs_install_updated_at_triggers();
