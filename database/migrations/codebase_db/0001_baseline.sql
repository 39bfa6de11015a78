-- =============================================================================
-- codebase_db/0001_baseline.sql — codebases, analysis runs, per-file state,
-- code elements, relationships, external dependencies, symbol metric history.
--
-- LOAD PATH: code_elements, relationships, file_analysis and
-- element_metrics_history are bulk-loaded with COPY (hundreds of thousands of
-- rows per run). They deliberately have NO foreign keys (each FK fires an RI
-- trigger per row, which would dominate load time), no row triggers, and only
-- the indexes queries need. Their references (codebase_id, run_id, parent_id,
-- source_id, target_id, external_dependency_id) are maintained by the loader;
-- the one ON DELETE they need is emulated: deleting (or truncating) codebases
-- deletes their rows (trigger codebases_delete_bulk_rows).
-- =============================================================================

-- -----------------------------------------------------------------------------
-- codebases
-- -----------------------------------------------------------------------------
CREATE TABLE codebases (
    id                    uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id       uuid         REFERENCES organizations (id) ON DELETE CASCADE,
    -- projects_db.projects / projects_db.repositories ids (other database: no FK)
    project_id            uuid,
    repository_id         uuid,
    name                  text         NOT NULL,
    description           text,
    root_path             text,        -- local checkout that was analysed
    repository_url        text,
    repository_type       text         NOT NULL DEFAULT 'git',
    branch                text,
    commit_hash           text,        -- head commit of the last analysis
    language              text,        -- primary language
    languages             jsonb        NOT NULL DEFAULT '{}'::jsonb,
    framework             text,
    analysis_config       jsonb        NOT NULL DEFAULT '{}'::jsonb,
    include_patterns      jsonb        NOT NULL DEFAULT '[]'::jsonb,
    exclude_patterns      jsonb        NOT NULL DEFAULT '[]'::jsonb,
    total_files           integer      NOT NULL DEFAULT 0,
    total_lines           bigint       NOT NULL DEFAULT 0,
    total_functions       integer      NOT NULL DEFAULT 0,
    total_classes         integer      NOT NULL DEFAULT 0,
    complexity_score      numeric(8,2),
    maintainability_index numeric(5,2),
    technical_debt_ratio  numeric(5,2),
    last_analyzed_at      timestamptz,
    last_run_id           uuid,        -- FK added after analysis_runs
    analysis_status       text         NOT NULL DEFAULT 'pending',
    external_codebase_id  text,
    tags                  text[]       NOT NULL DEFAULT '{}',
    metadata              jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz  NOT NULL DEFAULT now(),
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    deleted_at            timestamptz,
    CONSTRAINT codebases_name_org_unique UNIQUE NULLS NOT DISTINCT (organization_id, name),
    CONSTRAINT codebases_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT codebases_repository_type_valid CHECK (repository_type IN ('git', 'svn', 'mercurial', 'perforce', 'none', 'other')),
    CONSTRAINT codebases_commit_hash_format CHECK (commit_hash IS NULL OR commit_hash ~ '^([0-9a-f]{40}|[0-9a-f]{64})$'),
    CONSTRAINT codebases_analysis_status_valid CHECK (analysis_status IN (
        'pending', 'running', 'completed', 'failed', 'partial', 'cancelled')),
    CONSTRAINT codebases_stats_non_negative CHECK (
        total_files >= 0 AND total_lines >= 0 AND total_functions >= 0 AND total_classes >= 0),
    CONSTRAINT codebases_maintainability_valid CHECK (maintainability_index BETWEEN 0 AND 100),
    CONSTRAINT codebases_languages_object CHECK (jsonb_typeof(languages) = 'object')
);

-- one codebase per checkout (usable as ON CONFLICT (organization_id, root_path) WHERE root_path IS NOT NULL)
CREATE UNIQUE INDEX codebases_org_root_path_key ON codebases (organization_id, root_path)
    NULLS NOT DISTINCT WHERE root_path IS NOT NULL;
CREATE INDEX codebases_repository_url_idx ON codebases (repository_url) WHERE repository_url IS NOT NULL;
CREATE INDEX codebases_project_id_idx ON codebases (project_id) WHERE project_id IS NOT NULL;

