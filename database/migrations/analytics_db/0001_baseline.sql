-- =============================================================================
-- analytics_db/0001_baseline.sql — analysis runs and their steps, time-series
-- metrics and performance data, aggregations, dashboards, alert rules and
-- alert instances.
--
-- Foreign tables / cross-database views over the other six databases are NOT
-- created here: setup imports them through postgres_fdw after migrations.
-- metrics and performance_data are time series: RANGE partitioned by
-- measured_at (or hypertables when TimescaleDB is installed), and every
-- PRIMARY KEY / UNIQUE includes measured_at.
-- =============================================================================

-- -----------------------------------------------------------------------------
-- analysis_runs and analysis_steps
-- -----------------------------------------------------------------------------
CREATE TABLE analysis_runs (
    id                 uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id    uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    name               text         NOT NULL,
    description        text,
    analysis_type      text         NOT NULL DEFAULT 'quality',
    -- the codebase_db analysis run this one analyses (other database: no FK)
    codebase_id        uuid,
    codebase_run_id    uuid,
    configuration      jsonb        NOT NULL DEFAULT '{}'::jsonb,
    parameters         jsonb        NOT NULL DEFAULT '{}'::jsonb,
    evolve_session_id  uuid,        -- learning_db.evolution_sessions (other database)
    evolve_step_id     uuid,
    evolve_generation  integer,
    status             text         NOT NULL DEFAULT 'queued',
    progress_percentage numeric(5,2) NOT NULL DEFAULT 0,
    queued_at          timestamptz  NOT NULL DEFAULT now(),
    started_at         timestamptz,
    completed_at       timestamptz,
    duration_ms        bigint,
    cpu_time_ms        bigint,
    memory_peak_bytes  bigint,
    disk_usage_bytes   bigint,
    total_metrics      integer      NOT NULL DEFAULT 0,
    success_metrics    integer      NOT NULL DEFAULT 0,
    failed_metrics     integer      NOT NULL DEFAULT 0,
    overall_score      numeric(5,2),
    quality_score      numeric(5,2),
    performance_score  numeric(5,2),
    reliability_score  numeric(5,2),
    error_message      text,
    error_code         text,
    warnings           jsonb        NOT NULL DEFAULT '[]'::jsonb,
    triggered_by       uuid         REFERENCES users (id) ON DELETE SET NULL,
    trigger_source     text,
    external_run_id    text,
    tags               text[]       NOT NULL DEFAULT '{}',
    metadata           jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT analysis_runs_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT analysis_runs_analysis_type_valid CHECK (analysis_type IN (
        'performance', 'quality', 'security', 'complexity', 'evolution', 'usage',
        'trend', 'prediction', 'anomaly', 'custom')),
    CONSTRAINT analysis_runs_status_valid CHECK (status IN (
        'queued', 'running', 'completed', 'failed', 'cancelled', 'timeout')),
    CONSTRAINT analysis_runs_finished_consistent CHECK (
        (status IN ('completed', 'failed', 'cancelled', 'timeout')) = (completed_at IS NOT NULL)),
    CONSTRAINT analysis_runs_completed_after_started CHECK (
        completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at),
    CONSTRAINT analysis_runs_progress_valid CHECK (progress_percentage BETWEEN 0 AND 100),
    CONSTRAINT analysis_runs_resources_non_negative CHECK (
        coalesce(duration_ms, 0) >= 0 AND coalesce(cpu_time_ms, 0) >= 0
        AND coalesce(memory_peak_bytes, 0) >= 0 AND coalesce(disk_usage_bytes, 0) >= 0),
    CONSTRAINT analysis_runs_counts_non_negative CHECK (
        total_metrics >= 0 AND success_metrics >= 0 AND failed_metrics >= 0),
    -- (the seed AND-ed the four ranges into one CHECK; a NULL score is simply unknown)
    CONSTRAINT analysis_runs_scores_valid CHECK (
        coalesce(overall_score, 0) BETWEEN 0 AND 100 AND coalesce(quality_score, 0) BETWEEN 0 AND 100
        AND coalesce(performance_score, 0) BETWEEN 0 AND 100 AND coalesce(reliability_score, 0) BETWEEN 0 AND 100)
);

