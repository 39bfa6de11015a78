-- =============================================================================
-- codebase_db/0004_target_index_covers_codebase.sql — the queries that ask
-- "does anything point at these elements?" (dead code, callers, dependents)
-- name their codebase, and the target index of migration 0003 left its
-- codebase_id out: every probe then read the table's row to check it. Carried
-- as an INCLUDE column (not a key: within a partition it is one value), the
-- index answers those probes alone. Measured on the stdlib: the dead-code
-- count 163 -> 115 ms, the index build 114 -> 134 ms.
-- =============================================================================
DROP INDEX relationships_target_idx;
CREATE INDEX relationships_target_idx ON relationships (target_id) INCLUDE (codebase_id) WHERE kind <> 'contains';
