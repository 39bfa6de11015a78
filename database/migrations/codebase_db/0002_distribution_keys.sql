-- =============================================================================
-- codebase_db/0002_distribution_keys.sql — every table that grows with the
-- code keeps codebase_id in each of its unique keys, so that on Citus they can
-- all be distributed by codebase_id and co-located (a codebase's files, runs,
-- elements, edges, packages and metric history on one node, joined there).
-- code_elements and relationships had it from the start; these four had a
-- primary key on id alone. codebases itself stays a small reference table.
-- Lookups by id alone keep a plain (non-unique) index.
-- =============================================================================

ALTER TABLE codebases DROP CONSTRAINT codebases_last_run_fk;

ALTER TABLE analysis_runs DROP CONSTRAINT analysis_runs_pkey;
ALTER TABLE analysis_runs ADD CONSTRAINT analysis_runs_pkey PRIMARY KEY (codebase_id, id);
CREATE INDEX analysis_runs_id_idx ON analysis_runs (id);

-- A codebase's last run is one of its own runs (the FK now says so, too).
ALTER TABLE codebases ADD CONSTRAINT codebases_last_run_fk FOREIGN KEY (id, last_run_id)
    REFERENCES analysis_runs (codebase_id, id) ON DELETE SET NULL (last_run_id);

ALTER TABLE file_analysis DROP CONSTRAINT file_analysis_pkey;
ALTER TABLE file_analysis ADD CONSTRAINT file_analysis_pkey PRIMARY KEY (codebase_id, id);

ALTER TABLE external_dependencies DROP CONSTRAINT external_dependencies_pkey;
ALTER TABLE external_dependencies ADD CONSTRAINT external_dependencies_pkey PRIMARY KEY (codebase_id, id);
CREATE INDEX external_dependencies_id_idx ON external_dependencies (id);

ALTER TABLE element_metrics_history DROP CONSTRAINT element_metrics_history_pkey;
ALTER TABLE element_metrics_history ADD CONSTRAINT element_metrics_history_pkey PRIMARY KEY (codebase_id, id);