CREATE INDEX analysis_runs_organization_id_idx ON analysis_runs (organization_id, queued_at DESC);
CREATE INDEX analysis_runs_codebase_idx ON analysis_runs (codebase_id, queued_at DESC) WHERE codebase_id IS NOT NULL;
CREATE UNIQUE INDEX analysis_runs_codebase_run_key ON analysis_runs (codebase_run_id) WHERE codebase_run_id IS NOT NULL;
CREATE INDEX analysis_runs_evolve_session_idx ON analysis_runs (evolve_session_id) WHERE evolve_session_id IS NOT NULL;
CREATE INDEX analysis_runs_triggered_by_idx ON analysis_runs (triggered_by);
CREATE INDEX analysis_runs_active_idx ON analysis_runs (status) WHERE status IN ('queued', 'running');

CREATE TRIGGER analysis_runs_status_transition
    BEFORE INSERT OR UPDATE OF status ON analysis_runs
    FOR EACH ROW EXECUTE FUNCTION gs_enforce_status_transition(
        '{"queued":    ["running", "cancelled"],
          "running":   ["completed", "failed", "cancelled", "timeout"],
          "completed": [], "failed": [], "cancelled": [], "timeout": []}',
        'started_at', 'completed_at', 'running');

-- Phases of a run (discover, parse, resolve, load, ...).
CREATE TABLE analysis_steps (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    analysis_run_id  uuid        NOT NULL REFERENCES analysis_runs (id) ON DELETE CASCADE,
    step_name        text        NOT NULL,
    step_order       integer     NOT NULL,
    description      text,
    step_config      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    status           text        NOT NULL DEFAULT 'queued',
    started_at       timestamptz,
    completed_at     timestamptz,
    duration_ms      bigint,
    items_processed  bigint,
    output_data      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    metrics_generated integer    NOT NULL DEFAULT 0,
    error_message    text,
    retry_count      integer     NOT NULL DEFAULT 0,
    metadata         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT analysis_steps_run_step_unique UNIQUE (analysis_run_id, step_order),
    CONSTRAINT analysis_steps_run_name_unique UNIQUE (analysis_run_id, step_name),
    CONSTRAINT analysis_steps_step_order_positive CHECK (step_order > 0),
    CONSTRAINT analysis_steps_name_not_empty CHECK (btrim(step_name) <> ''),
    CONSTRAINT analysis_steps_status_valid CHECK (status IN (
        'queued', 'running', 'completed', 'failed', 'cancelled', 'timeout', 'skipped')),
    CONSTRAINT analysis_steps_completed_after_started CHECK (
        completed_at IS NULL OR started_at IS NULL OR completed_at >= started_at),
    CONSTRAINT analysis_steps_counts_non_negative CHECK (
        coalesce(duration_ms, 0) >= 0 AND coalesce(items_processed, 0) >= 0
        AND metrics_generated >= 0 AND retry_count >= 0)
);

-- -----------------------------------------------------------------------------
-- metrics (TIME SERIES by measured_at)
-- -----------------------------------------------------------------------------
SELECT gs_create_time_series_table('metrics', 'measured_at', $ddl$
CREATE TABLE metrics (
    id               uuid        NOT NULL DEFAULT gen_random_uuid(),
    organization_id  uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    analysis_run_id  uuid        REFERENCES analysis_runs (id) ON DELETE CASCADE,
    analysis_step_id uuid        REFERENCES analysis_steps (id) ON DELETE SET NULL,
    metric_name      text        NOT NULL,
    metric_type      text        NOT NULL DEFAULT 'gauge',
    category         text,
    unit             text,
    value_numeric    double precision,
    value_text       text,
    value_json       jsonb,
    -- what was measured: codebase, file, function, class, ... identified by
    -- id and/or a stable key such as a path or qualified name
    entity_type      text,
    entity_id        uuid,
    entity_key       text,
    entity_name      text,
    codebase_id      uuid,       -- codebase_db.codebases (other database)
    dimensions       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    confidence_score numeric(5,2) NOT NULL DEFAULT 100,
    quality_flags    jsonb       NOT NULL DEFAULT '[]'::jsonb,
    measured_at      timestamptz NOT NULL DEFAULT now(),
    valid_from       timestamptz,
    valid_until      timestamptz,
    metadata         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT metrics_pkey PRIMARY KEY (id, measured_at),
    CONSTRAINT metrics_name_not_empty CHECK (btrim(metric_name) <> ''),
    CONSTRAINT metrics_type_valid CHECK (metric_type IN (
        'counter', 'gauge', 'histogram', 'summary', 'rate', 'percentage', 'score', 'duration')),
    CONSTRAINT metrics_has_value CHECK (
        value_numeric IS NOT NULL OR value_text IS NOT NULL OR value_json IS NOT NULL),
    CONSTRAINT metrics_value_finite CHECK (
        value_numeric IS NULL OR value_numeric NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)),
    CONSTRAINT metrics_confidence_valid CHECK (confidence_score BETWEEN 0 AND 100),
    CONSTRAINT metrics_validity_valid CHECK (valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from),
    CONSTRAINT metrics_dimensions_object CHECK (jsonb_typeof(dimensions) = 'object')
)
$ddl$);