-- -----------------------------------------------------------------------------
-- analysis_runs
-- -----------------------------------------------------------------------------
CREATE TABLE analysis_runs (
    id                          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    -- runs are part of their codebase's history and go with it
    codebase_id                 uuid        NOT NULL REFERENCES codebases (id) ON DELETE CASCADE,
    organization_id             uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    run_type                    text        NOT NULL DEFAULT 'full',
    status                      text        NOT NULL DEFAULT 'running',
    started_at                  timestamptz NOT NULL DEFAULT now(),
    finished_at                 timestamptz,
    duration_ms                 bigint,
    -- {"discover": 12.5, "parse": 840.1, "load": 310.0, ...} milliseconds per phase
    phase_timings               jsonb       NOT NULL DEFAULT '{}'::jsonb,
    commit_hash                 text,
    branch                      text,
    tool_version                text,
    analysis_config             jsonb       NOT NULL DEFAULT '{}'::jsonb,
    include_patterns            jsonb       NOT NULL DEFAULT '[]'::jsonb,
    exclude_patterns            jsonb       NOT NULL DEFAULT '[]'::jsonb,
    files_discovered            integer     NOT NULL DEFAULT 0,
    files_analyzed              integer     NOT NULL DEFAULT 0,
    files_skipped               integer     NOT NULL DEFAULT 0,
    files_failed                integer     NOT NULL DEFAULT 0,
    elements_found              integer     NOT NULL DEFAULT 0,
    relationships_found         integer     NOT NULL DEFAULT 0,
    external_dependencies_found integer     NOT NULL DEFAULT 0,
    issues_found                integer     NOT NULL DEFAULT 0,
    total_lines                 bigint      NOT NULL DEFAULT 0,
    overall_complexity          numeric(8,2),
    overall_maintainability     numeric(5,2),
    technical_debt_hours        numeric(10,2),
    error_message               text,
    error_detail                jsonb,
    warnings                    jsonb       NOT NULL DEFAULT '[]'::jsonb,
    triggered_by                uuid        REFERENCES users (id) ON DELETE SET NULL,
    trigger_source              text,
    metadata                    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT analysis_runs_run_type_valid CHECK (run_type IN ('full', 'incremental', 'targeted')),
    CONSTRAINT analysis_runs_status_valid CHECK (status IN ('running', 'completed', 'failed', 'cancelled')),
    CONSTRAINT analysis_runs_finished_consistent CHECK ((status = 'running') = (finished_at IS NULL)),
    CONSTRAINT analysis_runs_finished_after_started CHECK (finished_at IS NULL OR finished_at >= started_at),
    CONSTRAINT analysis_runs_failed_has_error CHECK (status <> 'failed' OR error_message IS NOT NULL),
    CONSTRAINT analysis_runs_phase_timings_object CHECK (jsonb_typeof(phase_timings) = 'object'),
    CONSTRAINT analysis_runs_commit_hash_format CHECK (commit_hash IS NULL OR commit_hash ~ '^([0-9a-f]{40}|[0-9a-f]{64})$'),
    CONSTRAINT analysis_runs_counts_non_negative CHECK (
        coalesce(duration_ms, 0) >= 0 AND files_discovered >= 0 AND files_analyzed >= 0
        AND files_skipped >= 0 AND files_failed >= 0 AND elements_found >= 0
        AND relationships_found >= 0 AND external_dependencies_found >= 0
        AND issues_found >= 0 AND total_lines >= 0),
    CONSTRAINT analysis_runs_maintainability_valid CHECK (overall_maintainability BETWEEN 0 AND 100)
);

CREATE INDEX analysis_runs_codebase_id_idx ON analysis_runs (codebase_id, started_at DESC);
CREATE INDEX analysis_runs_organization_id_idx ON analysis_runs (organization_id);
CREATE INDEX analysis_runs_triggered_by_idx ON analysis_runs (triggered_by);
CREATE INDEX analysis_runs_running_idx ON analysis_runs (status) WHERE status = 'running';

-- running -> completed | failed | cancelled, then final; finished_at is stamped on the way out.
CREATE TRIGGER analysis_runs_status_transition
    BEFORE INSERT OR UPDATE OF status ON analysis_runs
    FOR EACH ROW EXECUTE FUNCTION gs_enforce_status_transition(
        '{"running": ["completed", "failed", "cancelled"], "completed": [], "failed": [], "cancelled": []}',
        'started_at', 'finished_at', 'running');

ALTER TABLE codebases
    ADD CONSTRAINT codebases_last_run_fk FOREIGN KEY (last_run_id)
        REFERENCES analysis_runs (id) ON DELETE SET NULL;
