-- =============================================================================
-- _common/0002_partition_retention.sql
--
-- What `gsdb maintain` needs besides 0001's helpers (it creates the coming
-- months with gs_create_time_partitions and drops expired ones with
-- gs_drop_time_partitions):
--   * gs_time_partitions(parent)              the monthly partitions and their bounds
--   * gs_detach_time_partitions(parent, ts)   retention that keeps the data: detach
--                                             instead of drop
-- =============================================================================

-- The monthly partitions <parent>_pYYYYMM of parent with their bounds, oldest
-- first (never the default partition, never a partition attached by hand under
-- another name, exactly as gs_drop_time_partitions chooses them).
CREATE FUNCTION gs_time_partitions(parent regclass)
RETURNS TABLE (partition_name text, lower_bound timestamptz, upper_bound timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT c.relname::text,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), $re$FROM \('([^']+)'\)$re$))[1]::timestamptz,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), $re$TO \('([^']+)'\)$re$))[1]::timestamptz
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
     WHERE i.inhparent = parent
       AND pg_get_expr(c.relpartbound, c.oid) <> 'DEFAULT'
       AND left(c.relname::text, length(p.relname) + 2) = p.relname::text || '_p'
       AND substr(c.relname::text, length(p.relname) + 3) ~ '^[0-9]{6}$'
     ORDER BY 2
$$;

COMMENT ON FUNCTION gs_time_partitions(regclass) IS
    'The monthly partitions <parent>_pYYYYMM of a time-series table with their lower and upper bounds, oldest first.';

-- Retention that keeps the data: each monthly partition whose upper bound is
-- <= older_than is detached and renamed <partition>_detached, so that it no
-- longer answers queries on the parent, a later gs_ensure_time_partition can
-- recreate the month, and gs_drop_time_partitions never touches it. What to do
-- with detached tables (archive, dump, drop) is the operator's decision.
-- Returns the new names. No-op for TimescaleDB hypertables.
CREATE FUNCTION gs_detach_time_partitions(parent regclass, older_than timestamptz)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    r      record;
    v_name text;
BEGIN
    IF older_than IS NULL THEN
        RAISE EXCEPTION 'older_than must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF public.gs_is_hypertable(parent) THEN
        RETURN;
    END IF;
    -- the same lock as the partition creators and gs_drop_time_partitions
    PERFORM pg_advisory_xact_lock(parent::oid::bigint);
    FOR r IN SELECT * FROM public.gs_time_partitions(parent) LOOP
        CONTINUE WHEN r.upper_bound IS NULL OR r.upper_bound > older_than;
        v_name := r.partition_name || '_detached';
        IF length(v_name) > 63 THEN
            RAISE EXCEPTION 'detached name % would exceed 63 bytes', v_name USING ERRCODE = 'name_too_long';
        END IF;
        EXECUTE format('ALTER TABLE %s DETACH PARTITION %I.%I', parent,
                       (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.oid = parent), r.partition_name);
        EXECUTE format('ALTER TABLE %I.%I RENAME TO %I',
                       (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                         WHERE c.oid = parent), r.partition_name, v_name);
        RETURN NEXT v_name;
    END LOOP;
END
$$;

COMMENT ON FUNCTION gs_detach_time_partitions(regclass, timestamptz) IS
    'Retention without data loss: detaches the monthly partitions whose upper bound <= older_than, renames them <partition>_detached and returns the new names.';
