-- =============================================================================
-- _common/0001_common.sql
--
-- Applied first to every one of the seven databases, by the migration runner,
-- as one transaction, connected as the database's owner role (not a superuser).
-- No BEGIN/COMMIT, no CREATE EXTENSION, no role names: setup does all of that.
-- Everything lives in schema public. Must work on PostgreSQL 15 and 18.
--
-- Provides:
--   * gs_set_updated_at()               trigger: keeps updated_at honest
--   * gs_install_updated_at_triggers()  attaches it to every table that has updated_at
--   * gs_enforce_status_transition()    trigger: small state machines for status columns
--   * organizations, users              the one identity model shared by all seven DBs
--   * time partitioning helpers         gs_ensure_time_partition, gs_create_time_partitions,
--                                       gs_drop_time_partitions, gs_create_time_series_table,
--                                       gs_time_partition_name, gs_is_hypertable
-- =============================================================================

-- -----------------------------------------------------------------------------
-- updated_at maintenance
-- -----------------------------------------------------------------------------

-- The seed declared updated_at DEFAULT now() and nothing else, so the column
-- recorded the creation time forever. now() is the transaction start time: all
-- rows touched by one transaction share one timestamp, which is what
-- "changed in the same unit of work" queries want.
CREATE FUNCTION gs_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION gs_set_updated_at() IS
    'BEFORE UPDATE row trigger: sets NEW.updated_at = now(). Installed on every table with an updated_at column.';

-- Every baseline/migration ends with SELECT gs_install_updated_at_triggers();
-- so a table that gains an updated_at column can never silently miss its
-- trigger. Partitions are skipped: a row trigger on a partitioned parent is
-- cloned to its partitions by PostgreSQL itself.
CREATE FUNCTION gs_install_updated_at_triggers() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    r record;
    n integer := 0;
BEGIN
    FOR r IN
        SELECT c.oid::regclass AS rel
        FROM pg_class c
        JOIN pg_namespace ns ON ns.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid
                           AND a.attname = 'updated_at'
                           AND NOT a.attisdropped
        WHERE ns.nspname = 'public'
          AND c.relkind IN ('r', 'p')
          AND NOT c.relispartition
          AND NOT EXISTS (SELECT 1 FROM pg_trigger t
                          WHERE t.tgrelid = c.oid AND t.tgname = 'gs_set_updated_at')
        ORDER BY c.relname
    LOOP
        EXECUTE format(
            'CREATE TRIGGER gs_set_updated_at BEFORE UPDATE ON %s '
            'FOR EACH ROW EXECUTE FUNCTION public.gs_set_updated_at()', r.rel);
        n := n + 1;
    END LOOP;
    RETURN n;
END
$$;

COMMENT ON FUNCTION gs_install_updated_at_triggers() IS
    'Creates trigger gs_set_updated_at on every table in public that has an updated_at column and lacks it; returns how many were created.';

-- -----------------------------------------------------------------------------
-- Status state machines
-- -----------------------------------------------------------------------------