CREATE INDEX codebases_last_run_id_idx ON codebases (last_run_id) WHERE last_run_id IS NOT NULL;

-- -----------------------------------------------------------------------------
-- file_analysis: current state of each file of a codebase (upserted per run)
-- -----------------------------------------------------------------------------
CREATE TABLE file_analysis (
    id                    uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    codebase_id           uuid         NOT NULL,   -- no FK: see header; codebases trigger deletes
    file_path             text         COLLATE "C" NOT NULL,   -- relative to the codebase root, '/' separated
    file_type             text         NOT NULL DEFAULT 'source',
    language              text,
    content_hash          text,        -- hex digest of the file bytes, for incremental runs
    file_size_bytes       bigint,
    mtime_ns              bigint,      -- mtime seen by the last run: with the size, a cheap "unchanged" test before hashing
    total_lines           integer,
    code_lines            integer,
    comment_lines         integer,
    blank_lines           integer,
    parse_error_count     integer      NOT NULL DEFAULT 0,
    functions_count       integer      NOT NULL DEFAULT 0,
    classes_count         integer      NOT NULL DEFAULT 0,
    cyclomatic_complexity integer,     -- sum over the file's functions
    -- Normalised 0..100 (Visual Studio scale: max(0, (171 - ...) * 100 / 171)).
    maintainability_index numeric(5,2),
    skipped_reason        text,        -- NULL = analysed; else e.g. 'binary', 'too_large', 'ignored'
    last_run_id           uuid,        -- run that last wrote this row (provenance, no FK)
    -- the file's extraction result (pickled by graph_sitter, without docstrings): incremental runs re-resolve
    -- the edges of unchanged files from it instead of re-parsing them; not meant for SQL consumers.
    -- call_references holds the file's calls apart: nine references in ten, needed only when the file's own
    -- edges are re-resolved, not when it merely stands in for its definitions and imports.
    summary               bytea,
    call_references       bytea,
    analyzed_at           timestamptz  NOT NULL DEFAULT now(),
    metadata              jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz  NOT NULL DEFAULT now(),
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT file_analysis_codebase_path_unique UNIQUE (codebase_id, file_path),
    CONSTRAINT file_analysis_path_not_empty CHECK (file_path <> ''),
    CONSTRAINT file_analysis_file_type_valid CHECK (file_type IN (
        'source', 'test', 'config', 'documentation', 'build', 'data', 'binary', 'unknown')),
    CONSTRAINT file_analysis_counts_non_negative CHECK (
        coalesce(file_size_bytes, 0) >= 0 AND coalesce(total_lines, 0) >= 0
        AND coalesce(code_lines, 0) >= 0 AND coalesce(comment_lines, 0) >= 0
        AND coalesce(blank_lines, 0) >= 0 AND parse_error_count >= 0
        AND functions_count >= 0 AND classes_count >= 0 AND coalesce(cyclomatic_complexity, 0) >= 0),
    CONSTRAINT file_analysis_lines_within_total CHECK (
        total_lines IS NULL OR (coalesce(code_lines, 0) <= total_lines
                                AND coalesce(comment_lines, 0) <= total_lines
                                AND coalesce(blank_lines, 0) <= total_lines)),
    CONSTRAINT file_analysis_maintainability_valid CHECK (maintainability_index BETWEEN 0 AND 100)
);

CREATE INDEX file_analysis_last_run_id_idx ON file_analysis (last_run_id);
-- pickled by graph_sitter, never compressible by pglz: stored out of line as is
ALTER TABLE file_analysis ALTER COLUMN summary SET STORAGE EXTERNAL, ALTER COLUMN call_references SET STORAGE EXTERNAL;