COMMENT ON TABLE metrics IS
    'Time series, RANGE partitioned by measured_at into metrics_pYYYYMM + metrics_default (or a TimescaleDB hypertable). Keep partitions ahead with gs_create_time_partitions(''metrics'', 1, 3).';

CREATE INDEX metrics_name_idx ON metrics (metric_name, measured_at DESC);
CREATE INDEX metrics_run_idx ON metrics (analysis_run_id, metric_name);
CREATE INDEX metrics_step_idx ON metrics (analysis_step_id) WHERE analysis_step_id IS NOT NULL;
CREATE INDEX metrics_entity_idx ON metrics (entity_type, entity_id, measured_at DESC);
CREATE INDEX metrics_codebase_idx ON metrics (codebase_id, metric_name, measured_at DESC) WHERE codebase_id IS NOT NULL;
CREATE INDEX metrics_organization_idx ON metrics (organization_id, measured_at DESC);
CREATE INDEX metrics_dimensions_gin ON metrics USING gin (dimensions jsonb_path_ops);

-- -----------------------------------------------------------------------------
-- performance_data (TIME SERIES by measured_at)
-- -----------------------------------------------------------------------------
SELECT gs_create_time_series_table('performance_data', 'measured_at', $ddl$
CREATE TABLE performance_data (
    id                    uuid         NOT NULL DEFAULT gen_random_uuid(),
    organization_id       uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    analysis_run_id       uuid         REFERENCES analysis_runs (id) ON DELETE CASCADE,
    analysis_step_id      uuid         REFERENCES analysis_steps (id) ON DELETE SET NULL,
    operation_name        text         NOT NULL,
    operation_type        text,
    duration_ms           double precision NOT NULL,
    cpu_time_ms           double precision,
    cpu_usage_percent     numeric(7,2),   -- may exceed 100 on several cores
    memory_usage_mb       numeric(12,2),
    memory_peak_rss_bytes bigint,
    disk_io_mb            numeric(12,2),
    network_io_mb         numeric(12,2),
    operations_per_second numeric(14,3),
    items_processed       bigint,
    success_rate          numeric(5,2),
    error_rate            numeric(5,2),
    cpu_efficiency        numeric(5,2),
    memory_efficiency     numeric(5,2),
    environment           text,
    version               text,
    metadata              jsonb        NOT NULL DEFAULT '{}'::jsonb,
    measured_at           timestamptz  NOT NULL DEFAULT now(),
    created_at            timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT performance_data_pkey PRIMARY KEY (id, measured_at),
    CONSTRAINT performance_data_operation_not_empty CHECK (btrim(operation_name) <> ''),
    CONSTRAINT performance_data_non_negative CHECK (
        duration_ms >= 0 AND coalesce(cpu_time_ms, 0) >= 0 AND coalesce(cpu_usage_percent, 0) >= 0
        AND coalesce(memory_usage_mb, 0) >= 0 AND coalesce(memory_peak_rss_bytes, 0) >= 0
        AND coalesce(disk_io_mb, 0) >= 0 AND coalesce(network_io_mb, 0) >= 0
        AND coalesce(operations_per_second, 0) >= 0 AND coalesce(items_processed, 0) >= 0),
    CONSTRAINT performance_data_rates_valid CHECK (
        coalesce(success_rate, 0) BETWEEN 0 AND 100 AND coalesce(error_rate, 0) BETWEEN 0 AND 100
        AND coalesce(cpu_efficiency, 0) BETWEEN 0 AND 100 AND coalesce(memory_efficiency, 0) BETWEEN 0 AND 100)
)
$ddl$);