-- Generic BEFORE INSERT OR UPDATE row trigger for tables with a "status" column.
--   TG_ARGV[0]  jsonb: {"from": ["to", ...], ...}; a state mapped to [] is terminal
--   TG_ARGV[1]  name of the "started" timestamp column ('' = none)
--   TG_ARGV[2]  name of the "finished" timestamp column ('' = none)
--   TG_ARGV[3]  the state that means "started" (default 'running')
-- On UPDATE a status change not listed is refused (check_violation). On entry
-- into the started state the started column is filled if NULL; on entry into a
-- terminal state the finished column is filled if NULL. INSERT may use any
-- status that the table's CHECK allows (backfills insert finished rows).
CREATE FUNCTION gs_enforce_status_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    transitions  jsonb := TG_ARGV[0]::jsonb;
    started_col  text  := nullif(TG_ARGV[1], '');
    finished_col text  := nullif(TG_ARGV[2], '');
    started_state text := coalesce(nullif(TG_ARGV[3], ''), 'running');
    row_json     jsonb;
    patch        jsonb := '{}'::jsonb;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.status IS DISTINCT FROM OLD.status THEN
        IF NOT coalesce((transitions -> OLD.status) ? NEW.status, false) THEN
            RAISE EXCEPTION 'invalid status transition on %: % -> %',
                            TG_TABLE_NAME, OLD.status, NEW.status
                USING ERRCODE = 'check_violation',
                      TABLE = TG_TABLE_NAME,
                      HINT = format('allowed from %s: %s', OLD.status,
                                    coalesce(transitions -> OLD.status, '[]'::jsonb));
        END IF;
    END IF;

    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        row_json := to_jsonb(NEW);
        IF started_col IS NOT NULL AND NEW.status = started_state
           AND row_json ->> started_col IS NULL THEN
            patch := patch || jsonb_build_object(started_col, now());
        END IF;
        IF finished_col IS NOT NULL
           AND jsonb_typeof(transitions -> NEW.status) = 'array'
           AND jsonb_array_length(transitions -> NEW.status) = 0
           AND row_json ->> finished_col IS NULL THEN
            patch := patch || jsonb_build_object(finished_col, now());
        END IF;
        IF patch <> '{}'::jsonb THEN
            NEW := jsonb_populate_record(NEW, patch);
        END IF;
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION gs_enforce_status_transition() IS
    'BEFORE INSERT OR UPDATE trigger. Args: transitions jsonb, started column, finished column, started state. Refuses unlisted status changes and stamps started/finished times.';

-- -----------------------------------------------------------------------------
-- Identity: one model for all seven databases
-- -----------------------------------------------------------------------------

-- The seed created a different "Default Organization" (random uuid) in each of
-- the seven databases, so the same organization had seven ids. Here the
-- application assigns ids deterministically (uuid5 of the slug / e-mail), and
-- upserts the same rows into every database; projects_db is the system of
-- record. gen_random_uuid() is only a fallback default.
CREATE TABLE organizations (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text        NOT NULL,
    slug        text        NOT NULL,
    description text,
    settings    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organizations_slug_key UNIQUE (slug),
    CONSTRAINT organizations_name_not_blank CHECK (btrim(name) <> ''),
    -- the slug is the input of the deterministic id: no blanks, no whitespace
    CONSTRAINT organizations_slug_format CHECK (slug ~ '^[^[:space:]]+$'),
    CONSTRAINT organizations_settings_object CHECK (jsonb_typeof(settings) = 'object'),
    CONSTRAINT organizations_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE organizations IS
    'Tenant identity, identical in all seven databases: id = uuid5(namespace, slug) assigned by the application; projects_db is the system of record.';

CREATE TABLE users (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- NULL: a person known only from git history or a webhook, not (yet) a
    -- member of any organization. Deleting an organization deletes its
    -- members; rows elsewhere that point at users use ON DELETE SET NULL so
    -- history survives the person.
    organization_id uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    email           text,
    username        text,
    display_name    text,
    role            text        NOT NULL DEFAULT 'member',
    -- provider -> id map, e.g. {"github": "octocat", "linear": "a1b2..."}
    external_ids    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    is_active       boolean     NOT NULL DEFAULT true,
    metadata        jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email),
    CONSTRAINT users_username_key UNIQUE (username),
    CONSTRAINT users_has_handle CHECK (email IS NOT NULL OR username IS NOT NULL),
    CONSTRAINT users_email_format CHECK (email IS NULL OR email ~ '^[^[:space:]@]+@[^[:space:]@]+$'),
    CONSTRAINT users_role_valid CHECK (role IN ('owner', 'admin', 'member', 'viewer', 'bot')),
    CONSTRAINT users_external_ids_object CHECK (jsonb_typeof(external_ids) = 'object'),
    CONSTRAINT users_metadata_object CHECK (jsonb_typeof(metadata) = 'object')
);

COMMENT ON TABLE users IS
    'Person identity, identical in all seven databases: id = uuid5(namespace, email or username) assigned by the application.';

CREATE INDEX users_organization_id_idx ON users (organization_id);
CREATE INDEX users_external_ids_gin ON users USING gin (external_ids jsonb_path_ops);

