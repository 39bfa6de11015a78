"""What the README's scale-out section promises about distribution columns, checked against the live schema."""

from __future__ import annotations

from graph_sitter.adapters.database import Cluster


def _unique_keys(cluster: Cluster, db: str, table: str) -> list[set[str]]:
    with cluster.connect(db) as conn:
        rows = conn.execute(
            "SELECT array(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = i.indrelid"
            " AND a.attnum = ANY(i.indkey)) FROM pg_index i WHERE i.indrelid = %s::regclass AND i.indisunique",
            (table,)).fetchall()
    return [set(r[0]) for r in rows]


#: codebase_db's tables that grow with the code: distributed (and co-located) by codebase_id on Citus.
CODE_TABLES = ("code_elements", "relationships", "file_analysis", "analysis_runs", "external_dependencies",
               "element_metrics_history")


def test_every_table_that_grows_with_the_code_can_be_distributed_by_codebase(cluster: Cluster) -> None:
    with cluster.connect("codebase_db") as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'codebase_id' AND NOT a.attisdropped"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition")}
    assert tables == set(CODE_TABLES)  # a new table with a codebase_id belongs in the list (and the README)
    for table in CODE_TABLES:
        keys = _unique_keys(cluster, "codebase_db", table)
        assert keys and all("codebase_id" in k for k in keys), (table, keys)


def test_time_series_tables_keep_their_time_column_in_every_unique_key(cluster: Cluster) -> None:
    for db, table, column in (("analytics_db", "metrics", "measured_at"),
                              ("analytics_db", "performance_data", "measured_at"),
                              ("events_db", "events", "occurred_at"),
                              ("events_db", "event_aggregations", "period_start"),
                              ("learning_db", "training_metrics", "recorded_at")):
        keys = _unique_keys(cluster, db, table)
        assert keys and all(column in k for k in keys), (table, keys)
