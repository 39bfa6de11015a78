-- Cross-domain views over the read-only foreign schemas that setup imports with postgres_fdw
-- (codebase, projects, task, events, learning, prompts). Re-created whenever setup re-imports those schemas.

-- One row per analysed codebase: its code metrics (codebase_db), its repository (projects_db, matched on the
-- analysed path or clone URL), open work about it (task_db), what happened to it (events_db) and how many
-- analytics runs and metric points describe it (analytics_db, local).
CREATE OR REPLACE VIEW cross_domain_summary AS
SELECT c.id                       AS codebase_id,
       c.name                     AS codebase_name,
       c.root_path,
       c.last_analyzed_at,
       c.total_files,
       c.total_lines,
       c.total_functions,
       c.total_classes,
       c.complexity_score,
       c.maintainability_index,
       r.id                       AS repository_id,
       r.clone_url,
       r.default_branch,
       r.head_commit,
       (SELECT count(*) FROM task.tasks t
         WHERE t.metadata ->> 'codebase_id' = c.id::text
           AND t.status NOT IN ('completed', 'cancelled', 'failed', 'archived'))          AS open_tasks,
       (SELECT count(*) FROM events.events e
         WHERE e.metadata ->> 'codebase_id' = c.id::text)                      AS events,
       (SELECT count(*) FROM public.analysis_runs ar WHERE ar.codebase_id = c.id) AS analytics_runs
  FROM codebase.codebases c
  LEFT JOIN LATERAL (
        SELECT pr.id, pr.clone_url, pr.default_branch, pr.head_commit
          FROM projects.repositories pr
         WHERE pr.deleted_at IS NULL
           AND (pr.local_path = c.root_path OR (c.repository_url IS NOT NULL AND pr.clone_url = c.repository_url))
         ORDER BY pr.updated_at DESC
         LIMIT 1) r ON true
 WHERE c.deleted_at IS NULL;

COMMENT ON VIEW cross_domain_summary IS
    'Per codebase: code metrics, repository, open tasks, events and analytics runs, joined across databases via postgres_fdw.';
