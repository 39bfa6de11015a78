-- =============================================================================
-- codebase_db/0003_partition_local_indexes.sql — code_elements and
-- relationships are list-partitioned by codebase_id, one partition per
-- codebase, and every query names its codebase: inside a partition the
-- codebase_id column of these (non-unique) indexes is the same value in every
-- entry. Without it the indexes are smaller and a full run builds them in
-- about two thirds of the time. (Unique keys keep codebase_id: they must
-- include the partition key, and Citus needs it there.)
-- =============================================================================
DROP INDEX code_elements_codebase_file_idx;
DROP INDEX code_elements_codebase_qualified_name_idx;
CREATE INDEX code_elements_file_path_idx ON code_elements (file_path);
CREATE INDEX code_elements_qualified_name_idx ON code_elements (qualified_name);

DROP INDEX relationships_codebase_source_idx;
DROP INDEX relationships_codebase_target_idx;
DROP INDEX relationships_codebase_imports_idx;
-- callers (target) and callees (source), contains edges left out as before
CREATE INDEX relationships_source_idx ON relationships (source_id) WHERE kind <> 'contains';
CREATE INDEX relationships_target_idx ON relationships (target_id) WHERE kind <> 'contains';
CREATE INDEX relationships_imports_idx ON relationships (file_path) WHERE kind = 'imports';