COMMENT ON TABLE performance_data IS
    'Time series, RANGE partitioned by measured_at into performance_data_pYYYYMM + performance_data_default (or a TimescaleDB hypertable).';

CREATE INDEX performance_data_operation_idx ON performance_data (operation_name, measured_at DESC);
CREATE INDEX performance_data_run_idx ON performance_data (analysis_run_id);
CREATE INDEX performance_data_step_idx ON performance_data (analysis_step_id) WHERE analysis_step_id IS NOT NULL;
CREATE INDEX performance_data_organization_idx ON performance_data (organization_id, measured_at DESC);

-- -----------------------------------------------------------------------------
-- metric_aggregations: pre-computed rollups (small; not partitioned)
-- -----------------------------------------------------------------------------
CREATE TABLE metric_aggregations (
    id                      uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id         uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    metric_name             text         NOT NULL,
    aggregation_type        text         NOT NULL,
    time_window_minutes     integer      NOT NULL,
    entity_type             text,
    entity_filter           jsonb        NOT NULL DEFAULT '{}'::jsonb,
    aggregated_value        double precision,
    sample_count            bigint       NOT NULL DEFAULT 0,
    window_start            timestamptz  NOT NULL,
    window_end              timestamptz  NOT NULL,
    confidence_score        numeric(5,2) NOT NULL DEFAULT 100,
    completeness_percentage numeric(5,2) NOT NULL DEFAULT 100,
    metadata                jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at              timestamptz  NOT NULL DEFAULT now(),
    updated_at              timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT metric_aggregations_unique UNIQUE NULLS NOT DISTINCT (
        organization_id, metric_name, aggregation_type, time_window_minutes, entity_type, window_start),
    CONSTRAINT metric_aggregations_type_valid CHECK (aggregation_type IN (
        'sum', 'avg', 'min', 'max', 'count', 'median', 'percentile', 'stddev')),
    CONSTRAINT metric_aggregations_window_valid CHECK (window_end > window_start AND time_window_minutes > 0),
    CONSTRAINT metric_aggregations_sample_count_non_negative CHECK (sample_count >= 0),
    CONSTRAINT metric_aggregations_confidence_valid CHECK (confidence_score BETWEEN 0 AND 100),
    CONSTRAINT metric_aggregations_completeness_valid CHECK (completeness_percentage BETWEEN 0 AND 100)
);

CREATE INDEX metric_aggregations_metric_idx ON metric_aggregations (metric_name, window_start DESC);

-- -----------------------------------------------------------------------------
-- dashboards
-- -----------------------------------------------------------------------------
CREATE TABLE dashboards (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id      uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    name                 text        NOT NULL,
    description          text,
    layout_config        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    widget_configs       jsonb       NOT NULL DEFAULT '[]'::jsonb,
    is_public            boolean     NOT NULL DEFAULT false,
    allowed_users        uuid[]      NOT NULL DEFAULT '{}',
    auto_refresh_seconds integer     NOT NULL DEFAULT 300,
    tags                 text[]      NOT NULL DEFAULT '{}',
    metadata             jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_by           uuid        REFERENCES users (id) ON DELETE SET NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dashboards_name_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT dashboards_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT dashboards_widget_configs_array CHECK (jsonb_typeof(widget_configs) = 'array'),
    CONSTRAINT dashboards_refresh_valid CHECK (auto_refresh_seconds >= 0)
);

CREATE INDEX dashboards_created_by_idx ON dashboards (created_by);