-- -----------------------------------------------------------------------------
-- Time partitioning
--
-- Time-series tables are RANGE partitioned by one timestamptz column into
-- monthly partitions <parent>_pYYYYMM (month boundaries in UTC, whatever the
-- session TimeZone) plus <parent>_default, which catches rows for months that
-- have no partition yet so an insert never fails for lack of a partition.
-- When TimescaleDB is installed the same tables are hypertables instead, and
-- these helpers do nothing (TimescaleDB manages chunks itself).
-- -----------------------------------------------------------------------------

CREATE FUNCTION gs_is_hypertable(rel regclass) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    found boolean := false;
BEGIN
    IF to_regclass('timescaledb_information.hypertables') IS NULL THEN
        RETURN false;
    END IF;
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables h
                            WHERE format(''%I.%I'', h.hypertable_schema, h.hypertable_name)::regclass = $1)'
        INTO found USING rel;
    RETURN found;
END
$$;

COMMENT ON FUNCTION gs_is_hypertable(regclass) IS
    'True when TimescaleDB is installed and rel is a hypertable (the partition helpers are then no-ops).';

-- Name of the monthly partition of parent that holds ts, e.g. events_p202501.
CREATE FUNCTION gs_time_partition_name(parent regclass, ts timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT c.relname || '_p' || to_char(date_trunc('month', ts AT TIME ZONE 'UTC'), 'YYYYMM')
    FROM pg_class c WHERE c.oid = parent
$$;

-- Internal worker: returns the partition and whether this call created it.
CREATE FUNCTION gs_ensure_time_partition_ex(parent regclass, ts timestamptz,
                                            OUT partition regclass, OUT created boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_schema  name;
    v_table   name;
    v_keycol  name;
    v_keytype regtype;
    v_default regclass;
    v_lower   timestamptz;
    v_upper   timestamptz;
    v_name    text;
    v_cols    text;
    v_moved   bigint := 0;
BEGIN
    created := false;
    IF parent IS NULL OR ts IS NULL THEN
        RAISE EXCEPTION 'gs_ensure_time_partition: parent and ts must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;

    IF public.gs_is_hypertable(parent) THEN
        partition := parent;
        RETURN;
    END IF;

    SELECT ns.nspname, c.relname, a.attname, a.atttypid::regtype,
           nullif(pt.partdefid, 0)::regclass
      INTO v_schema, v_table, v_keycol, v_keytype, v_default
      FROM pg_partitioned_table pt
      JOIN pg_class c      ON c.oid = pt.partrelid
      JOIN pg_namespace ns ON ns.oid = c.relnamespace
      JOIN pg_attribute a  ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
     WHERE pt.partrelid = parent
       AND pt.partstrat = 'r'
       AND pt.partnatts = 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is not range partitioned on a single column', parent
            USING ERRCODE = 'wrong_object_type';
    END IF;
    IF v_keytype <> 'timestamptz'::regtype THEN
        RAISE EXCEPTION 'partition key %.% of % is %, expected timestamptz',
                        v_table, v_keycol, parent, v_keytype
            USING ERRCODE = 'wrong_object_type';
    END IF;

    -- Month boundaries computed in UTC: timestamptz + interval '1 month' would
    -- otherwise follow the session TimeZone (and its DST shifts).
    v_lower := date_trunc('month', ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    v_upper := (date_trunc('month', ts AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
    v_name  := v_table || '_p' || to_char(v_lower AT TIME ZONE 'UTC', 'YYYYMM');
    IF length(v_name) > 63 THEN
        RAISE EXCEPTION 'partition name % would exceed 63 bytes', v_name
            USING ERRCODE = 'name_too_long';
    END IF;

    -- Fast path: already there (the common case, no lock taken).
    partition := to_regclass(format('%I.%I', v_schema, v_name));
    IF partition IS NOT NULL THEN
        RETURN;
    END IF;

    -- Serialize creators of partitions of this parent. The advisory lock is
    -- keyed on the parent's oid (single-bigint key space; task_db's graph
    -- locks use the two-int key space, so they can never collide). The
    -- SHARE UPDATE EXCLUSIVE lock is what ATTACH needs anyway; taking it here
    -- also makes this backend process catalog invalidations, so the re-check
    -- below sees a partition another session committed while we waited. It
    -- does not block INSERT/SELECT on the parent.
    PERFORM pg_advisory_xact_lock(parent::oid::bigint);
    EXECUTE format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE', parent);

    IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
                WHERE ns.nspname = v_schema AND c.relname = v_name) THEN
        partition := format('%I.%I', v_schema, v_name)::regclass;
        RETURN;
    END IF;

    -- Build the partition as a standalone table and ATTACH it, rather than
    -- CREATE TABLE ... PARTITION OF: ATTACH needs only SHARE UPDATE EXCLUSIVE
    -- on the parent, so concurrent writers keep going, and it lets us move the
    -- month's rows out of the default partition first (otherwise the attach
    -- would fail: "updated partition constraint for default partition would be
    -- violated"). Indexes are not copied: ATTACH builds the parent's indexes
    -- on the new partition after the rows are in, which is cheaper.
    EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING CONSTRAINTS '
                   'INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING GENERATED)',
                   v_schema, v_name, parent);

    IF v_default IS NOT NULL THEN
        -- ACCESS EXCLUSIVE on the default partition (ATTACH takes it anyway):
        -- no new row can land there between the move and the attach.
        EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', v_default);

        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
          INTO v_cols
          FROM pg_attribute a
         WHERE a.attrelid = parent AND a.attnum > 0
           AND NOT a.attisdropped AND a.attgenerated = '';

        EXECUTE format('WITH moved AS (DELETE FROM %s WHERE %I >= $1 AND %I < $2 RETURNING %s) '
                       'INSERT INTO %I.%I (%s) SELECT %s FROM moved',
                       v_default, v_keycol, v_keycol, v_cols,
                       v_schema, v_name, v_cols, v_cols)
            USING v_lower, v_upper;
        GET DIAGNOSTICS v_moved = ROW_COUNT;
    END IF;

    -- Bounds are spelled in UTC with an explicit offset so that neither
    -- TimeZone nor DateStyle of the session can change their meaning.
    EXECUTE format('ALTER TABLE %s ATTACH PARTITION %I.%I FOR VALUES FROM (%L) TO (%L)',
                   parent, v_schema, v_name,
                   to_char(v_lower AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00',
                   to_char(v_upper AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || '+00');

    IF v_moved > 0 THEN
        RAISE NOTICE 'gs_ensure_time_partition: moved % row(s) from % into %.%',
                     v_moved, v_default, v_schema, v_name;
    END IF;

    partition := format('%I.%I', v_schema, v_name)::regclass;
    created := true;
END
$$;

CREATE FUNCTION gs_ensure_time_partition(parent regclass, ts timestamptz) RETURNS regclass
LANGUAGE sql AS $$
    SELECT (public.gs_ensure_time_partition_ex(parent, ts)).partition
$$;

COMMENT ON FUNCTION gs_ensure_time_partition(regclass, timestamptz) IS
    'Returns the monthly partition <parent>_pYYYYMM holding ts, creating it if missing (rows of that month found in <parent>_default are moved into it first). Concurrency safe. Returns parent itself for a TimescaleDB hypertable.';

CREATE FUNCTION gs_create_time_partitions(parent regclass, months_back integer, months_ahead integer)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    base    timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
    i       integer;
    n       integer := 0;
    res     record;
BEGIN
    IF months_back IS NULL OR months_ahead IS NULL OR months_back < 0 OR months_ahead < 0 THEN
        RAISE EXCEPTION 'months_back and months_ahead must be >= 0'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF public.gs_is_hypertable(parent) THEN
        RETURN 0;
    END IF;
    FOR i IN -months_back .. months_ahead LOOP
        res := public.gs_ensure_time_partition_ex(
                   parent, (base + make_interval(months => i)) AT TIME ZONE 'UTC');
        IF res.created THEN
            n := n + 1;
        END IF;
    END LOOP;
    RETURN n;
END
$$;

COMMENT ON FUNCTION gs_create_time_partitions(regclass, integer, integer) IS
    'Ensures monthly partitions from months_back months before the current (UTC) month to months_ahead months after it; returns how many were created. Run it periodically (setup, ingest, a daily job).';

CREATE FUNCTION gs_drop_time_partitions(parent regclass, older_than timestamptz)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    r       record;
    v_upper timestamptz;
    v_stem  text;
BEGIN
    IF older_than IS NULL THEN
        RAISE EXCEPTION 'older_than must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF public.gs_is_hypertable(parent) THEN
        RETURN;  -- retention of hypertables is TimescaleDB's drop_chunks()
    END IF;

    SELECT c.relname || '_p' INTO v_stem FROM pg_class c WHERE c.oid = parent;
    PERFORM pg_advisory_xact_lock(parent::oid::bigint);

    FOR r IN
        SELECT c.oid::regclass AS part, c.relname::text AS relname,
               pg_get_expr(c.relpartbound, c.oid) AS bound
          FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = parent
         ORDER BY c.relname
    LOOP
        -- Only our monthly partitions; never the default, never a partition
        -- someone attached by hand under another name.
        CONTINUE WHEN r.bound = 'DEFAULT';
        CONTINUE WHEN left(r.relname, length(v_stem)) <> v_stem
                   OR substr(r.relname, length(v_stem) + 1) !~ '^[0-9]{6}$';
        v_upper := (regexp_match(r.bound, $re$TO \('([^']+)'\)$re$))[1]::timestamptz;
        CONTINUE WHEN v_upper IS NULL OR v_upper > older_than;
        EXECUTE format('DROP TABLE %s', r.part);
        RETURN NEXT r.relname;
    END LOOP;
END
$$;

COMMENT ON FUNCTION gs_drop_time_partitions(regclass, timestamptz) IS
    'Retention: drops the monthly partitions <parent>_pYYYYMM whose upper bound <= older_than (never the default partition) and returns their names. No-op for TimescaleDB hypertables.';

-- Creates a time-series table from one CREATE TABLE statement (given WITHOUT a
-- PARTITION BY clause), so the DDL is written once for both storage engines:
--   * TimescaleDB installed in this database: plain table + create_hypertable
--     with 1-month chunks (untested path: TimescaleDB is not available on our
--     build machines);
--   * otherwise: PARTITION BY RANGE (time_column), a <table>_default
--     partition and monthly partitions months_back .. months_ahead.
-- Every PRIMARY KEY / UNIQUE in the DDL must include time_column (both
-- engines require it). Returns 'hypertable' or 'partitioned'.
CREATE FUNCTION gs_create_time_series_table(table_name text, time_column text, create_table_sql text,
                                            months_back integer DEFAULT 1, months_ahead integer DEFAULT 3)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_sql    text := regexp_replace(create_table_sql, ';[[:space:]]*$', '');
    v_tsdb   name;
    v_rel    regclass;
    v_schema name;
    v_name   name;
BEGIN
    IF v_sql ~* 'partition[[:space:]]+by' THEN
        RAISE EXCEPTION 'gs_create_time_series_table: pass the CREATE TABLE without PARTITION BY'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    SELECT ns.nspname INTO v_tsdb
      FROM pg_extension e JOIN pg_namespace ns ON ns.oid = e.extnamespace
     WHERE e.extname = 'timescaledb';

    IF v_tsdb IS NOT NULL THEN
        EXECUTE v_sql;
        v_rel := table_name::regclass;
        EXECUTE format('SELECT %I.create_hypertable(%L::regclass, %L, chunk_time_interval => interval ''1 month'')',
                       v_tsdb, v_rel::text, time_column);
        RETURN 'hypertable';
    END IF;

    -- newline first: the DDL may end with a -- comment
    EXECUTE v_sql || format(E'\nPARTITION BY RANGE (%I)', time_column);
    v_rel := table_name::regclass;
    SELECT ns.nspname, c.relname INTO v_schema, v_name
      FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE c.oid = v_rel;
    EXECUTE format('CREATE TABLE %I.%I PARTITION OF %s DEFAULT', v_schema, v_name || '_default', v_rel);
    PERFORM public.gs_create_time_partitions(v_rel, months_back, months_ahead);
    RETURN 'partitioned';
END
$$;

COMMENT ON FUNCTION gs_create_time_series_table(text, text, text, integer, integer) IS
    'Creates a time-series table: a TimescaleDB hypertable when the extension is installed, else a RANGE-partitioned table with a default partition and monthly partitions.';

SELECT gs_install_updated_at_triggers();
