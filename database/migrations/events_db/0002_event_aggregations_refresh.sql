-- =============================================================================
-- events_db/0002_event_aggregations_refresh.sql
--
-- gs_refresh_event_aggregations(since): hourly and daily counts of events into
-- event_aggregations (`gsdb maintain` calls it).
-- =============================================================================

-- For each UTC hour and day from `since` on: per (organization, source,
-- event_type) and per organization over all sources and types (source and
-- event_type NULL), the number of events, distinct actors and targets, and the
-- count per action. Recomputed buckets replace their earlier values, so running
-- it twice changes nothing. The months' partitions must exist or the rows land
-- in event_aggregations_default (maintain creates them first). Returns the
-- number of rows written.
CREATE FUNCTION gs_refresh_event_aggregations(since timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    b     text;
    v_rows integer;
    total integer := 0;
BEGIN
    IF since IS NULL THEN
        RAISE EXCEPTION 'since must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    FOREACH b IN ARRAY ARRAY['hour', 'day'] LOOP
        WITH src AS (
            SELECT organization_id, source, event_type, coalesce(action, '(none)') AS action,
                   actor_external_id, target_id,
                   date_trunc(b, occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS period_start
              FROM events
             WHERE occurred_at >= date_trunc(b, since AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
        ), expanded AS (
            SELECT organization_id, source, event_type, action, actor_external_id, target_id, period_start FROM src
            UNION ALL
            SELECT organization_id, NULL, NULL, action, actor_external_id, target_id, period_start FROM src
        ), totals AS (
            SELECT organization_id, source, event_type, period_start, count(*) AS event_count,
                   count(DISTINCT actor_external_id) AS actors, count(DISTINCT target_id) AS targets
              FROM expanded GROUP BY 1, 2, 3, 4
        ), actions AS (
            SELECT organization_id, source, event_type, period_start, jsonb_object_agg(action, n) AS breakdown
              FROM (SELECT organization_id, source, event_type, period_start, action, count(*) AS n
                      FROM expanded GROUP BY 1, 2, 3, 4, 5) per_action
             GROUP BY 1, 2, 3, 4
        )
        INSERT INTO event_aggregations (organization_id, source, event_type, bucket, period_start, period_end,
                                        event_count, unique_actors, unique_targets, action_breakdown)
        SELECT t.organization_id, t.source, t.event_type, b, t.period_start,
               t.period_start + CASE b WHEN 'hour' THEN interval '1 hour' ELSE interval '24 hours' END,
               t.event_count, t.actors, t.targets, a.breakdown
          FROM totals t
          JOIN actions a ON a.organization_id IS NOT DISTINCT FROM t.organization_id
                        AND a.source IS NOT DISTINCT FROM t.source
                        AND a.event_type IS NOT DISTINCT FROM t.event_type
                        AND a.period_start = t.period_start
        ON CONFLICT ON CONSTRAINT event_aggregations_unique DO UPDATE
           SET event_count = EXCLUDED.event_count, unique_actors = EXCLUDED.unique_actors,
               unique_targets = EXCLUDED.unique_targets, action_breakdown = EXCLUDED.action_breakdown
         WHERE (event_aggregations.event_count, event_aggregations.unique_actors, event_aggregations.unique_targets,
                event_aggregations.action_breakdown)
               IS DISTINCT FROM (EXCLUDED.event_count, EXCLUDED.unique_actors, EXCLUDED.unique_targets,
                                 EXCLUDED.action_breakdown);
        GET DIAGNOSTICS v_rows = ROW_COUNT;
        total := total + v_rows;
    END LOOP;
    RETURN total;
END
$$;

COMMENT ON FUNCTION gs_refresh_event_aggregations(timestamptz) IS
    'Recomputes hourly and daily event counts (per source and type, and over all) from since on into event_aggregations; returns the rows written.';