-- -----------------------------------------------------------------------------
-- code_elements: symbols (bulk-loaded, see header)
-- -----------------------------------------------------------------------------
-- code_elements and relationships are LIST-partitioned by codebase_id, one partition per codebase
-- (code_elements_<codebase hex>, relationships_<codebase hex>, created with the codebase by the loader). A full
-- run loads fresh tables without indexes, then swaps them in as the codebase's partitions, so the indexes are
-- built once, sorted, instead of row by row; an incremental run deletes and copies inside the partition.
-- Every unique key leads with codebase_id, the distribution column should these tables move to Citus.
CREATE TABLE code_elements (
    id                    uuid        NOT NULL DEFAULT gen_random_uuid(),  -- normally supplied by the loader
    codebase_id           uuid        NOT NULL,
    run_id                uuid,
    kind                  text        NOT NULL,
    language              text,
    name                  text        COLLATE "C" NOT NULL,
    qualified_name        text        COLLATE "C",
    file_path             text        COLLATE "C" NOT NULL,
    start_line            integer,
    end_line              integer,
    start_column          integer,
    end_column            integer,
    start_byte            integer,
    end_byte              integer,
    signature             text,
    docstring             text,
    parent_id             uuid,       -- enclosing element (code_elements.id), NULL for top level
    visibility            text,       -- language-specific spelling; unchecked on purpose (one odd value must not fail a COPY)
    is_async              boolean     NOT NULL DEFAULT false,
    is_static             boolean     NOT NULL DEFAULT false,
    is_abstract           boolean     NOT NULL DEFAULT false,
    is_exported           boolean     NOT NULL DEFAULT false,
    decorators            text[],
    parameters            text[],
    return_type           text,
    cyclomatic_complexity integer,
    nloc                  integer,
    token_count           integer,
    parameter_count       integer,
    max_nesting_depth     integer,
    metadata              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT code_elements_kind_valid CHECK (kind IN (
        'module', 'class', 'interface', 'struct', 'enum', 'trait', 'type_alias',
        'function', 'method', 'variable', 'constant', 'import')),
    CONSTRAINT code_elements_not_own_parent CHECK (parent_id <> id),
    CONSTRAINT code_elements_positions_valid CHECK (
        coalesce(start_line, 0) >= 0 AND coalesce(start_column, 0) >= 0 AND coalesce(start_byte, 0) >= 0
        AND (end_line IS NULL OR start_line IS NULL OR end_line >= start_line)
        AND (end_byte IS NULL OR start_byte IS NULL OR end_byte >= start_byte)),
    CONSTRAINT code_elements_metrics_non_negative CHECK (
        coalesce(cyclomatic_complexity, 0) >= 0 AND coalesce(nloc, 0) >= 0
        AND coalesce(token_count, 0) >= 0 AND coalesce(parameter_count, 0) >= 0
        AND coalesce(max_nesting_depth, 0) >= 0),
    CONSTRAINT code_elements_pkey PRIMARY KEY (codebase_id, id)
) PARTITION BY LIST (codebase_id);
-- (the seed's file_analysis_id FK is replaced by (codebase_id, file_path),
-- which the loader has without a round trip)

-- Paths and identifiers are COLLATE "C": byte-wise comparison is cheaper to
-- maintain during COPY than a linguistic collation, independent of the
-- server's locale, and lets these btrees serve prefix searches
-- (file_path LIKE 'src/pkg/%', qualified_name LIKE 'pkg.mod.%').
CREATE INDEX code_elements_codebase_file_idx ON code_elements (codebase_id, file_path);
CREATE INDEX code_elements_codebase_qualified_name_idx ON code_elements (codebase_id, qualified_name);

-- -----------------------------------------------------------------------------
-- relationships: edges between elements (bulk-loaded, see header)
-- -----------------------------------------------------------------------------
CREATE TABLE relationships (
    id                     uuid        NOT NULL DEFAULT gen_random_uuid(),
    codebase_id            uuid        NOT NULL,
    run_id                 uuid,
    kind                   text        NOT NULL,
    source_id              uuid        NOT NULL,   -- code_elements.id
    target_id              uuid,                   -- code_elements.id when resolved inside the codebase
    target_name            text        COLLATE "C",  -- the name as written at the use site
    external_dependency_id uuid,                   -- external_dependencies.id when it resolves outside
    resolved               boolean     NOT NULL DEFAULT false,
    file_path              text        COLLATE "C",
    line                   integer,
    metadata               jsonb       NOT NULL DEFAULT '{}'::jsonb,
    created_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT relationships_kind_valid CHECK (kind IN (
        'contains', 'imports', 'calls', 'inherits', 'implements', 'decorates', 'references')),
    CONSTRAINT relationships_target_named CHECK (
        target_id IS NOT NULL OR target_name IS NOT NULL OR external_dependency_id IS NOT NULL),
    CONSTRAINT relationships_resolved_has_target CHECK (
        NOT resolved OR target_id IS NOT NULL OR external_dependency_id IS NOT NULL),
    CONSTRAINT relationships_line_non_negative CHECK (line >= 0),
    CONSTRAINT relationships_pkey PRIMARY KEY (codebase_id, id)
) PARTITION BY LIST (codebase_id);