-- -----------------------------------------------------------------------------
-- alert_rules and alert_instances
-- -----------------------------------------------------------------------------
-- A rule compares a metric's current value with threshold_value:
--   threshold_type 'absolute'        value <comparison> threshold
--   threshold_type 'percent_change'  100 * (value - baseline) / |baseline| <comparison> threshold
--   threshold_type 'absolute_change' (value - baseline) <comparison> threshold
-- where baseline is the value in the previous run ('previous_run') or the
-- mean over the last baseline_window runs ('moving_average').
-- Example: "complexity up more than 10% vs previous run" =
--   metric_name 'cyclomatic_complexity_total', comparison '>', threshold_value 10,
--   threshold_type 'percent_change', baseline 'previous_run'.
CREATE TABLE alert_rules (
    id                        uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id           uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    name                      text        NOT NULL,
    description               text,
    metric_name               text        NOT NULL,
    entity_type               text,
    dimension_filter          jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- metrics.dimensions @> filter
    comparison                text        NOT NULL,
    threshold_value           double precision NOT NULL,
    threshold_type            text        NOT NULL DEFAULT 'absolute',
    baseline                  text        NOT NULL DEFAULT 'previous_run',
    baseline_window           integer     NOT NULL DEFAULT 1,
    severity                  text        NOT NULL DEFAULT 'warning',
    evaluation_window_minutes integer     NOT NULL DEFAULT 5,
    cooldown_minutes          integer     NOT NULL DEFAULT 0,
    is_active                 boolean     NOT NULL DEFAULT true,
    last_evaluated_at         timestamptz,
    last_triggered_at         timestamptz,
    trigger_count             integer     NOT NULL DEFAULT 0,
    notification_config       jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_by                uuid        REFERENCES users (id) ON DELETE SET NULL,
    metadata                  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at                timestamptz NOT NULL DEFAULT now(),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_rules_name_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT alert_rules_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT alert_rules_comparison_valid CHECK (comparison IN ('>', '>=', '<', '<=', '=', '!=')),
    CONSTRAINT alert_rules_threshold_type_valid CHECK (threshold_type IN ('absolute', 'percent_change', 'absolute_change')),
    CONSTRAINT alert_rules_baseline_valid CHECK (baseline IN ('previous_run', 'moving_average')),
    CONSTRAINT alert_rules_baseline_window_positive CHECK (baseline_window > 0),
    CONSTRAINT alert_rules_severity_valid CHECK (severity IN ('info', 'warning', 'error', 'critical')),
    CONSTRAINT alert_rules_windows_valid CHECK (evaluation_window_minutes > 0 AND cooldown_minutes >= 0),
    CONSTRAINT alert_rules_trigger_count_non_negative CHECK (trigger_count >= 0)
);

CREATE INDEX alert_rules_metric_idx ON alert_rules (metric_name) WHERE is_active;
CREATE INDEX alert_rules_created_by_idx ON alert_rules (created_by);

-- A firing of a rule. Removing a rule removes its firings (deactivate a rule
-- with is_active = false to keep its history).
CREATE TABLE alert_instances (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    alert_rule_id    uuid        NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
    organization_id  uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    analysis_run_id  uuid        REFERENCES analysis_runs (id) ON DELETE SET NULL,
    status           text        NOT NULL DEFAULT 'firing',
    severity         text        NOT NULL DEFAULT 'warning',
    -- snapshot of the evaluation, so later edits of the rule don't rewrite history
    metric_name      text        NOT NULL,
    comparison       text        NOT NULL,
    threshold_type   text        NOT NULL,
    threshold_value  double precision NOT NULL,
    triggered_value  double precision,
    baseline_value   double precision,
    change_value     double precision,
    triggered_at     timestamptz NOT NULL DEFAULT now(),
    acknowledged_at  timestamptz,
    acknowledged_by  uuid        REFERENCES users (id) ON DELETE SET NULL,
    resolved_at      timestamptz,
    entity_type      text,
    entity_id        uuid,
    entity_key       text,
    context_data     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    notifications_sent integer   NOT NULL DEFAULT 0,
    metadata         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_instances_status_valid CHECK (status IN ('firing', 'acknowledged', 'resolved')),
    CONSTRAINT alert_instances_severity_valid CHECK (severity IN ('info', 'warning', 'error', 'critical')),
    CONSTRAINT alert_instances_comparison_valid CHECK (comparison IN ('>', '>=', '<', '<=', '=', '!=')),
    CONSTRAINT alert_instances_threshold_type_valid CHECK (threshold_type IN ('absolute', 'percent_change', 'absolute_change')),
    CONSTRAINT alert_instances_resolved_consistent CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
    CONSTRAINT alert_instances_resolved_after_triggered CHECK (resolved_at IS NULL OR resolved_at >= triggered_at),
    CONSTRAINT alert_instances_notifications_non_negative CHECK (notifications_sent >= 0)
);

