-- =============================================================================
-- analytics_db/0002_aggregates_and_dashboards.sql
--
--   * gs_refresh_metric_aggregations(since)  daily rollups of the codebase metric
--                                            series into metric_aggregations
--                                            (`gsdb maintain` calls it)
--   * the default dashboard that `gsdb serve` shows at /dashboard
--   * a unique key for runs recorded from elsewhere (nightly workflow executions)
-- =============================================================================

-- A nightly run is recorded once per task_db workflow execution, however often
-- its recording is retried.
CREATE UNIQUE INDEX analysis_runs_external_run_key ON analysis_runs (trigger_source, external_run_id)
    WHERE external_run_id IS NOT NULL;

-- Daily avg/min/max/count of every numeric codebase metric (metrics with no
-- dimensions), per organization, for the UTC days from `since` on. Recomputed
-- days replace their earlier values, so running it twice changes nothing.
-- metric_aggregations' unique key has no codebase column: a rollup describes
-- all of an organization's codebases together (the per-codebase series stay in
-- metrics). Returns the number of rows written.
CREATE FUNCTION gs_refresh_metric_aggregations(since timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    n integer;
BEGIN
    IF since IS NULL THEN
        RAISE EXCEPTION 'since must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    WITH daily AS (
        SELECT organization_id, metric_name,
               date_trunc('day', measured_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS window_start,
               avg(value_numeric) AS avg_value, min(value_numeric) AS min_value,
               max(value_numeric) AS max_value, count(*) AS samples
          FROM metrics
         WHERE measured_at >= date_trunc('day', since AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
           AND value_numeric IS NOT NULL
           AND dimensions = '{}'::jsonb
           AND entity_type = 'codebase'
         GROUP BY 1, 2, 3
    ), rows AS (
        SELECT d.organization_id, d.metric_name, kind.aggregation_type, d.window_start, d.samples,
               CASE kind.aggregation_type WHEN 'avg' THEN d.avg_value WHEN 'min' THEN d.min_value
                                          WHEN 'max' THEN d.max_value ELSE d.samples END AS value
          FROM daily d
         CROSS JOIN (VALUES ('avg'), ('min'), ('max'), ('count')) AS kind (aggregation_type)
    )
    INSERT INTO metric_aggregations (organization_id, metric_name, aggregation_type, time_window_minutes,
                                     entity_type, aggregated_value, sample_count, window_start, window_end)
    SELECT organization_id, metric_name, aggregation_type, 1440, 'codebase', value, samples,
           window_start, window_start + interval '24 hours'
      FROM rows
    ON CONFLICT ON CONSTRAINT metric_aggregations_unique DO UPDATE
       SET aggregated_value = EXCLUDED.aggregated_value, sample_count = EXCLUDED.sample_count,
           window_end = EXCLUDED.window_end
     WHERE (metric_aggregations.aggregated_value, metric_aggregations.sample_count)
           IS DISTINCT FROM (EXCLUDED.aggregated_value, EXCLUDED.sample_count);
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;

COMMENT ON FUNCTION gs_refresh_metric_aggregations(timestamptz) IS
    'Recomputes the daily avg/min/max/count rollups of codebase metrics from since on into metric_aggregations; returns the rows written.';

-- The dashboard `gsdb serve` shows at /dashboard. widget_configs is a list of
-- widgets the read-only dashboard knows how to draw (graph_sitter.report.dashboard):
--   metric_trend   {"metric": name}                one line per codebase over time
--   latest_metrics {"metrics": [names]}            a table, one row per codebase
--   distribution   {}                              complexity buckets of each codebase's latest run
--   runs           {"trigger_source": s, "limit"}  recent analytics runs (nightly runs and analyses)
--   alerts         {"limit": n}                    open alert firings
INSERT INTO dashboards (organization_id, name, description, widget_configs, is_public, tags)
VALUES (NULL, 'Codebases', 'How every analysed codebase changes over time',
        '[{"type": "metric_trend", "title": "Mean cyclomatic complexity", "metric": "mean_cyclomatic_complexity"},
          {"type": "metric_trend", "title": "Maintainability index", "metric": "maintainability_index"},
          {"type": "metric_trend", "title": "Complexity hotspots", "metric": "hotspot_count"},
          {"type": "metric_trend", "title": "Dead-code candidates", "metric": "dead_code_count"},
          {"type": "latest_metrics", "title": "Codebases now",
           "metrics": ["files", "total_lines", "functions", "mean_cyclomatic_complexity", "hotspot_count",
                       "import_cycle_count", "dead_code_count"]},
          {"type": "distribution", "title": "Complexity distribution (latest run)"},
          {"type": "runs", "title": "Nightly runs", "trigger_source": "gsdb nightly", "limit": 20},
          {"type": "alerts", "title": "Open alerts", "limit": 20}]'::jsonb,
        true, '{graph_sitter,builtin}')
ON CONFLICT ON CONSTRAINT dashboards_name_org_unique DO NOTHING;