-- callers (target) and callees (source); a run replaces a file's edges by file_path, which scans one
-- codebase's partition only, so it needs no index of its own.
-- contains edges are left out: parent_id on code_elements answers "what is inside", and they are a fifth of
-- all edges.
CREATE INDEX relationships_codebase_source_idx ON relationships (codebase_id, source_id) WHERE kind <> 'contains';
CREATE INDEX relationships_codebase_target_idx ON relationships (codebase_id, target_id) WHERE kind <> 'contains';
-- the module import graph (cycles, dependencies between files): a few percent of the edges
CREATE INDEX relationships_codebase_imports_idx ON relationships (codebase_id, file_path) WHERE kind = 'imports';

-- -----------------------------------------------------------------------------
-- external_dependencies (small: real foreign key)
-- -----------------------------------------------------------------------------
CREATE TABLE external_dependencies (
    id                  uuid         PRIMARY KEY DEFAULT gen_random_uuid(),
    codebase_id         uuid         NOT NULL REFERENCES codebases (id) ON DELETE CASCADE,
    name                text         NOT NULL,
    ecosystem           text         NOT NULL DEFAULT 'unknown',  -- pypi, npm, cargo, go, maven, stdlib, ...
    version             text,
    version_constraint  text,
    description         text,
    license             text,
    homepage_url        text,
    repository_url      text,
    usage_count         integer      NOT NULL DEFAULT 0,
    is_dev_dependency   boolean      NOT NULL DEFAULT false,
    is_optional         boolean      NOT NULL DEFAULT false,
    is_deprecated       boolean      NOT NULL DEFAULT false,
    is_declared         boolean      NOT NULL DEFAULT false,  -- listed in a manifest, not only imported
    vulnerability_count integer      NOT NULL DEFAULT 0,
    security_score      numeric(5,2),
    maintenance_score   numeric(5,2),
    first_seen_run_id   uuid,
    last_seen_run_id    uuid,
    metadata            jsonb        NOT NULL DEFAULT '{}'::jsonb,
    created_at          timestamptz  NOT NULL DEFAULT now(),
    updated_at          timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT external_dependencies_unique UNIQUE (codebase_id, ecosystem, name),
    CONSTRAINT external_dependencies_name_not_empty CHECK (btrim(name) <> ''),
    CONSTRAINT external_dependencies_counts_non_negative CHECK (usage_count >= 0 AND vulnerability_count >= 0),
    CONSTRAINT external_dependencies_scores_valid CHECK (
        security_score BETWEEN 0 AND 100 AND maintenance_score BETWEEN 0 AND 100)
);

CREATE INDEX external_dependencies_name_idx ON external_dependencies (ecosystem, name);

-- -----------------------------------------------------------------------------
-- element_metrics_history: a symbol's metrics in every run (bulk-loaded)
-- -----------------------------------------------------------------------------
CREATE TABLE element_metrics_history (
    id                    uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    codebase_id           uuid        NOT NULL,
    run_id                uuid        NOT NULL,  -- analysis_runs.id; deleting the run deletes these rows
    qualified_name        text        COLLATE "C" NOT NULL,
    kind                  text,
    language              text,
    file_path             text        COLLATE "C",
    start_line            integer,
    end_line              integer,
    cyclomatic_complexity integer,
    nloc                  integer,
    token_count           integer,
    parameter_count       integer,
    max_nesting_depth     integer,
    recorded_at           timestamptz NOT NULL DEFAULT now(),
    metadata              jsonb       NOT NULL DEFAULT '{}'::jsonb,
    CONSTRAINT element_metrics_history_metrics_non_negative CHECK (
        coalesce(cyclomatic_complexity, 0) >= 0 AND coalesce(nloc, 0) >= 0
        AND coalesce(token_count, 0) >= 0 AND coalesce(parameter_count, 0) >= 0
        AND coalesce(max_nesting_depth, 0) >= 0)
);
-- Not unique on (run, qualified_name): some languages repeat a qualified name
-- (overloads, redefinitions), and a duplicate must not abort a COPY.

CREATE INDEX element_metrics_history_symbol_idx ON element_metrics_history (codebase_id, qualified_name, recorded_at);
CREATE INDEX element_metrics_history_run_id_idx ON element_metrics_history (run_id);