CREATE INDEX alert_instances_rule_idx ON alert_instances (alert_rule_id, triggered_at DESC);
CREATE INDEX alert_instances_open_idx ON alert_instances (organization_id, triggered_at DESC) WHERE status <> 'resolved';
CREATE INDEX alert_instances_run_idx ON alert_instances (analysis_run_id) WHERE analysis_run_id IS NOT NULL;
CREATE INDEX alert_instances_acknowledged_by_idx ON alert_instances (acknowledged_by) WHERE acknowledged_by IS NOT NULL;

CREATE TRIGGER alert_instances_status_transition
    BEFORE INSERT OR UPDATE OF status ON alert_instances
    FOR EACH ROW EXECUTE FUNCTION gs_enforce_status_transition(
        '{"firing": ["acknowledged", "resolved"], "acknowledged": ["resolved"], "resolved": []}',
        '', 'resolved_at', '');

-- -----------------------------------------------------------------------------
-- Views (local to analytics_db; cross-database views come with the FDW import)
-- -----------------------------------------------------------------------------
-- The seed joined steps and metrics in one GROUP BY, multiplying the counts.
CREATE VIEW analysis_run_summary AS
SELECT ar.id, ar.organization_id, ar.name, ar.analysis_type, ar.status,
       ar.codebase_id, ar.codebase_run_id, ar.queued_at, ar.started_at, ar.completed_at,
       ar.duration_ms, ar.overall_score,
       o.name         AS organization_name,
       u.display_name AS triggered_by_name,
       (SELECT count(*) FROM analysis_steps s WHERE s.analysis_run_id = ar.id)                            AS total_steps,
       (SELECT count(*) FROM analysis_steps s WHERE s.analysis_run_id = ar.id AND s.status = 'completed') AS completed_steps,
       (SELECT count(*) FROM metrics m WHERE m.analysis_run_id = ar.id)                                   AS metrics_generated
  FROM analysis_runs ar
  LEFT JOIN organizations o ON o.id = ar.organization_id
  LEFT JOIN users u         ON u.id = ar.triggered_by;

CREATE VIEW real_time_metrics AS
SELECT m.id, m.measured_at, m.metric_name, m.metric_type, m.value_numeric, m.value_text, m.unit,
       m.entity_type, m.entity_id, m.entity_key, m.dimensions, m.organization_id,
       m.analysis_run_id, ar.name AS analysis_run_name
  FROM metrics m
  LEFT JOIN analysis_runs ar ON ar.id = m.analysis_run_id
 WHERE m.measured_at >= now() - interval '1 hour';

CREATE VIEW performance_trends AS
SELECT operation_name,
       date_trunc('hour', measured_at)      AS hour,
       avg(duration_ms)                     AS avg_duration_ms,
       min(duration_ms)                     AS min_duration_ms,
       max(duration_ms)                     AS max_duration_ms,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration_ms) AS p95_duration_ms,
       avg(cpu_usage_percent)               AS avg_cpu_usage,
       max(memory_peak_rss_bytes)           AS max_peak_rss_bytes,
       count(*)                             AS operation_count
  FROM performance_data
 WHERE measured_at >= now() - interval '24 hours'
 GROUP BY operation_name, date_trunc('hour', measured_at);

-- Each numeric metric next to its value in the previous run of the same
-- codebase/entity: the input of 'previous_run' alert rules.
CREATE VIEW metric_run_deltas AS
SELECT m.metric_name, m.codebase_id, m.entity_type, m.entity_key, m.analysis_run_id, m.measured_at,
       m.value_numeric AS value,
       lag(m.value_numeric) OVER w AS previous_value,
       m.value_numeric - lag(m.value_numeric) OVER w AS change,
       CASE WHEN lag(m.value_numeric) OVER w <> 0
            THEN 100.0 * (m.value_numeric - lag(m.value_numeric) OVER w) / abs(lag(m.value_numeric) OVER w)
       END AS percent_change
  FROM metrics m
 WHERE m.value_numeric IS NOT NULL
WINDOW w AS (PARTITION BY m.metric_name, m.codebase_id, m.entity_type, m.entity_key ORDER BY m.measured_at);

SELECT gs_install_updated_at_triggers();
