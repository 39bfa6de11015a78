-- =============================================================================
-- task_db/0002_finding_tasks.sql — tasks created from analysis findings.
--
-- The built-in tasks plugin turns findings of a codebase (a complexity hotspot,
-- an import cycle) into tasks and keeps them in step with later runs. Such a
-- task carries metadata->>'codebase_id' and a stable metadata->>'finding_key'.
-- A finding has at most one live task: one that is not completed and not
-- deleted. A completed (fixed) finding that comes back gets a new task; a
-- cancelled or archived one stays as the user left it.
-- =============================================================================

CREATE UNIQUE INDEX tasks_live_finding_key
    ON tasks ((metadata ->> 'codebase_id'), (metadata ->> 'finding_key'))
 WHERE metadata ? 'finding_key' AND status <> 'completed' AND deleted_at IS NULL;

-- `gsdb tasks list --codebase` and the cross-domain summary count a codebase's tasks.
CREATE INDEX tasks_codebase_id_idx ON tasks ((metadata ->> 'codebase_id'))
 WHERE metadata ? 'codebase_id';

-- One sample per analysis run and phase (phase NULL: the whole run), so re-delivering the hook adds nothing.
CREATE UNIQUE INDEX resource_usage_analysis_run_key
    ON resource_usage (subject_id, (coalesce(phase, '')))
 WHERE subject_type = 'analysis_run';

SELECT gs_install_updated_at_triggers();