-- -----------------------------------------------------------------------------
-- Emulated ON DELETE CASCADE for the foreign-key-free tables
-- -----------------------------------------------------------------------------
-- Statement-level with a transition table: one set-based DELETE per table
-- however many codebases a statement deletes.
CREATE FUNCTION codebases_delete_bulk_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM public.relationships r           USING deleted_codebases d WHERE r.codebase_id = d.id;
    DELETE FROM public.code_elements e           USING deleted_codebases d WHERE e.codebase_id = d.id;
    DELETE FROM public.file_analysis f           USING deleted_codebases d WHERE f.codebase_id = d.id;
    DELETE FROM public.element_metrics_history h USING deleted_codebases d WHERE h.codebase_id = d.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER codebases_delete_bulk_rows
    AFTER DELETE ON codebases
    REFERENCING OLD TABLE AS deleted_codebases
    FOR EACH STATEMENT EXECUTE FUNCTION codebases_delete_bulk_rows();

-- TRUNCATE codebases [CASCADE] must not leave the bulk tables behind either.
CREATE FUNCTION codebases_truncate_bulk_rows() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE public.relationships, public.code_elements, public.file_analysis, public.element_metrics_history;
    RETURN NULL;
END
$$;

CREATE TRIGGER codebases_truncate_bulk_rows
    AFTER TRUNCATE ON codebases
    FOR EACH STATEMENT EXECUTE FUNCTION codebases_truncate_bulk_rows();

-- A run's metric history goes with the run. (code_elements / relationships /
-- file_analysis hold the current state; their run_id is provenance only and
-- is left as is when an older run is pruned.)
CREATE FUNCTION analysis_runs_delete_history() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM public.element_metrics_history h USING deleted_runs d WHERE h.run_id = d.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER analysis_runs_delete_history
    AFTER DELETE ON analysis_runs
    REFERENCING OLD TABLE AS deleted_runs
    FOR EACH STATEMENT EXECUTE FUNCTION analysis_runs_delete_history();

-- -----------------------------------------------------------------------------
-- Views (the seed's codebase_overview joined files x elements x relationships
-- x runs and de-duplicated with COUNT(DISTINCT): quadratic; now independent
-- aggregates per codebase)
-- -----------------------------------------------------------------------------
CREATE VIEW codebase_overview AS
SELECT c.id, c.organization_id, c.name, c.root_path, c.repository_url, c.branch, c.commit_hash,
       c.language, c.analysis_status, c.last_analyzed_at, c.last_run_id,
       (SELECT count(*) FROM file_analysis fa WHERE fa.codebase_id = c.id)            AS analyzed_files,
       (SELECT avg(fa.maintainability_index) FROM file_analysis fa
         WHERE fa.codebase_id = c.id)::numeric(5,2)                                   AS avg_maintainability_index,
       (SELECT count(*) FROM code_elements ce WHERE ce.codebase_id = c.id)             AS total_elements,
       (SELECT count(*) FROM relationships r WHERE r.codebase_id = c.id)               AS total_relationships,
       (SELECT count(*) FROM external_dependencies ed WHERE ed.codebase_id = c.id)     AS total_external_dependencies,
       (SELECT max(ar.finished_at) FROM analysis_runs ar
         WHERE ar.codebase_id = c.id AND ar.status = 'completed')                      AS last_analysis_completed
  FROM codebases c
 WHERE c.deleted_at IS NULL;

CREATE VIEW code_complexity_analysis AS
SELECT ce.codebase_id,
       ce.kind,
       count(*)                                              AS element_count,
       avg(ce.cyclomatic_complexity)::numeric(8,2)           AS avg_complexity,
       max(ce.cyclomatic_complexity)                         AS max_complexity,
       count(*) FILTER (WHERE ce.cyclomatic_complexity > 10) AS high_complexity_count
  FROM code_elements ce
 WHERE ce.kind IN ('function', 'method')
 GROUP BY ce.codebase_id, ce.kind;

CREATE VIEW dependency_analysis AS
SELECT c.id AS codebase_id,
       c.name AS codebase_name,
       count(ed.id)                                               AS total_dependencies,
       count(ed.id) FILTER (WHERE NOT ed.is_dev_dependency)       AS production_dependencies,
       count(ed.id) FILTER (WHERE ed.vulnerability_count > 0)     AS vulnerable_dependencies,
       avg(ed.security_score)::numeric(5,2)                       AS avg_security_score
  FROM codebases c
  LEFT JOIN external_dependencies ed ON ed.codebase_id = c.id
 WHERE c.deleted_at IS NULL
 GROUP BY c.id, c.name;

SELECT gs_install_updated_at_triggers();
